#include "runtime/shell/line_editor.hpp"

// libedit's own interface: unlike its readline emulation, it lets the TAB
// handler insert a unique match without ringing the bell and redraw the line.
#include <histedit.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <vector>

#include "runtime/shell/command_line.hpp"
#include "runtime/shell/history.hpp"
#include "runtime/shell/session.hpp"

namespace weft::shell {

namespace {

/// What libedit's callbacks reach through EL_CLIENTDATA.
struct editor_state {
  session* shell;
  std::string prompt;
};

editor_state* state_of(EditLine* el) {
  editor_state* st = nullptr;
  el_get(el, EL_CLIENTDATA, &st);
  return st;
}

char* prompt_of(EditLine* el) { return const_cast<char*>(state_of(el)->prompt.c_str()); }

std::size_t terminal_columns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

/// Lists the candidates in columns below the line (libedit redraws the line).
void list_candidates(const std::vector<std::string>& candidates) {
  std::size_t width = 0;
  for (const auto& c : candidates) width = std::max(width, c.size());
  width += 2;
  std::size_t columns = std::max<std::size_t>(1, terminal_columns() / width);
  std::size_t rows = (candidates.size() + columns - 1) / columns;
  std::string text = "\n";
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      std::size_t i = c * rows + r;
      if (i >= candidates.size()) break;
      text += candidates[i];
      if (c + 1 < columns && i + rows < candidates.size())
        text.append(width - candidates[i].size(), ' ');
    }
    text += "\n";
  }
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

/// TAB: completes a unique match (and a blank after it), else the longest
/// common prefix; lists the candidates when there is nothing to add.
unsigned char complete(EditLine* el, int) {
  const LineInfo* li = el_line(el);
  std::string before(li->buffer, li->cursor);
  std::vector<std::string> candidates;
  try {
    candidates = state_of(el)->shell->complete(before);
  } catch (const std::exception&) {
    return CC_ERROR;
  }
  if (candidates.empty()) return CC_ERROR;  // a beep
  auto words = split_for_completion(before);
  std::string current = words.empty() ? std::string{} : words.back();
  std::string common = candidates.front();
  for (const auto& c : candidates) {
    auto end = std::mismatch(common.begin(), common.end(), c.begin(), c.end()).first;
    common.erase(end, common.end());
  }
  if (common.size() < current.size()) return CC_ERROR;  // not ours to complete
  std::string insert = common.substr(current.size());
  if (candidates.size() == 1) insert += ' ';
  if (!insert.empty()) {
    el_insertstr(el, insert.c_str());
    return CC_REFRESH;
  }
  list_candidates(candidates);
  return CC_REDISPLAY;
}

volatile std::sig_atomic_t prompt_interrupted = 0;

extern "C" void on_prompt_sigint(int) { prompt_interrupted = 1; }

/// Ctrl-C while the prompt waits: el_gets returns, and the line is dropped.
class prompt_sigint {
 public:
  prompt_sigint() {
    prompt_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_prompt_sigint;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_);
  }
  ~prompt_sigint() { ::sigaction(SIGINT, &old_, nullptr); }
  prompt_sigint(const prompt_sigint&) = delete;
  prompt_sigint& operator=(const prompt_sigint&) = delete;

 private:
  struct sigaction old_ {};
};

/// libedit's in-memory history (what the arrow keys walk), from ours.
void load_into(History* h, const history& entries) {
  HistEvent ev;
  ::history(h, &ev, H_CLEAR);
  for (const auto& e : entries.entries()) ::history(h, &ev, H_ENTER, e.c_str());
}

}  // namespace

int run_interactive(session& s, const std::string& history_file, std::ostream& err) {
  std::setlocale(LC_CTYPE, "");  // libedit reads multibyte input by the locale
  EditLine* el = el_init("weft", stdin, stdout, stderr);
  if (el == nullptr) return s.run_stream(std::cin);
  History* hist = history_init();
  HistEvent ev;
  ::history(hist, &ev, H_SETSIZE, 1000);

  editor_state st{&s, s.prompt()};
  el_set(el, EL_CLIENTDATA, &st);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 1);    // keeps the terminal sane on signals; follows resizes
  el_set(el, EL_SAFEREAD, 0);  // a read interrupted by Ctrl-C ends el_gets
  el_set(el, EL_PROMPT, prompt_of);
  el_set(el, EL_HIST, ::history, hist);
  el_set(el, EL_ADDFN, "weft-complete", "complete a command, node, job id or key", complete);
  el_set(el, EL_BIND, "^I", "weft-complete", nullptr);
  el_source(el, nullptr);  // ~/.editrc, as every libedit program

  history h(history_file);
  bool history_ok = h.load();
  if (!history_ok) err << "warning: cannot read the history file " << history_file << "\n";
  load_into(hist, h);

  while (!s.finished()) {
    const char* raw = nullptr;
    int count = 0;
    bool interrupted = false;
    {
      prompt_sigint guard;
      raw = el_gets(el, &count);
      interrupted = prompt_interrupted != 0;
    }
    if (raw == nullptr || count <= 0) {
      std::cout << std::endl;
      if (interrupted) continue;  // Ctrl-C: a fresh prompt
      break;                      // Ctrl-D
    }
    std::string line(raw, static_cast<std::size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (h.add(line)) {
      load_into(hist, h);
      if (!h.save() && history_ok) {
        err << "warning: cannot write the history file " << history_file << "\n";
        history_ok = false;
      }
    }
    s.execute(line);
    std::cout.flush();
  }
  if (history_ok) h.save();
  el_end(el);
  history_end(hist);
  return 0;
}

}  // namespace weft::shell
