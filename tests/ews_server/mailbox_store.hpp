// mailbox_store.hpp: the EWS test server's mailboxes, in memory — folders, items, attachments,
// Exchange-style ids and ChangeKeys, and the per-folder change sequence SyncFolderItems reads.
//
// Model:
//  - each mailbox has root ("root") > msgfolderroot ("Top of Information Store") > Inbox
//    ("inbox", IMAP's INBOX), Deleted Items ("deleteditems") and the loaded folders by their
//    '/' path (parents created as needed);
//  - every item, folder and attachment has a number unique in the store; ids are opaque base64
//    strings that encode it (ids.hpp); ChangeKeys encode a change counter bumped on each change;
//  - each folder has a change sequence: creating an item in it, changing it, or removing it
//    (delete or move out) takes the next number; removed items leave a tombstone, so
//    SyncFolderItems can report Create / Update / Delete since any earlier sequence number.
//
// Not thread-safe: the server serialises access with its own mutex.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ews_server/mime_item.hpp"

namespace mailprune::ews_test {

struct StoredAttachment {
  std::uint32_t number = 0;  // within its item, from 1, never reused
  MimeAttachment mime;
  std::int64_t size() const { return mime.content ? static_cast<std::int64_t>(mime.content->size()) : 0; }
};

struct StoredItem {
  std::uint64_t number = 0;
  std::string mailbox;
  std::uint64_t folder = 0;
  std::shared_ptr<const std::string> raw;  // the message as loaded
  std::int64_t size = 0;                   // item:Size (raw size, adjusted by attachment changes)
  std::time_t received = 0;
  std::time_t last_modified = 0;
  MimeItem mime;  // properties; attachments live in `attachments`
  std::vector<StoredAttachment> attachments;
  std::uint32_t next_attachment = 1;
  bool is_read = false;
  bool is_flagged = false;
  std::uint64_t change = 1;        // ChangeKey counter
  std::uint64_t created_seq = 0;   // folder sequence when it arrived in its folder
  std::uint64_t modified_seq = 0;  // folder sequence of its last change there
};

struct Tombstone {
  std::uint64_t item = 0;
  std::uint64_t created_seq = 0;
  std::uint64_t deleted_seq = 0;
};

struct StoredFolder {
  std::uint64_t number = 0;
  std::string mailbox;
  std::uint64_t parent = 0;   // 0 for root
  std::string name;           // display name (last path component)
  std::string path;           // '/' path from msgfolderroot; "" for root and msgfolderroot
  std::string distinguished;  // "root", "msgfolderroot", "inbox", "deleteditems" or ""
  std::string folder_class = "IPF.Note";
  std::uint64_t change = 1;
  std::uint64_t hierarchy_seq = 0;   // mailbox hierarchy sequence when created
  std::uint64_t seq = 0;             // item change sequence
  std::vector<std::uint64_t> items;  // item numbers, arrival order
  std::vector<Tombstone> tombstones;
};

struct Mailbox {
  std::string address;  // lower case SMTP address
  std::string display_name;
  std::uint64_t root = 0, msgfolderroot = 0, inbox = 0, deleteditems = 0;
  std::uint64_t hierarchy_seq = 0;
};

class MailboxStore {
 public:
  // Creates the mailbox and its well-known folders; no-op when it exists.
  Mailbox& add_mailbox(const std::string& address, const std::string& display_name = {});
  Mailbox* mailbox(const std::string& address);
  std::vector<std::string> mailbox_addresses() const;

  // The folder at `path` ('/' separated, "INBOX" = Inbox), created with its parents if needed.
  StoredFolder& folder_at(const std::string& address, const std::string& path);
  StoredFolder* folder(std::uint64_t number);
  // A new child of `parent` named `name` (CreateFolder); nullptr when `parent` already has a
  // child of that display name (ErrorFolderExists), compared case-insensitively as Exchange does.
  StoredFolder* add_folder(StoredFolder& parent, const std::string& name);
  StoredFolder* distinguished_folder(const std::string& address, const std::string& id);
  std::vector<StoredFolder*> children(std::uint64_t folder);
  std::vector<StoredFolder*> folders_of(const std::string& address);  // tree order, root first

  // Adds a message (parsed with GMime) to a folder; returns the item.
  StoredItem& add_item(StoredFolder& folder, std::string raw, std::time_t received, bool is_read, bool is_flagged);
  StoredItem* item(std::uint64_t number);
  // Records a change of `item` (bumps ChangeKey and its folder's sequence).
  void touch(StoredItem& item);
  // Moves `item` (the reference is invalid afterwards); returns its new number, as Exchange
  // gives a moved item a new ItemId.
  std::uint64_t move_item(StoredItem& item, StoredFolder& target);
  void delete_item(std::uint64_t number);

  std::int64_t folder_size(const StoredFolder& folder) const;
  std::uint64_t folder_total(const StoredFolder& folder) const { return folder.items.size(); }

 private:
  std::uint64_t next_number_ = 1;
  std::map<std::string, Mailbox> mailboxes_;
  std::map<std::uint64_t, StoredFolder> folders_;
  std::map<std::uint64_t, StoredItem> items_;

  StoredFolder& create_folder(Mailbox& mailbox, std::uint64_t parent, const std::string& name, const std::string& path,
                              const std::string& distinguished);
};

}  // namespace mailprune::ews_test
