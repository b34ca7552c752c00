#include "mime/transfer_decode.hpp"

#include <array>

#include "mime/ascii.hpp"

namespace mailprune::mime {
namespace {

constexpr int not_base64 = -1;

constexpr std::array<int, 256> make_base64_table() {
  std::array<int, 256> table{};
  for (int& value : table) value = not_base64;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  }
  return table;
}
constexpr std::array<int, 256> base64_table = make_base64_table();

bool is_line_space(char c) {
  return c == ' ' || c == '\t';
}
bool is_base64_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

using ascii::equals_ignoring_case;
using ascii::hex_value;

}  // namespace

TransferEncoding transfer_encoding_from_name(std::string_view name) {
  name = ascii::trim(name);
  if (equals_ignoring_case(name, "base64")) return TransferEncoding::base64;
  if (equals_ignoring_case(name, "quoted-printable")) return TransferEncoding::quoted_printable;
  return TransferEncoding::identity;
}

void TransferDecoder::feed(std::string_view in, std::string& out) {
  if (finished_) return;
  switch (encoding_) {
    case TransferEncoding::identity:
      out.append(in);
      return;
    case TransferEncoding::base64:
      feed_base64(in, out);
      return;
    case TransferEncoding::quoted_printable:
      feed_qp(in, out);
      return;
  }
}

void TransferDecoder::finish(std::string& out) {
  if (finished_) return;
  if (encoding_ == TransferEncoding::base64) finish_base64(out);
  if (encoding_ == TransferEncoding::quoted_printable) finish_qp(out);
  finished_ = true;
}

// --- base64 -------------------------------------------------------------------------------

// Emits the bytes fully determined by the sextets collected so far (4 -> 3, 3 -> 2, 2 -> 1).
void TransferDecoder::emit_base64_quantum(std::string& out) {
  const std::uint32_t bits = quantum_ << (6 * (4 - sextets_));
  const int bytes = sextets_ == 4 ? 3 : sextets_ - 1;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((bits >> (16 - 8 * i)) & 0xFF);
  quantum_ = 0;
  sextets_ = 0;
}

void TransferDecoder::feed_base64(std::string_view in, std::string& out) {
  for (const char c : in) {
    const int value = base64_table[static_cast<unsigned char>(c)];
    if (value != not_base64) {
      if (awaiting_second_pad_) {  // "xx=" then data: the padding was wrong
        awaiting_second_pad_ = false;
        damaged_ = true;
        emit_base64_quantum(out);
        after_padding_ = true;
      }
      if (after_padding_) {
        after_padding_ = false;
        damaged_ = true;
      }
      quantum_ = (quantum_ << 6) | static_cast<std::uint32_t>(value);
      if (++sextets_ == 4) emit_base64_quantum(out);
    } else if (c == '=') {
      if (sextets_ == 2 && !awaiting_second_pad_) {
        awaiting_second_pad_ = true;
      } else if (sextets_ == 2 || sextets_ == 3) {
        awaiting_second_pad_ = false;
        emit_base64_quantum(out);
        after_padding_ = true;
      } else {
        damaged_ = true;  // '=' cannot end a quantum of 0 or 1 sextets
      }
    } else if (!is_base64_space(c)) {
      damaged_ = true;
    }
  }
}

void TransferDecoder::finish_base64(std::string& out) {
  if (awaiting_second_pad_) damaged_ = true;
  if (sextets_ == 1) {
    damaged_ = true;  // 6 bits cannot make a byte: the data was cut
    quantum_ = 0;
    sextets_ = 0;
  } else if (sextets_ > 1) {
    emit_base64_quantum(out);
  }
}

// --- quoted-printable ---------------------------------------------------------------------

void TransferDecoder::feed_qp(std::string_view in, std::string& out) {
  for (const char c : in) qp_char(c, out);
}

void TransferDecoder::qp_char(char c, std::string& out) {
  switch (qp_state_) {
    case QpState::equals:
      if (hex_value(c) >= 0) {
        qp_hex_ = c;
        qp_state_ = QpState::equals_hex;
      } else if (c == '\n') {
        qp_state_ = QpState::text;  // soft line break
      } else if (c == '\r') {
        qp_state_ = QpState::equals_cr;
      } else if (is_line_space(c)) {
        equals_whitespace_ = c;
        qp_state_ = QpState::equals_space;
      } else {
        out += '=';
        damaged_ = true;
        qp_state_ = QpState::text;
        qp_char(c, out);
      }
      return;
    case QpState::equals_hex:
      qp_state_ = QpState::text;
      if (hex_value(c) >= 0) {
        out += static_cast<char>(hex_value(qp_hex_) * 16 + hex_value(c));
      } else {
        out += '=';
        out += qp_hex_;
        damaged_ = true;
        qp_char(c, out);
      }
      return;
    case QpState::equals_space:
      if (is_line_space(c) && equals_whitespace_.size() < max_pending_whitespace) {
        equals_whitespace_ += c;
      } else if (c == '\n') {
        equals_whitespace_.clear();
        qp_state_ = QpState::text;
      } else if (c == '\r') {
        equals_whitespace_.clear();
        qp_state_ = QpState::equals_cr;
      } else {
        // "= x": not a soft break. The '=' is literal; its whitespace is ordinary text again.
        out += '=';
        damaged_ = true;
        pending_whitespace_ = std::move(equals_whitespace_);
        equals_whitespace_.clear();
        qp_state_ = QpState::text;
        qp_char(c, out);
      }
      return;
    case QpState::equals_cr:
      qp_state_ = QpState::text;  // "=\r\n" or a bare-CR soft break; either way nothing out
      if (c != '\n') qp_char(c, out);
      return;
    case QpState::cr:
      qp_state_ = QpState::text;
      if (c == '\n') {
        pending_whitespace_.clear();  // trailing whitespace of the line goes
        out += "\r\n";
        return;
      }
      // A bare CR ends a line too.
      pending_whitespace_.clear();
      out += '\r';
      qp_char(c, out);
      return;
    case QpState::text:
      break;
  }
  if (is_line_space(c)) {
    if (pending_whitespace_.size() >= max_pending_whitespace) {
      out += pending_whitespace_;
      pending_whitespace_.clear();
    }
    pending_whitespace_ += c;
    return;
  }
  if (c == '\r') {
    qp_state_ = QpState::cr;
    return;
  }
  if (c == '\n') {
    pending_whitespace_.clear();
    out += '\n';
    return;
  }
  out += pending_whitespace_;
  pending_whitespace_.clear();
  if (c == '=') {
    qp_state_ = QpState::equals;
  } else {
    out += c;
  }
}

void TransferDecoder::finish_qp(std::string& out) {
  switch (qp_state_) {
    case QpState::equals_hex:
      out += '=';
      out += qp_hex_;
      damaged_ = true;
      break;
    case QpState::cr:
      out += '\r';
      break;
    case QpState::text:
    case QpState::equals:  // '=' at the end: a soft break before the boundary's CRLF
    case QpState::equals_space:
    case QpState::equals_cr:
      break;
  }
  pending_whitespace_.clear();  // trailing whitespace of the last line
  equals_whitespace_.clear();
  qp_state_ = QpState::text;
}

DecodedBytes decode_transfer(std::string_view in, TransferEncoding encoding) {
  TransferDecoder decoder(encoding);
  DecodedBytes result;
  decoder.feed(in, result.bytes);
  decoder.finish(result.bytes);
  result.damaged = decoder.damaged();
  return result;
}

}  // namespace mailprune::mime
