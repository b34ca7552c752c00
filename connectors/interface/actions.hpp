// actions.hpp: what the policy engine asks a connector to do to a mailbox.
//
// Protocol-neutral like connector.hpp: IMAP carries these out with APPEND/CATENATE, UID STORE
// UNCHANGEDSINCE, UID EXPUNGE, MOVE; EWS with DeleteAttachment/CreateAttachment, MoveItem,
// DeleteItem. Every action names the message by the MessageRef the crawl stored, change_key
// included, and refuses (Outcome::changed) rather than overwrite a message that someone changed
// since: the caller re-crawls and re-plans.
//
// Safety contract (the journal in the server relies on it):
// - detach(): the new message (or, on EWS, the link) is in place and verified before the
//   attachment is removed; when the call returns `done`, both are true.
// - Every action is idempotent given its `action_id`: a retry after a crash or a lost reply finds
//   what the first attempt did (a copy marked with the id, the message already in the target)
//   instead of doing it twice.
// - Exceptions (ConnectorError) mean the outcome is unknown only when ConnectorError says so
//   (kind connection during a mutating step); the caller then checks the server state first.
//
// Not thread-safe: belongs to its MailboxSession.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "interface/connector.hpp"

namespace mailprune::connector {

enum class Outcome {
  done,       // carried out (or found already carried out by an earlier attempt)
  changed,    // the message changed since it was crawled (change_key): nothing done
  not_found,  // the message (or attachment) is not there any more: nothing done
};

// The journal's view inside detach()/reattach(): called after each step has been carried out on
// the server, with the message it concerns (for `uploaded` and `verified`: the new message; for
// `original_removed`: the old one). The caller records the step durably before returning; an
// exception thrown from the hook aborts the action right there (what a crash would do).
enum class ActionStep { uploaded, verified, original_removed };
using StepHook = std::function<void(ActionStep step, const MessageRef& message)>;

// One attachment to take out of a message, and what is left in its place for a person.
struct Detachment {
  std::string section;      // AttachmentRecord::section
  std::string notice_text;  // plain text: file name, size, date, link to the archived copy
  std::string notice_html;  // the same as an HTML fragment
  std::string file_name;    // the attachment's name (for the notice part's own name)
};

struct DetachRequest {
  MessageRef message;
  std::vector<Detachment> detachments;
  // Recorded on the message so that what was removed can be put back (IMAP: header fields of the
  // replacement; EWS: extended properties or the notice's own content). Name: value pairs.
  std::vector<std::pair<std::string, std::string>> provenance;
  std::string action_id;  // unique per action; makes retries idempotent
  StepHook on_step;       // may be empty
};

// Puts detached attachments back (undo): each notice part that detach() left is replaced by the
// original part, rebuilt from its MIME header as it was and its decoded content (re-encoded with
// the header's Content-Transfer-Encoding), so the attachment's decoded bytes are identical.
struct Reattachment {
  std::string section;          // the original attachment's section (Detachment::section)
  std::string original_header;  // the part's MIME header fields as they were, CRLF-terminated, no blank line
  std::string content;          // decoded content (verified against its SHA-256 by the caller)
  std::string file_name;
  std::string content_type;
};

struct ReattachRequest {
  MessageRef message;  // the message as detach() left it (DetachResult::message)
  std::vector<Reattachment> reattachments;
  std::string detach_action_id;  // the DetachRequest::action_id being undone
  std::string action_id;         // this undo's own id (idempotence, as for detach)
  StepHook on_step;              // may be empty
};

struct DetachResult {
  Outcome outcome = Outcome::done;
  MessageRef message;  // the message as it now is (a new UID / ChangeKey)
};

struct MoveResult {
  Outcome outcome = Outcome::done;
  MessageRef message;  // in the target folder
};

enum class RemoveMode {
  permanent,         // gone for good (IMAP: \Deleted + UID EXPUNGE; EWS: HardDelete)
  recoverable,       // kept by the server's own recovery (EWS SoftDelete; IMAP: as permanent)
  to_deleted_items,  // the user's Deleted Items / Trash
};

class MailboxActions {
 public:
  virtual ~MailboxActions() = default;

  virtual DetachResult detach(const FolderState& folder, const DetachRequest& request) = 0;

  // Undo of detach(): same safety contract (the restored message is verified before the one
  // with notices is removed). A connector that cannot put attachments back refuses.
  virtual DetachResult reattach(const FolderState& /*folder*/, const ReattachRequest& /*request*/) {
    throw ConnectorError(ConnectorError::Kind::refused, "this connector cannot put detached attachments back");
  }

  // Moves a message to `target_folder` (decoded, '/' separator), created when missing.
  virtual MoveResult move(const FolderState& folder, const MessageRef& message, const std::string& target_folder,
                          const std::string& action_id) = 0;

  virtual Outcome remove(const FolderState& folder, const MessageRef& message, RemoveMode mode) = 0;

  // The mailbox's size as the server measures it (quota usage, or the sum of folder sizes), for
  // "freed space, measured"; nullopt when the server tells nothing.
  virtual std::optional<std::uint64_t> measured_size() = 0;
};

}  // namespace mailprune::connector
