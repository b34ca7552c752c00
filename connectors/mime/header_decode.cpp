#include "mime/header_decode.hpp"

#include <map>
#include <utility>

#include "mime/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/transfer_decode.hpp"

namespace mailprune::mime {
namespace {

using ascii::hex_value;
using ascii::is_space;
using ascii::percent_decode;

bool all_space(std::string_view text) {
  for (const char c : text) {
    if (!is_space(c)) return false;
  }
  return true;
}

struct EncodedWord {
  std::string charset;  // lower-cased, language removed
  std::string bytes;    // decoded, still in `charset`
  std::size_t end = 0;  // offset just past "?="
};

// Parses the encoded word starting at text[start] == '=' && text[start + 1] == '?'.
std::optional<EncodedWord> parse_encoded_word(std::string_view text, std::size_t start) {
  std::size_t pos = start + 2;
  const std::size_t charset_end = text.find('?', pos);
  if (charset_end == std::string_view::npos || charset_end == pos) return std::nullopt;
  std::string_view charset = text.substr(pos, charset_end - pos);
  if (charset.find_first_of(" \t\r\n=") != std::string_view::npos) return std::nullopt;
  if (const auto star = charset.find('*'); star != std::string_view::npos) {
    charset = charset.substr(0, star);
  }
  if (charset.empty()) return std::nullopt;
  pos = charset_end + 1;
  if (pos + 1 >= text.size() || text[pos + 1] != '?') return std::nullopt;
  const char encoding = text[pos];
  pos += 2;
  // The encoded text ends at the first '?' (no encoded text may contain one); it must be "?=".
  const std::size_t text_end = text.find('?', pos);
  if (text_end == std::string_view::npos || text_end + 1 >= text.size() || text[text_end + 1] != '=') {
    return std::nullopt;
  }
  const std::string_view encoded = text.substr(pos, text_end - pos);
  if (encoded.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;

  EncodedWord word;
  word.charset = ascii::to_lower(charset);
  word.end = text_end + 2;
  if (encoding == 'B' || encoding == 'b') {
    DecodedBytes decoded = decode_transfer(encoded, TransferEncoding::base64);
    if (decoded.damaged) return std::nullopt;
    word.bytes = std::move(decoded.bytes);
  } else if (encoding == 'Q' || encoding == 'q') {
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      const char c = encoded[i];
      if (c == '_') {
        word.bytes += ' ';
      } else if (c == '=' && i + 2 < encoded.size() && hex_value(encoded[i + 1]) >= 0 &&
                 hex_value(encoded[i + 2]) >= 0) {
        word.bytes += static_cast<char>(hex_value(encoded[i + 1]) * 16 + hex_value(encoded[i + 2]));
        i += 2;
      } else {
        word.bytes += c;
      }
    }
  } else {
    return std::nullopt;
  }
  return word;
}

// RFC 2231 extended value "charset'language'%XX..." -> {charset, undecoded rest}. Without the
// two apostrophes there is no charset and the whole value is the data.
std::pair<std::string, std::string_view> split_extended(std::string_view value) {
  const auto first = value.find('\'');
  if (first == std::string_view::npos) return {{}, value};
  const auto second = value.find('\'', first + 1);
  if (second == std::string_view::npos) return {{}, value};
  return {std::string(value.substr(0, first)), value.substr(second + 1)};
}

std::string charset_bytes_to_utf8(std::string_view bytes, const std::string& charset) {
  if (charset.empty()) return bytes_to_utf8(bytes);
  return convert_to_utf8(bytes, charset).text;
}

// A continuation piece name "N" or "N*" (the part after "name*"): its number, or -1.
int section_number(std::string_view digits) {
  if (digits.empty() || digits.size() > 3) return -1;
  if (digits.size() > 1 && digits.front() == '0') return -1;
  int number = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return -1;
    number = number * 10 + (c - '0');
  }
  return number;
}

struct Piece {
  bool encoded = false;
  std::string_view value;
};

std::string join_continuations(const std::map<int, Piece>& pieces) {
  std::string charset;
  std::string bytes;
  bool any_encoded = false;
  for (const auto& [number, piece] : pieces) {
    if (!piece.encoded) {
      bytes += piece.value;
      continue;
    }
    any_encoded = true;
    std::string_view data = piece.value;
    if (number == 0) {
      auto [piece_charset, rest] = split_extended(piece.value);
      charset = std::move(piece_charset);
      data = rest;
    }
    bytes += percent_decode(data);
  }
  if (!any_encoded) return decode_rfc2047(bytes);
  return charset_bytes_to_utf8(bytes, charset);
}

}  // namespace

