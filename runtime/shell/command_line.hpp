#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::shell {

/// Bad usage of a shell command (unknown command, wrong arguments, an
/// unterminated quote): `-c` ends with exit code 2. The message is ready to
/// print; `usage` is the command's usage line, if one applies.
struct usage_error : std::runtime_error {
  explicit usage_error(const std::string& what, std::string usage_line = {})
      : std::runtime_error(what), usage(std::move(usage_line)) {}
  std::string usage;
};

/// Splits a shell line into words like a POSIX shell does, without
/// expansions: blanks separate words; '...' keeps everything literally;
/// "..." keeps everything but `\"` and `\\`; outside quotes a backslash
/// escapes the next character. Quotes may join: `a"b c"d` is one word.
/// @throws usage_error on an unterminated quote.
std::vector<std::string> split_command_line(std::string_view line);

/// The words of the line before the cursor, for completion: like
/// split_command_line but tolerant of an open quote; the last word is the
/// one under the cursor (empty when the line ends in a blank).
std::vector<std::string> split_for_completion(std::string_view line);

/// The Levenshtein distance (insertions, deletions, substitutions; a swap of
/// two neighbours counts as one) between two ASCII words.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a typo (at
/// most 2 edits, and fewer than the word's length) or the only candidate
/// that starts with it (an abbreviation); empty otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace weft::shell
