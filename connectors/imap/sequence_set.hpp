// sequence_set.hpp: IMAP sequence sets (RFC 3501 sequence-set, RFC 9051 uid-set) both ways.
//
// Reading: APPENDUID/COPYUID/MODIFIED codes, ESEARCH ALL, VANISHED. Writing: UID FETCH / STORE /
// MOVE / COPY / EXPUNGE arguments, compressed into ranges and split so that no command line
// grows past a limit (RFC 7162 §4: clients should keep lines under 8192 octets; Exchange and
// Gmail reject longer ones). Pure functions, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprune::imap {

// `*` (the largest number in use) is represented as star.
struct UidRange {
  static constexpr std::uint32_t star = UINT32_MAX;
  std::uint32_t first = 0;
  std::uint32_t last = 0;  // first <= last after parsing ("5:3" is read as 3:5)
  friend bool operator==(const UidRange&, const UidRange&) = default;
};

using SequenceSet = std::vector<UidRange>;

// "1:3,5,7:*" -> {1,3},{5,5},{7,star}. nullopt on syntax errors and on 0.
std::optional<SequenceSet> parse_sequence_set(std::string_view text);
// The inverse; single numbers written alone, star as `*`. Empty set -> "".
std::string format_sequence_set(const SequenceSet& set);
// Sorts and deduplicates `uids`, then joins consecutive numbers into ranges. 0 is dropped.
SequenceSet compress_uids(std::vector<std::uint32_t> uids);
// Like compress_uids, then formats, cutting into as many sets as needed so that each formatted set
// is at most max_length characters (at least one range per set, whatever its length).
std::vector<std::string> split_sequence_sets(std::vector<std::uint32_t> uids, std::size_t max_length);
// Number of values in the set (star counted as one value).
std::uint64_t count_of(const SequenceSet& set) noexcept;
// Every value in order, or nullopt when there would be more than max_count (or star is used).
std::optional<std::vector<std::uint32_t>> expand(const SequenceSet& set, std::size_t max_count);

}  // namespace mailprune::imap
