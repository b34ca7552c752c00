// connector.hpp: the one interface between mailprune's server and the mail systems it cleans.
//
// Everything above connectors/ (crawl, reports, policy engine, apply) sees mailboxes only through
// these types; IMAP and EWS implement them (a Microsoft Graph connector fits the same shape: a
// folder tree, per-folder incremental sync with an opaque state, items with attachments, streamed
// attachment content). Nothing here names a protocol except as opaque identifiers.
//
// Threads: a Connector is shared by the worker threads of one source and must be thread-safe
// (open() is called concurrently). A MailboxSession belongs to one thread at a time.
// Errors: methods throw ConnectorError; per-item problems inside a folder go to the sink's
// error() and the crawl goes on.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mailprune::connector {

class MailboxActions;  // actions.hpp

// A folder with what is remembered about it between crawls.
struct FolderState {
  std::string name;         // decoded UTF-8, '/' as separator (INVENTORY.md)
  std::string server_name;  // as the server spells it: IMAP mailbox name (mUTF-7), EWS FolderId
  std::string special_use;  // "\\Sent", "\\Trash", "\\Archive", ... or ""
  // IMAP sync state.
  std::optional<std::uint64_t> uidvalidity;
  std::optional<std::uint64_t> uidnext;
  std::optional<std::uint64_t> highestmodseq;
  // EWS (or Graph) sync state: opaque.
  std::string sync_state;
  // From the folder listing when the server tells (LIST-STATUS / STATUS, EWS TotalCount/Size).
  std::optional<std::uint64_t> message_count;
  std::optional<std::uint64_t> size_bytes;
};

// Identifies a message inside its folder: an IMAP UID (under the folder's UIDVALIDITY) or an
// EWS ItemId. `change_key` is the version the crawl saw (IMAP MODSEQ in decimal, EWS ChangeKey;
// "" when the server offers none): actions use it to skip a message someone changed meanwhile
// (UNCHANGEDSINCE, ChangeKey conflicts) instead of overwriting it.
// `message_id` (the Message-ID header, "" when none) lets an action retried from a new process
// find the copy an earlier attempt made in another folder after its reply was lost.
struct MessageRef {
  std::uint64_t uid = 0;
  std::string item_id;
  std::string change_key;
  std::string message_id;
};

using Sha256 = std::array<std::uint8_t, 32>;

struct AttachmentRecord {
  std::string section;       // IMAP section ("2", "1.3") or EWS AttachmentId
  std::string name;          // decoded UTF-8 file name, "" when none
  std::string content_type;  // lower-case "type/subtype"
  std::uint64_t size = 0;    // decoded bytes (INVENTORY.md rule 6)
  bool size_exact = false;   // false: estimated from the encoded size
  bool is_inline = false;
  bool damaged = false;
  std::optional<Sha256> sha256;  // when the connector already has it
};

struct MessageRecord {
  MessageRef ref;
  std::uint64_t size = 0;                     // RFC822.SIZE / item:Size
  std::optional<std::int64_t> internal_date;  // unix seconds, UTC
  std::optional<std::int64_t> sent_date;      // Date: header, unix seconds
  std::string from_address;
  std::string subject;
  std::string message_id;
  std::string object_id;           // EMAILID / X-GUID / X-GM-MSGID, "" when none
  std::vector<std::string> flags;  // IMAP flags as the server spells them ("\\Seen")
  std::string protection;          // "signed", "encrypted", "calendar", "tnef" or ""
  std::string parse_error;         // non-empty: could not be parsed; no attachments
  std::vector<AttachmentRecord> attachments;
};

// Receives one folder's changes during crawl_folder().
class FolderSink {
 public:
  virtual ~FolderSink() = default;
  // First call. `full`: everything previously known about this folder is void (first crawl,
  // --full, UIDVALIDITY changed); the messages that follow are the whole folder.
  virtual void begin(bool full) = 0;
  // A message new to us, or whose metadata changed (flags).
  virtual void message(MessageRecord&& record) = 0;
  // A message that is gone (expunged, moved away).
  virtual void removed(const MessageRef& ref) = 0;
  // A problem with one message or range; the crawl goes on. `ref` may be null.
  virtual void error(const MessageRef* ref, const std::string& message) = 0;
};

