// responses.hpp: EWS SOAP responses, parsed as they stream in, into typed structs.
//
//   ResponseParser parser(limits, content_sink);
//   while (bytes arrive) if (parser.feed(bytes) != FeedStatus::need_more) break;
//   Parsed<Response> response = parser.finish();
//
// One parser reads every operation's response: EWS shares its element types across operations
// (t:Message, t:Folder, t:FileAttachment, ResponseMessage with ResponseClass/ResponseCode), so a
// Response is a list of ResponseMessages, each holding what its operation returns (folders, items,
// attachments, sync changes, sync state, paging, root item id). Unknown elements are skipped.
//
// Streaming: libxml2's SAX2 push parser (xmlParseChunk), namespace-aware. Not xmlTextReader: the
// reader keeps a text node whole until it ends (measured with libxml2 2.9.14: one 5 MB node; a
// 20 MB one fails with "huge text node"), so a 100 MB attachment would sit in memory or fail. The
// SAX parser hands text over in pieces; the base64 of t:Content (file attachments) and of the
// embedded item's t:MimeContent (item attachments) inside Attachments is decoded as it arrives
// (mime::TransferDecoder, lenient) and given to the ContentSink; it is never stored. Memory is
// bounded by the structs produced plus Limits::max_text, whatever the input size.
//
// Safety: no DTD (a DOCTYPE is an error), so no entity other than the five predefined ones and
// character references; no network access; Limits on depth, element count, text size and message
// count (defaults suit real responses: 1000 items with their attachments is far inside them).
//
// Errors are values (ParseError: message, line, column, byte offset, open element path). The feed
// result tells the caller to stop early (error, or the content sink said stop).
// Threads: one parser per thread; libxml2 must have been initialised (done once, thread-safely,
// by the first parser constructed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ews/error.hpp"
#include "ews/types.hpp"

namespace mailprune::ews {

struct Limits {
  std::size_t max_depth = 64;
  std::uint64_t max_elements = 20'000'000;
  std::size_t max_text = 1u << 20;     // any text field except streamed attachment content
  std::size_t max_messages = 100'000;  // ResponseMessages in one response
};

enum class ResponseClass { success, warning, error };

struct Status {
  ResponseClass response_class = ResponseClass::success;
  std::string code;  // ResponseCode: "NoError", "ErrorServerBusy", ... ("" when absent)
  std::string message_text;
  std::optional<std::uint64_t> back_off_ms;  // MessageXml Value Name="BackOffMilliseconds"
  [[nodiscard]] bool ok() const { return response_class != ResponseClass::error; }
};

enum class ChangeKind { create, update, remove, read_flag_change };

struct ItemChange {
  ChangeKind kind = ChangeKind::create;
  Item item;                    // remove / read_flag_change: only item.id
  std::optional<bool> is_read;  // read_flag_change
};

struct FolderChange {
  ChangeKind kind = ChangeKind::create;
  Folder folder;  // remove: only folder.id
};

struct ResponseMessage {
  std::string operation;  // "GetItem" for m:GetItemResponseMessage
  Status status;
  std::vector<Folder> folders;               // GetFolder, FindFolder (RootFolder/Folders)
  std::vector<Item> items;                   // GetItem, FindItem, MoveItem, UpdateItem, ...
  std::vector<Attachment> attachments;       // GetAttachment, CreateAttachment
  std::vector<ItemChange> item_changes;      // SyncFolderItems
  std::vector<FolderChange> folder_changes;  // SyncFolderHierarchy
  std::string sync_state;
  std::optional<bool> includes_last_in_range;          // IncludesLast{Item,Folder}InRange (also RootFolder's)
  std::optional<std::uint64_t> indexed_paging_offset;  // RootFolder IndexedPagingOffset
  std::optional<std::uint64_t> total_items_in_view;    // RootFolder TotalItemsInView
  ItemId root_item;                                    // DeleteAttachment: RootItemId with the item's new ChangeKey
};

struct SoapFault {
  std::string fault_code;  // "a:ErrorServerBusy", "soap:Client", ...
  std::string fault_string;
  std::string response_code;  // detail/ResponseCode ("ErrorSchemaValidation", ...)
  std::string message;        // detail/Message
  std::optional<std::uint64_t> back_off_ms;
};

struct ServerVersionInfo {
  std::uint32_t major_version = 0;
  std::uint32_t minor_version = 0;
  std::uint32_t major_build = 0;
  std::uint32_t minor_build = 0;
  std::string version;  // "V2_42", "Exchange2013_SP1", ...
};

struct Response {
  std::string operation;  // "GetItem" for m:GetItemResponse ("" for a fault)
  std::optional<ServerVersionInfo> server_version;
  std::optional<SoapFault> fault;
  std::vector<ResponseMessage> messages;
  bool stopped = false;  // the content sink stopped the parse: the response is incomplete
};

// A piece of decoded attachment content. `attachment_index` counts the attachments of the message
// at `message_index` (GetAttachment with several ids answers one message per id).
struct ContentChunk {
  std::size_t message_index = 0;
  std::size_t attachment_index = 0;
  std::string_view attachment_id;  // "" if AttachmentId did not precede the content
  std::string_view bytes;
};
// Return false to stop: the parse ends (FeedStatus::stopped, Response::stopped).
using ContentSink = std::function<bool(const ContentChunk& chunk)>;

enum class FeedStatus { need_more, stopped, error };

class ResponseParser {
 public:
  explicit ResponseParser(Limits limits = {}, ContentSink content = {});
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Parses `bytes` (any split). After stopped or error, further input is ignored.
  FeedStatus feed(std::string_view bytes);
  // End of input: the response, or the error (also: input ended before </Envelope>). After
  // `stopped` it returns what was read, with Response::stopped set. Call once.
  Parsed<Response> finish();
  std::uint64_t bytes_fed() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// The whole body at once (tests, small responses).
Parsed<Response> parse_response(std::string_view body, const Limits& limits = {}, ContentSink content = {});

std::string_view to_string(ResponseClass response_class) noexcept;

}  // namespace mailprune::ews
