// civil_date.hpp: days since 1970-01-01 of a calendar date and back (proleptic Gregorian, the
// algorithms Howard Hinnant published), for the connectors turning protocol dates (IMAP
// INTERNALDATE, RFC 5322 Date:, EWS xs:dateTime) into the Unix times the interface speaks.
// Pure, header-only; valid over the whole int64 range of years a date parser can produce, with
// month 1-12 and day 1-31 (no check: the caller has validated them).
#pragma once

#include <cstdint>

namespace mailprune::connector {

// Days from 1970-01-01 to year-month-day (negative before 1970).
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// The calendar date `days` after 1970-01-01: the inverse of days_from_civil().
constexpr void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  year = static_cast<std::int64_t>(year_of_era) + era * 400;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned month_index = (5 * day_of_year + 2) / 153;  // from March
  day = day_of_year - (153 * month_index + 2) / 5 + 1;
  month = month_index < 10 ? month_index + 3 : month_index - 9;
  year += month <= 2 ? 1 : 0;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);

}  // namespace mailprune::connector
