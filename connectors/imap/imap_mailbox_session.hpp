// imap_mailbox_session.hpp: connector::MailboxSession over one imap::Session (one connection,
// logged in as the mailbox). Made by ImapConnector::open(); tests build it on a scripted Session.
//
// Round trips (the cost that matters on a WAN):
//   list_folders   LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT UIDVALIDITY
//                  [HIGHESTMODSEQ] [SIZE])): one round trip for the whole mailbox. Without
//                  LIST-STATUS: LIST, then one STATUS per folder, pipelined.
//   crawl_folder   unchanged folder (same UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ as `previous`; without
//                  CONDSTORE: same UIDNEXT and MESSAGES as the stored count): begin(false), nothing sent.
//                  Otherwise EXAMINE (read-only):
//                   - QRESYNC enabled and a previous state under the same UIDVALIDITY: EXAMINE with
//                     QRESYNC (uidvalidity modseq); VANISHED (EARLIER) gives the removals and the FETCH
//                     replies the changed and new UIDs, whose full metadata is then fetched (a message()
//                     record is complete for the store: flags alone would drop its attachments);
//                   - CONDSTORE only: EXAMINE (CONDSTORE), UID SEARCH ALL and
//                     UID FETCH 1:* (UID) (CHANGEDSINCE m) pipelined; removals are the gaps (below the
//                     previous UIDNEXT) in the server's UID list, new UIDs are those at or above it;
//                   - neither: the same without CHANGEDSINCE (flag changes go unseen until a full crawl);
//                   - first crawl, --full, new UIDVALIDITY, too many gaps: begin(true) and everything.
//                  Metadata: UID FETCH <500 UIDs> (UID RFC822.SIZE INTERNALDATE FLAGS ENVELOPE
//                  BODYSTRUCTURE [MODSEQ] [EMAILID | X-GUID]) (MODSEQ: the change_key) pipelined `window` deep; then,
//                  with BINARY, UID FETCH <UIDs> (UID BINARY.SIZE[s]...) for the attachments whose size is only an
//                  estimate, messages grouped by identical section lists. A NO on a range is split in
//                  halves down to one message, then one section; what still fails keeps its estimate
//                  (size_exact false), is marked damaged when the server says the content is broken
//                  ([PARSE], [UNKNOWN-CTE], [CORRUPTION]), and goes to sink.error(). Records go to the sink
//                  after each window of batches: memory is bounded by window x batch messages.
//   read_attachment EXAMINE when another folder is selected, UID FETCH uid (BODYSTRUCTURE) (skipped
//                  when the previous read was of the same message; not pipelined with what follows, see
//                  attachment_read.cpp), then UID FETCH uid (BINARY.PEEK[s]<0.n>) streamed to the
//                  ContentSink. Without BINARY, when the server
//                  refuses to decode the part, or for message/* parts (Dovecot's BINARY of a message/rfc822
//                  part decodes the embedded message's own parts; INVENTORY.md wants its raw bytes):
//                  BODY.PEEK[s]<0.n'> decoded here as it streams, with the part's transfer encoding.
// X-GUID (Dovecot) is asked for when the server does not offer OBJECTID; a BAD for it turns it off
// for the session and the batch is retried without it.
//
// traffic(): bytes as the session counts them, login included; round_trips counts only the
// mailbox's work (what was waited for after the session was opened), so a repeat crawl of an
// unchanged mailbox reports 1.
//
// Errors: imap::Error (the connection failed) -> ConnectorError connection/protocol (the crawler
// retries on a fresh session); a NO to EXAMINE -> not_found. Not thread-safe (one thread at a time).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "imap/imap_connector.hpp"
#include "imap/session.hpp"
#include "interface/connector.hpp"

namespace mailprune::imap {

class ImapMailboxSession final : public connector::MailboxSession {
 public:
  ImapMailboxSession(std::unique_ptr<Session> session, FetchSettings settings);
  ~ImapMailboxSession() override;

  std::vector<connector::FolderState> list_folders() override;
  connector::FolderState crawl_folder(const connector::FolderState& current,
                                      const std::optional<connector::FolderState>& previous,
                                      connector::FolderSink& sink) override;
  bool read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                       const std::string& section, std::uint64_t limit, const connector::ContentSink& sink) override;
  connector::TrafficStats traffic() const override;

  // What EXAMINE told (also used by tests).
  struct Selected {
    std::string server_name;
    std::optional<std::uint64_t> uidvalidity;
    std::optional<std::uint64_t> uidnext;
    std::optional<std::uint64_t> highestmodseq;
    std::uint64_t exists = 0;
    SequenceSet vanished;                // QRESYNC VANISHED (EARLIER)
    std::vector<std::uint32_t> changed;  // UIDs of QRESYNC FETCH replies
  };

 private:
  // folder_crawl.cpp
  Selected examine(const connector::FolderState& folder, const std::optional<connector::FolderState>& previous,
                   std::vector<Command> follow_ups, std::vector<CommandResult>* follow_up_results);
  void fetch_messages(const std::vector<std::uint32_t>& uids, connector::FolderSink& sink);
  std::vector<std::string> metadata_items() const;
  // binary_sizes.cpp
  void fill_binary_sizes(std::vector<connector::MessageRecord>& records, connector::FolderSink& sink);
  // attachment_read.cpp
  struct PartInfo {
    bool message = false;           // message/*: read raw (BODY.PEEK), see attachment_read.cpp
    std::string transfer_encoding;  // lower-case, "" when absent
  };
  void part_info_from(const CommandResult& result, std::uint32_t uid);
  void cache_parts(const mime::MimePart& part);
  bool read_decoding(std::uint32_t uid, const std::string& section, const std::string& encoding, std::uint64_t limit,
                     const connector::ContentSink& sink);

  bool has(std::string_view capability) const { return session_->has(capability); }
  bool enabled(std::string_view capability) const;
  std::string next_tag() { return session_->tags().next(); }

  std::unique_ptr<Session> session_;
  FetchSettings settings_;
  std::uint64_t round_trips_at_open_ = 0;
  std::uint64_t bytes_for_content_ = 0;
  std::optional<bool> x_guid_;  // nullopt: not tried yet
  std::string selected_;        // server name of the folder selected, "" none
  std::optional<std::uint64_t> selected_uidvalidity_;
  std::uint32_t part_cache_uid_ = 0;            // the message whose parts part_cache_ describes (0: none)
  std::map<std::string, PartInfo> part_cache_;  // by content section
};

}  // namespace mailprune::imap
