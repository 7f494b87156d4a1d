#include "runtime/shell/command_spec.hpp"

#include <algorithm>
#include <cstdint>

#include "runtime/shell/command_line.hpp"

namespace weft::shell {

namespace {

using k = arg_kind;

std::vector<command_spec> make_specs() {
  return {
      {"nodes",
       "nodes",
       "every node: role, version, address, state, engines, last heartbeat",
       "States: up, lost (no heartbeat within node_timeout), draining, standby, absent (in the\n"
       "topology, never joined). AGE is the time since the node's last heartbeat.",
       {},
       0,
       0},
      {"engines",
       "engines [TYPE]",
       "every engine: type, node, state, current job and batch, batches done, mailbox",
       "TYPE is merge or weaver (default: both). States: idle, busy, standby, lost.\n"
       "Nodes that did not answer in time are listed below the table.",
       {k::engine_type},
       0,
       1},
      {"capacity",
       "capacity",
       "per engine type: local, expected remote, registered remote, active, standby, degraded",
       "A type is degraded while fewer remote engines are registered than expected\n"
       "(jobs still run on the engines that exist); remote engines beyond the expected\n"
       "total wait on standby.",
       {},
       0,
       0},
      {"actors",
       "actors NODE",
       "the actors running on a node with their role and mailbox size",
       "",
       {k::node},
       1,
       1},
      {"jobs",
       "jobs [STATE]",
       "jobs with class, progress bar and granted engines",
       "STATE is running (every job not finished), queued, mapping, merging, weaving,\n"
       "done, failed or cancelled (default: all). ENGINES shows the engines granted now: merge (m) "
       "and weaver (w).",
       {k::job_state},
       0,
       1},
      {"job", "job ID", "one job with its batches, attempts and outputs", "", {k::job_id}, 1, 1},
      {"submit",
       "submit --data FILE --template FILE [OPTIONS]",
       "submit a job, as `caf-node submit` (same options)",
       "Prints the job id; with --wait shows a progress bar until the job is done and\n"
       "prints the outputs; with --out DIR downloads them.",
       {k::submit_option},
       0,
       SIZE_MAX},
      {"cancel", "cancel ID", "cancel a job", "", {k::job_id}, 1, 1},
      {"settings",
       "settings",
       "effective scheduler and clean-up settings and where each comes from",
       "SOURCE is default, topology (the TOML file) or set (changed with `set`; SET BY\n"
       "and SET AT say who and when).",
       {},
       0,
       0},
      {"set",
       "set KEY VALUE",
       "change a setting; applies at once and survives a master restart",
       "Quote a value with blanks: set cleanup.schedule \"*/5 * * * *\"",
       {k::setting_key, k::value},
       2,
       2},
      {"drain",
       "drain NODE",
       "maintenance: the node gets no new work, running batches finish",
       "",
       {k::node},
       1,
       1},
      {"undrain", "undrain NODE", "end maintenance: the node gets work again", "", {k::node}, 1, 1},
      {"locks", "locks", "leases: name, holder, fencing token, expiry", "", {}, 0, 0},
      {"token",
       "token create NAME --scope read|submit|admin [--expires D] | list | revoke NAME",
       "the REST API's bearer tokens (as `caf-node token`)",
       "`token create` prints the token and its webhook signing secret once: the database\n"
       "keeps only the token's hash. `token list` never shows a token. The shell holds the\n"
       "cluster secret: it is the cluster's administrator, no HTTP token is needed.",
       {k::value, k::value, k::value, k::value, k::value, k::value},
       1,
       6},
      {"cleanup",
       "cleanup status|run [NODE]",
       "sweep history (the last 20); trigger a sweep now",
       "`cleanup run` sweeps on NODE (default: the node we are connected to) and waits\n"
       "up to 15 minutes for the result; it is skipped when another node holds the\n"
       "clean-up lease.",
       {k::cleanup_action, k::node},
       1,
       2},
      {"logs",
       "logs NODE [-f]",
       "a node's recent log lines; -f follows them until Ctrl-C",
       "",
       {k::node, k::follow_flag},
       1,
       2},
      {"config",
       "config NODE",
       "a node's effective configuration, secrets redacted",
       "",
       {k::node},
       1,
       1},
      {"help",
       "help [COMMAND]",
       "the list of commands, or one command's help",
       "",
       {k::command},
       0,
       1},
      {"quit", "quit", "leave the shell (also Ctrl-D)", "", {}, 0, 0},
      {"exit", "exit", "leave the shell (also Ctrl-D)", "", {}, 0, 0},
  };
}

void expect_word(const std::string& word, const std::vector<std::string>& words,
                 const std::string& what, const command_spec& spec) {
  if (std::find(words.begin(), words.end(), word) != words.end()) return;
  std::string message = "unknown " + what + " '" + word + "'";
  auto guess = closest_match(word, words);
  if (!guess.empty()) message += " \u2014 did you mean '" + guess + "'?";
  throw usage_error(message, spec.usage);
}

}  // namespace

const std::vector<command_spec>& command_specs() {
  static const std::vector<command_spec> specs = make_specs();
  return specs;
}

const command_spec* find_command(std::string_view name) {
  for (const auto& s : command_specs())
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& s : command_specs()) names.push_back(s.name);
  return names;
}

