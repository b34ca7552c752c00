// libFuzzer target for the EWS response path: arbitrary bytes through ResponseParser, whole, cut at
// two data-chosen offsets and (for small inputs) one byte at a time, with and without a content
// sink that stops early; must never crash, must respect its limits, and must give the same result
// every way. Round trip: text written by the request side's xml_escape() reads back unchanged
// through the parser when it is valid XML text (and as U+FFFD-cleaned text otherwise, still
// well-formed).
//
// Build (wired by the lead under MAILPRUNE_FUZZ, clang): link mailprune_ews, -fsanitize=fuzzer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ews/requests.hpp"
#include "ews/responses.hpp"

namespace {

using namespace mailprune::ews;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

Limits fuzz_limits() {
  Limits limits;
  limits.max_depth = 32;
  limits.max_elements = 50'000;
  limits.max_text = 64u << 10;
  limits.max_messages = 1000;
  return limits;
}

// Everything observable about one parse, as text.
std::string run(std::string_view wire, const std::vector<std::size_t>& cuts, std::size_t stop_after) {
  std::string content;
  std::size_t seen = 0;
  ContentSink sink = [&](const ContentChunk& chunk) {
    check(!chunk.bytes.empty());
    content += chunk.bytes;
    seen += chunk.bytes.size();
    return stop_after == 0 || seen < stop_after;
  };
  ResponseParser parser(fuzz_limits(), sink);
  std::size_t begin = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(wire.size());
  for (std::size_t end : ends) {
    if (parser.feed(wire.substr(begin, end - begin)) != FeedStatus::need_more) break;
    begin = end;
  }
  const auto parsed = parser.finish();
  std::string out;
  if (!parsed.ok()) return "error";  // messages and offsets may differ with the split
  const Response& r = parsed.value();
  check(r.messages.size() <= fuzz_limits().max_messages);
  out += r.operation + (r.stopped ? " stopped" : "") + (r.fault ? " fault:" + r.fault->response_code : "");
  for (const ResponseMessage& m : r.messages) {
    out += "\n" + m.operation + " " + m.status.code + " " + m.sync_state + " " + std::to_string(m.items.size()) + "/" +
           std::to_string(m.folders.size()) + "/" + std::to_string(m.attachments.size()) + "/" +
           std::to_string(m.item_changes.size()) + "/" + std::to_string(m.folder_changes.size());
    for (const Item& i : m.items) out += " " + i.id.id + ":" + i.subject + ":" + std::to_string(i.attachments.size());
    for (const Attachment& a : m.attachments) {
      out += " " + a.id + ":" + std::to_string(a.content_bytes) + (a.content_damaged ? "d" : "");
    }
  }
  // Chunking of content may differ; the bytes may not (unless stopped, where the cut point may).
  if (!r.stopped) out += "\ncontent=" + content;
  return out;
}

void round_trip(std::string_view data) {
  const std::string escaped = xml_escape(data);
  const std::string wire =
      std::string(R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)") +
      R"(<m:GetItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" )"
      R"(xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>)"
      R"(<m:GetItemResponseMessage ResponseClass="Success"><m:Items><t:Message><t:ItemId Id=")" +
      xml_escape(data, true) + R"("/><t:Subject>)" + escaped +
      "</t:Subject></t:Message></m:Items></m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>"
      "</s:Body></s:Envelope>";
  Limits limits;
  limits.max_text = 8u << 20;  // escaping grows text up to 5 times
  const auto parsed = parse_response(wire, limits);
  check(parsed.ok());  // whatever the bytes, escaped text is well-formed
  const Item& item = parsed->messages.at(0).items.at(0);
  // Idempotent: cleaning the cleaned text changes nothing, and that is what was read.
  check(xml_escape(item.subject) == escaped);
  check(xml_escape(item.id.id, true) == xml_escape(data, true));
  // Valid UTF-8 without characters XML forbids (and without CR, which XML normalises) survives.
  bool clean = true;
  for (unsigned char c : data) {
    if ((c < 0x20 && c != '\t' && c != '\n') || c >= 0x80) clean = false;
  }
  if (clean) check(item.subject == data && item.id.id == data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size > (256u << 10)) return 0;
  const std::string_view wire(reinterpret_cast<const char*>(bytes), size);
  const std::string whole = run(wire, {}, 0);
  if (size > 1) {
    const std::size_t first = 1 + bytes[0] % (size - 1);
    const std::size_t second = 1 + (static_cast<std::size_t>(bytes[size - 1]) * 131) % (size - 1);
    std::vector<std::size_t> cuts = {std::min(first, second), std::max(first, second)};
    if (cuts[0] == cuts[1]) cuts.pop_back();
    check(run(wire, cuts, 0) == whole);
    if (size <= 2048) {
      std::vector<std::size_t> every;
      for (std::size_t cut = 1; cut < size; ++cut) every.push_back(cut);
      check(run(wire, every, 0) == whole);
    }
  }
  (void)run(wire, {}, 1 + size % 7);
  round_trip(wire);
  return 0;
}
