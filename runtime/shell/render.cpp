#include "runtime/shell/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

namespace weft::shell {

using nlohmann::json;

namespace {

using align = table::align;

/// A scalar for a table cell: null, missing and "" print as "-".
std::string scalar(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) {
    auto s = v.get<std::string>();
    return s.empty() ? "-" : s;
  }
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

std::string text(const json& j, const char* key) {
  if (!j.is_object()) return "-";
  auto it = j.find(key);
  return it == j.end() ? "-" : scalar(*it);
}

bool has_number(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j.at(key).is_number();
}

double number(const json& j, const char* key) {
  return has_number(j, key) ? j.at(key).get<double>() : 0.0;
}

const json& field(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

const json& array_field(const json& j, const char* key) {
  static const json empty = json::array();
  const auto& a = field(j, key);
  return a.is_array() ? a : empty;
}

/// "2026-11-22 01:02:03.456789" → "2026-11-22 01:02:03".
std::string seconds_only(std::string s) {
  if (s.size() > 19 && s[19] == '.') s.resize(19);
  return s;
}

std::string time_text(const json& j, const char* key) { return seconds_only(text(j, key)); }

table::cell state_cell(const std::string& state) { return {state, state_colour(state)}; }

/// Label/value lines with the values aligned.
void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& f) {
  std::size_t width = 0;
  for (const auto& [label, value] : f) width = std::max(width, display_width(label));
  for (const auto& [label, value] : f)
    out << label << std::string(width - display_width(label) + 2, ' ') << value << "\n";
}

void print_or_none(const table& t, std::ostream& out, bool colour, const char* none) {
  if (t.empty())
    out << none << "\n";
  else
    t.print(out, colour);
}

void render_nodes(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("NAME").column("ROLE").column("VERSION").column("ADDRESS").column("STATE");
  t.column("MERGE", align::right).column("WEAVER", align::right);
  t.column("LAST HEARTBEAT").column("AGE", align::right);
  for (const auto& n : array_field(a, "nodes")) {
    const bool master = field(n, "is_master").is_boolean() && field(n, "is_master").get<bool>();
    std::string age = master ? "(master)"
                      : has_number(n, "heartbeat_age_ms")
                          ? format_millis(number(n, "heartbeat_age_ms"))
                          : "-";
    // A master candidate: "master*" is the active one (the scheduler lease's holder),
    // "master (standby, priority 5)" the others.
    auto role = text(n, "role");
    if (n.contains("active_master") && n["active_master"] == true)
      role += "*";
    else if (role == "master" && has_number(n, "master_priority"))
      role += " (standby, priority " + text(n, "master_priority") + ")";
    t.row({text(n, "name"), role, text(n, "version"), text(n, "address"),
           state_cell(text(n, "state")), text(n, "merge_engines"), text(n, "weaver_engines"),
           text(n, "last_heartbeat"), age});
  }
  print_or_none(t, out, c, "no nodes");
  // The scheduler lease (docs/cluster.md "Master failover").
  if (a.contains("master") && a["master"].is_object()) {
    const auto& m = a["master"];
    const bool expired = m.contains("expired") && m["expired"] == true;
    out << (expired ? paint("no active master: the scheduler lease of '" + text(m, "node") +
                                "' (token " + text(m, "token") + ") expired at " +
                                text(m, "lock_until"),
                            colour::yellow, c)
                    : "active master: " + text(m, "node") + " (scheduler lease token " +
                          text(m, "token") + ", until " + text(m, "lock_until") + ")")
        << "\n";
  } else if (a.contains("master")) {
    out << paint("no active master: nobody holds the scheduler lease", colour::yellow, c) << "\n";
  }
  std::string candidates;
  for (const auto& cand : array_field(a, "candidates"))
    candidates += (candidates.empty() ? "" : ", ") + text(cand, "name") + " (priority " +
                  text(cand, "master_priority") + ")";
  if (!candidates.empty()) out << "master candidates: " << candidates << "\n";
}

void render_engines(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("ID").column("TYPE").column("NODE").column("STATE");
  t.column("JOB", align::right).column("BATCH", align::right);
  t.column("DONE", align::right).column("MAILBOX", align::right);
  for (const auto& e : array_field(a, "engines"))
    t.row({text(e, "id"), text(e, "type"), text(e, "node"), state_cell(text(e, "state")),
           text(e, "job"), text(e, "batch"), text(e, "batches_done"), text(e, "mailbox")});
  print_or_none(t, out, c, "no engines");
  std::string silent;
  for (const auto& n : array_field(a, "not_answering"))
    silent += (silent.empty() ? "" : ", ") + scalar(n);
  if (!silent.empty())
    out << paint("not answering: " + silent + " (their engines are missing above)", colour::yellow,
                 c)
        << "\n";
}

void render_capacity(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("TYPE").column("LOCAL", align::right).column("EXPECTED REMOTE", align::right);
  t.column("REGISTERED REMOTE", align::right).column("ACTIVE", align::right);
  t.column("STANDBY", align::right).column("STATUS");
  for (const auto& x : array_field(a, "capacity")) {
    std::string expected = text(x, "expected_remote");
    if (field(x, "expected_explicit").is_boolean())
      expected += field(x, "expected_explicit").get<bool>() ? " (set)" : " (topology)";
    table::cell status{"ok", colour::green};
    if (field(x, "degraded").is_boolean() && field(x, "degraded").get<bool>())
      status = {"degraded: " + text(x, "type") + " " + text(x, "registered_remote") + "/" +
                    text(x, "expected_remote") + " remote engines",
                colour::red};
    t.row({text(x, "type"), text(x, "local"), expected, text(x, "registered_remote"),
           text(x, "active"), text(x, "standby"), status});
  }
  print_or_none(t, out, c, "no engine types");
}

void render_actors(const json& a, std::ostream& out, bool c) {
  // The node lists them as they answered; by id they stay in place between calls.
  std::vector<json> actors(array_field(a, "actors").begin(), array_field(a, "actors").end());
  std::stable_sort(actors.begin(), actors.end(),
                   [](const json& x, const json& y) { return number(x, "id") < number(y, "id"); });
  table t;
  t.column("NAME").column("ROLE").column("ID", align::right).column("MAILBOX", align::right);
  t.column("NOTE", align::left, true);
  for (const auto& x : actors) {
    bool silent = field(x, "answering").is_boolean() && !field(x, "answering").get<bool>();
    t.row({text(x, "name"),
           text(x, "role"),
           text(x, "id"),
           text(x, "mailbox"),
           {silent ? text(x, "why") : "", colour::yellow}});
  }
  print_or_none(t, out, c, "no actors");
}

std::string engines_text(const json& job) {
  const auto& e = field(job, "engines");
  if (!e.is_object()) return "-";
  return text(e, "merge") + "m " + text(e, "weaver") + "w";
}

std::string progress_text(const json& job) {
  auto p = job_progress(job);
  return p ? progress_bar(*p) : "-";
}

void render_jobs(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("ID", align::right).column("NAME").column("STATE").column("CLASS");
  t.column("RECORDS", align::right).column("PROGRESS").column("ENGINES");
  t.column("SUBMITTED").column("ERROR", align::left, true);
  for (const auto& j : array_field(a, "jobs")) {
    std::string error = text(j, "error");
    t.row({text(j, "id"),
           text(j, "name"),
           state_cell(text(j, "state")),
           text(j, "class"),
           text(j, "records"),
           progress_text(j),
           engines_text(j),
           time_text(j, "submitted_at"),
           {error == "-" ? "" : error, colour::red}});
  }
  print_or_none(t, out, c, "no jobs");
}

void render_outputs(const json& outputs, std::ostream& out, bool c) {
  table t;
  t.column("SEGMENT", align::right).column("PATH").column("FORMAT");
  t.column("DOCUMENTS", align::right).column("PAGES", align::right).column("SIZE", align::right);
  for (const auto& o : outputs) {
    if (!o.is_object()) {
      t.row({"-", scalar(o)});
      continue;
    }
    t.row({text(o, "segment"), text(o, "path"), text(o, "format"), text(o, "documents"),
           text(o, "pages"), has_number(o, "bytes") ? format_bytes(number(o, "bytes")) : "-"});
  }
  print_or_none(t, out, c, "no outputs yet");
}

/// The head of a job: its fields, one per line.
void render_job_fields(const json& j, std::ostream& out, bool c) {
  std::string title = "job " + text(j, "id");
  if (text(j, "name") != "-") title += " (" + text(j, "name") + ")";
  std::vector<std::pair<std::string, std::string>> f;
  std::string state = text(j, "state");
  f.emplace_back("state", paint(state, state_colour(state), c));
  f.emplace_back("class", text(j, "class"));
  std::string records = text(j, "records");
  if (has_number(j, "merged"))
    records += ", " + text(j, "merged") + " merged";
  else if (has_number(j, "records_done"))
    records += ", " + text(j, "records_done") + " merged";
  if (has_number(j, "woven")) records += ", " + text(j, "woven") + " woven";
  f.emplace_back("records", records);
  auto bar = job_progress(j);
  std::string progress = bar ? progress_bar(*bar) : "";
  const auto &merge = field(j, "merge"), &weave = field(j, "weave");
  if (merge.is_object() && weave.is_object())
    progress += (progress.empty() ? "" : "  ") + std::string{"merge "} + text(merge, "done") + "/" +
                text(merge, "total") + ", weave " + text(weave, "done") + "/" +
                text(weave, "total") + " batches";
  if (progress.empty()) progress = "-";
  f.emplace_back("progress", progress);
  if (field(j, "engines").is_object())
    f.emplace_back("engines", text(field(j, "engines"), "merge") + " merge, " +
                                  text(field(j, "engines"), "weaver") + " weaver");
  f.emplace_back("format", text(j, "format"));
  f.emplace_back("submitted", text(j, "submitted_at"));
  f.emplace_back("started", text(j, "started_at"));
  f.emplace_back("finished", text(j, "finished_at"));
  if (text(j, "error") != "-") f.emplace_back("error", paint(text(j, "error"), colour::red, c));
  if (text(j, "data") != "-") f.emplace_back("data", text(j, "data"));
  // Mapping's warnings (blank variables, unused fields): one line each, never hidden.
  for (const auto& w : array_field(j, "warnings"))
    if (w.is_string()) f.emplace_back("warning", paint(w.get<std::string>(), colour::yellow, c));
  out << paint(title, colour::bold, c) << "\n";
  print_fields(out, f);
}

void render_job(const json& a, std::ostream& out, bool c) {
  const auto& j = field(a, "job");
  render_job_fields(j, out, c);
  out << "\n" << paint("batches", colour::bold, c) << "\n";
  table t;
  t.column("TYPE").column("BATCH", align::right).column("FIRST", align::right);
  t.column("LAST", align::right).column("ATTEMPT", align::right).column("STATE").column("ENGINE");
  for (const auto& b : array_field(a, "batches"))
    t.row({text(b, "type"), text(b, "batch"), text(b, "first"), text(b, "last"), text(b, "attempt"),
           state_cell(text(b, "state")), text(b, "engine")});
  print_or_none(t, out, c, "no batches yet");
  out << "\n" << paint("outputs", colour::bold, c) << "\n";
  const auto& outputs =
      a.contains("outputs") ? array_field(a, "outputs") : array_field(j, "outputs");
  render_outputs(outputs, out, c);
}

void render_cancel(const json& j, std::ostream& out, bool c) {
  std::string state = text(j, "state");
  out << "job " << text(j, "id") << ": " << paint(state, state_colour(state), c);
  if (text(j, "error") != "-") out << " (" << text(j, "error") << ")";
  out << "\n";
}

void render_settings(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("KEY").column("VALUE").column("SOURCE").column("SET BY").column("SET AT");
  for (const auto& s : array_field(a, "settings")) {
    std::string source = text(s, "source");
    t.row({text(s, "key"),
           text(s, "value"),
           {source, source == "set" ? colour::cyan : colour::none},
           text(s, "set_by"),
           time_text(s, "set_at")});
  }
  print_or_none(t, out, c, "no settings");
}

void render_set(const json& a, std::ostream& out, bool) {
  out << text(a, "key") << " = " << text(a, "value") << "  (was " << text(a, "previous") << ")\n";
}

void render_drain(const json& a, std::ostream& out, bool c) {
  bool draining = field(a, "draining").is_boolean() && field(a, "draining").get<bool>();
  out << "node " << text(a, "node") << ": "
      << (draining
              ? paint("draining", colour::yellow, c) + " (no new work; its running batches finish)"
              : paint("undrained", colour::green, c) + " (it gets work again)")
      << "\n";
}

void render_locks(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("NAME").column("HOLDER").column("TOKEN", align::right).column("LOCK UNTIL");
  t.column("ACQUIRED AT").column("EXPIRED");
  for (const auto& l : array_field(a, "locks")) {
    bool expired = field(l, "expired").is_boolean() && field(l, "expired").get<bool>();
    t.row({text(l, "name"),
           text(l, "holder"),
           text(l, "token"),
           text(l, "lock_until"),
           text(l, "acquired_at"),
           {expired ? "yes" : "no", expired ? colour::dim : colour::none}});
  }
  print_or_none(t, out, c, "no locks");
}

colour sweep_colour(const std::string& status) {
  if (status == "done") return colour::green;
  if (status == "running") return colour::cyan;
  if (status == "stopped" || status == "skipped") return colour::yellow;
  return colour::red;  // failed, lost_lease, abandoned
}

std::string freed_text(const json& s) {
  return has_number(s, "bytes_freed") ? format_bytes(number(s, "bytes_freed")) : "-";
}

void render_sweeps(const json& a, std::ostream& out, bool c) {
  table t;
  t.column("ID", align::right).column("NODE").column("TOKEN", align::right).column("STARTED");
  t.column("FINISHED").column("STATUS").column("JOBS", align::right);
  t.column("RECORDS", align::right).column("CONTENT", align::right);
  t.column("OUTPUTS", align::right).column("FILES", align::right).column("FREED", align::right);
  t.column("ERROR", align::left, true);
  for (const auto& s : array_field(a, "sweeps")) {
    std::string status = text(s, "status"), error = text(s, "error");
    t.row({text(s, "id"),
           text(s, "node"),
           text(s, "token"),
           time_text(s, "started_at"),
           time_text(s, "finished_at"),
           {status, sweep_colour(status)},
           text(s, "jobs_deleted"),
           text(s, "records_deleted"),
           text(s, "content_deleted"),
           text(s, "outputs_deleted"),
           text(s, "files_removed"),
           freed_text(s),
           {error == "-" ? "" : error, colour::red}});
  }
  print_or_none(t, out, c, "no sweeps yet");
}

void render_sweep(const json& s, std::ostream& out, bool c) {
  std::string status = text(s, "status");
  if (status == "skipped") {
    out << paint("skipped", colour::yellow, c) << ": the clean-up lease is held by "
        << text(s, "holder") << " until " << text(s, "lock_until") << "\n";
    return;
  }
  out << "sweep " << text(s, "id") << " on " << text(s, "node") << " (token " << text(s, "token")
      << "): " << paint(status, sweep_colour(status), c) << "\n";
  std::vector<std::pair<std::string, std::string>> f{
      {"started", text(s, "started_at")},
      {"finished", text(s, "finished_at")},
      {"deleted", text(s, "jobs_deleted") + " jobs, " + text(s, "records_deleted") + " records, " +
                      text(s, "content_deleted") + " content items, " + text(s, "outputs_deleted") +
                      " outputs"},
      {"files", text(s, "files_removed") + " removed, " + freed_text(s) + " freed"}};
  if (text(s, "error") != "-") f.emplace_back("error", paint(text(s, "error"), colour::red, c));
  print_fields(out, f);
}

void render_config(const json& a, std::ostream& out, bool) {
  std::string t = field(a, "text").is_string() ? field(a, "text").get<std::string>() : "";
  out << t;
  if (!t.empty() && t.back() != '\n') out << "\n";
}

}  // namespace

std::string progress_bar(double fraction, int width) {
  fraction = std::clamp(std::isnan(fraction) ? 0.0 : fraction, 0.0, 1.0);
  int filled = static_cast<int>(fraction * width);
  int percent = static_cast<int>(fraction * 100);
  char tail[8];
  std::snprintf(tail, sizeof tail, " %3d%%", percent);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]" + tail;
}

