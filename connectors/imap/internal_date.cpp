#include "imap/internal_date.hpp"

#include <array>
#include <cstdio>

#include "imap/lexer.hpp"

namespace mailprune::imap {
namespace {

constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Howard Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

std::optional<unsigned> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> parse_internal_date(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 2) return std::nullopt;
  const auto day = digits(text.substr(0, dash));
  text.remove_prefix(dash + 1);
  // "Mon-yyyy hh:mm:ss +zzzz"
  if (text.size() != 23 || text[3] != '-' || text[8] != ' ' || text[11] != ':' || text[14] != ':' || text[17] != ' ' ||
      (text[18] != '+' && text[18] != '-')) {
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < months.size(); ++i) {
    if (detail::iequals(text.substr(0, 3), months[i])) month = i + 1;
  }
  const auto year = digits(text.substr(4, 4));
  const auto hour = digits(text.substr(9, 2));
  const auto minute = digits(text.substr(12, 2));
  const auto second = digits(text.substr(15, 2));
  const auto zone_hours = digits(text.substr(19, 2));
  const auto zone_minutes = digits(text.substr(21, 2));
  if (!day || month == 0 || !year || !hour || !minute || !second || !zone_hours || !zone_minutes || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60 || *zone_minutes > 59) {
    return std::nullopt;
  }
  const std::int64_t zone =
      (text[18] == '-' ? -1 : 1) * (static_cast<std::int64_t>(*zone_hours) * 60 + *zone_minutes) * 60;
  const std::int64_t local = days_from_civil(*year, month, *day) * 86400 + static_cast<std::int64_t>(*hour) * 3600 +
                             static_cast<std::int64_t>(*minute) * 60 + *second;
  return local - zone;
}

std::string format_internal_date(std::int64_t unix_seconds, int offset_minutes) {
  const std::int64_t local = unix_seconds + static_cast<std::int64_t>(offset_minutes) * 60;
  std::int64_t days = local / 86400;
  std::int64_t rest = local % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  std::int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(days, year, month, day);
  const int zone = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%02u-%s-%04lld %02lld:%02lld:%02lld %c%02d%02d", day, months[month - 1].data(),
                static_cast<long long>(year), static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60),
                offset_minutes < 0 ? '-' : '+', zone / 60, zone % 60);
  return buffer;
}

}  // namespace mailprune::imap
