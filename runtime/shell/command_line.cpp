#include "runtime/shell/command_line.hpp"

#include <algorithm>

namespace weft::shell {

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// The word splitter of both entry points; `open_quote` is set when the line
/// ends inside quotes, `trailing_blank` when it ends between words.
std::vector<std::string> split(std::string_view line, bool& open_quote, bool& trailing_blank) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\'))
        word += line[++i];
      else
        word += c;
    } else if (blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  open_quote = quote != 0;
  trailing_blank = !in_word;
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

std::vector<std::string> split_command_line(std::string_view line) {
  bool open_quote = false, trailing_blank = false;
  auto words = split(line, open_quote, trailing_blank);
  if (open_quote) throw usage_error("unterminated quote in: " + std::string{line});
  return words;
}

std::vector<std::string> split_for_completion(std::string_view line) {
  bool open_quote = false, trailing_blank = false;
  auto words = split(line, open_quote, trailing_blank);
  if (trailing_blank && !open_quote) words.emplace_back();
  return words;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: Levenshtein plus adjacent swaps.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    auto distance = edit_distance(word, c);
    if (distance < best_distance && distance < std::max<std::size_t>(word.size(), 2)) {
      best = c;
      best_distance = distance;
    }
  }
  if (!best.empty() || word.size() < 2) return best;
  // Not a typo but an abbreviation ("eng"): suggest it if only one fits.
  for (const auto& c : candidates)
    if (c.compare(0, word.size(), word) == 0) {
      if (!best.empty()) return {};
      best = c;
    }
  return best;
}

}  // namespace weft::shell