const std::vector<std::string>& engine_types() {
  static const std::vector<std::string> words{"merge", "weaver"};
  return words;
}

const std::vector<std::string>& job_states() {
  static const std::vector<std::string> words{"running", "queued", "mapping", "merging",
                                              "weaving", "done",   "failed",  "cancelled"};
  return words;
}

const std::vector<std::string>& cleanup_actions() {
  static const std::vector<std::string> words{"status", "run"};
  return words;
}

long long parse_job_id(const std::string& word) {
  bool digits = !word.empty() && word.size() <= 18 &&
                std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
  long long id = digits ? std::stoll(word) : 0;
  if (id <= 0) throw usage_error("'" + word + "' is not a job id (a positive number)");
  return id;
}

parsed_command parse_command(std::string_view line) {
  parsed_command p;
  auto words = split_command_line(line);
  if (words.empty()) return p;
  const auto* spec = find_command(words.front());
  if (spec == nullptr) {
    std::string message = "unknown command '" + words.front() + "'";
    auto guess = closest_match(words.front(), command_names());
    if (!guess.empty())
      message += " \u2014 did you mean '" + guess + "'?";
    else
      message += " \u2014 'help' lists the commands";
    throw usage_error(message);
  }
  p.spec = spec;
  p.args.assign(words.begin() + 1, words.end());
  auto& args = p.args;
  if (spec->name == "logs") {
    auto f = std::find(args.begin(), args.end(), "-f");
    if (f != args.end() && f + 1 != args.end()) std::rotate(f, f + 1, args.end());
  }
  if (args.size() < spec->min_args)
    throw usage_error("'" + spec->name + "' wants more arguments", spec->usage);
  if (args.size() > spec->max_args)
    throw usage_error("'" + spec->name + "' takes at most " + std::to_string(spec->max_args) +
                          (spec->max_args == 1 ? " argument" : " arguments") +
                          (spec->name == "set" ? " (quote a value with blanks)" : ""),
                      spec->usage);
  if (spec->name == "submit") return p;  // its options are checked by `caf-node submit`'s parser
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    switch (spec->args[i]) {
      case arg_kind::job_id:
        try {
          parse_job_id(a);
        } catch (const usage_error& e) {
          throw usage_error(e.what(), spec->usage);
        }
        break;
      case arg_kind::engine_type:
        expect_word(a, engine_types(), "engine type", *spec);
        break;
      case arg_kind::job_state:
        expect_word(a, job_states(), "job state", *spec);
        break;
      case arg_kind::cleanup_action:
        expect_word(a, cleanup_actions(), "cleanup action", *spec);
        if (a == "status" && args.size() > 1)
          throw usage_error("'cleanup status' takes no node", spec->usage);
        break;
      case arg_kind::follow_flag:
        if (a != "-f") throw usage_error("unexpected '" + a + "'", spec->usage);
        break;
      case arg_kind::command:
        if (find_command(a) == nullptr) {
          std::string message = "no command '" + a + "'";
          auto guess = closest_match(a, command_names());
          if (!guess.empty()) message += " \u2014 did you mean '" + guess + "'?";
          throw usage_error(message);
        }
        break;
      case arg_kind::node:
      case arg_kind::setting_key:
        if (a.empty())
          throw usage_error(
              "an empty " + std::string{spec->args[i] == arg_kind::node ? "node name" : "key"},
              spec->usage);
        if (a[0] == '-') throw usage_error("unexpected option '" + a + "'", spec->usage);
        break;
      case arg_kind::value:  // may be empty: set KEY ""
      case arg_kind::submit_option:
        break;
    }
  }
  return p;
}

}  // namespace weft::shell
