// requests.hpp: builders of complete EWS SOAP 1.1 requests, one function per remote operation.
//
// Every builder returns a whole envelope (XML declaration, soap:Envelope, soap:Header with
// t:RequestServerVersion and, when impersonating, t:ExchangeImpersonation/t:ConnectingSID/
// t:SmtpAddress, soap:Body with the m: operation element) that is valid against Microsoft's
// schemas (messages.xsd / types.xsd via soap11-min.xsd; the unit tests validate every builder with
// hostile strings). Prefixes: soap, t (.../2006/types), m (.../2006/messages).
//
// Text and attribute values go through xml_escape(): any input bytes give well-formed XML (invalid
// UTF-8 and code points XML 1.0 forbids become U+FFFD; CR, and TAB/LF in attributes, are written as
// character references so the server sees them unnormalised).
//
// Pure functions: no I/O, thread-safe. Limits the schema imposes are the caller's business and are
// clamped here where they are numeric (MaxChangesReturned 1..512, MaxEntriesReturned >= 1); empty
// id lists are a programming error (std::invalid_argument), since the schema requires >= 1 id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ews/types.hpp"

namespace mailprune::ews {

inline constexpr std::string_view soap_namespace = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view types_namespace = "http://schemas.microsoft.com/exchange/services/2006/types";
inline constexpr std::string_view messages_namespace = "http://schemas.microsoft.com/exchange/services/2006/messages";
inline constexpr std::string_view errors_namespace = "http://schemas.microsoft.com/exchange/services/2006/errors";

// Who the request is for.
struct RequestContext {
  // t:RequestServerVersion Version: one of the ExchangeVersionType values (is_known_server_version).
  std::string server_version = "Exchange2013_SP1";
  // SMTP address to impersonate (ExchangeImpersonation header); "" to act as the account itself.
  std::string impersonate;
  // Without impersonation: another mailbox reached by delegate access (t:Mailbox inside each
  // DistinguishedFolderId); "" for the account's own mailbox.
  std::string delegate_mailbox;
};

// A built request: the envelope, the operation name (for SOAPAction, logs and errors) and whether
// it changes server state (a mutating request whose reply was lost has an unknown outcome).
struct Request {
  std::string operation;  // "GetItem", "DeleteAttachment", ...
  std::string envelope;
  bool mutates = false;
};

// ExchangeVersionType values in schema order; true for one of them.
bool is_known_server_version(std::string_view version);
// `version` is `minimum` or later (unknown versions count as the newest).
bool server_version_at_least(std::string_view version, std::string_view minimum);

// Item properties the crawl asks for (IdOnly plus these): ItemClass, Subject, Size,
// DateTimeReceived, DateTimeSent, HasAttachments, From, InternetMessageId, IsRead, and item:Flag
// from Exchange2013 on. `with_attachments` adds item:Attachments (GetItem only: FindItem and
// SyncFolderItems refuse it).
std::vector<std::string> message_fields(std::string_view server_version, bool with_attachments);

// Folder properties for listings: DisplayName, ParentFolderId, TotalCount, ChildFolderCount,
// FolderClass, and PR_MESSAGE_SIZE_EXTENDED (ExtendedFieldURI PropertyTag 0x0E08, Long).
Request sync_folder_hierarchy(const RequestContext& context, const FolderRef& root, std::string_view sync_state);
Request find_folder_deep(const RequestContext& context, const FolderRef& root, std::uint32_t offset,
                         std::uint32_t max_entries);
Request get_folder(const RequestContext& context, const std::vector<FolderRef>& folders);

// FindItem Shallow, IdOnly + `fields`, IndexedPageItemView from `offset` (max_entries clamped to
// 1..1000).
Request find_item(const RequestContext& context, const FolderRef& folder, std::uint32_t offset,
                  std::uint32_t max_entries, const std::vector<std::string>& fields);
// SyncFolderItems IdOnly from `sync_state` ("" = from the beginning), max_changes clamped to 1..512.
Request sync_folder_items(const RequestContext& context, const FolderRef& folder, std::string_view sync_state,
                          std::uint32_t max_changes);
// GetItem IdOnly + `fields` (ChangeKeys are sent when known).
Request get_item(const RequestContext& context, const std::vector<ItemId>& items,
                 const std::vector<std::string>& fields);
// GetAttachment; `include_mime_content`: item attachments come back with their MIME content.
Request get_attachment(const RequestContext& context, const std::vector<std::string>& attachment_ids,
                       bool include_mime_content);

// --- actions (for the policy engine) ---
Request delete_attachment(const RequestContext& context, const std::vector<std::string>& attachment_ids);

struct NewFileAttachment {
  std::string name;
  std::string content_type;
  std::string content;  // raw bytes; base64-encoded here
  std::string content_id;
  bool is_inline = false;
};
Request create_attachment(const RequestContext& context, const ItemId& parent,
                          const std::vector<NewFileAttachment>& attachments);

enum class BodyType { text, html };
enum class ConflictResolution { never_overwrite, auto_resolve, always_overwrite };
// UpdateItem SetItemField item:Body on one message (SaveOnly). With ConflictResolution
// never_overwrite and the ChangeKey the crawl saw, a message changed meanwhile is left alone.
Request update_item_body(const RequestContext& context, const ItemId& item, BodyType type, std::string_view body,
                         ConflictResolution conflict_resolution);
// CreateFolder: one folder per display name under `parent`, each with FolderClass `folder_class`
// ("IPF.Note": a mail folder). The answer has one response message per name, in order
// (ErrorFolderExists for a name the parent already has).
Request create_folder(const RequestContext& context, const FolderRef& parent,
                      const std::vector<std::string>& display_names, std::string_view folder_class = "IPF.Note");
Request move_item(const RequestContext& context, const std::vector<ItemId>& items, const FolderRef& to);

enum class DeleteType { hard_delete, soft_delete, move_to_deleted_items };
Request delete_item(const RequestContext& context, const std::vector<ItemId>& items, DeleteType type);

// XML-escapes UTF-8 text (see above); `attribute`: for a double-quoted attribute value.
std::string xml_escape(std::string_view text, bool attribute = false);
std::string base64_encode(std::string_view bytes);

}  // namespace mailprune::ews