std::optional<double> job_progress(const json& job) {
  if (!job.is_object()) return std::nullopt;
  std::string state = text(job, "state");
  double records = number(job, "records");
  auto half = [&](const char* records_key, const char* batches_key) -> double {
    if (records > 0 && has_number(job, records_key)) return number(job, records_key) / records;
    const auto& b = field(job, batches_key);
    if (number(b, "total") > 0) return number(b, "done") / number(b, "total");
    return 0;
  };
  if (state == "queued" || state == "mapping") return 0.0;
  if (state == "merging")
    return 0.5 * std::min(1.0, has_number(job, "merged") ? half("merged", "merge")
                                                         : half("records_done", "merge"));
  if (state == "weaving") return 0.5 + 0.5 * std::min(1.0, half("woven", "weave"));
  return std::nullopt;
}

colour state_colour(std::string_view s) {
  if (s == "up" || s == "idle" || s == "done") return colour::green;
  if (s == "lost" || s == "failed") return colour::red;
  if (s == "draining" || s == "standby" || s == "cancelled") return colour::yellow;
  if (s == "busy" || s == "mapping" || s == "merging" || s == "weaving" || s == "running")
    return colour::cyan;
  return colour::none;
}

std::string format_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0)
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[unit]);
  return buf;
}

std::string format_millis(double ms) {
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  else if (ms < 60000)
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  else if (ms < 3600000)
    std::snprintf(buf, sizeof buf, "%.1f min", ms / 60000);
  else
    std::snprintf(buf, sizeof buf, "%.1f h", ms / 3600000);
  return buf;
}

