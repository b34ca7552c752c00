// inventory_store.hpp: writes one mailbox's crawl into PostgreSQL as ONE transaction.
//
// A MailboxCrawl opens a transaction on a connection, reads what the last complete crawl stored
// about the mailbox's folders (the `previous` states handed to crawl_folder), then streams every
// FolderSink event of every folder through a single COPY into a temporary staging table, so memory
// stays flat however big the mailbox is. commit() ends the COPY and merges the stage with
// set-based SQL:
//   * folders upserted by name with their new sync state; folders not crawled this time (gone
//     from the server, or abandoned because the server said they do not exist) are deleted with
//     their messages;
//   * a folder crawled in full (FolderSink::begin(true)) keeps exactly the messages it was sent;
//     when its UIDVALIDITY changed, every message stored under the old one is dropped first;
//   * otherwise the latest event per message wins: message() upserts it, removed() deletes it;
//   * a message() record is complete: its attachments replace the stored ones, matched by section.
//     Under one (UIDVALIDITY, UID), or one EWS item_id, content never changes, so a matched
//     attachment keeps its sha256/prefix_sha256 and an exact size learnt earlier (BINARY.SIZE or
//     hashing) wins over a new estimate. Only when both sizes are exact and differ are the hashes
//     dropped;
//   * message/attachment totals of the folders that changed, and the mailbox's totals and
//     last_crawled_at, are rewritten.
// Nothing is visible to others before commit(); destroying a MailboxCrawl without commit() (an
// exception, a connector failure) rolls everything back, and a killed process leaves the previous
// complete inventory, since PostgreSQL never commits half a transaction.
//
// Per-item errors reported through the sinks are kept in memory (at most `max_errors`, plus a line
// saying how many more) for the caller to record in their own transaction (crawl_records.hpp)
// whether or not the mailbox commits.
//
// Threads: one MailboxCrawl per thread, on that thread's own connection, which it occupies (an open
// COPY) from construction to commit/destruction.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interface/connector.hpp"
#include "inventory/copy_stage.hpp"
#include "inventory/crawl_records.hpp"

namespace mailprune::inventory {

// A mailbox's totals as stored after commit (the mailbox row).
struct MailboxTotals {
  std::uint64_t folders = 0;
  std::uint64_t messages = 0;
  std::uint64_t message_bytes = 0;
  std::uint64_t attachments = 0;
  std::uint64_t attachment_bytes = 0;
};

class MailboxCrawl {
 public:
  // Called for every message() event, from the crawling thread, with the message's size.
  using MessageObserver = std::function<void(std::uint64_t message_bytes)>;

  MailboxCrawl(pqxx::connection& connection, int mailbox_id, std::size_t max_errors = 1000);
  MailboxCrawl(const MailboxCrawl&) = delete;
  MailboxCrawl& operator=(const MailboxCrawl&) = delete;
  ~MailboxCrawl();  // without commit(): rolled back

  // What the last committed crawl remembered about this folder (by decoded name), or nullopt.
  std::optional<connector::FolderState> previous(const std::string& folder_name) const;

  // Starts staging one folder; the sink is valid until finish_folder()/abandon_folder().
  connector::FolderSink& start_folder(const connector::FolderState& current);
  // The folder's crawl completed: `state` (what crawl_folder returned) is stored with its data.
  void finish_folder(const connector::FolderState& state);
  // The folder could not be crawled (e.g. not_found: deleted since the listing). What was staged
  // for it is ignored and the folder is dropped from the inventory; `reason` is recorded.
  void abandon_folder(const std::string& reason);

  // Merges the stage and commits. Returns the mailbox's new totals.
  MailboxTotals commit();

  void set_message_observer(MessageObserver observer) { observer_ = std::move(observer); }

  // Counters of what was staged (messages and attachments received this crawl).
  std::uint64_t messages_staged() const { return messages_; }
  std::uint64_t attachments_staged() const { return attachments_; }
  std::uint64_t folders_staged() const { return folders_; }

  // Errors reported so far (moves them out).
  std::vector<ItemError> take_errors();
  std::uint64_t error_count() const { return error_count_; }

 private:
  class Sink;
  friend class Sink;
  void add_error(ItemError error);
  void write_event(const std::array<std::string, 30>& row);
  void merge();

  pqxx::connection& connection_;
  int mailbox_id_;
  std::size_t max_errors_;
  std::unique_ptr<pqxx::work> tx_;
  std::unique_ptr<CopyStage<30>> stage_;
  std::unique_ptr<Sink> sink_;
  std::map<std::string, connector::FolderState> previous_;
  MessageObserver observer_;
  std::string current_folder_;
  std::int64_t folder_seq_ = -1;
  std::int64_t event_seq_ = 0;
  std::uint64_t messages_ = 0;
  std::uint64_t attachments_ = 0;
  std::uint64_t folders_ = 0;
  std::uint64_t error_count_ = 0;
  std::vector<ItemError> errors_;
};

}  // namespace mailprune::inventory
