#include "runtime/shell/completion.hpp"

#include <algorithm>

#include "runtime/shell/command_line.hpp"
#include "runtime/shell/shell_backend.hpp"

namespace weft::shell {

namespace {

/// The options of `caf-node submit` (the shell offers them after `submit`).
const std::vector<std::string>& submit_options() {
  static const std::vector<std::string> words{"--data",
                                              "--data-format",
                                              "--data-encoding",
                                              "--csv-delimiter",
                                              "--csv-quote",
                                              "--csv-no-header",
                                              "--csv-columns",
                                              "--csv-skip-lines",
                                              "--record-path",
                                              "--strict",
                                              "--template",
                                              "--format",
                                              "--sort-by",
                                              "--group-by",
                                              "--split-every",
                                              "--name",
                                              "--resources",
                                              "--wait",
                                              "--out"};
  return words;
}

std::vector<std::string> words_for(arg_kind kind, const list_provider& lists) {
  switch (kind) {
    case arg_kind::engine_type:
      return engine_types();
    case arg_kind::job_state:
      return job_states();
    case arg_kind::cleanup_action:
      return cleanup_actions();
    case arg_kind::follow_flag:
      return {"-f"};
    case arg_kind::command:
      return command_names();
    case arg_kind::submit_option:
      return submit_options();
    case arg_kind::value:
      return {};
    case arg_kind::node:
    case arg_kind::job_id:
    case arg_kind::setting_key:
      return lists ? lists(kind) : std::vector<std::string>{};
  }
  return {};
}

}  // namespace

std::vector<std::string> complete_line(std::string_view line, const list_provider& lists) {
  auto words = split_for_completion(line);
  if (words.empty()) words.emplace_back();
  const std::string& current = words.back();
  std::vector<std::string> pool;
  if (words.size() == 1) {
    pool = command_names();
  } else if (const auto* spec = find_command(words.front())) {
    std::size_t index = words.size() - 2;  // which argument the cursor is in
    if (spec->name == "submit") {
      // Options only; their values are files and formats, not ours to list.
      if (current.empty() || current[0] == '-') pool = submit_options();
    } else if (spec->name == "cleanup" && index == 1) {
      if (words[1] == "run") pool = words_for(arg_kind::node, lists);
    } else if (spec->name == "logs") {
      // `logs NODE -f` and `logs -f NODE` both work.
      auto before = std::vector<std::string>(words.begin() + 1, words.end() - 1);
      bool follows = std::find(before.begin(), before.end(), "-f") != before.end();
      bool named = std::any_of(before.begin(), before.end(), [](auto& w) { return w != "-f"; });
      if (!current.empty() && current[0] == '-') {
        if (!follows) pool = {"-f"};
      } else if (!named) {
        pool = words_for(arg_kind::node, lists);
      } else if (!follows) {
        pool = {"-f"};
      }
    } else if (index < spec->args.size()) {
      pool = words_for(spec->args[index], lists);
    }
  }
  std::vector<std::string> out;
  for (auto& w : pool)
    if (w.compare(0, current.size(), current) == 0) out.push_back(std::move(w));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

completion_cache::completion_cache(shell_backend& backend, std::chrono::milliseconds ttl,
                                   std::chrono::milliseconds timeout)
    : backend_(backend), ttl_(ttl), timeout_(timeout) {}

std::vector<std::string> completion_cache::operator()(arg_kind kind) {
  auto now = std::chrono::steady_clock::now();
  auto it = lists_.find(kind);
  if (it != lists_.end() && now - it->second.fetched < ttl_) return it->second.words;
  auto words = fetch(kind);
  lists_[kind] = entry{now, words};
  return words;
}

std::vector<std::string> completion_cache::fetch(arg_kind kind) {
  std::vector<std::string> words;
  try {
    // Keep each answer in a variable: a range-for over a member of a
    // temporary would outlive the temporary.
    if (kind == arg_kind::node) {
      auto answer = backend_.request("nodes", nlohmann::json::object(), timeout_);
      for (const auto& n : answer.at("nodes")) words.push_back(n.at("name").get<std::string>());
    } else if (kind == arg_kind::job_id) {
      auto answer = backend_.request("jobs", {{"state", ""}}, timeout_);
      for (const auto& j : answer.at("jobs"))
        words.push_back(std::to_string(j.at("id").get<long long>()));
    } else if (kind == arg_kind::setting_key) {
      auto answer = backend_.request("settings", nlohmann::json::object(), timeout_);
      for (const auto& s : answer.at("settings")) words.push_back(s.at("key").get<std::string>());
    }
  } catch (const std::exception&) {
    // request_error, or an answer of another shape: nothing to offer.
    return {};
  }
  return words;
}

}  // namespace weft::shell
