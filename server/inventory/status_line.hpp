// status_line.hpp: one status line redrawn in place on standard error, as the progress of the
// long commands (crawl, apply, undo, purge) shows it (progress.hpp, apply/progress.hpp).
//
// StatusLine draws at most every `interval` (a forced draw skips that wait), from whichever
// thread reports: a thread that finds another one drawing skips its draw rather than waits, so
// workers never queue behind the terminal. With `draw` false it never writes anything. Each draw
// overwrites the line ("\r" and erase to its end); erase() clears it before other output.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

namespace mailprune::inventory {

class StatusLine {
 public:
  StatusLine(bool draw, std::chrono::milliseconds interval);
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  // Draws `text()` now when `force`, or when nothing was drawn yet or `interval` has passed since
  // the last draw; `text` is called only when the line is drawn.
  void maybe_draw(bool force, const std::function<std::string()>& text);
  // Clears the line when one is drawn (the next maybe_draw() draws again whatever the interval).
  void erase();

 private:
  const bool draw_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool drawn_ = false;
};

}  // namespace mailprune::inventory
