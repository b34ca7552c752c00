#include "mime/charset.hpp"

#include "mime/ascii.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace mailprune::mime {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence starting at bytes[i], or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view bytes, std::size_t i) {
  const auto byte_at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char lead = byte_at(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;  // bounds of the second byte (Table 3-7 of the Unicode standard)
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlongs
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + length > bytes.size()) return 0;
  if (byte_at(i + 1) < low || byte_at(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte_at(i + k) < 0x80 || byte_at(i + k) > 0xBF) return 0;
  }
  return length;
}

// UTF-8 with every ill-formed byte replaced by U+FFFD.
std::string repair_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = utf8_sequence_length(bytes, i);
    if (length == 0) {
      out += replacement_character;
      ++i;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return out;
}

// Lower-cased, trimmed charset name without quotes and without an RFC 2231 "*lang" suffix.
std::string normalize_charset(std::string_view charset) {
  const auto is_trim = [](char c) { return c == ' ' || c == '\t' || c == '"' || c == '\''; };
  while (!charset.empty() && is_trim(charset.front())) charset.remove_prefix(1);
  while (!charset.empty() && is_trim(charset.back())) charset.remove_suffix(1);
  if (const auto star = charset.find('*'); star != std::string_view::npos) {
    charset = charset.substr(0, star);
  }
  return ascii::to_lower(charset);
}

enum class Treatment { unlabelled, utf8, latin1, iconv };

struct Alias {
  std::string_view label;
  std::string_view iconv_name;
};

// Labels seen in real mail that iconv spells differently or that mean something else in
// practice (Outlook's Korean label, GB2312 labels on GBK/GB18030 text, Hebrew logical order).
constexpr std::array aliases{
    Alias{"ks_c_5601-1987", "CP949"},
    Alias{"ks_c_5601", "CP949"},
    Alias{"euc-kr", "CP949"},
    Alias{"gb2312", "GB18030"},
    Alias{"gbk", "GB18030"},
    Alias{"x-gbk", "GB18030"},
    Alias{"cp936", "GB18030"},
    Alias{"x-sjis", "SHIFT_JIS"},
    Alias{"shift-jis", "SHIFT_JIS"},
    Alias{"sjis", "SHIFT_JIS"},
    Alias{"iso-8859-8-i", "ISO-8859-8"},
    Alias{"iso-8859-6-i", "ISO-8859-6"},
    Alias{"windows-874", "CP874"},
    Alias{"x-mac-roman", "MACINTOSH"},
    Alias{"macintosh", "MACINTOSH"},
    Alias{"unicode-1-1-utf-7", "UTF-7"},
    Alias{"utf7", "UTF-7"},
    Alias{"big5-hkscs", "BIG5-HKSCS"},
    Alias{"x-euc-jp", "EUC-JP"},
    Alias{"x-user-defined", "WINDOWS-1252"},
};

std::pair<Treatment, std::string> classify_charset(const std::string& name) {
  if (name.empty() || name == "us-ascii" || name == "ascii" || name == "ansi_x3.4-1968" || name == "unknown-8bit" ||
      name == "x-unknown" || name == "unknown" || name == "default") {
    return {Treatment::unlabelled, {}};
  }
  if (name == "utf-8" || name == "utf8") return {Treatment::utf8, {}};
  if (name == "iso-8859-1" || name == "iso8859-1" || name == "iso_8859-1" || name == "latin1" || name == "latin-1" ||
      name == "l1") {
    return {Treatment::latin1, {}};
  }
  for (const Alias& alias : aliases) {
    if (alias.label == name) return {Treatment::iconv, std::string(alias.iconv_name)};
  }
  return {Treatment::iconv, name};
}

// iconv from `from` to UTF-8; replaces invalid input bytes by U+FFFD. Empty optional-like
// result (first = false) when iconv does not know the charset.
std::pair<bool, CharsetConversion> iconv_to_utf8(std::string_view bytes, const std::string& from) {
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return {false, {}};
  CharsetConversion result;
  std::array<char, 4096> buffer{};
  // iconv's interface is not const-correct; it never writes through the input pointer.
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  bool flushing = false;
  while (true) {
    char* out = buffer.data();
    std::size_t out_left = buffer.size();
    const std::size_t rc =
        flushing ? iconv(cd, nullptr, nullptr, &out, &out_left) : iconv(cd, &in, &in_left, &out, &out_left);
    const int error = (rc == static_cast<std::size_t>(-1)) ? errno : 0;
    result.text.append(buffer.data(), buffer.size() - out_left);
    if (error == E2BIG) continue;
    if ((error == EILSEQ || error == EINVAL) && in_left > 0) {
      // EINVAL: truncated sequence at the end of the input; EILSEQ: invalid here. Skip a byte.
      result.text += replacement_character;
      result.exact = false;
      ++in;
      --in_left;
      // Reset the shift state: stateful charsets (ISO-2022-JP) would otherwise stay confused.
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
      continue;
    }
    if (flushing || error != 0) break;
    if (in_left == 0) flushing = true;
  }
  iconv_close(cd);
  // Defensive: a broken iconv module must not let ill-formed UTF-8 out of this library.
  if (!is_valid_utf8(result.text)) {
    result.text = repair_utf8(result.text);
    result.exact = false;
  }
  return {true, std::move(result)};
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = utf8_sequence_length(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xC0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3F));
    }
  }
  return out;
}

std::string bytes_to_utf8(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return latin1_to_utf8(bytes);
}

CharsetConversion convert_to_utf8(std::string_view bytes, std::string_view charset) {
  const std::string name = normalize_charset(charset);
  auto [treatment, iconv_name] = classify_charset(name);
  switch (treatment) {
    case Treatment::unlabelled:
      return {bytes_to_utf8(bytes), true};
    case Treatment::utf8:
      if (is_valid_utf8(bytes)) return {std::string(bytes), true};
      return {repair_utf8(bytes), false};
    case Treatment::latin1:
      return {latin1_to_utf8(bytes), true};
    case Treatment::iconv:
      break;
  }
  auto [known, converted] = iconv_to_utf8(bytes, iconv_name);
  if (known) return std::move(converted);
  return {bytes_to_utf8(bytes), false};
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace mailprune::mime
