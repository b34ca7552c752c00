#include "inventory/status_line.hpp"

#include <cstdio>

namespace mailprune::inventory {

StatusLine::StatusLine(bool draw, std::chrono::milliseconds interval) : draw_(draw), interval_(interval) {}

void StatusLine::maybe_draw(bool force, const std::function<std::string()>& text) {
  if (!draw_) return;
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is drawing right now
  const auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_draw_ < interval_) return;
  last_draw_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[K%s", text().c_str());
  std::fflush(stderr);
}

void StatusLine::erase() {
  std::lock_guard lock(mutex_);
  if (draw_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace mailprune::inventory
