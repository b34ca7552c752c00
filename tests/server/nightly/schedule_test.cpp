// The [nightly] configuration keys, and serve's schedule: "HH:MM" parsing and the next local occurrence, in fixed time
// zones (TZ set per test), a DST change included; and the thread runs at the time and stops when asked.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <ctime>

#include "config/loader.hpp"
#include "nightly/schedule.hpp"

namespace mailprune::nightly {
namespace {

using Clock = std::chrono::system_clock;

class TimeZone {
 public:
  explicit TimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) previous_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~TimeZone() {
    if (previous_.empty()) {
      ::unsetenv("TZ");
    } else {
      ::setenv("TZ", previous_.c_str(), 1);
    }
    ::tzset();
  }

 private:
  std::string previous_;
};

Clock::time_point utc(int year, int month, int day, int hour, int minute) {
  std::tm t{};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  return Clock::from_time_t(::timegm(&t));
}

TEST(NightlySchedule, ParsesClockTimes) {
  auto at = parse_clock_time("02:30");
  ASSERT_TRUE(at);
  EXPECT_EQ(at->hour, 2);
  EXPECT_EQ(at->minute, 30);
  EXPECT_TRUE(parse_clock_time("00:00"));
  EXPECT_TRUE(parse_clock_time("23:59"));
  for (const char* bad : {"", "2:30", "24:00", "12:60", "02-30", "02:30:00", "ab:cd", " 2:30"}) {
    EXPECT_FALSE(parse_clock_time(bad)) << bad;
  }
}

TEST(NightlySchedule, NextOccurrenceIsTodayOrTomorrowInLocalTime) {
  TimeZone zone("UTC");
  const ClockTime at{2, 30};
  EXPECT_EQ(next_occurrence(utc(2026, 11, 29, 1, 0), at), utc(2026, 11, 29, 2, 30));
  EXPECT_EQ(next_occurrence(utc(2026, 11, 29, 2, 30), at), utc(2026, 11, 30, 2, 30));  // strictly after
  EXPECT_EQ(next_occurrence(utc(2026, 12, 31, 3, 0), at), utc(2027, 1, 1, 2, 30));
}

TEST(NightlySchedule, FollowsTheLocalZoneAcrossDaylightSaving) {
  TimeZone zone("Europe/Paris");  // CET (UTC+1); CEST (UTC+2) from 29 March 2026, 02:00 local
  const ClockTime at{3, 30};
  EXPECT_EQ(next_occurrence(utc(2026, 3, 28, 12, 0), at), utc(2026, 3, 29, 1, 30));  // 03:30 CEST
  EXPECT_EQ(next_occurrence(utc(2026, 3, 27, 12, 0), at), utc(2026, 3, 28, 2, 30));  // 03:30 CET
}

TEST(NightlySchedule, StopsPromptlyWhenNothingIsDue) {
  std::atomic<int> runs{0};
  const auto started = std::chrono::steady_clock::now();
  {
    // A time at least a few minutes away, whatever the clock says.
    const std::time_t later = std::time(nullptr) + 600;
    std::tm local{};
    ::localtime_r(&later, &local);
    NightlySchedule schedule(ClockTime{local.tm_hour, local.tm_min}, [&runs] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace mailprune::nightly

namespace mailprune::config {
namespace {

std::string errors_of(const std::string& text) {
  try {
    parse_config(text, "test.toml");
  } catch (const ConfigException& e) {
    std::string out;
    for (const auto& error : e.errors()) out += error.to_string() + "\n";
    return out;
  }
  return "";
}

TEST(NightlyConfig, DefaultsScheduleAndReminderWindow) {
  Config defaults = parse_config("", "empty.toml");
  EXPECT_EQ(defaults.nightly.schedule, "");
  EXPECT_EQ(defaults.nightly.reminder_days_before, 3);
  Config set = parse_config("[nightly]\nschedule = \"02:30\"\nreminder_days_before = 0\n", "t.toml");
  EXPECT_EQ(set.nightly.schedule, "02:30");
  EXPECT_EQ(set.nightly.reminder_days_before, 0);
  EXPECT_NE(render_effective_config(set).find("[nightly]\nschedule = \"02:30\"\nreminder_days_before = 0\n"),
            std::string::npos)
      << render_effective_config(set);
}

TEST(NightlyConfig, RefusesWhatIsNotAClockTime) {
  for (const char* bad : {"2:30", "24:00", "02:60", "nightly", "02:30:00"}) {
    auto errors = errors_of(std::string("[nightly]\nschedule = \"") + bad + "\"\n");
    EXPECT_NE(errors.find("test.toml:2"), std::string::npos) << bad << ": " << errors;
    EXPECT_NE(errors.find("HH:MM"), std::string::npos) << bad << ": " << errors;
  }
  EXPECT_NE(errors_of("[nightly]\nreminder_days_before = -1\n"), "");
  EXPECT_NE(errors_of("[nightly]\nremind = 3\n").find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace mailprune::config
