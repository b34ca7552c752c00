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
//   read_attachment_from  the same, from decoded byte `offset` to the end: with BINARY (not message/*)
//                  UID FETCH uid (BINARY.PEEK[s]<offset.4294967295-offset>) (IMAP partials need a count;
//                  this one reaches the end of any part under 4 GiB and never overflows 32 bits; Dovecot
//                  and Cyrus answer an empty string for a range past the end). Otherwise, or after a NO:
//                  BODY.PEEK decoded here and the first `offset` decoded bytes dropped; for identity
//                  encodings (7bit, 8bit, binary: message/* parts) decoded bytes are the encoded ones,
//                  so BODY.PEEK[s]<offset.n> lets the server skip them.
//
// Dropped connections (the server answers BYE to one message, or closes): Dovecot 2.3 says
// `* BYE FETCH failed: Internal error` to BINARY.SIZE or BINARY of a base64 part whose data ends
// part-way, every time. Retrying the mailbox would lose it whole, so when a BINARY.SIZE or
// BINARY.PEEK fetch loses the connection (imap::Error bye or connection) and the session was made
// with a SessionFactory, a fresh Session is opened, the folder EXAMINEd again (a changed UIDVALIDITY
// is a ConnectorError connection: the crawler starts over), and the fetch is treated like a NO:
//   BINARY.SIZE    what was in flight is re-sent one command at a time (then a drop names its
//                  command), the dropped range is split down to one message and section as for a NO,
//                  and that one keeps its estimate, is marked damaged and goes to sink.error();
//   BINARY.PEEK    the part is read with BODY.PEEK and decoded here (bytes the server already
//                  streamed are not sent to the sink twice); after a BYE read_attachment returns
//                  false (damaged), after a bare drop (maybe the network) what the decoding says.
// At most FetchSettings::max_reconnects_per_folder per folder: a server that drops everything still
// fails the mailbox (ConnectorError connection) in bounded time. Without a factory a drop is thrown.
// X-GUID (Dovecot) is asked for when the server does not offer OBJECTID; a BAD for it turns it off
// for the session and the batch is retried without it.
//
// actions(): the mailbox actions over this session (imap_actions.hpp: detach, reattach, move,
// remove, measured size), made on first use and living as long as the session. They SELECT folders
// read-write on the same connection (the crawl's next EXAMINE replaces that), and, when the
// connection was lost by an earlier call and the session was made with a SessionFactory, start
// on a fresh one (the caller's retry of an action whose reply was lost).
//
// traffic(): bytes as the sessions count them, logins (reconnects too) included; round_trips counts
// only the mailbox's work (what was waited for after each session was opened), so a repeat crawl of
// an unchanged mailbox reports 1.
//
// Errors: imap::Error (the connection failed) -> ConnectorError connection/protocol (the crawler
// retries on a fresh session); a NO to EXAMINE -> not_found. Not thread-safe (one thread at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "imap/imap_connector.hpp"
#include "imap/session.hpp"
#include "interface/connector.hpp"

namespace mailprune::imap {

class ImapActions;

class ImapMailboxSession final : public connector::MailboxSession {
 public:
  // Opens a fresh Session with the same settings (login included), for reconnecting after a drop
  // (see above). Throws imap::Error like Session::open.
  using SessionFactory = std::function<std::unique_ptr<Session>()>;

  // `reconnect` empty: a dropped connection is thrown, as for any other command.
  ImapMailboxSession(std::unique_ptr<Session> session, FetchSettings settings, SessionFactory reconnect = {},
                     ActionSettings action_settings = {});
  ~ImapMailboxSession() override;

  std::vector<connector::FolderState> list_folders() override;
  connector::FolderState crawl_folder(const connector::FolderState& current,
                                      const std::optional<connector::FolderState>& previous,
                                      connector::FolderSink& sink) override;
  bool read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                       const std::string& section, std::uint64_t limit, const connector::ContentSink& sink) override;
  bool read_attachment_from(const connector::FolderState& folder, const connector::MessageRef& message,
                            const std::string& section, std::uint64_t offset,
                            const connector::ContentSink& sink) override;
  // UID FETCH uid (BODY.PEEK[<section>.MIME]), EXAMINEing the folder first when needed.
  std::string read_part_header(const connector::FolderState& folder, const connector::MessageRef& message,
                               const std::string& section) override;
  connector::TrafficStats traffic() const override;
  connector::MailboxActions* actions() override;

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
  friend class ImapActions;

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
  // EXAMINEs the folder when needed, checks UIDVALIDITY, finds the part (BODYSTRUCTURE when not cached).
  PartInfo locate(const connector::FolderState& folder, std::uint32_t uid, const std::string& section);
  // Decoded bytes [offset, offset + limit) (limit 0: to the end) of the part.
  bool read_range(const connector::FolderState& folder, const connector::MessageRef& message,
                  const std::string& section, std::uint64_t offset, std::uint64_t limit,
                  const connector::ContentSink& sink);
  bool read_decoding(std::uint32_t uid, const std::string& section, const std::string& encoding, std::uint64_t offset,
                     std::uint64_t limit, const connector::ContentSink& sink);
  // imap_mailbox_session.cpp: the connection was lost (BYE, EOF)?
  static bool dropped(const Error& error);
  // A fresh session in place of one the server dropped, the same folder EXAMINEd again; throws
  // `cause` when there is no factory or the folder's reconnects are used up.
  void reconnect(const Error& cause);
  // For the actions: a fresh session in place of a dead one (nothing selected afterwards); throws
  // ConnectorError connection when there is no factory.
  void revive();

  bool has(std::string_view capability) const { return session_->has(capability); }
  bool enabled(std::string_view capability) const;
  std::string next_tag() { return session_->tags().next(); }

  std::unique_ptr<Session> session_;
  FetchSettings settings_;
  SessionFactory reconnect_;
  std::uint64_t round_trips_at_open_ = 0;
  connector::TrafficStats retired_;  // sessions replaced by reconnect() (their work, logins included)
  std::size_t reconnects_ = 0;       // in the folder below
  std::string reconnects_folder_;
  connector::FolderState selected_folder_;  // what examine() selected last, for reconnect()
  std::uint64_t bytes_for_content_ = 0;
  std::optional<bool> x_guid_;      // nullopt: not tried yet
  std::string selected_;            // server name of the folder selected, "" none
  bool selected_writable_ = false;  // selected_ was SELECTed (by the actions), not EXAMINEd
  std::optional<std::uint64_t> selected_uidvalidity_;
  std::uint32_t part_cache_uid_ = 0;            // the message whose parts part_cache_ describes (0: none)
  std::map<std::string, PartInfo> part_cache_;  // by content section
  ActionSettings action_settings_;
  std::unique_ptr<ImapActions> actions_;  // made by actions()
};

}  // namespace mailprune::imap
