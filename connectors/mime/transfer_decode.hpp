// transfer_decode.hpp: incremental, lenient Content-Transfer-Encoding decoders (RFC 2045).
//
// A TransferDecoder takes the encoded body in pieces of any size, split anywhere, and produces
// the decoded bytes; the output is the same however the input is split (the tests check every
// split point and one byte at a time). It never needs the whole body in memory: it keeps at most
// a few bytes of state between calls (plus, for quoted-printable, a run of trailing whitespace
// of at most `max_pending_whitespace` bytes).
//
// Usage (Boost.Beast style: feed what you have, then finish):
//     TransferDecoder decoder(TransferEncoding::base64);
//     decoder.feed(chunk, [&](std::string_view bytes) { hasher.update(bytes); });
//     decoder.finish([&](std::string_view bytes) { hasher.update(bytes); });
//     if (decoder.damaged()) ...
// or append to a buffer: decoder.feed(chunk, out_string); decoder.finish(out_string);
// feed() always consumes all of its input. The sink is called zero or more times per call, with
// at most sink_chunk_size bytes each, and must not call back into the decoder. After finish()
// the decoder is spent; make a new one for the next body.
//
// Lenient, never failing (INVENTORY.md "Damaged input": take what is there). damaged() reports
// that the input was not clean:
//  base64   - whitespace and line breaks (anywhere) are NOT damage;
//           - a character outside the alphabet is skipped: damage;
//           - bad padding ('=' where a quantum cannot end, "xx=" not followed by a second '=',
//             stray '='): damage, the bytes already determined are kept;
//           - data after a correctly padded quantum (concatenated base64 blocks) is decoded too:
//             damage, since the encoding is not valid even though nothing is lost;
//           - a final quantum of 2 or 3 characters without padding decodes to 1 or 2 bytes and is
//             NOT damage (padding carries no data; some encoders omit it);
//           - a final lone character (6 bits, no byte) is a truncated quantum: damage.
//  quoted-printable (RFC 2045 6.7)
//           - `=XX` with hex digits in either case is a byte; lowercase is NOT damage (RFC 2045
//             asks decoders to accept it and it is unambiguous);
//           - soft line breaks `=\r\n`, `=\n`, `=\r` and `=` followed by spaces/tabs and then a
//             line break (whitespace added in transport) are removed, NOT damage;
//           - `=` at the very end of the input is a soft line break, NOT damage: a body whose last
//             encoded line ends in a soft break ends in `=` because the CRLF before the next MIME
//             boundary belongs to the boundary;
//           - any other `=` (not followed by two hex digits or a line break) is kept literally,
//             with what follows it: damage;
//           - spaces and tabs at the end of a line (or of the input) are removed (RFC 2045 rule
//             3: transport may add them; encoders must write =20/=09), not damage; of a run
//             longer than max_pending_whitespace only the last (at most that many) bytes are
//             held back, earlier ones are kept, since no transport adds that much;
//           - line breaks (CRLF, LF, CR) are kept exactly as they are.
//  identity (7bit, 8bit, binary and anything unknown, e.g. x-uuencode): bytes as they are,
//           never damaged.
// Threads: one decoder per thread; distinct decoders are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailprune::mime {

enum class TransferEncoding { identity, base64, quoted_printable };

// "base64" and "quoted-printable" (any case, surrounding whitespace ignored); everything else,
// "" included, is identity.
TransferEncoding transfer_encoding_from_name(std::string_view name);

class TransferDecoder {
 public:
  static constexpr std::size_t sink_chunk_size = 16 * 1024;
  static constexpr std::size_t max_pending_whitespace = 1024;

  explicit TransferDecoder(TransferEncoding encoding) : encoding_(encoding) {}
  explicit TransferDecoder(std::string_view encoding_name) : encoding_(transfer_encoding_from_name(encoding_name)) {}

  // Decodes `in`, appending to `out`.
  void feed(std::string_view in, std::string& out);
  // Decodes `in`, handing the output to `sink(std::string_view)` in bounded chunks.
  template <class Sink>
  void feed(std::string_view in, Sink&& sink) {
    std::string buffer;
    while (!in.empty()) {
      // Output never exceeds input plus the few bytes of carried state, so feeding at most
      // sink_chunk_size bytes at a time bounds the buffer.
      const std::string_view piece = in.substr(0, sink_chunk_size);
      in.remove_prefix(piece.size());
      buffer.clear();
      feed(piece, buffer);
      if (!buffer.empty()) sink(std::string_view(buffer));
    }
  }

  // Ends the input: flushes a final partial quantum / pending state to `out` or `sink`.
  void finish(std::string& out);
  template <class Sink>
  void finish(Sink&& sink) {
    std::string buffer;
    finish(buffer);
    if (!buffer.empty()) sink(std::string_view(buffer));
  }

  bool damaged() const { return damaged_; }
  TransferEncoding encoding() const { return encoding_; }

 private:
  void feed_base64(std::string_view in, std::string& out);
  void finish_base64(std::string& out);
  void emit_base64_quantum(std::string& out);
  void feed_qp(std::string_view in, std::string& out);
  void qp_char(char c, std::string& out);
  void finish_qp(std::string& out);

  TransferEncoding encoding_;
  bool damaged_ = false;
  bool finished_ = false;

  // base64: up to 4 sextets of the current quantum, how many, and padding state.
  std::uint32_t quantum_ = 0;
  int sextets_ = 0;
  bool awaiting_second_pad_ = false;  // saw "xx=", a second '=' should follow
  bool after_padding_ = false;        // a padded quantum ended the data

  // quoted-printable
  enum class QpState { text, equals, equals_hex, equals_space, equals_cr, cr };
  QpState qp_state_ = QpState::text;
  char qp_hex_ = 0;                 // first hex digit after '='
  std::string pending_whitespace_;  // spaces/tabs not yet known to be trailing
  std::string equals_whitespace_;   // spaces/tabs after '=' (maybe a soft break)
};

// Convenience for small inputs (tests, header words): decodes all of `in` at once.
struct DecodedBytes {
  std::string bytes;
  bool damaged = false;
};
DecodedBytes decode_transfer(std::string_view in, TransferEncoding encoding);

}  // namespace mailprune::mime
