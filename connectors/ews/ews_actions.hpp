// ews_actions.hpp: connector::MailboxActions over EWS, for one EwsMailboxSession (its transport,
// its request context). Returned by EwsMailboxSession::actions(); lives as long as the session.
//
// Round trips and the safety contract of actions.hpp:
//   detach   GetItem IdOnly + item:Attachments (the ChangeKey, the attachments, notices already
//            there); GetAttachment of each earlier notice (a few KiB) to read its action id;
//            CreateAttachment of every missing notice in one request; only when all of them are
//            acknowledged with their new AttachmentId and listed by a second GetItem,
//            DeleteAttachment of the originals in one request. The message that comes back is the
//            RootItemId/RootItemChangeKey of the last DeleteAttachment answer. The notice is a FileAttachment "<name>
//            (archivé).html" (text/html, UTF-8): the caller's notice_html in a minimal HTML document whose <meta> tags
//            name the action id and the original AttachmentId, plus the provenance pairs, both as <meta> tags (machine-
//            readable) and as a small table (for a person). Provenance lives in the notice, not in
//            an extended property: it is written by the same CreateAttachment that places the link
//            (no second mutation, no extra ChangeKey bump, no window where one exists without the
//            other); it travels with the message through MIME/PST exports and migrations, which
//            drop custom MAPI named properties; and undo reads it with one GetAttachment.
//            Stale ChangeKey (the item's current one differs from the crawl's) and no notice of
//            this action in the message: Outcome::changed, nothing sent. A notice of this action
//            present means an earlier attempt of this very action changed the ChangeKey: the
//            attempt resumes (notices not created twice; originals already gone count as done).
//            ErrorItemNotFound on the item: not_found. An attachment to detach that is gone
//            without a notice of this action: not_found when nothing was done yet, else skipped.
//            CreateAttachment also carries the ChangeKey just read, so that a server which checks
//            it refuses a change made between the GetItem and the write (ErrorIrresolvableConflict
//            -> changed).
//            Steps (DetachRequest::on_step): uploaded once every notice is acknowledged (or found
//            from an earlier attempt); verified once a second GetItem lists the new notices;
//            original_removed after the DeleteAttachment (also when the originals were gone
//            already). Each is reported with the item's ChangeKey at that point.
//   reattach (undo, ews_reattach.cpp) GetItem + item:Attachments; GetAttachment of each notice to
//            find those of detach_action_id; a copy this undo already made is recognised as a
//            FileAttachment with the Reattachment's name listed after that notice (or anywhere
//            once the notice is gone) whose content, read back, equals the Reattachment's
//            content; CreateAttachment (FileAttachment: name, content type, content; not inline,
//            no ContentId: EWS attachments have no MIME header to rebuild) of every missing one in
//            one request with the ChangeKey just read -> on_step(uploaded); each new attachment
//            read back and compared byte for byte -> on_step(verified); DeleteAttachment of the
//            notices -> on_step(original_removed). Outcomes as for detach: a stale ChangeKey with
//            no copy of this undo: changed, nothing sent; a notice gone without a copy: not_found
//            when nothing was done yet, else that attachment is skipped.
//   move     GetItem IdOnly + message:InternetMessageId (ChangeKey check); the target folder found
//            by its '/' path in the folder listing, missing levels created with CreateFolder
//            (IPF.Note) under msgfolderroot ("INBOX/..." under the inbox); MoveItem. Idempotence:
//            the source item gone and an item with the message's Message-ID in the target folder
//            (FindItem) -> done with that item. The Message-ID is MessageRef::message_id (from the
//            crawl), so a retry from a new process finds the copy; without one, the
//            InternetMessageId read by an earlier attempt of the same action_id in this object.
//            Limit: a message without any Message-ID whose move answer was lost, retried from a
//            new process, gets not_found (nothing lost: it is in the target; the journal cannot
//            tell). A message gone from the source for another reason while one with its
//            Message-ID is in the target also counts as moved.
//   remove   GetItem IdOnly (ChangeKey check), DeleteItem HardDelete / SoftDelete /
//            MoveToDeletedItems. ErrorItemNotFound -> not_found (also for a retry of a remove that
//            went through: EWS keeps no trace the connector could match).
//   measured_size  the folder listing (SyncFolderHierarchy): the sum of PR_MESSAGE_SIZE_EXTENDED
//            over the mail folders; nullopt when the server sent it for none.
// Errors other than those outcomes throw connector::ConnectorError (connector_error()); a mutating
// request whose answer was lost is not retried by the transport (kind connection): the caller
// retries the action, which checks the server state first as described above.
// Not thread-safe (the session's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ews/requests.hpp"
#include "ews/responses.hpp"
#include "interface/actions.hpp"

