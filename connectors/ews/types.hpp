// types.hpp: the EWS data model shared by the request builders (requests.hpp) and the response
// parser (responses.hpp): ids, folders, items and attachments, as Exchange spells them.
//
// Plain data, cheap to copy, no I/O. Strings are UTF-8 exactly as they appear in the XML (entities
// resolved); numbers are what the server reported (std::nullopt when the element was absent).
// Dates stay xs:dateTime text here; parse_date_time() turns them into unix seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprune::ews {

// t:ItemId. The ChangeKey is the item's version: UpdateItem / CreateAttachment with a stale one
// fail with ErrorIrresolvableConflict instead of overwriting someone else's change.
struct ItemId {
  std::string id;
  std::string change_key;  // "" when not known
  friend bool operator==(const ItemId&, const ItemId&) = default;
};

// A folder to address in a request: a FolderId (id + optional change key) or a distinguished
// folder name ("msgfolderroot", "inbox", "deleteditems", ...).
struct FolderRef {
  std::string id;
  std::string change_key;
  bool distinguished = false;

  static FolderRef distinguished_folder(std::string name) { return FolderRef{std::move(name), {}, true}; }
  static FolderRef folder(std::string id, std::string change_key = {}) {
    return FolderRef{std::move(id), std::move(change_key), false};
  }
};

enum class AttachmentKind { file, item, reference };

// t:FileAttachment / t:ItemAttachment / t:ReferenceAttachment.
struct Attachment {
  AttachmentKind kind = AttachmentKind::file;
  std::string id;    // AttachmentId Id
  ItemId root_item;  // AttachmentId RootItemId / RootItemChangeKey (CreateAttachment)
  std::string name;
  std::string content_type;
  std::string content_id;
  std::string content_location;
  std::optional<std::uint64_t> size;  // what Exchange reports (see ews_mailbox_session.hpp)
  std::string last_modified_time;
  std::optional<bool> is_inline;
  std::optional<bool> is_contact_photo;
  // ItemAttachment: the embedded item's element ("Message", ...), class and subject when sent.
  std::string embedded_element;
  std::string embedded_item_class;
  std::string embedded_subject;
  // GetAttachment: t:Content (file) or the embedded item's t:MimeContent (item) was present; the
  // decoded bytes went to the content sink, never into this struct.
  bool has_content = false;
  std::uint64_t content_bytes = 0;  // decoded bytes seen (up to where the sink stopped)
  bool content_damaged = false;     // the base64 was not clean (mime::TransferDecoder::damaged)
};

// t:Mailbox (message:From and friends).
struct Mailbox {
  std::string name;
  std::string email_address;
  std::string routing_type;  // "SMTP", "EX", ...
};

// Any item: t:Message, t:CalendarItem, t:MeetingRequest, t:Contact, t:Task, t:PostItem, t:Item...
struct Item {
  std::string element;  // the element's local name: "Message", "MeetingRequest", ...
  ItemId id;
  std::string parent_folder_id;
  std::string item_class;  // "IPM.Note", "IPM.Note.SMIME", "IPM.Schedule.Meeting.Request", ...
  std::string subject;
  std::optional<std::uint64_t> size;
  std::string date_time_received;  // xs:dateTime text
  std::string date_time_sent;
  std::optional<bool> has_attachments;
  std::optional<bool> is_read;
  std::string flag_status;  // Flag/FlagStatus: "NotFlagged", "Flagged", "Complete" or ""
  Mailbox from;
  std::string internet_message_id;
  bool attachments_present = false;  // an item:Attachments element was sent (maybe empty)
  std::vector<Attachment> attachments;
};

// Any folder: t:Folder, t:CalendarFolder, t:ContactsFolder, t:SearchFolder, t:TasksFolder.
struct Folder {
  std::string element;  // local name: "Folder", "SearchFolder", ...
  ItemId id;            // FolderId (same shape as an ItemId)
  std::string parent_folder_id;
  std::string display_name;
  std::string folder_class;  // "IPF.Note", "IPF.Appointment", ... ("" when absent)
  std::optional<std::uint64_t> total_count;
  std::optional<std::uint64_t> child_folder_count;
  std::optional<std::uint64_t> unread_count;
  // Extended property PR_MESSAGE_SIZE_EXTENDED (tag 0x0E08, PT_I8 = "Long"): bytes in the folder.
  std::optional<std::uint64_t> size_bytes;
};

// xs:dateTime ("2024-03-01T12:34:56Z", "...56.123+01:00", no zone = UTC) to unix seconds.
std::optional<std::int64_t> parse_date_time(std::string_view text);

}  // namespace mailprune::ews
