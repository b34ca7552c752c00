#include "imap/sequence_set.hpp"

#include <algorithm>

namespace mailprune::imap {
namespace {

std::optional<std::uint32_t> parse_seq_number(std::string_view text) {
  if (text == "*") return UidRange::star;
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value == 0 || value >= UidRange::star) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

void append_number(std::string& out, std::uint32_t value) {
  if (value == UidRange::star) {
    out.push_back('*');
  } else {
    out += std::to_string(value);
  }
}

std::string format_range(const UidRange& range) {
  std::string out;
  append_number(out, range.first);
  if (range.last != range.first) {
    out.push_back(':');
    append_number(out, range.last);
  }
  return out;
}

}  // namespace

std::optional<SequenceSet> parse_sequence_set(std::string_view text) {
  SequenceSet set;
  if (text.empty()) return std::nullopt;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t colon = item.find(':');
    const auto first = parse_seq_number(item.substr(0, colon));
    if (!first) return std::nullopt;
    UidRange range{*first, *first};
    if (colon != std::string_view::npos) {
      const auto last = parse_seq_number(item.substr(colon + 1));
      if (!last) return std::nullopt;
      range.first = std::min(*first, *last);
      range.last = std::max(*first, *last);
    }
    set.push_back(range);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return set;
}

std::string format_sequence_set(const SequenceSet& set) {
  std::string out;
  for (const UidRange& range : set) {
    if (!out.empty()) out.push_back(',');
    out += format_range(range);
  }
  return out;
}

SequenceSet compress_uids(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  SequenceSet set;
  for (std::uint32_t uid : uids) {
    if (uid == 0) continue;
    if (!set.empty() && set.back().last != UidRange::star && set.back().last + 1 == uid) {
      set.back().last = uid;
    } else {
      set.push_back({uid, uid});
    }
  }
  return set;
}

std::vector<std::string> split_sequence_sets(std::vector<std::uint32_t> uids, std::size_t max_length) {
  std::vector<std::string> out;
  std::string current;
  for (const UidRange& range : compress_uids(std::move(uids))) {
    const std::string item = format_range(range);
    if (!current.empty() && current.size() + 1 + item.size() > max_length) {
      out.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty()) current.push_back(',');
    current += item;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::uint64_t count_of(const SequenceSet& set) noexcept {
  std::uint64_t total = 0;
  for (const UidRange& range : set) {
    total += std::uint64_t{range.last} - range.first + 1;
  }
  return total;
}

std::optional<std::vector<std::uint32_t>> expand(const SequenceSet& set, std::size_t max_count) {
  std::vector<std::uint32_t> out;
  for (const UidRange& range : set) {
    if (range.last == UidRange::star) return std::nullopt;
    if (out.size() + (std::uint64_t{range.last} - range.first + 1) > max_count) return std::nullopt;
    for (std::uint64_t uid = range.first; uid <= range.last; ++uid) {
      out.push_back(static_cast<std::uint32_t>(uid));
    }
  }
  return out;
}

}  // namespace mailprune::imap
