#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/shell/command_spec.hpp"

namespace weft::shell {

class shell_backend;

/// The words the node knows for an argument kind (node names, job ids,
/// settings keys); an empty list when it cannot say.
using list_provider = std::function<std::vector<std::string>(arg_kind)>;

/// Tab completion, apart from any line editor: the candidates for the word
/// under the cursor, given the line up to the cursor. The first word
/// completes to a command name; later words by the command's argument kinds
/// (`drain <TAB>`: nodes; `job <TAB>`: job ids; `set sch<TAB>`: settings keys;
/// `cleanup <TAB>`: status, run; `cleanup run <TAB>`: nodes). Only kinds that
/// need the node call `lists`. Candidates start with the word under the
/// cursor, sorted, without repeats.
std::vector<std::string> complete_line(std::string_view line_before_cursor,
                                       const list_provider& lists);

/// A list_provider that asks a backend and keeps each answer for `ttl`, so
/// that pressing TAB repeatedly does not ask the node each time. Requests
/// use a short timeout; a failed request gives an empty list (completion
/// never reports errors).
class completion_cache {
 public:
  explicit completion_cache(shell_backend& backend,
                            std::chrono::milliseconds ttl = std::chrono::seconds(5),
                            std::chrono::milliseconds timeout = std::chrono::seconds(2));

  std::vector<std::string> operator()(arg_kind kind);
  /// Forgets every list (after a command that changes them).
  void clear() { lists_.clear(); }

 private:
  struct entry {
    std::chrono::steady_clock::time_point fetched;
    std::vector<std::string> words;
  };
  std::vector<std::string> fetch(arg_kind kind);

  shell_backend& backend_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds timeout_;
  std::map<arg_kind, entry> lists_;
};

}  // namespace weft::shell