namespace mailprune::ews {

class EwsMailboxSession;

// What a notice's name ends with; a notice for "report.pdf" is "report.pdf (archivé).html".
inline constexpr std::string_view notice_suffix = " (archivé).html";
std::string notice_name(std::string_view file_name);

// The notice document (UTF-8 HTML) for one detachment. Provenance names are header field names
// (no ':'): each pair is one <meta name="mailprune-provenance" content="Name: value">.
std::string notice_document(const connector::Detachment& detachment,
                            const std::vector<std::pair<std::string, std::string>>& provenance,
                            std::string_view action_id);

// What notice_document() wrote into its <meta> tags; nullopt when `html` is not a notice.
struct NoticeMarks {
  std::string action_id;
  std::string attachment_id;  // the original's AttachmentId (Detachment::section)
  std::vector<std::pair<std::string, std::string>> provenance;
};
std::optional<NoticeMarks> read_notice_marks(std::string_view html);

class EwsActions final : public connector::MailboxActions {
 public:
  explicit EwsActions(EwsMailboxSession& session);

  connector::DetachResult detach(const connector::FolderState& folder,
                                 const connector::DetachRequest& request) override;
  connector::DetachResult reattach(const connector::FolderState& folder,
                                   const connector::ReattachRequest& request) override;
  connector::MoveResult move(const connector::FolderState& folder, const connector::MessageRef& message,
                             const std::string& target_folder, const std::string& action_id) override;
  connector::Outcome remove(const connector::FolderState& folder, const connector::MessageRef& message,
                            connector::RemoveMode mode) override;
  std::optional<std::uint64_t> measured_size() override;

 private:
  Response call(const Request& request);
  // GetItem of one item (IdOnly + `fields`); nullopt when the server does not find it.
  std::optional<Item> fetch_item(const std::string& item_id, const std::vector<std::string>& fields);
  // The FolderId of `path`, created (with missing parents) when `create`; "" when missing.
  std::string folder_id(const std::string& path, bool create);
  std::optional<ItemId> find_by_message_id(const std::string& folder_id, const std::string& internet_message_id);

  static constexpr std::uint64_t max_notice_bytes = 256 * 1024;  // a notice is a few KiB; read no further
  // A notice of one action on an item: its AttachmentId and its index in item.attachments.
  struct NoticeAt {
    std::string attachment_id;
    std::size_t index = 0;
  };
  // The notices of `action_id` on `item` (each read with GetAttachment), by the AttachmentId of
  // the original they replaced.
  std::map<std::string, NoticeAt> notices_of(const connector::FolderState& folder, const connector::MessageRef& message,
                                             const Item& item, const std::string& action_id);
  // The attachment's content, read back, is exactly `expected` (stops at the first difference).
  bool has_content(const connector::FolderState& folder, const connector::MessageRef& message,
                   const std::string& attachment_id, std::string_view expected);
  // CreateAttachment of `attachments` on the item `current` (what: "notice" or "original", for
  // errors). Returns the new AttachmentIds in order and moves `current` to the item's new id and
  // ChangeKey; or the outcome (not_found, changed) when the server refused one because the item is
  // gone or changed (attachments created before it stay: a retry recognises them). Throws
  // ConnectorError for other refusals and malformed answers.
  // DeleteAttachment of `attachment_ids`; ids already gone count as deleted (an earlier attempt's
  // answer was lost). Moves `current` to the item's new id and ChangeKey. Throws ConnectorError
  // for other refusals.
  void delete_attachments(ItemId& current, const std::vector<std::string>& attachment_ids);
  std::variant<std::vector<std::string>, connector::Outcome> create_attachments(
      ItemId& current, const std::vector<NewFileAttachment>& attachments, std::string_view what);
  // The steps detach and reattach share once they know what to change on the item `current`:
  // create_attachments(`to_create`, `what`) -> on_step(uploaded); `verify`, given the item's id
  // (to move on when it reads the item again) and the new AttachmentIds -> on_step(verified);
  // delete_attachments(`to_delete`) -> on_step(original_removed). Nothing is created or deleted
  // for an empty list. Each step is reported with the item's ChangeKey at that point. Returns done
  // with the item's last id, or the outcome that stopped it (a refused CreateAttachment, or the one
  // `verify` returned; `message` unchanged then). Throws what the three steps throw.
  using VerifyCreated =
      std::function<std::optional<connector::Outcome>(ItemId& current, const std::vector<std::string>& created)>;
  connector::DetachResult swap_attachments(const connector::MessageRef& message, const connector::StepHook& on_step,
                                           ItemId current, const std::vector<NewFileAttachment>& to_create,
                                           std::string_view what, const VerifyCreated& verify,
                                           const std::vector<std::string>& to_delete);

  EwsMailboxSession& session_;
  std::map<std::string, std::string> moved_message_ids_;  // action id -> InternetMessageId
};

}  // namespace mailprune::ews
