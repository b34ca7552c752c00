// schedule.hpp: `serve` running the nightly run every day at [nightly] schedule ("HH:MM", local
// time), on a thread of its own.
//
// One run at a time: the next time is computed after a run ends, so a run that lasts past the next
// day's time is not doubled (the day's run is then skipped, the following one happens). Runs of
// `mailprune nightly` (the systemd timer) at the same time are safe: each campaign is locked
// (nightly.hpp).
//
// Threads: the constructor starts the thread; stop() (and the destructor) wakes it and joins it,
// waiting for a run in progress to end. `run` is called on the schedule's thread only and must not
// throw (what it throws is logged and dropped).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace mailprune::nightly {

struct ClockTime {
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
};

// "HH:MM" -> the time; nullopt when it is not one (00:00 to 23:59).
std::optional<ClockTime> parse_clock_time(const std::string& text);

// The first moment strictly after `now` when the local clock reads `at` (the local time zone of the
// process, TZ included). On a day where `at` does not exist (a DST jump forward), the moment mktime
// normalises it to, on that day.
std::chrono::system_clock::time_point next_occurrence(std::chrono::system_clock::time_point now, ClockTime at);

class NightlySchedule {
 public:
  NightlySchedule(ClockTime at, std::function<void()> run);
  NightlySchedule(const NightlySchedule&) = delete;
  NightlySchedule& operator=(const NightlySchedule&) = delete;
  ~NightlySchedule();

  void stop();

 private:
  void loop();

  ClockTime at_;
  std::function<void()> run_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mailprune::nightly
