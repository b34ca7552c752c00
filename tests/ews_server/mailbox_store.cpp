#include "ews_server/mailbox_store.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace mailprune::ews_test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

StoredFolder& MailboxStore::create_folder(Mailbox& mailbox, std::uint64_t parent, const std::string& name,
                                          const std::string& path, const std::string& distinguished) {
  std::uint64_t number = next_number_++;
  StoredFolder& folder = folders_[number];
  folder.number = number;
  folder.mailbox = mailbox.address;
  folder.parent = parent;
  folder.name = name;
  folder.path = path;
  folder.distinguished = distinguished;
  folder.hierarchy_seq = ++mailbox.hierarchy_seq;
  return folder;
}

Mailbox& MailboxStore::add_mailbox(const std::string& address, const std::string& display_name) {
  std::string key = lower(address);
  auto found = mailboxes_.find(key);
  if (found != mailboxes_.end()) return found->second;
  Mailbox& mailbox = mailboxes_[key];
  mailbox.address = key;
  mailbox.display_name = display_name.empty() ? key.substr(0, key.find('@')) : display_name;
  mailbox.root = create_folder(mailbox, 0, "", "", "root").number;
  mailbox.msgfolderroot = create_folder(mailbox, mailbox.root, "Top of Information Store", "", "msgfolderroot").number;
  mailbox.inbox = create_folder(mailbox, mailbox.msgfolderroot, "Inbox", "INBOX", "inbox").number;
  mailbox.deleteditems =
      create_folder(mailbox, mailbox.msgfolderroot, "Deleted Items", "Deleted Items", "deleteditems").number;
  return mailbox;
}

Mailbox* MailboxStore::mailbox(const std::string& address) {
  auto found = mailboxes_.find(lower(address));
  return found == mailboxes_.end() ? nullptr : &found->second;
}

std::vector<std::string> MailboxStore::mailbox_addresses() const {
  std::vector<std::string> out;
  for (const auto& [address, mailbox] : mailboxes_) out.push_back(address);
  return out;
}

StoredFolder& MailboxStore::folder_at(const std::string& address, const std::string& path) {
  Mailbox* owner = mailbox(address);
  if (owner == nullptr) throw std::runtime_error("no mailbox " + address);
  if (path == "INBOX" || path.empty()) return folders_.at(path.empty() ? owner->msgfolderroot : owner->inbox);
  StoredFolder* current = &folders_.at(owner->msgfolderroot);
  std::string walked;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::string component = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    walked += (walked.empty() ? "" : "/") + component;
    StoredFolder* next = nullptr;
    for (StoredFolder* child : children(current->number)) {
      if (child->path == walked || (walked == "INBOX" && child->distinguished == "inbox")) next = child;
    }
    if (next == nullptr) next = &create_folder(*owner, current->number, component, walked, "");
    current = next;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return *current;
}

StoredFolder* MailboxStore::add_folder(StoredFolder& parent, const std::string& name) {
  for (StoredFolder* child : children(parent.number)) {
    if (lower(child->name) == lower(name)) return nullptr;
  }
  Mailbox* owner = mailbox(parent.mailbox);
  if (owner == nullptr) throw std::runtime_error("no mailbox " + parent.mailbox);
  const std::string path = parent.number == owner->msgfolderroot ? name : parent.path + "/" + name;
  return &create_folder(*owner, parent.number, name, path, "");
}

StoredFolder* MailboxStore::folder(std::uint64_t number) {
  auto found = folders_.find(number);
  return found == folders_.end() ? nullptr : &found->second;
}

StoredFolder* MailboxStore::distinguished_folder(const std::string& address, const std::string& id) {
  Mailbox* owner = mailbox(address);
  if (owner == nullptr) return nullptr;
  if (id == "root") return folder(owner->root);
  if (id == "msgfolderroot") return folder(owner->msgfolderroot);
  if (id == "inbox") return folder(owner->inbox);
  if (id == "deleteditems") return folder(owner->deleteditems);
  return nullptr;
}

std::vector<StoredFolder*> MailboxStore::children(std::uint64_t parent) {
  std::vector<StoredFolder*> out;
  for (auto& [number, folder] : folders_) {
    if (folder.parent == parent && number != parent) out.push_back(&folder);
  }
  return out;
}

std::vector<StoredFolder*> MailboxStore::folders_of(const std::string& address) {
  std::vector<StoredFolder*> out;
  Mailbox* owner = mailbox(address);
  if (owner == nullptr) return out;
  std::function<void(StoredFolder*)> visit = [&](StoredFolder* folder) {
    out.push_back(folder);
    for (StoredFolder* child : children(folder->number)) visit(child);
  };
  visit(folder(owner->root));
  return out;
}

StoredItem& MailboxStore::add_item(StoredFolder& folder, std::string raw, std::time_t received, bool is_read,
                                   bool is_flagged) {
  std::uint64_t number = next_number_++;
  StoredItem& item = items_[number];
  item.number = number;
  item.mailbox = folder.mailbox;
  item.folder = folder.number;
  item.size = static_cast<std::int64_t>(raw.size());
  item.mime = parse_mime_item(raw);
  for (auto& attachment : item.mime.attachments) {
    item.attachments.push_back(StoredAttachment{item.next_attachment++, std::move(attachment)});
  }
  item.mime.attachments.clear();
  item.raw = std::make_shared<const std::string>(std::move(raw));
  item.received = received;
  item.last_modified = received;
  item.is_read = is_read;
  item.is_flagged = is_flagged;
  item.created_seq = item.modified_seq = ++folder.seq;
  folder.items.push_back(number);
  return item;
}

StoredItem* MailboxStore::item(std::uint64_t number) {
  auto found = items_.find(number);
  return found == items_.end() ? nullptr : &found->second;
}

void MailboxStore::touch(StoredItem& item) {
  ++item.change;
  item.last_modified = std::time(nullptr);
  item.modified_seq = ++folders_.at(item.folder).seq;
}

std::uint64_t MailboxStore::move_item(StoredItem& item, StoredFolder& target) {
  // Exchange gives a moved item a new ItemId: re-key it.
  StoredFolder& source = folders_.at(item.folder);
  source.items.erase(std::remove(source.items.begin(), source.items.end(), item.number), source.items.end());
  source.tombstones.push_back({item.number, item.created_seq, ++source.seq});
  std::uint64_t number = next_number_++;
  StoredItem moved = std::move(item);
  items_.erase(moved.number);
  moved.number = number;
  moved.folder = target.number;
  ++moved.change;
  moved.created_seq = moved.modified_seq = ++target.seq;
  target.items.push_back(number);
  items_[number] = std::move(moved);
  return number;
}

void MailboxStore::delete_item(std::uint64_t number) {
  StoredItem* found = item(number);
  if (found == nullptr) return;
  StoredFolder& source = folders_.at(found->folder);
  source.items.erase(std::remove(source.items.begin(), source.items.end(), number), source.items.end());
  source.tombstones.push_back({number, found->created_seq, ++source.seq});
  items_.erase(number);
}

std::int64_t MailboxStore::folder_size(const StoredFolder& folder) const {
  std::int64_t total = 0;
  for (std::uint64_t number : folder.items) total += items_.at(number).size;
  return total;
}

}  // namespace mailprune::ews_test
