#include "notify/text_format.hpp"

#include <array>
#include <cmath>

namespace mailprune::notify {
namespace {

constexpr std::string_view kNbsp = "\u00a0";        // no-break space
constexpr std::string_view kNarrowNbsp = "\u202f";  // narrow no-break space (French thousands)

// Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
long days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Valid UTF-8 sequence length at `i`, 0 when the bytes there are not one.
std::size_t valid_sequence(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  unsigned min = 0;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  unsigned code = b0 & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    code = (code << 6) | (b & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::optional<Language> parse_language(std::string_view code) {
  if (code.size() != 2 && (code.size() < 3 || (code[2] != '-' && code[2] != '_'))) return std::nullopt;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  const std::string two{lower(code[0]), lower(code[1])};
  if (two == "fr") return Language::fr;
  if (two == "en") return Language::en;
  return std::nullopt;
}

const char* language_code(Language language) {
  return language == Language::fr ? "fr" : "en";
}

CalendarDate utc_date(std::time_t time) {
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  CalendarDate date;
  date.year = tm.tm_year + 1900;
  date.month = tm.tm_mon + 1;
  date.day = tm.tm_mday;
  return date;
}

long days_between(const CalendarDate& from, const CalendarDate& to) {
  return days_from_civil(to.year, to.month, to.day) - days_from_civil(from.year, from.month, from.day);
}

std::string format_date(const CalendarDate& date, Language language) {
  static const std::array<const char*, 12> fr = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                                 "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
  static const std::array<const char*, 12> en = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};
  const auto month = static_cast<std::size_t>(date.month >= 1 && date.month <= 12 ? date.month - 1 : 0);
  if (language == Language::fr) {
    const std::string day = date.day == 1 ? "1er" : std::to_string(date.day);
    return day + " " + fr[month] + " " + std::to_string(date.year);
  }
  return std::to_string(date.day) + " " + en[month] + " " + std::to_string(date.year);
}

std::string format_count(std::uint64_t count, Language language) {
  const std::string digits = std::to_string(count);
  const std::string_view separator = language == Language::fr ? kNarrowNbsp : ",";
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return out;
}

std::string_view plural(std::uint64_t count, Language language, std::string_view one, std::string_view many) {
  const bool singular = language == Language::fr ? count <= 1 : count == 1;
  return singular ? one : many;
}

std::string counted(std::uint64_t count, Language language, std::string_view one, std::string_view many) {
  return format_count(count, language) + std::string(kNbsp) + std::string(plural(count, language, one, many));
}

std::string format_bytes(std::uint64_t bytes, Language language) {
  const bool fr = language == Language::fr;
  if (bytes < 1000) return counted(bytes, language, fr ? "octet" : "byte", fr ? "octets" : "bytes");
  static const std::array<const char*, 4> fr_units = {"ko", "Mo", "Go", "To"};
  static const std::array<const char*, 4> en_units = {"kB", "MB", "GB", "TB"};
  long double unit = 1;
  for (std::size_t u = 0; u < fr_units.size(); ++u) {
    unit *= 1000;
    const char* name = fr ? fr_units[u] : en_units[u];
    const auto tenths = static_cast<std::uint64_t>(std::llround(static_cast<long double>(bytes) * 10 / unit));
    if (tenths < 100) {
      std::string number = std::to_string(tenths / 10);
      if (tenths % 10 != 0) number += (fr ? "," : ".") + std::to_string(tenths % 10);
      return number + std::string(kNbsp) + name;
    }
    const auto whole = static_cast<std::uint64_t>(std::llround(static_cast<long double>(bytes) / unit));
    if (whole < 1000 || u + 1 == fr_units.size()) return format_count(whole, language) + std::string(kNbsp) + name;
  }
  return "";  // not reached
}

std::string format_percent(std::uint64_t part, std::uint64_t whole, Language language) {
  const auto percent =
      whole == 0 ? 0 : static_cast<std::uint64_t>(std::floor(static_cast<long double>(part) * 100 / whole));
  return format_count(percent, language) + (language == Language::fr ? std::string(kNbsp) + "%" : "%");
}

std::string one_line(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = valid_sequence(text, i);
    if (length == 0) {
      out += "\ufffd";
      ++i;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (length == 1 && (c < 0x20 || c == 0x7f)) {
      out += ' ';
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  const auto begin = out.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return out.substr(begin, out.find_last_not_of(' ') - begin + 1);
}

}  // namespace mailprune::notify
