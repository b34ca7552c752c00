#include "imap/framer.hpp"

#include <algorithm>
#include <utility>

namespace mailprune::imap {
namespace {

constexpr std::size_t max_raw = 8192;

struct Marker {
  std::size_t begin = 0;  // offset of `{` or `~` in the segment
  std::uint64_t size = 0;
  bool binary = false;
  bool overflow = false;
};

// A literal marker is `{digits}` (or `{digits+}`, `~{digits}`) at the very end of a line.
std::optional<Marker> marker_at_end(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  Marker marker;
  marker.begin = open;
  if (open > 0 && line[open - 1] == '~') {
    marker.binary = true;
    marker.begin = open - 1;
  }
  for (char c : digits) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (marker.size > (UINT64_MAX - digit) / 10) {
      marker.overflow = true;
      break;
    }
    marker.size = marker.size * 10 + digit;
  }
  return marker;
}

}  // namespace

Framer::Framer(FramerLimits limits, LiteralSink sink) : limits_(limits), sink_(std::move(sink)) {}

void Framer::reset() {
  state_ = State::line;
  segment_.clear();
  response_ = FramedResponse{};
  literal_remaining_ = 0;
  buffered_bytes_ = 0;
  stream_offset_ = 0;
  segment_start_ = 0;
  error_.reset();
}

bool Framer::in_response() const noexcept {
  return state_ == State::literal || !segment_.empty() || !response_.text.empty();
}

FramedResponse Framer::take() {
  FramedResponse out = std::move(response_);
  response_ = FramedResponse{};
  buffered_bytes_ = 0;
  if (state_ == State::complete) state_ = State::line;
  return out;
}

FeedResult Framer::fail(FramerErrorKind kind, std::string message, std::string_view raw, std::size_t offset,
                        std::size_t consumed) {
  FramerError error;
  error.kind = kind;
  error.message = std::move(message);
  error.raw = std::string(raw.substr(0, max_raw));
  error.offset = std::min(offset, error.raw.size());
  error.stream_offset = segment_start_;
  error_ = std::move(error);
  state_ = State::failed;
  stream_offset_ += consumed;
  return {consumed, FrameStatus::error};
}

bool Framer::end_of_segment(std::size_t consumed) {
  std::string_view line = segment_;
  line.remove_suffix(1);  // LF
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  const auto marker = marker_at_end(line);
  if (marker && marker->overflow) {
    fail(FramerErrorKind::bad_literal_length, "literal length does not fit in 64 bits", line, marker->begin, consumed);
    return false;
  }
  const std::size_t base = response_.text.size();
  response_.text.append(line);
  if (response_.text.size() + buffered_bytes_ > limits_.max_response_size) {
    fail(FramerErrorKind::response_too_large, "response larger than max_response_size", line, line.size(), consumed);
    return false;
  }
  if (!marker) {
    segment_.clear();
    state_ = State::complete;
    return true;
  }
  if (response_.literals.size() >= limits_.max_literals) {
    fail(FramerErrorKind::too_many_literals, "more literals than max_literals", line, marker->begin, consumed);
    return false;
  }
  FramedLiteral literal;
  literal.header_begin = base + marker->begin;
  literal.position = response_.text.size();
  literal.size = marker->size;
  literal.binary = marker->binary;
  literal.streamed = sink_ && marker->size > limits_.stream_literals_above;
  if (!literal.streamed) {
    if (marker->size > limits_.max_buffered_literal) {
      fail(FramerErrorKind::literal_too_large, "literal larger than max_buffered_literal", line, marker->begin,
           consumed);
      return false;
    }
    buffered_bytes_ += marker->size;
    if (response_.text.size() + buffered_bytes_ > limits_.max_response_size) {
      fail(FramerErrorKind::response_too_large, "response larger than max_response_size", line, marker->begin,
           consumed);
      return false;
    }
    // Reserve only what is cheap to promise; a server may lie about the size and then hang up.
    literal.data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(marker->size, 1u << 20)));
  }
  response_.literals.push_back(std::move(literal));
  segment_.clear();
  literal_remaining_ = marker->size;
  state_ = marker->size == 0 ? State::line : State::literal;
  return true;
}

FeedResult Framer::feed(std::string_view bytes) {
  if (state_ == State::complete) return {0, FrameStatus::complete};
  if (state_ == State::failed) return {0, FrameStatus::error};

  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (state_ == State::line) {
      const std::string_view rest = bytes.substr(pos);
      const std::size_t lf = rest.find('\n');
      const std::size_t take = lf == std::string_view::npos ? rest.size() : lf + 1;
      // +2: the limit is on the text, not on its CRLF.
      if (segment_.empty()) segment_start_ = stream_offset_ + pos;
      if (segment_.size() + take > limits_.max_line_length + 2) {
        // raw: the line up to just past the limit, the same however the bytes were cut.
        std::string raw = segment_;
        raw.append(rest.substr(0, std::min(take, max_raw)));
        raw.resize(std::min(raw.size(), std::min(limits_.max_line_length + 3, max_raw)));
        return fail(FramerErrorKind::line_too_long, "line longer than max_line_length", raw, limits_.max_line_length,
                    pos);
      }
      segment_.append(rest.substr(0, take));
      pos += take;
      if (lf == std::string_view::npos) break;
      if (!end_of_segment(pos)) return {pos, FrameStatus::error};
      if (state_ == State::complete) {
        stream_offset_ += pos;
        return {pos, FrameStatus::complete};
      }
    } else {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(literal_remaining_, bytes.size() - pos));
      FramedLiteral& literal = response_.literals.back();
      const std::string_view chunk = bytes.substr(pos, n);
      if (literal.streamed) {
        LiteralChunk event;
        event.response_so_far = std::string_view(response_.text).substr(0, literal.position);
        event.literal_index = response_.literals.size() - 1;
        event.literal_size = literal.size;
        event.offset = literal.size - literal_remaining_;
        event.bytes = chunk;
        event.binary = literal.binary;
        event.last = n == literal_remaining_;
        sink_(event);
      } else {
        literal.data.append(chunk);
      }
      literal_remaining_ -= n;
      pos += n;
      if (literal_remaining_ == 0) state_ = State::line;
    }
  }
  stream_offset_ += pos;
  return {pos, FrameStatus::need_more};
}

}  // namespace mailprune::imap
