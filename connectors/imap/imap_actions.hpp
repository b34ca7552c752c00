// imap_actions.hpp: connector::MailboxActions over IMAP, for one ImapMailboxSession (its
// connection). Returned by ImapMailboxSession::actions(); lives as long as the session.
//
// Every action SELECTs the folder read-write (kept for the next action in the same folder) and
// first checks UIDVALIDITY against FolderState::uidvalidity: another value means the UIDs the crawl
// stored name nothing any more, so the action answers Outcome::changed (re-crawl), doing nothing.
// "The message changed" is its MODSEQ differing from MessageRef::change_key (CONDSTORE; without
// CONDSTORE, or with an empty change_key, there is nothing to compare and the check is skipped).
//
// detach (and reattach, its inverse: the same steps, a different message built):
//   1. UID SEARCH UID <uid+1>:* HEADER X-Mailprune-Action <action_id> (reattach:
//      X-Mailprune-Restored) together with UID FETCH <uid> (MODSEQ FLAGS INTERNALDATE BODYSTRUCTURE),
//      pipelined: a copy an earlier attempt uploaded (candidates are checked for the exact value,
//      SEARCH HEADER being a substring match), and the original as it is now.
//      A copy found: the copy is verified (step 4) and the attempt resumes at step 5,
//      on_step(uploaded) and (verified) being called again for it (the journal records steps
//      idempotently); the original changed meanwhile (and not \Deleted by us): the copy is removed,
//      changed. No copy: the original gone -> not_found, its MODSEQ changed -> changed, a section
//      to detach not in its BODYSTRUCTURE -> not_found; the body of a single-part message (section
//      "1"), or a multipart, as the section to detach -> ConnectorError refused (mime::splice_message
//      cannot put a notice in a single part's place either).
//   2. The replacement: the new top-level header fields ("X-Mailprune-Action: <action_id>" then the
//      provenance pairs, in that order) before the original header, each detached part replaced by
//      mime::notice_part() (which carries "X-Mailprune-Notice: <action_id>; section=<s>"). Action
//      ids and provenance must fit a header line (else ConnectorError refused). Reattach: the detach's
//      fields taken off (strip_detach_fields(): its X-Mailprune-Action and the run of X-Mailprune-*
//      fields after it, so provenance names should start with "X-Mailprune-"),
//      "X-Mailprune-Restored: <action_id>" added, each notice part (which must carry
//      "X-Mailprune-Notice: <detach_action_id>", else ConnectorError refused, nothing done) replaced
//      by mime::encode_part(original_header, content).
//   3. Upload, keeping INTERNALDATE and flags (\Recent dropped):
//      - detach with CATENATE offered and ActionSettings::catenate on: APPEND CATENATE with TEXT for
//        the new bytes and URLs for everything kept (detach_message.hpp: the plan, and what it does
//        not reproduce: multipart preambles/epilogues on the path to a detached part); a structure
//        the plan cannot express, or NO [BADURL] / BAD from the server, falls back to:
//      - APPEND of the whole message (UID FETCH BODY.PEEK[], mime::splice_message), as a
//        non-synchronising literal with LITERAL+ (one round trip), else synchronising. Reattach
//        always uploads this way (the content has to travel anyway).
//      The new UID from APPENDUID (UIDPLUS), else from the header search of step 1. A NO to APPEND
//      -> ConnectorError refused (nothing uploaded). on_step(uploaded, new message).
//   4. Verify (UID FETCH of the new message): BODYSTRUCTURE equal to the original's outside the
//      replaced sections (types, encodings, sizes, shape), a notice of this action at each detached
//      section (reattach: no notice there, the content type as recorded, the encoded size the one
//      sent; not BINARY.SIZE, which Dovecot 2.3.19 misreports for some base64 parts), the marker
//      header field, INTERNALDATE and flags (but \Recent and \Deleted) as the original's. A
//      mismatch: the new copy is removed as in step 5 and
//      ConnectorError protocol is thrown (the original untouched). on_step(verified, new message
//      with its MODSEQ as change_key).
//   5. Remove the original: UID STORE <uid> (UNCHANGEDSINCE <modseq>) +FLAGS.SILENT (\Deleted) and
//      UID EXPUNGE <uid> (UIDPLUS). MODIFIED (someone changed it since step 1): the new copy is
//      removed instead and the outcome is changed. On resume, an original already flagged
//      \Deleted is taken as flagged by the earlier attempt: no UNCHANGEDSINCE then, and without
//      UIDPLUS nothing more (that attempt put it in the quarantine before flagging it).
//      on_step(original_removed, old message). Result: done, the new message (UID, MODSEQ,
//      Message-ID as in the request).
//   Without UIDPLUS, never a plain EXPUNGE (it would also remove what other clients flagged):
//   "removing" a message means moving it to ActionSettings::quarantine_folder (created when
//   missing): UID MOVE after a fresh MODSEQ check (MOVE has no UNCHANGEDSINCE: a change in that
//   one round trip goes unseen), or without MOVE: UID COPY there, then UID STORE (UNCHANGEDSINCE)
//   +FLAGS.SILENT (\Deleted), the original left flagged in place for the user's client to expunge
//   (a MODIFIED then leaves a harmless extra copy in the quarantine).
// move: the target ('/'-separated, decoded) is mapped to the server's hierarchy delimiter (LIST ""
//   "") and modified UTF-7, created level by level when missing. Original gone: when
//   MessageRef::message_id is set and the target holds a message with that Message-ID (UID SEARCH
//   HEADER Message-ID), done with it (the retry of a move whose reply was lost), else not_found.
//   MODSEQ changed -> changed. UID MOVE (RFC 6851; new UID from COPYUID). Without MOVE: UID COPY
//   (COPYUID), UID STORE (UNCHANGEDSINCE) +FLAGS.SILENT (\Deleted) (MODIFIED: the copy is removed
//   from the target when UIDPLUS allows, and the outcome is changed), UID EXPUNGE <uid> with
//   UIDPLUS; without UIDPLUS the original stays in place flagged \Deleted (done: the user's client
//   expunges it; never a plain EXPUNGE). A retried COPY-path move whose reply was lost may leave
//   two copies in the target: a duplicate, never a loss. The moved message's MODSEQ (change_key)
//   is read by SELECTing the target (CONDSTORE), and its UID found by Message-ID when the server
//   sent no COPYUID (MoveResult::message.uid 0 when neither tells).
// remove: permanent and recoverable: step 5 above (quarantine without UIDPLUS); to_deleted_items:
//   moved as by move() to the \Trash special-use folder (LIST (SPECIAL-USE)), or "Trash" (created
//   when missing); a message already there stays (done). A retry after a lost reply finds the
//   message gone: not_found.
// measured_size: GETQUOTAROOT INBOX, STORAGE usage (KiB) x 1024, when QUOTA is offered and
//   answers; else the sum of STATUS (SIZE) over the folders (STATUS=SIZE); else nullopt.
//
// Errors: imap::Error (connection lost, timeout, BYE) -> ConnectorError connection: when it hit a
// mutating command the outcome is unknown, and the caller retries the whole action, which checks
// the server first as above (the next action starts on a fresh connection when the session has a
// SessionFactory). A NO -> ConnectorError refused, a BAD or an unreadable answer -> protocol.
// An exception from on_step propagates at once, leaving the server as that step left it.
// Traffic: every command goes through the session, so MailboxSession::traffic() counts it;
// last_action() tells the bytes one action sent and which upload it used (tests, benchmarks).
// Not thread-safe (the session's thread).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "imap/imap_connector.hpp"
#include "imap/session.hpp"
#include "interface/actions.hpp"

