// fuzz_mime_splice: libFuzzer target for the byte-level splicing of connectors/mime/splice.hpp.
//
// The input is a raw message. For a few section numbers picked from the input's own bytes (and
// "1", "2", "1.1", "2.1"), checks:
//  - locate_part() never crashes; a span lies inside the input, header <= body begin <= body end;
//  - replacing the part by a marker changes exactly the span: the bytes before and after are
//    the input's (plus one line break when the part was empty and glued to its delimiter);
//  - round trip: detach (notice_part) then undo (encode_part of the part's header and decoded
//    content) gives a part whose decoded content equals the original's decoded content, and the
//    notice in between carries the action id and section (read_notice);
//  - a failed splice is an error value with a message.
// Built by the top-level option MAILPRUNE_FUZZ (clang); by hand, from the project root:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iconnectors \
//     tests/fuzz/fuzz_mime_splice.cpp connectors/mime/*.cpp \
//     $(pkg-config --cflags --libs gmime-3.0) -lcrypto -o fuzz_mime_splice
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mime/splice.hpp"
#include "mime/transfer_decode.hpp"

namespace {

using namespace mailprune::mime;

void check(bool condition, int line) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_mime_splice: check failed at line %d\n", line);
  std::abort();
}
#define REQUIRE(condition) check((condition), __LINE__)

std::string decoded(std::string_view raw, const PartSpan& span) {
  const std::string_view header = part_header(raw, span);
  return decode_transfer(raw.substr(span.body_begin, span.body_end - span.body_begin), part_transfer_encoding(header))
      .bytes;
}

void check_section(std::string_view raw, const std::string& section) {
  SpliceLimits limits;
  limits.max_parts = 500;
  const auto span = locate_part(raw, section, limits);
  if (!span.ok()) {
    REQUIRE(!span.error().message.empty());
    return;
  }
  REQUIRE(span->header_begin <= span->body_begin && span->body_begin <= span->body_end && span->body_end <= raw.size());

  const std::string eol(line_break(line_ending_of(raw)));
  const std::string marker = "Content-Type: text/plain" + eol + eol + "MARKER";
  const auto replaced = splice_message(raw, {{section, marker}}, {}, {}, limits);
  if (!replaced.ok()) {
    REQUIRE(!replaced.error().message.empty());
    return;
  }
  const std::string& out = replaced.value();
  REQUIRE(out.compare(0, span->header_begin, raw.substr(0, span->header_begin)) == 0);
  REQUIRE(out.compare(span->header_begin, marker.size(), marker) == 0);
  std::string_view rest = std::string_view(out).substr(span->header_begin + marker.size());
  if (rest.size() != raw.size() - span->body_end) {
    REQUIRE(span->header_begin == span->body_end && rest.substr(0, eol.size()) == eol);
    rest.remove_prefix(eol.size());
  }
  REQUIRE(rest == raw.substr(span->body_end));

  // Detach, then undo.
  const std::string header(part_header(raw, span.value()));
  const std::string content = decoded(raw, span.value());
  mailprune::connector::Detachment detachment;
  detachment.section = section;
  detachment.notice_text = "archived\n" + std::string(raw.substr(0, 40));
  detachment.notice_html = "<p>archived</p>";
  const auto detached = splice_message(raw, {{section, notice_part(detachment, "A7", line_ending_of(raw))}},
                                       {{"X-Mailprune-Detached", "A7"}}, {}, limits);
  if (!detached.ok()) {
    // The one refusal left once the marker went in: no field can be added before a folded line.
    REQUIRE(!raw.empty() && (raw[0] == ' ' || raw[0] == '\t'));
    return;
  }
  const auto notice_span = locate_part(detached.value(), section, limits);
  REQUIRE(notice_span.ok());
  const auto mark = read_notice(part_header(detached.value(), notice_span.value()));
  REQUIRE(mark.has_value() && mark->action_id == "A7" && mark->section == section);
  const auto restored = splice_message(
      detached.value(), {{section, encode_part(header, content, line_ending_of(raw))}}, {},
      [](std::string_view name, std::string_view) { return name == "X-Mailprune-Detached"; }, limits);
  REQUIRE(restored.ok());
  const auto restored_span = locate_part(restored.value(), section, limits);
  REQUIRE(restored_span.ok());
  REQUIRE(decoded(restored.value(), restored_span.value()) == content);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sections = {"1", "2", "1.1", "2.1"};
  if (size >= 2) {
    sections.push_back(std::to_string(1 + data[0] % 4) + "." + std::to_string(1 + data[size - 1] % 3));
  }
  for (const std::string& section : sections) check_section(raw, section);
  return 0;
}
