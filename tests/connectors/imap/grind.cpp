#include "grind.hpp"

#include <gtest/gtest.h>

namespace mailprune::imap::test {

std::string GrindResult::summary() const {
  std::string out;
  for (const auto& d : described) out += d + "\n";
  if (!framer_error.empty()) out += "framer: " + framer_error + "\n";
  for (const auto& s : streams) out += "stream: " + s + "\n";
  if (incomplete) out += "incomplete\n";
  return out;
}

GrindResult run_cuts(std::string_view wire, const std::vector<std::size_t>& cuts, const FramerLimits& limits,
                     bool with_sink) {
  GrindResult run;
  std::size_t response_index = 0;
  std::uint64_t expected_offset = 0;
  LiteralSink sink;
  if (with_sink) {
    sink = [&](const LiteralChunk& chunk) {
      if (chunk.offset == 0) {
        run.streams.push_back("resp#" + std::to_string(response_index) + " lit#" + std::to_string(chunk.literal_index) +
                              " size=" + std::to_string(chunk.literal_size) + " after=\"" +
                              std::string(chunk.response_so_far) + "\" bytes=");
        expected_offset = 0;
      }
      // Chunks arrive in order, contiguous, and the last one says so.
      if (chunk.offset != expected_offset) run.streams.back() += "<gap>";
      run.streams.back() += chunk.bytes;
      expected_offset += chunk.bytes.size();
      if (chunk.last != (expected_offset == chunk.literal_size)) run.streams.back() += "<bad-last>";
      if (chunk.last) run.streams.back() += "<end>";
    };
  }
  Framer framer(limits, sink);
  std::size_t begin = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(wire.size());
  for (std::size_t end : ends) {
    std::string_view piece = wire.substr(begin, end - begin);
    begin = end;
    while (!piece.empty()) {
      const FeedResult result = framer.feed(piece);
      piece.remove_prefix(result.consumed);
      if (result.status == FrameStatus::complete) {
        FramedResponse framed = framer.take();
        run.parsed.push_back(parse_response(framed));
        run.described.push_back(run.parsed.back() ? describe(run.parsed.back().value())
                                                  : describe(run.parsed.back().error()));
        // The moving overload must give the same result as the copying one.
        const auto moved = parse_response(std::move(framed));
        const std::string moved_text = moved ? describe(moved.value()) : describe(moved.error());
        if (moved_text != run.described.back()) run.described.back() += " <moved: " + moved_text + ">";
        ++response_index;
      } else if (result.status == FrameStatus::error) {
        const FramerError* error = framer.error();
        run.framer_error = std::to_string(static_cast<int>(error->kind)) + ": " + error->message + " @" +
                           std::to_string(error->offset) + "/" + std::to_string(error->stream_offset) +
                           " raw=" + error->raw.substr(0, 80);
        return run;
      }
    }
  }
  run.incomplete = framer.in_response();
  return run;
}

GrindResult grind(std::string_view wire, const FramerLimits& limits, bool with_sink) {
  GrindResult whole = run_cuts(wire, {}, limits, with_sink);
  const std::string expected = whole.summary();
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    const GrindResult split = run_cuts(wire, {cut}, limits, with_sink);
    if (split.summary() != expected) {
      ADD_FAILURE() << "split at " << cut << " differs:\n" << split.summary() << "expected:\n" << expected;
      return whole;
    }
  }
  std::vector<std::size_t> every;
  for (std::size_t cut = 1; cut < wire.size(); ++cut) every.push_back(cut);
  const GrindResult bytewise = run_cuts(wire, every, limits, with_sink);
  EXPECT_EQ(bytewise.summary(), expected) << "byte-at-a-time differs";
  return whole;
}

Response grind_one(std::string_view wire, const FramerLimits& limits, bool with_sink) {
  GrindResult run = grind(wire, limits, with_sink);
  EXPECT_EQ(run.parsed.size(), 1u) << run.summary();
  EXPECT_TRUE(run.framer_error.empty()) << run.framer_error;
  if (run.parsed.size() != 1 || !run.parsed[0]) {
    ADD_FAILURE() << "not parsed: " << run.summary();
    return UnknownData{};
  }
  return run.parsed[0].value();
}

}  // namespace mailprune::imap::test