void render_answer(const std::string& command, const json& a, std::ostream& out, bool c) {
  if (command == "nodes") return render_nodes(a, out, c);
  if (command == "engines") return render_engines(a, out, c);
  if (command == "capacity") return render_capacity(a, out, c);
  if (command == "actors") return render_actors(a, out, c);
  if (command == "jobs") return render_jobs(a, out, c);
  if (command == "job") return render_job(a, out, c);
  if (command == "cancel") return render_cancel(a, out, c);
  if (command == "settings") return render_settings(a, out, c);
  if (command == "set") return render_set(a, out, c);
  if (command == "drain" || command == "undrain") return render_drain(a, out, c);
  if (command == "locks") return render_locks(a, out, c);
  if (command == "cleanup_status") return render_sweeps(a, out, c);
  if (command == "cleanup_run") return render_sweep(a, out, c);
  if (command == "config") return render_config(a, out, c);
  if (command == "token_create") {
    out << "token '" << a.value("name", "") << "' (scope " << a.value("scope", "")
        << (a.value("expires_in", "").empty() ? "" : ", expires in " + a.value("expires_in", ""))
        << ") created; both are shown only now:\n"
        << "  token:                  " << a.value("token", "") << "\n"
        << "  webhook signing secret: " << a.value("webhook_secret", "") << "\n";
    return;
  }
  if (command == "token_revoke") {
    out << "token '" << a.value("name", "") << "' revoked\n";
    return;
  }
  if (command == "token_list") {
    table t;
    t.column("NAME").column("SCOPE").column("STATE").column("CREATED AT").column("EXPIRES AT");
    for (const auto& k : array_field(a, "tokens")) {
      const bool valid = text(k, "state") == "valid";
      t.row({text(k, "name"),
             text(k, "scope"),
             {text(k, "state"), valid ? colour::green : colour::dim},
             text(k, "created_at"),
             text(k, "expires_at")});
    }
    print_or_none(t, out, c, "no tokens");
    return;
  }
  out << a.dump(2) << "\n";
}

}  // namespace weft::shell