namespace mailprune::imap {

class ImapMailboxSession;

class ImapActions final : public connector::MailboxActions {
 public:
  ImapActions(ImapMailboxSession& mailbox, ActionSettings settings);

  connector::DetachResult detach(const connector::FolderState& folder,
                                 const connector::DetachRequest& request) override;
  connector::DetachResult reattach(const connector::FolderState& folder,
                                   const connector::ReattachRequest& request) override;
  connector::MoveResult move(const connector::FolderState& folder, const connector::MessageRef& message,
                             const std::string& target_folder, const std::string& action_id) override;
  connector::Outcome remove(const connector::FolderState& folder, const connector::MessageRef& message,
                            connector::RemoveMode mode) override;
  std::optional<std::uint64_t> measured_size() override;

  struct LastAction {
    std::string upload;              // "catenate", "append", or "" (nothing uploaded)
    std::uint64_t upload_bytes = 0;  // of the APPEND command (what the upload put on the wire before COMPRESS)
    std::uint64_t bytes_sent = 0;    // on the wire by the whole action (after COMPRESS)
  };
  [[nodiscard]] const LastAction& last_action() const { return last_; }

  class RewriteSpec;  // imap_rewrite.cpp: what detach and reattach build and check

 private:
  // ---- imap_actions.cpp: session plumbing, selection, removal, folders
  Session& session();
  CommandResult run(const Command& command);
  bool has(std::string_view capability);
  bool condstore();
  // Brackets one action: starts on a fresh session when the last one died, resets last_action(),
  // and fills its bytes_sent at the end (however the action ends).
  class Scope {
   public:
    explicit Scope(ImapActions& actions);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ImapActions& actions_;
  };
  // SELECTs `folder` (unless already); false when its UIDVALIDITY differs from the crawl's.
  bool select(const connector::FolderState& folder);
  // UID FETCH <uid> (items); the merged FETCH data for that UID, nullopt when it is not there.
  std::optional<FetchMessage> fetch(std::uint32_t uid, const std::vector<std::string>& items);
  static std::optional<FetchMessage> message_in(std::vector<Response>& untagged, std::uint32_t uid);
  // The message changed since `ref` was taken (MODSEQ vs change_key)?
  bool stale(const FetchMessage& now, const connector::MessageRef& ref);
  // UIDs above `above` whose header has `name: value` exactly, ascending.
  std::vector<std::uint32_t> search_header(const std::string& name, const std::string& value, std::uint32_t above);
  Command header_search(const std::string& name, const std::string& value, std::uint32_t above);
  // The UIDs of a header_search() reply whose value is exact (one more UID FETCH when any).
  std::vector<std::uint32_t> exact_matches(const std::vector<Response>& untagged, const std::string& name,
                                           const std::string& value, std::uint32_t above);
  enum class Retired { done, modified };
  // Removes one message of the selected folder (see the header: EXPUNGE or quarantine).
  Retired retire(std::uint32_t uid, std::optional<std::uint64_t> unchanged_since);
  // The wire name of a decoded '/'-separated folder name.
  Mailbox wire_name(const std::string& decoded);
  // Creates `decoded` (and its parents) when missing; returns its wire name.
  Mailbox ensure_folder(const std::string& decoded);
  // UID MOVE, or UID COPY + \Deleted (+ UID EXPUNGE): see move() above. The new UID when told.
  struct Transfer {
    connector::Outcome outcome = connector::Outcome::done;
    std::optional<std::uint32_t> new_uid;
  };
  Transfer transfer(std::uint32_t uid, std::optional<std::uint64_t> unchanged_since, const Mailbox& target,
                    const std::string& target_decoded);
  // The message moved to `target` as a MessageRef (UID from COPYUID or by Message-ID, MODSEQ).
  connector::MessageRef locate_moved(const Mailbox& target, const std::string& target_decoded,
                                     std::optional<std::uint32_t> uid, const std::string& message_id,
                                     const connector::MessageRef& original);
  std::string trash_folder();

  // ---- imap_rewrite.cpp: detach / reattach
  connector::DetachResult rewrite(const connector::FolderState& folder, const connector::MessageRef& ref,
                                  RewriteSpec& spec);
  std::uint32_t upload(const connector::FolderState& folder, const FetchMessage& original, RewriteSpec& spec,
                       bool& gone);
  std::optional<std::string> fetch_raw(std::uint32_t uid);
  std::string verify(std::uint32_t uid, const FetchMessage* original, RewriteSpec& spec, FetchMessage& now);
  connector::DetachResult finish(const FetchMessage& original, bool resumed, const connector::MessageRef& ref,
                                 const connector::MessageRef& fresh, RewriteSpec& spec);

  ImapMailboxSession& mailbox_;
  ActionSettings settings_;
  std::optional<char> delimiter_;  // the server's hierarchy delimiter, once asked
  bool delimiter_known_ = false;
  std::set<std::string> known_folders_;  // wire names seen to exist
  std::optional<std::string> trash_;     // the \Trash folder's decoded name, once found
  std::uint64_t bytes_at_start_ = 0;
  LastAction last_;
};

}  // namespace mailprune::imap
