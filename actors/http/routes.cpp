// The REST API's routes (routes.hpp, docs/api.md).

#include "actors/http/routes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "actors/document/output_format.hpp"
#include "actors/document/output_writer.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "actors/http/tokens.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/job_submission.hpp"
#include "actors/trust/auth.hpp"
#include "actors/trust/log_text.hpp"
#include "storage/api_store.hpp"
#include "storage/job_store.hpp"
#include "storage/storage_error.hpp"

namespace weft::http {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr auto idempotency_window = std::chrono::hours(24);

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

/// The response for a storage error: 404 for a missing row, 503 while the
/// database is unavailable, 500 otherwise.
response storage_failure(const storage::storage_error& e) {
  if (e.code == storage::errc::not_found) return error(404, "not_found", e.what());
  if (e.code == storage::errc::unavailable) return error(503, "unavailable", e.what());
  return error(500, "internal", e.what());
}

/// Runs `fn` (returning a response) on the work pool and answers with it;
/// storage and other exceptions become JSON errors.
void on_pool(const api_context& ctx, reply done, std::function<response()> fn) {
  ctx.work->post([done, fn = std::move(fn)] {
    try {
      auto r = fn();
      if (r.status >= 0) done(std::move(r));  // < 0: answered by a callback of fn's
    } catch (const storage::storage_error& e) {
      done(storage_failure(e));
    } catch (const std::exception& e) {
      done(error(500, "internal", e.what()));
    }
  });
}

/// A job id from the path; nothing when it is not a positive integer.
std::optional<int64_t> job_id(const request& req) {
  auto text = req.params.count("id") ? req.params.at("id") : "";
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  auto id = std::stoll(text);
  if (id <= 0) return std::nullopt;
  return id;
}

response bad_id(const request& req) {
  return error(404, "not_found",
               "no job '" + trust::log_text(req.params.count("id") ? req.params.at("id") : "") +
                   "' (job ids are positive integers)");
}

std::string job_url(int64_t id) { return "/v1/jobs/" + std::to_string(id); }

/// The job's JSON (planning::job_json) with its name and URLs.
json job_view(storage::job_store& store, int64_t id) {
  auto j = json::parse(planning::job_json(store, id));
  j["name"] = planning::parse_job_options(store.job(id).options_json).name;
  j["url"] = job_url(id);
  j["outputs_url"] = job_url(id) + "/outputs";
  return j;
}

/// Forwards an inspector command's JSON answer; its failure is `fail_status`.
void ask_and_answer(const api_context& ctx, const std::string& command, const json& args,
                    reply done, int fail_status = 503) {
  ctx.link->ask(command, dump(args), [done, fail_status](bool ok, std::string text) {
    if (ok) return done(json_response(200, std::move(text)));
    done(error(fail_status, fail_status == 503 ? "unavailable" : "failed", text));
  });
}

// -- health -------------------------------------------------------------------------

void readyz(const api_context& ctx, request&, reply done) {
  const auto name = ctx.settings->this_node().name;
  const bool master = ctx.settings->this_node().role == config::node_role::master;
  auto not_ready = [done, name](const std::string& code, const std::string& why) {
    done(json_response(503, dump({{"status", "not_ready"},
                                  {"node", name},
                                  {"error", {{"code", code}, {"message", why}}}})));
  };
  auto link = ctx.link;
  // `nodes` is read from the database: it shows the database answers, and this
  // node's row whether it is up, draining or lost.
  link->ask("nodes", "{}", [=](bool ok, std::string text) {
    if (!ok) return not_ready("database_unreachable", text);
    auto nodes = json::parse(text, nullptr, false);
    std::string state = "absent";
    if (nodes.is_object() && nodes.contains("nodes") && nodes["nodes"].is_array())
      for (const auto& n : nodes["nodes"])
        if (n.value("name", "") == name) state = n.value("state", "absent");
    if (state == "draining") return not_ready("draining", "node '" + name + "' is draining");
    if (state != "up" && state != "standby")
      return not_ready("not_joined", "node '" + name + "' is " + state);
    auto ready = [done, name, state] {
      done(json_response(200, dump({{"status", "ready"}, {"node", name}, {"state", state}})));
    };
    if (master) return ready();
    // An extension: the master must answer now (`capacity` is forwarded to it).
    link->ask("capacity", "{}", [=](bool ok2, std::string why) {
      if (!ok2) return not_ready("master_unreachable", why);
      ready();
    });
  });
}

// -- jobs ---------------------------------------------------------------------------

void submit(const api_context& ctx, request& req, reply done) {
  const auto form = req.form;
  const auto who = req.who;
  const auto key = req.header("idempotency-key");
  if (key.size() > 128)
    return done(error(400, "bad_request", "Idempotency-Key is longer than 128 characters"));
  json spec = json::object();
  int data = 0, templ = 0;
  for (const auto& [field, file] : form.files) {
    if (field == "data") {
      spec["data"] = file;
      ++data;
    } else if (field == "template") {
      spec["template"] = file;
      ++templ;
    } else if (field != "resources") {
      return done(
          error(400, "bad_request",
                "unknown file field '" + trust::log_text(field) + "' (data, template, resources)"));
    }
  }
  if (data != 1 || templ != 1)
    return done(error(400, "invalid_job",
                      "a job needs exactly one 'data' file and one 'template' file (got " +
                          std::to_string(data) + " and " + std::to_string(templ) + ")"));
  for (const auto& [field, value] : form.fields) {
    if (field == "format" || field == "sort_by" || field == "group_by" || field == "name" ||
        field == "data_format" || field == "callback_url") {
      spec[field] = value;
    } else if (field == "strict") {
      // submit --strict: a missing variable or (pdf) HTML/CSS outside the subset fails the job
      if (value != "true" && value != "false")
        return done(error(400, "invalid_job",
                          "strict must be true or false, not '" + trust::log_text(value) + "'"));
      spec["data_options"]["strict"] = value == "true";
    } else if (field == "split_every") {
      try {
        std::size_t used = 0;
        auto n = std::stoll(value, &used);
        if (used != value.size()) throw std::invalid_argument("trailing text");
        spec[field] = static_cast<int64_t>(n);
      } catch (const std::exception&) {
        return done(error(400, "invalid_job",
                          "split_every must be an integer, not '" + trust::log_text(value) + "'"));
      }
    } else {
      return done(error(400, "bad_request",
                        "unknown form field '" + trust::log_text(field) +
                            "' (format, sort_by, group_by, split_every, name, data_format, "
                            "callback_url, strict)"));
    }
  }
  auto c = ctx;
  on_pool(ctx, done, [c, form, who, key, spec]() -> response {
    storage::api_store api(*c.db);
    auto accepted = [](int64_t id, bool replayed) {
      auto r = json_response(
          202,
          dump({{"id", id}, {"url", job_url(id)}, {"state", "queued"}, {"replayed", replayed}}));
      r.headers.emplace_back("Location", job_url(id));
      return r;
    };
    // With a key, the key is claimed first (a row the primary key lets only one request
    // insert): of two racing requests with one key, one creates the job and the other
    // waits for it and answers it; its uploads are removed with the request's upload dir.
    if (!key.empty()) {
      const auto deadline = std::chrono::steady_clock::now() + c.settings->http.request_timeout;
      for (;;) {
        // A claim still without its job after twice the time a request may take is one whose
        // request died with its node (seen in http_api_haproxy_test: a SIGKILLed extension had
        // claimed the key): it is taken over.
        auto claim = api.claim_key(who.token_id, key, idempotency_window,
                                   std::chrono::duration_cast<std::chrono::milliseconds>(
                                       2 * c.settings->http.request_timeout));
        if (claim.state == storage::api_store::key_claim::done) return accepted(claim.job, true);
        if (claim.state == storage::api_store::key_claim::mine) break;
        if (std::chrono::steady_clock::now() >= deadline)
          return error(409, "conflict",
                       "another request with this Idempotency-Key is still creating its job; "
                       "retry later");
        std::this_thread::sleep_for(50ms);
      }
    }
    storage::job_store store(*c.db);
    planning::submission job;
    try {
      // Its webhook (callback_url) is signed with this token's secret (docs/operations.md).
      // On the master the scheduler is told at once: a small data file is mapped here.
      job = planning::submit_job(*c.settings, store, form.dir, spec,
                                 "token:" + std::to_string(who.token_id),
                                 c.settings->this_node().role == config::node_role::master);
    } catch (const planning::submission_refused& e) {
      if (!key.empty()) api.release_key(who.token_id, key);
      return error(400, "invalid_job", e.what());
    } catch (...) {
      if (!key.empty()) api.release_key(who.token_id, key);
      throw;
    }
    if (!key.empty()) api.set_key_job(who.token_id, key, job.id);
    c.link->submitted(job.id, job.options_json, job.mapped_records);
    spdlog::info("job {} submitted over HTTP with token '{}' ({}, {}){}", job.id,
                 trust::log_text(who.name), trust::log_text(job.data_name), job.format,
                 c.settings->this_node().role == config::node_role::master
                     ? ""
                     : "; the master takes it from the database");
    return accepted(job.id, false);
  });
}

void list_jobs(const api_context& ctx, request& req, reply done) {
  auto state = req.query.count("state") ? req.query.at("state") : "";
  static const std::vector<std::string> states{
      "", "running", "queued", "mapping", "merging", "weaving", "done", "failed", "cancelled"};
  if (std::find(states.begin(), states.end(), state) == states.end())
    return done(error(400, "bad_request",
                      "unknown state '" + trust::log_text(state) +
                          "' (running, queued, mapping, merging, weaving, done, failed, "
                          "cancelled)"));
  int64_t limit = 50, after = 0;
  try {
    if (req.query.count("limit")) limit = std::stoll(req.query.at("limit"));
    if (req.query.count("after")) after = std::stoll(req.query.at("after"));
  } catch (const std::exception&) {
    return done(error(400, "bad_request", "limit and after are integers"));
  }
  if (limit < 1 || limit > 1000)
    return done(error(400, "bad_request", "limit must be between 1 and 1000"));
  auto c = ctx;
  on_pool(ctx, done, [c, state, limit, after]() -> response {
    storage::api_store api(*c.db);
    storage::job_store store(*c.db);
    auto ids = api.job_page(state, after, static_cast<int>(limit) + 1);
    const bool more = ids.size() > static_cast<std::size_t>(limit);
    if (more) ids.resize(static_cast<std::size_t>(limit));
    auto jobs = json::array();
    for (auto id : ids) {
      try {
        jobs.push_back(job_view(store, id));
      } catch (const storage::storage_error& e) {
        if (e.code != storage::errc::not_found) throw;  // removed meanwhile: left out
      }
    }
    json page{{"jobs", jobs}};
    if (more && !ids.empty()) {
      page["next"] = "/v1/jobs?limit=" + std::to_string(limit) +
                     "&after=" + std::to_string(ids.back()) +
                     (state.empty() ? "" : "&state=" + state);
      page["after"] = ids.back();
    } else {
      page["next"] = nullptr;
    }
    return json_response(200, dump(page));
  });
}

void get_job(const api_context& ctx, request& req, reply done) {
  auto id = job_id(req);
  if (!id) return done(bad_id(req));
  // ?wait=S: a long poll. The master's scheduler holds the question until the job has
  // ended or S seconds (at most max_job_wait) have passed; the answer is then read from the
  // database as without it, whatever ended the wait (the job, the time, a busy node).
  int64_t wait_ms = 0;
  if (req.query.count("wait")) {
    const auto& text = req.query.at("wait");
    double seconds = -1;
    try {
      std::size_t used = 0;
      seconds = std::stod(text, &used);
      if (used != text.size()) seconds = -1;
    } catch (const std::exception&) {
    }
    const double most = std::chrono::duration<double>(max_job_wait).count();
    if (!(seconds >= 0 && seconds <= most))
      return done(error(400, "bad_request",
                        "wait must be a number of seconds from 0 to " +
                            std::to_string(static_cast<int>(most)) + ", not '" +
                            trust::log_text(text, 40) + "'"));
    wait_ms = static_cast<int64_t>(seconds * 1000);
  }
  auto c = ctx;
  auto answer = [c, id = *id, done] {
    on_pool(c, done, [c, id]() -> response {
      storage::job_store store(*c.db);
      return json_response(200, dump(job_view(store, id)));
    });
  };
  if (wait_ms <= 0) return answer();
  c.link->ask("wait", dump({{"id", *id}, {"max_ms", wait_ms}}),
              [answer](bool, std::string) { answer(); });
}

void cancel_job(const api_context& ctx, request& req, reply done) {
  auto id = job_id(req);
  if (!id) return done(bad_id(req));
  auto c = ctx;
  on_pool(ctx, done, [c, id = *id]() -> response {
    storage::job_store store(*c.db);
    store.job(id);  // 404 when there is no such job
    // The master's scheduler cancels it (the inspector forwards from an extension). A job
    // queued on an extension is the scheduler's only once it adopted the row (within a
    // second): until then the scheduler answers its state, and it is asked again.
    for (int attempt = 0;; ++attempt) {
      auto answer = std::make_shared<std::promise<std::pair<bool, std::string>>>();
      auto future = answer->get_future();
      c.link->ask("cancel", dump({{"id", id}}), [answer](bool ok, std::string text) {
        answer->set_value({ok, std::move(text)});
      });
      if (future.wait_for(c.settings->http.request_timeout + 1s) != std::future_status::ready)
        return error(503, "unavailable", "cannot cancel job: the node's actors do not answer");
      auto [ok, text] = future.get();
      if (!ok) return error(503, "unavailable", "cannot cancel job: " + text);
      auto row = store.job(id);
      if (storage::finished(row.state) || attempt >= 10)
        return json_response(200, dump(job_view(store, id)));
      std::this_thread::sleep_for(300ms);
    }
  });
}

std::string output_name(const storage::output_row& o) {
  return fs::path(o.path).filename().string();
}

void list_outputs(const api_context& ctx, request& req, reply done) {
  auto id = job_id(req);
  if (!id) return done(bad_id(req));
  auto c = ctx;
  on_pool(ctx, done, [c, id = *id]() -> response {
    storage::job_store store(*c.db);
    auto row = store.job(id);
    auto out = json::array();
    for (const auto& o : store.outputs(id))
      out.push_back({{"name", output_name(o)},
                     {"segment", o.segment_no},
                     {"format", o.format},
                     {"documents", o.documents},
                     {"pages", o.pages},
                     {"bytes", o.bytes},
                     {"url", job_url(id) + "/outputs/" + output_name(o)}});
    return json_response(
        200, dump({{"job", id}, {"state", storage::to_string(row.state)}, {"outputs", out}}));
  });
}

const char* content_type_of(const std::string& format) {
  if (format == "pdf") return "application/pdf";
  if (format == "html") return "text/html; charset=utf-8";
  if (format == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

/// A single byte range of `size` bytes from a Range header ("bytes=A-B",
/// "bytes=A-", "bytes=-N"). Nothing: the header is absent or not one range
/// (the whole file is sent); {size, 0}: unsatisfiable.
std::optional<std::pair<uint64_t, uint64_t>> byte_range(const std::string& header, uint64_t size) {
  const std::string prefix = "bytes=";
  if (header.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  auto spec = header.substr(prefix.size());
  if (spec.find(',') != std::string::npos) return std::nullopt;  // several: the whole file
  auto dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  auto first = spec.substr(0, dash), last = spec.substr(dash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (first.empty()) {
    if (!digits(last)) return std::nullopt;
    uint64_t n = std::stoull(last);
    if (n == 0 || size == 0) return std::make_pair(size, uint64_t{0});
    n = std::min(n, size);
    return std::make_pair(size - n, n);
  }
  if (!digits(first) || (!last.empty() && !digits(last))) return std::nullopt;
  uint64_t a = std::stoull(first);
  uint64_t b = last.empty() ? size - 1 : std::min<uint64_t>(std::stoull(last), size - 1);
  if (a >= size || (!last.empty() && std::stoull(last) < a))
    return std::make_pair(size, uint64_t{0});
  return std::make_pair(a, b - a + 1);
}

void get_output(const api_context& ctx, request& req, reply done) {
  auto id = job_id(req);
  if (!id) return done(bad_id(req));
  auto name = req.params["name"];
  auto range = req.header("range");
  auto if_none_match = req.header("if-none-match");
  auto if_range = req.header("if-range");
  auto c = ctx;
  on_pool(ctx, done, [c, id = *id, name, range, if_none_match, if_range]() -> response {
    storage::job_store store(*c.db);
    store.job(id);
    for (const auto& o : store.outputs(id)) {
      if (output_name(o) != name) continue;
      std::error_code ec;
      auto size = fs::file_size(o.path, ec);
      if (ec)
        return error(410, "gone",
                     "output '" + trust::log_text(name) +
                         "' is no longer in the file store (removed by clean-up?)");
      auto mtime = fs::last_write_time(o.path, ec).time_since_epoch().count();
      auto etag = "\"" + std::to_string(id) + "-" + std::to_string(o.segment_no) + "-" +
                  std::to_string(size) + "-" + std::to_string(mtime) + "\"";
      response r;
      r.content_type = content_type_of(o.format);
      r.headers = {{"ETag", etag},
                   {"Accept-Ranges", "bytes"},
                   {"Content-Disposition", "attachment; filename=\"" + name + "\""}};
      if (!if_none_match.empty() && if_none_match == etag) {
        r.status = 304;
        return r;
      }
      r.file_path = o.path;
      r.file_offset = 0;
      r.file_length = size;
      auto part = (range.empty() || (!if_range.empty() && if_range != etag))
                      ? std::nullopt
                      : byte_range(range, size);
      if (part) {
        if (part->second == 0) {
          auto refused = error(416, "range_not_satisfiable",
                               "the output has " + std::to_string(size) + " bytes");
          refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
          return refused;
        }
        r.status = 206;
        r.file_offset = part->first;
        r.file_length = part->second;
        r.headers.emplace_back("Content-Range", "bytes " + std::to_string(part->first) + "-" +
                                                    std::to_string(part->first + part->second - 1) +
                                                    "/" + std::to_string(size));
      }
      return r;
    }
    return error(404, "not_found",
                 "job " + std::to_string(id) + " has no output '" + trust::log_text(name) + "'");
  });
}

// -- render -------------------------------------------------------------------------

void render(const api_context& ctx, request& req, reply done) {
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return done(error(400, "bad_request", "the body must be a JSON object"));
  if (!body.contains("template") || !body["template"].is_string())
    return done(error(400, "invalid_job", "'template' (the template's text) is required"));
  if (!body.contains("record") || !body["record"].is_object())
    return done(error(400, "invalid_job", "'record' (one record as a JSON object) is required"));
  if (body.contains("format") && !body["format"].is_string())
    return done(error(400, "invalid_job", "'format' must be a string"));
  auto format_name = body.value("format", "pdf");
  auto format = document::parse_output_format(format_name);
  if (!format)
    return done(error(400, "invalid_job",
                      "unknown format '" + trust::log_text(format_name) + "' (pdf, txt, html)"));
  auto c = ctx;
  on_pool(ctx, done, [c, body, format = *format, format_name]() -> response {
    std::string text;
    try {
      document::template_limits limits;
      limits.max_section_depth = static_cast<std::size_t>(c.settings->jobs.max_section_depth);
      limits.max_partial_depth = static_cast<std::size_t>(c.settings->jobs.max_partial_depth);
      limits.max_record_output = static_cast<std::size_t>(c.settings->jobs.max_record_output);
      document::template_engine engine(document::template_escape_for(format), limits);
      auto tmpl = engine.compile(body["template"].get<std::string>(), "template");
      text = tmpl.render(body["record"]);
    } catch (const std::exception& e) {
      return error(422, "render_failed", e.what());
    }
    // The writers write files: a private one in the temporary folder, read back and removed.
    auto dir = fs::temp_directory_path() / ("weft-render-" + trust::make_nonce().substr(0, 16));
    fs::create_directories(dir);
    struct remove_dir {
      fs::path p;
      ~remove_dir() {
        std::error_code ec;
        fs::remove_all(p, ec);
      }
    } cleanup{dir};
    auto path = dir / ("preview." + format_name);
    try {
      auto writer = document::make_output_writer(format, path);
      writer->add_document(text);
      writer->finish();
    } catch (const std::exception& e) {
      return error(422, "render_failed", e.what());
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    response r;
    r.content_type = content_type_of(format_name);
    r.body = bytes.str();
    return r;
  });
}

}  // namespace

std::optional<caller> authenticate(storage::database& db, const std::string& bearer) {
  if (bearer.empty() || bearer.size() > 200) return std::nullopt;
  storage::api_store api(db);
  auto row = api.find_valid(token_hash(bearer));
  if (!row) return std::nullopt;
  return caller{row->id, row->name, parse_scope(row->scope)};
}

router make_routes(const api_context& ctx) {
  router r;
  auto c = ctx;
  r.add(
      {"GET", "/healthz", scope::none, false, [c](request&, reply done) {
         done(json_response(200, dump({{"status", "ok"}, {"node", c.settings->this_node().name}})));
       }});
  r.add({"GET", "/readyz", scope::none, false,
         [c](request& req, reply done) { readyz(c, req, std::move(done)); }});
  r.add({"GET", "/v1/openapi.json", scope::none, false,
         [](request&, reply done) { done(json_response(200, openapi_document())); }});
  r.add({"POST", "/v1/jobs", scope::submit, true,
         [c](request& req, reply done) { submit(c, req, std::move(done)); }});
  r.add({"GET", "/v1/jobs", scope::read, false,
         [c](request& req, reply done) { list_jobs(c, req, std::move(done)); }});
  r.add({"GET", "/v1/jobs/{id}", scope::read, false,
         [c](request& req, reply done) { get_job(c, req, std::move(done)); }});
  r.add({"DELETE", "/v1/jobs/{id}", scope::submit, false,
         [c](request& req, reply done) { cancel_job(c, req, std::move(done)); }});
  r.add({"GET", "/v1/jobs/{id}/outputs", scope::read, false,
         [c](request& req, reply done) { list_outputs(c, req, std::move(done)); }});
  r.add({"GET", "/v1/jobs/{id}/outputs/{name}", scope::read, false,
         [c](request& req, reply done) { get_output(c, req, std::move(done)); }});
  r.add({"POST", "/v1/render", scope::submit, false,
         [c](request& req, reply done) { render(c, req, std::move(done)); }});
  r.add({"GET", "/v1/cluster/nodes", scope::read, false,
         [c](request&, reply done) { ask_and_answer(c, "nodes", json::object(), done); }});
  r.add({"GET", "/v1/cluster/engines", scope::read, false,
         [c](request&, reply done) { ask_and_answer(c, "engines", json::object(), done); }});
  r.add({"GET", "/v1/cluster/capacity", scope::read, false,
         [c](request&, reply done) { ask_and_answer(c, "capacity", json::object(), done); }});
  r.add({"GET", "/v1/cluster/sweeps", scope::read, false, [c](request& req, reply done) {
           int64_t limit = 20;
           try {
             if (req.query.count("limit")) limit = std::stoll(req.query.at("limit"));
           } catch (const std::exception&) {
             return done(error(400, "bad_request", "limit is an integer"));
           }
           ask_and_answer(c, "cleanup_status", json{{"limit", limit}}, done);
         }});
  return r;
}

}  // namespace weft::http