std::string decode_rfc2047(std::string_view text) {
  std::string out;
  std::string pending_charset;  // charset of the encoded-word bytes not yet converted
  std::string pending_bytes;
  bool pending = false;
  const auto flush_words = [&] {
    if (!pending) return;
    out += convert_to_utf8(pending_bytes, pending_charset).text;
    pending_bytes.clear();
    pending = false;
  };

  std::size_t plain_start = 0;
  std::size_t i = 0;
  while (i + 1 < text.size()) {
    if (text[i] != '=' || text[i + 1] != '?') {
      ++i;
      continue;
    }
    std::optional<EncodedWord> word = parse_encoded_word(text, i);
    if (!word) {
      ++i;
      continue;
    }
    const std::string_view between = text.substr(plain_start, i - plain_start);
    if (!(pending && all_space(between))) {  // whitespace between two words is dropped
      flush_words();
      out += bytes_to_utf8(between);
    }
    if (pending && pending_charset != word->charset) flush_words();
    pending_charset = std::move(word->charset);
    pending_bytes += word->bytes;
    pending = true;
    i = word->end;
    plain_start = i;
  }
  flush_words();
  out += bytes_to_utf8(text.substr(plain_start));
  return out;
}

std::optional<std::string> decode_parameter(const std::vector<Parameter>& parameters, std::string_view name) {
  const std::string wanted = ascii::to_lower(name);
  const Parameter* plain = nullptr;
  const Parameter* extended = nullptr;
  std::map<int, Piece> pieces;
  for (const Parameter& parameter : parameters) {
    const std::string parameter_name = ascii::to_lower(parameter.name);
    if (parameter_name == wanted) {
      if (plain == nullptr) plain = &parameter;
      continue;
    }
    if (parameter_name.size() <= wanted.size() || parameter_name.compare(0, wanted.size(), wanted) != 0 ||
        parameter_name[wanted.size()] != '*') {
      continue;
    }
    std::string_view rest = std::string_view(parameter_name).substr(wanted.size() + 1);
    if (rest.empty()) {
      if (extended == nullptr) extended = &parameter;
      continue;
    }
    const bool encoded = rest.back() == '*';
    if (encoded) rest.remove_suffix(1);
    const int number = section_number(rest);
    if (number >= 0) pieces.emplace(number, Piece{encoded, parameter.value});
  }
  if (plain == nullptr && extended == nullptr && pieces.empty()) return std::nullopt;

  if (extended != nullptr) {
    auto [charset, data] = split_extended(extended->value);
    std::string decoded = charset_bytes_to_utf8(percent_decode(data), charset);
    if (!decoded.empty()) return decoded;
  }
  if (!pieces.empty()) {
    std::string decoded = join_continuations(pieces);
    if (!decoded.empty()) return decoded;
  }
  if (plain != nullptr) return decode_rfc2047(plain->value);
  return std::string();
}

std::string attachment_name(const MimePart& part) {
  if (auto filename = decode_parameter(part.disposition_params, "filename"); filename && !filename->empty()) {
    return std::move(*filename);
  }
  if (auto name = decode_parameter(part.content_type_params, "name"); name) {
    return std::move(*name);
  }
  return {};
}

}  // namespace mailprune::mime
