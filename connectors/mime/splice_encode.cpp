// splice_encode.cpp: the parts splice_message() puts in: the detach notice and the original part
// rebuilt for undo, with the base64 and quoted-printable encoders they need (splice.hpp).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "mime/ascii.hpp"
#include "mime/header_params.hpp"
#include "mime/splice.hpp"
#include "mime/transfer_decode.hpp"

namespace mailprune::mime {

namespace {

constexpr std::size_t max_line = 76;

std::string base64_lines(std::string_view bytes, std::string_view eol) {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(bytes.size() / 3 * 4 + bytes.size() / 57 * eol.size() + 8);
  std::size_t column = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t value = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      value = (value << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    if (column == max_line) {
      out += eol;
      column = 0;
    }
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? alphabet[(value >> (18 - 6 * k)) & 0x3F] : '=';
    column += 4;
  }
  return out;
}

// Quoted-printable (RFC 2045 6.7). `hard_break(text, i)` returns the length of a line break of
// the content starting at i that becomes a hard break (0: none); other CR and LF are =0D / =0A.
template <class HardBreak>
std::string quoted_printable(std::string_view text, std::string_view eol, HardBreak hard_break) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (const std::size_t length = hard_break(text, i); length > 0) {
      out += eol;
      column = 0;
      i += length - 1;
      continue;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    // Whitespace is literal unless it ends a line (or the text), where transport may strip it.
    const bool at_line_end = i + 1 == text.size() || hard_break(text, i + 1) > 0;
    // A '-' starting a line is =2D: no encoded line can then be a MIME delimiter ("--boundary").
    const auto is_literal = [&](std::size_t at_column) {
      return (byte >= 33 && byte <= 126 && byte != '=' && !(byte == '-' && at_column == 0)) ||
             ((byte == ' ' || byte == '\t') && !at_line_end);
    };
    bool literal = is_literal(column);
    // Keep room for the '=' of a soft break: a line holds at most 76 characters including it.
    if (column + (literal ? 1 : 3) > max_line - 1) {
      out += '=';
      out += eol;
      column = 0;
      literal = is_literal(column);
    }
    const std::size_t width = literal ? 1 : 3;
    if (literal) {
      out += static_cast<char>(byte);
    } else {
      out += '=';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
    column += width;
  }
  return out;
}

std::string random_boundary() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string boundary = "=_mailprune_";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 24; ++i) boundary += alphabet[pick(generator)];
  return boundary;
}

std::string header_safe(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == ';') c = '_';
  }
  return out;
}

// Rewrites every line break of a header block to `eol`, ending every line with one: a LF with the CRs right before it
// (a line ending "\r\r\n" would otherwise read as CRLF in a LF message). A line of nothing but CRs is dropped:
// rewritten, it would be the blank line that ends the header. A CR elsewhere is no line break to the scanner of
// splice.cpp, so it stays.
std::string normalise_header_breaks(std::string_view text, std::string_view eol) {
  std::string out;
  out.reserve(text.size());
  std::size_t line_start = 0;  // in `out`
  for (const char c : text) {
    if (c != '\n') {
      out += c;
      continue;
    }
    while (out.size() > line_start && out.back() == '\r') out.pop_back();
    if (out.size() > line_start) {
      out += eol;
      line_start = out.size();
    }
  }
  // A last line without its line break gets one.
  while (out.size() > line_start && out.back() == '\r') out.pop_back();
  if (out.size() > line_start) out += eol;
  return out;
}

// Value of the first header field `name` in a part's header bytes, unfolded; nullopt if absent.
std::optional<std::string> header_field(std::string_view header, std::string_view name) {
  std::optional<std::string> found;
  for (std::size_t pos = 0; pos < header.size();) {
    std::size_t newline = header.find('\n', pos);
    const std::size_t line_end = newline == std::string_view::npos ? header.size() : newline + 1;
    const std::string_view line = header.substr(pos, line_end - pos);
    pos = line_end;
    if (line.empty() || line[0] == ' ' || line[0] == '\t') {
      if (found) found->append(line);  // a continuation of the field found
      continue;
    }
    if (found) break;
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && ascii::equals_ignoring_case(ascii::trim(line.substr(0, colon)), name)) {
      found = std::string(line.substr(colon + 1));
    }
  }
  if (!found) return std::nullopt;
  std::string unfolded;
  for (const char c : *found) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  return std::string(ascii::trim(unfolded));
}

}  // namespace

std::string notice_part(const connector::Detachment& detachment, std::string_view action_id, LineEnding ending) {
  const std::string_view eol = line_break(ending);
  // Any CRLF, LF or CR of the notice text is a hard line break.
  const auto any_break = [](std::string_view text, std::size_t i) -> std::size_t {
    if (text[i] == '\r') return i + 1 < text.size() && text[i + 1] == '\n' ? 2 : 1;
    return text[i] == '\n' ? 1 : 0;
  };
  const std::string text = quoted_printable(detachment.notice_text, eol, any_break);
  const std::string html = quoted_printable(detachment.notice_html, eol, any_break);
  std::string boundary = random_boundary();
  while (text.find(boundary) != std::string::npos || html.find(boundary) != std::string::npos) {
    boundary = random_boundary();
  }
  std::string part;
  part.reserve(text.size() + html.size() + 512);
  const auto line = [&](std::string_view content) {
    part += content;
    part += eol;
  };
  line("Content-Type: multipart/alternative;");
  line(" boundary=\"" + boundary + "\"");
  line("Content-Disposition: inline");
  line("X-Mailprune-Notice: " + header_safe(action_id) + "; section=" + header_safe(detachment.section));
  line("");
  const auto alternative = [&](std::string_view subtype, const std::string& body) {
    line("--" + boundary);
    line("Content-Type: text/" + std::string(subtype) + "; charset=utf-8");
    line("Content-Transfer-Encoding: quoted-printable");
    line("");
    line(body);
  };
  alternative("plain", text);
  alternative("html", html);
  part += "--" + boundary + "--";
  return part;
}

std::optional<NoticeMark> read_notice(std::string_view part_header) {
  const std::optional<std::string> value = header_field(part_header, "X-Mailprune-Notice");
  if (!value) return std::nullopt;
  NoticeMark mark;
  const std::size_t semicolon = value->find(';');
  mark.action_id = std::string(ascii::trim(std::string_view(*value).substr(0, semicolon)));
  if (mark.action_id.empty()) return std::nullopt;
  if (semicolon != std::string::npos) {
    for (const Parameter& parameter : parse_header_value("x" + value->substr(semicolon)).parameters) {
      if (parameter.name == "section") mark.section = parameter.value;
    }
  }
  return mark;
}

TransferEncoding part_transfer_encoding(std::string_view part_header) {
  return transfer_encoding_from_name(header_field(part_header, "Content-Transfer-Encoding").value_or(""));
}

std::string encode_part(std::string_view original_header, std::string_view content, LineEnding ending) {
  const std::string_view eol = line_break(ending);
  std::string part = normalise_header_breaks(original_header, eol);
  part += eol;
  switch (part_transfer_encoding(original_header)) {
    case TransferEncoding::base64:
      part += base64_lines(content, eol);
      break;
    case TransferEncoding::quoted_printable:
      // Only the message's own line ending is a hard break, so decoding is exact.
      part += quoted_printable(content, eol, [eol](std::string_view text, std::size_t i) -> std::size_t {
        return text.substr(i, eol.size()) == eol ? eol.size() : 0;
      });
      break;
    case TransferEncoding::identity:
      part += content;
      break;
  }
  return part;
}

}  // namespace mailprune::mime
