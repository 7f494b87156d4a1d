#pragma once

#include <iosfwd>
#include <string>

namespace weft::shell {

class session;

/// The interactive shell on a terminal, with libedit: shows the session's
/// prompt, edits lines (emacs keys; ~/.editrc applies), keeps the history in
/// `history_file` (read at start, written after each command), and
/// completes with session::complete on TAB. Runs until `quit`, `exit` or
/// Ctrl-D; Ctrl-C at the prompt discards the line; during a command it ends
/// the shell as usual (except `logs -f`, which it stops).
///
/// Prints nothing but the prompt when it starts. Problems with the history
/// file are reported once on `err`. Answers the exit code (0).
/// Precondition: stdin is a terminal.
int run_interactive(session& s, const std::string& history_file, std::ostream& err);

}  // namespace weft::shell
