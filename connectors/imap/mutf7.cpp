#include "imap/mutf7.hpp"

#include <cstdint>
#include <vector>

namespace mailprune::imap {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// Next code point of UTF-8 text; nullopt on malformed, overlong, surrogate or out-of-range input.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length = 0;
  char32_t cp = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (i + length > text.size()) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += length;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void flush_utf16(std::string& out, std::vector<std::uint16_t>& units) {
  if (units.empty()) return;
  out.push_back('&');
  std::uint32_t bits = 0;
  int count = 0;
  for (std::uint16_t unit : units) {
    bits = (bits << 16) | unit;
    count += 16;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 0x3F]);
    }
    bits &= (1u << count) - 1;
  }
  if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 0x3F]);
  out.push_back('-');
  units.clear();
}

}  // namespace

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> units;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto cp = next_code_point(utf8, i);
    if (!cp || *cp == 0) return std::nullopt;
    if (*cp >= 0x20 && *cp <= 0x7E) {
      flush_utf16(out, units);
      out += *cp == '&' ? "&-" : std::string(1, static_cast<char>(*cp));
    } else if (*cp >= 0x10000) {
      const char32_t v = *cp - 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 + (v >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + (v & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(*cp));
    }
  }
  flush_utf16(out, units);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view mutf7) {
  std::string out;
  std::size_t i = 0;
  while (i < mutf7.size()) {
    const char c = mutf7[i];
    if (c < 0x20 || c > 0x7E) return std::nullopt;
    if (c != '&') {
      out.push_back(c);
      ++i;
      continue;
    }
    const std::size_t end = mutf7.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {
      out.push_back('&');
      i = end + 1;
      continue;
    }
    std::uint32_t bits = 0;
    int count = 0;
    char32_t high = 0;  // pending high surrogate
    for (std::size_t k = i + 1; k < end; ++k) {
      const int v = value_of(mutf7[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      count += 6;
      if (count < 16) continue;
      count -= 16;
      const auto unit = static_cast<char32_t>((bits >> count) & 0xFFFF);
      bits &= (1u << count) - 1;
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (high != 0) return std::nullopt;
        high = unit;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        if (high == 0) return std::nullopt;
        append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
        high = 0;
      } else {
        if (high != 0 || unit == 0) return std::nullopt;
        append_utf8(out, unit);
      }
    }
    // Leftover bits are padding: fewer than 6 and all zero (RFC 2152 rules).
    if (high != 0 || count >= 6 || bits != 0) return std::nullopt;
    i = end + 1;
  }
  return out;
}

}  // namespace mailprune::imap
