#include "nightly/schedule.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <ctime>

namespace mailprune::nightly {

std::optional<ClockTime> parse_clock_time(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  ClockTime at;
  at.hour = (text[0] - '0') * 10 + (text[1] - '0');
  at.minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (at.hour > 23 || at.minute > 59) return std::nullopt;
  return at;
}

std::chrono::system_clock::time_point next_occurrence(std::chrono::system_clock::time_point now, ClockTime at) {
  const std::time_t now_t = std::chrono::system_clock::to_time_t(now);
  std::tm day{};
  ::localtime_r(&now_t, &day);
  // Today at `at`, then the following days until it is after `now` (mktime normalises mday).
  for (int add = 0; add < 3; ++add) {
    std::tm candidate = day;
    candidate.tm_mday = day.tm_mday + add;
    candidate.tm_hour = at.hour;
    candidate.tm_min = at.minute;
    candidate.tm_sec = 0;
    candidate.tm_isdst = -1;
    const std::time_t t = std::mktime(&candidate);
    auto point = std::chrono::system_clock::from_time_t(t);
    if (point > now) return point;
  }
  return now + std::chrono::hours(24);
}

NightlySchedule::NightlySchedule(ClockTime at, std::function<void()> run) : at_(at), run_(std::move(run)) {
  thread_ = std::thread([this] { loop(); });
}

NightlySchedule::~NightlySchedule() {
  stop();
}

void NightlySchedule::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NightlySchedule::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto when = next_occurrence(std::chrono::system_clock::now(), at_);
    const std::time_t when_t = std::chrono::system_clock::to_time_t(when);
    std::tm local{};
    ::localtime_r(&when_t, &local);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M %Z", &local);
    spdlog::info("nightly: next scheduled run at {}", text);
    // The system clock may jump (NTP, suspend): wake at least every minute and look again.
    while (!stopping_ && std::chrono::system_clock::now() < when) {
      wake_.wait_until(lock, std::min(when, std::chrono::system_clock::now() + std::chrono::minutes(1)));
    }
    if (stopping_) break;
    lock.unlock();
    try {
      run_();
    } catch (const std::exception& e) {
      spdlog::error("nightly: scheduled run failed: {}", e.what());
    } catch (...) {
      spdlog::error("nightly: scheduled run failed");
    }
    lock.lock();
  }
}

}  // namespace mailprune::nightly
