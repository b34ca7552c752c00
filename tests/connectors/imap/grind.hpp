// grind.hpp: feeds IMAP server bytes through Framer + parse_response whole, split at every byte
// offset, and one byte at a time, and checks that every way gives the same result (Beast
// parsegrind, Dovecot test_istream_set_size).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imap/describe.hpp"
#include "imap/framer.hpp"
#include "imap/response.hpp"

namespace mailprune::imap::test {

struct GrindResult {
  std::vector<Parsed<Response>> parsed;  // one per complete response
  std::vector<std::string> described;    // describe() of each (or of its ParseError)
  std::string framer_error;              // "kind: message @offset raw=..." when the framer failed
  std::vector<std::string> streams;      // one per streamed literal: what the sink saw, concatenated
  bool incomplete = false;               // bytes left in the framer at the end
  [[nodiscard]] std::string summary() const;
};

// Feeds `wire` cut into pieces at `cuts` (sorted offsets).
GrindResult run_cuts(std::string_view wire, const std::vector<std::size_t>& cuts, const FramerLimits& limits,
                     bool with_sink);

// Runs whole, then at every split offset and byte by byte; ADD_FAILUREs on any difference.
// Returns the whole-input run.
GrindResult grind(std::string_view wire, const FramerLimits& limits = {}, bool with_sink = false);

// grind() then expects exactly one successfully parsed response, returned.
Response grind_one(std::string_view wire, const FramerLimits& limits = {}, bool with_sink = false);

}  // namespace mailprune::imap::test
