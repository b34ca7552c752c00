// framer.hpp: cuts the server's byte stream into complete IMAP responses, sans I/O.
//
// One response is one line plus every `{n}` / `~{n}` literal it announces (RFC 3501 §4.3,
// RFC 3516 `~{n}` binary literals; `{n+}` is client-side LITERAL+ syntax, tolerated). The framer
// answers "need more" or "complete" (Trojita reallyReadLine, Dovecot's -2 return); only complete
// responses reach the grammar (response.hpp).
//
// Use (Boost.Beast basic_parser::put style):
//
//   Framer framer{limits, sink};
//   while (bytes left) {
//     auto [consumed, status] = framer.feed(bytes);
//     bytes.remove_prefix(consumed);
//     if (status == FrameStatus::complete) handle(parse_response(framer.take()));
//     else if (status == FrameStatus::error) { framer.error(); drop the connection; }
//     else /* need_more */ read more from the socket;
//   }
//
// feed() copies what it consumes, so the caller's buffer may be reused as soon as it returns. On
// need_more every byte given has been consumed; on complete, `consumed` stops right after the
// response's final LF and the rest belongs to the next response. After complete, take() the
// response before feeding again (feed() consumes nothing until then).
//
// Literal streaming: literals can be huge (BINARY.PEEK[2] of a 100 MB attachment being hashed).
// When a sink is installed, every literal larger than `limits.stream_literals_above` is not kept:
// its bytes are handed to the sink chunk by chunk, as they arrive, together with the response text
// so far (e.g. `* 12 FETCH (UID 5 BINARY[2] ~{104857600}`), so the caller knows what they belong to.
// The assembled response then holds a placeholder for it (FramedLiteral::streamed, with its size
// and no data). Without a sink, a literal larger than `max_buffered_literal` is an error.
// Servers choose the order of FETCH items: the UID may come after the literal. Key what the sink
// receives on (response, literal_index) and resolve it once the response is complete and parsed
// (SectionData::literal_index names the same literal); `response_so_far` always starts with
// `* <seq> FETCH`, and gives the section (`BINARY[2]`) just before the marker.
//
// Errors are values (FramerError) with the raw bytes of the offending line and the offset; they are
// final: the stream can no longer be trusted (poisons the connection) until reset().
//
// Lines end in CRLF; a bare LF is tolerated. The final CRLF and the CRLF after each literal marker
// are not part of FramedResponse::text.
//
// Threads: a Framer is one connection's state; use it from one thread at a time. The sink is called
// synchronously from feed(); it must not call back into the framer. If it throws, the exception
// propagates out of feed() and the framer must be reset().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprune::imap {

struct FramerLimits {
  // Longest run of text between two literals (or the whole line when there is none). BODYSTRUCTUREs
  // of large multiparts and SEARCH results of big folders make long lines: 4 MiB.
  std::size_t max_line_length = 4u << 20;
  // Largest literal kept in memory (message headers, envelopes, small bodies).
  std::uint64_t max_buffered_literal = 32u << 20;
  // With a sink installed, literals strictly larger than this are streamed to it instead.
  std::uint64_t stream_literals_above = 256u << 10;
  // Literals announced by one response (a FETCH of many header fields, envelopes with literals).
  std::size_t max_literals = 10'000;
  // Text plus buffered literal bytes of one response (streamed literals do not count).
  std::uint64_t max_response_size = 64u << 20;
};

enum class FrameStatus { need_more, complete, error };

struct FeedResult {
  std::size_t consumed = 0;
  FrameStatus status = FrameStatus::need_more;
};

struct FramedLiteral {
  std::size_t header_begin = 0;  // offset in text of the `{` (or `~`) of the marker
  std::size_t position = 0;      // offset in text just after the marker's `}`
  std::uint64_t size = 0;        // announced length
  bool binary = false;           // `~{n}` (RFC 3516)
  bool streamed = false;         // bytes went to the sink; `data` is empty
  std::string data;              // the literal's bytes when not streamed
};

// One complete response: its text (lines joined, literal bodies left out, markers kept) and the
// literals in the order they appear.
struct FramedResponse {
  std::string text;
  std::vector<FramedLiteral> literals;
};

struct LiteralChunk {
  std::string_view response_so_far;  // text up to and including this literal's marker
  std::size_t literal_index = 0;     // index into FramedResponse::literals
  std::uint64_t literal_size = 0;    // announced total length
  std::uint64_t offset = 0;          // offset of `bytes` within the literal
  std::string_view bytes;            // may be empty only for the final call of an empty literal
  bool binary = false;
  bool last = false;  // this chunk ends the literal
};

// Called with each chunk of a streamed literal; chunks are valid only during the call.
using LiteralSink = std::function<void(const LiteralChunk&)>;

enum class FramerErrorKind {
  line_too_long,
  bad_literal_length,  // digits that overflow 64 bits
  literal_too_large,   // over max_buffered_literal with no sink (or below the streaming threshold)
  too_many_literals,
  response_too_large,
};

struct FramerError {
  FramerErrorKind kind = FramerErrorKind::line_too_long;
  std::string message;
  std::string raw;         // the offending line as received so far (capped at 8 KiB)
  std::size_t offset = 0;  // offset in raw where the problem was found
  // Absolute offset in the byte stream (since construction/reset) of raw's first byte.
  std::uint64_t stream_offset = 0;
};

class Framer {
 public:
  explicit Framer(FramerLimits limits = {}, LiteralSink sink = {});

  FeedResult feed(std::string_view bytes);
  // The completed response; call once after feed() returned complete. Starts the next response.
  FramedResponse take();
  // Set after feed() returned error; null otherwise.
  [[nodiscard]] const FramerError* error() const noexcept { return error_ ? &*error_ : nullptr; }
  // Forget everything (a new connection, or after COMPRESS restarts the stream).
  void reset();
  // True while in the middle of a response (some bytes of it consumed, not complete).
  [[nodiscard]] bool in_response() const noexcept;
  [[nodiscard]] std::uint64_t total_consumed() const noexcept { return stream_offset_; }
  void set_sink(LiteralSink sink) { sink_ = std::move(sink); }
  [[nodiscard]] const FramerLimits& limits() const noexcept { return limits_; }

 private:
  enum class State { line, literal, complete, failed };

  FeedResult fail(FramerErrorKind kind, std::string message, std::string_view raw, std::size_t offset,
                  std::size_t consumed);
  // Handles a finished line segment; returns false (after fail()) on error.
  bool end_of_segment(std::size_t consumed);

  FramerLimits limits_;
  LiteralSink sink_;
  State state_ = State::line;
  std::string segment_;  // current line segment being collected
  FramedResponse response_;
  std::uint64_t literal_remaining_ = 0;
  std::uint64_t buffered_bytes_ = 0;
  std::uint64_t stream_offset_ = 0;
  std::uint64_t segment_start_ = 0;  // stream offset of segment_'s first byte
  std::optional<FramerError> error_;
};

}  // namespace mailprune::imap
