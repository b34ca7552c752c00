// internal_date.hpp: IMAP date-time (RFC 3501 `"dd-Mon-yyyy hh:mm:ss +zzzz"`) both ways.
// Used for FETCH INTERNALDATE and APPEND's date argument (keeping a message's date on re-upload).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailprune::imap {

// Seconds since the Unix epoch (UTC). Accepts a day of one or two digits, with a leading space
// (date-day-fixed) or not, any case for the month; nullopt for anything else.
std::optional<std::int64_t> parse_internal_date(std::string_view text);
// `"dd-Mon-yyyy hh:mm:ss +zzzz"` content (without the quotes) for a UTC instant shown in the zone
// `offset_minutes` east of UTC (e.g. +120 for +0200).
std::string format_internal_date(std::int64_t unix_seconds, int offset_minutes = 0);

}  // namespace mailprune::imap
