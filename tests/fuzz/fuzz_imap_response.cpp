// libFuzzer target for the IMAP response path: arbitrary server bytes through Framer and
// parse_response, whole and cut at data-chosen offsets and byte by byte, must never crash and must
// give the same result every way (Dovecot fuzz-imap-bodystructure, Beast parsegrind). The writers
// that have readers are checked for round trips: modified UTF-7, sequence sets, INTERNALDATE.
// Also feeds the input to parse_body_structure / parse_envelope directly.
//
// Build (wired by the lead under MAILPRUNE_FUZZ, clang): link mailprune_imap, -fsanitize=fuzzer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/bodystructure.hpp"
#include "imap/describe.hpp"
#include "imap/framer.hpp"
#include "imap/internal_date.hpp"
#include "imap/mutf7.hpp"
#include "imap/response.hpp"
#include "imap/sequence_set.hpp"

namespace {

using namespace mailprune::imap;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

FramerLimits fuzz_limits() {
  FramerLimits limits;
  limits.max_line_length = 64u << 10;
  limits.max_buffered_literal = 64u << 10;
  limits.stream_literals_above = 512;
  limits.max_literals = 256;
  limits.max_response_size = 1u << 20;
  return limits;
}

// Everything observable about one run, as text.
std::string run(std::string_view wire, const std::vector<std::size_t>& cuts) {
  std::string out;
  std::size_t responses = 0;
  LiteralSink sink = [&](const LiteralChunk& chunk) {
    if (chunk.offset == 0) {
      out += "\nstream " + std::to_string(responses) + "/" + std::to_string(chunk.literal_index) + " " +
             std::string(chunk.response_so_far) + ":";
    }
    out += chunk.bytes;
    if (chunk.last) out += "<end>";
  };
  Framer framer(fuzz_limits(), sink);
  std::size_t begin = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(wire.size());
  for (std::size_t end : ends) {
    std::string_view piece = wire.substr(begin, end - begin);
    begin = end;
    while (!piece.empty()) {
      const FeedResult result = framer.feed(piece);
      check(result.consumed <= piece.size());
      piece.remove_prefix(result.consumed);
      if (result.status == FrameStatus::complete) {
        const FramedResponse framed = framer.take();
        const auto parsed = parse_response(framed);
        out += "\n" + (parsed ? describe(parsed.value()) : describe(parsed.error()));
        if (!parsed) check(parsed.error().offset <= framed.text.size());
        ++responses;
      } else if (result.status == FrameStatus::error) {
        const FramerError* error = framer.error();
        check(error != nullptr && error->offset <= error->raw.size());
        out += "\nframer " + error->message + " " + error->raw + " @" + std::to_string(error->offset) + "/" +
               std::to_string(error->stream_offset);
        return out;
      } else {
        check(result.consumed == 0 || piece.empty());
      }
    }
  }
  out += framer.in_response() ? "\nincomplete" : "\nend";
  return out;
}

void round_trips(std::string_view data) {
  if (const auto decoded = mutf7_decode(data)) {
    const auto encoded = mutf7_encode(*decoded);
    check(encoded.has_value());
    check(mutf7_decode(*encoded) == decoded);
  }
  if (const auto encoded = mutf7_encode(data)) {
    check(mutf7_decode(*encoded) == std::string(data));
  }
  if (const auto set = parse_sequence_set(data)) {
    const std::string text = format_sequence_set(*set);
    check(parse_sequence_set(text) == set);
  }
  if (const auto when = parse_internal_date(data)) {
    check(parse_internal_date(format_internal_date(*when)) == when);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size > (256u << 10)) return 0;
  const std::string_view wire(reinterpret_cast<const char*>(bytes), size);

  const std::string whole = run(wire, {});
  if (size > 1) {
    // Two cut points chosen by the data itself, then one byte at a time.
    const std::size_t first = 1 + bytes[0] % (size - 1);
    const std::size_t second = 1 + (static_cast<std::size_t>(bytes[size - 1]) * 131) % (size - 1);
    std::vector<std::size_t> cuts = {std::min(first, second), std::max(first, second)};
    if (cuts[0] == cuts[1]) cuts.pop_back();
    check(run(wire, cuts) == whole);
    if (size <= 4096) {
      std::vector<std::size_t> every;
      for (std::size_t cut = 1; cut < size; ++cut) every.push_back(cut);
      check(run(wire, every) == whole);
    }
  }

  (void)parse_body_structure(wire);
  (void)parse_envelope(wire);
  round_trips(wire);
  return 0;
}
