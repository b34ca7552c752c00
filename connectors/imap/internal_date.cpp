#include "imap/internal_date.hpp"

#include <array>
#include <cstdio>

#include "imap/lexer.hpp"
#include "interface/civil_date.hpp"

namespace mailprune::imap {
namespace {

constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

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
  const std::int64_t local = connector::days_from_civil(*year, month, *day) * 86400 +
                             static_cast<std::int64_t>(*hour) * 3600 + static_cast<std::int64_t>(*minute) * 60 +
                             *second;
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
  connector::civil_from_days(days, year, month, day);
  const int zone = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%02u-%s-%04lld %02lld:%02lld:%02lld %c%02d%02d", day, months[month - 1].data(),
                static_cast<long long>(year), static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60),
                offset_minutes < 0 ? '-' : '+', zone / 60, zone % 60);
  return buffer;
}

}  // namespace mailprune::imap
