#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace weft::shell {

/// The shell's command history and its file: one command per line, oldest
/// first, no blank lines and no duplicates (running a command again moves it
/// to the end), at most `max_entries`.
///
/// The file is plain text, rewritten as a whole (through a temporary file and
/// a rename) so that a crash never leaves half a history; a second shell
/// running at the same time may overwrite this one's latest lines.
class history {
 public:
  explicit history(std::string path, std::size_t max_entries = 1000);

  /// Reads the file; a missing file is an empty history. Lines of libedit's
  /// own format (its header, `\040` for blanks) are read too.
  /// @return false if the file exists but cannot be read.
  bool load();

  /// Adds a command without its leading and trailing blanks; ignores blank
  /// lines and a repeat of the latest entry. @return whether the entries changed.
  bool add(const std::string& line);

  /// Writes the file. @return false if it cannot be written.
  bool save() const;

  const std::vector<std::string>& entries() const { return entries_; }
  const std::string& path() const { return path_; }

  /// `$HOME/.weft_history`, or the home directory of the user from the
  /// password database when HOME is unset.
  static std::string default_path();

 private:
  std::string path_;
  std::size_t max_;
  std::vector<std::string> entries_;
};

}  // namespace weft::shell