// Decoded content, in order, in chunks. Return false to stop early.
using ContentSink = std::function<bool(std::string_view decoded)>;

struct TrafficStats {
  std::uint64_t bytes_received = 0;  // from the server, on the wire (after TLS, before inflate)
  std::uint64_t bytes_sent = 0;
  std::uint64_t round_trips = 0;        // commands waited for
  std::uint64_t bytes_for_content = 0;  // of which: attachment content fetched for hashing
};

class ConnectorError : public std::runtime_error {
 public:
  enum class Kind {
    authentication,  // credentials refused: retrying will not help
    not_found,       // mailbox or folder does not exist
    connection,      // connect/TLS failure, connection lost, timeout: retriable on a new connection
    protocol,        // the server said something we could not understand, or BAD
    refused,         // the server said NO
  };
  ConnectorError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }
  bool retriable() const { return kind_ == Kind::connection || kind_ == Kind::protocol; }

 private:
  Kind kind_;
};

// One mailbox, opened for work. Not thread-safe; may hold one or more server connections.
class MailboxSession {
 public:
  virtual ~MailboxSession() = default;

  // Every folder, with the server's current state of each.
  virtual std::vector<FolderState> list_folders() = 0;

  // Brings one folder up to date. `previous` is what the last complete crawl stored (nullopt:
  // never crawled, or a full crawl is wanted). Sends begin() first, then messages/removals.
  // Returns the state to remember for next time (stored together with the data).
  virtual FolderState crawl_folder(const FolderState& current, const std::optional<FolderState>& previous,
                                   FolderSink& sink) = 0;

  // Streams the decoded content of one attachment to `sink`, at most `limit` bytes (0: all).
  // Returns true when the content ended cleanly (false: decoding skipped invalid input).
  virtual bool read_attachment(const FolderState& folder, const MessageRef& message, const std::string& section,
                               std::uint64_t limit, const ContentSink& sink) = 0;

  // The decoded content from byte `offset` to the end: finishes a hash whose first `offset`
  // bytes were hashed by an earlier prefix read, so those bytes do not travel twice. This default
  // reads from the start and drops the first `offset` bytes; connectors that can fetch a range
  // (IMAP BINARY partial fetch) override it.
  virtual bool read_attachment_from(const FolderState& folder, const MessageRef& message, const std::string& section,
                                    std::uint64_t offset, const ContentSink& sink) {
    std::uint64_t skipped = 0;
    return read_attachment(folder, message, section, 0, [&](std::string_view chunk) {
      if (skipped < offset) {
        std::uint64_t drop = std::min<std::uint64_t>(offset - skipped, chunk.size());
        skipped += drop;
        chunk.remove_prefix(static_cast<std::size_t>(drop));
        if (chunk.empty()) return true;
      }
      return sink(chunk);
    });
  }

  // The MIME header fields of one part exactly as they are in the message (IMAP
  // BODY.PEEK[<section>.MIME]), CRLF-terminated, without the blank line that ends them: what undo
  // needs to put a detached attachment back as it was (actions.hpp Reattachment::original_header).
  // Throws ConnectorError not_found when the message or part is gone; this default refuses (a
  // connector whose attachments have no MIME header, such as EWS).
  virtual std::string read_part_header(const FolderState& /*folder*/, const MessageRef& /*message*/,
                                       const std::string& /*section*/) {
    throw ConnectorError(ConnectorError::Kind::refused, "this connector cannot read a part's MIME header");
  }

  virtual TrafficStats traffic() const = 0;

  // What can be done to this mailbox (actions.hpp), or null for a connector that can only
  // inventory. Owned by the session (IMAP: imap/imap_actions.hpp; EWS: ews/ews_actions.hpp).
  virtual MailboxActions* actions() { return nullptr; }
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string kind() const = 0;  // "imap", "ews"
  // Opens a mailbox by its address (login name or SMTP address). Throws ConnectorError.
  virtual std::unique_ptr<MailboxSession> open(const std::string& mailbox) = 0;
};

}  // namespace mailprune::connector
