// text_format.hpp: numbers, sizes, dates and plurals as agents read them, in French (the default)
// and English; and escaping for the HTML alternative.
//
// French follows French typography: decimal comma, thousands grouped with a narrow no-break space
// (U+202F), "Mo"/"Go" units, a no-break space (U+00A0) between a number and its unit or the
// percent sign, "1er" for the first day of a month, singular for 0 and 1. English: decimal point,
// thousands comma, "MB"/"GB", singular for 1 only. Sizes use decimal units (1 Mo = 1 000 000
// octets), as the rest of mailprune does.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "text/html.hpp"

namespace mailprune::notify {

enum class Language { fr, en };

// "fr" or "en", any case, a region allowed ("fr-FR", "en_GB"); nullopt otherwise.
std::optional<Language> parse_language(std::string_view code);
const char* language_code(Language language);  // "fr", "en"

// A day of the civil calendar, as the agent reads it (the caller picks the time zone).
struct CalendarDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};
// The UTC calendar day of `time`.
CalendarDate utc_date(std::time_t time);
// Days from `from` to `to` (negative when `to` is earlier).
long days_between(const CalendarDate& from, const CalendarDate& to);

// "12 décembre 2026", "1er mars 2027" / "12 December 2026".
std::string format_date(const CalendarDate& date, Language language);
// "850 octets", "1 octet", "12 ko", "1,5 Mo", "3,2 Go", "12 To" / "850 bytes", "1.5 MB"...:
// one decimal below 10 (",0" dropped), whole numbers from 10, the next unit from 1000.
std::string format_bytes(std::uint64_t bytes, Language language);
// "1 234 567" (narrow no-break spaces) / "1,234,567".
std::string format_count(std::uint64_t count, Language language);
// `part` of `whole` rounded down (never shows 100 before it is reached): "42 %" / "42%".
std::string format_percent(std::uint64_t part, std::uint64_t whole, Language language);
// `one` or `many` by the language's rule (French: 0 and 1 are singular).
std::string_view plural(std::uint64_t count, Language language, std::string_view one, std::string_view many);
// The count and its noun: "1 élément", "0 élément", "1 234 éléments" / "0 items", "1 item".
std::string counted(std::uint64_t count, Language language, std::string_view one, std::string_view many);

// Text for HTML content and attribute values (text/html.hpp).
using text::html_escape;
// Text from mail or users on one line: control characters (CR, LF, tabs...) become spaces,
// surrounding spaces trimmed, invalid UTF-8 bytes replaced by U+FFFD.
std::string one_line(std::string_view text);

}  // namespace mailprune::notify
