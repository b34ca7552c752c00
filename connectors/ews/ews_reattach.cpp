// EwsActions::reattach: undo of detach over EWS (the contract is in ews_actions.hpp).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "ews/action_support.hpp"
#include "ews/ews_actions.hpp"
#include "ews/ews_mailbox_session.hpp"

namespace mailprune::ews {

using connector::ActionStep;
using connector::ConnectorError;
using connector::Outcome;
using namespace action_support;

bool EwsActions::has_content(const connector::FolderState& folder, const connector::MessageRef& message,
                             const std::string& attachment_id, std::string_view expected) {
  std::size_t offset = 0;
  bool same = true;
  // One byte more than expected shows a longer content.
  session_.read_attachment(folder, message, attachment_id, expected.size() + 1, [&](std::string_view chunk) {
    if (chunk.size() > expected.size() - offset || expected.substr(offset, chunk.size()) != chunk) {
      same = false;
      return false;
    }
    offset += chunk.size();
    return true;
  });
  return same && offset == expected.size();
}

connector::DetachResult EwsActions::reattach(const connector::FolderState& folder,
                                             const connector::ReattachRequest& request) {
  connector::DetachResult result;
  result.message = request.message;
  const std::optional<Item> item = fetch_item(request.message.item_id, {"item:Attachments"});
  if (!item) {
    result.outcome = Outcome::not_found;
    return result;
  }
  const std::map<std::string, NoticeAt> notices = notices_of(folder, request.message, *item, request.detach_action_id);

  // Per attachment to put back: its notice, and a copy an earlier attempt of this undo made.
  struct Plan {
    const connector::Reattachment* reattachment = nullptr;
    std::optional<NoticeAt> notice;
    bool restored = false;
  };
  std::vector<Plan> plans;
  bool resumed = false;
  for (const connector::Reattachment& reattachment : request.reattachments) {
    Plan plan;
    plan.reattachment = &reattachment;
    if (const auto found = notices.find(reattachment.section); found != notices.end()) plan.notice = found->second;
    // Only attachments added after the notice can be this undo's copy (an identical attachment
    // the message had all along sits before it); with the notice gone, position tells nothing.
    const std::size_t first = plan.notice ? plan.notice->index + 1 : 0;
    for (std::size_t index = first; index < item->attachments.size() && !plan.restored; ++index) {
      const Attachment& candidate = item->attachments[index];
      if (candidate.kind != AttachmentKind::file || candidate.name != reattachment.file_name ||
          candidate.name.ends_with(notice_suffix)) {
        continue;
      }
      plan.restored = has_content(folder, request.message, candidate.id, reattachment.content);
    }
    resumed = resumed || plan.restored;
    plans.push_back(plan);
  }
  if (!resumed && stale(request.message, *item)) {
    result.outcome = Outcome::changed;
    return result;
  }

  std::vector<NewFileAttachment> originals;
  std::vector<const connector::Reattachment*> created_for;
  std::vector<std::string> notice_ids;
  for (const Plan& plan : plans) {
    if (!plan.notice && !plan.restored) {
      if (!resumed) {
        result.outcome = Outcome::not_found;  // the notice was removed by someone else: nothing to undo
        return result;
      }
      continue;
    }
    if (!plan.restored) {
      NewFileAttachment original;
      original.name = plan.reattachment->file_name;
      original.content_type =
          plan.reattachment->content_type.empty() ? "application/octet-stream" : plan.reattachment->content_type;
      original.content = plan.reattachment->content;
      originals.push_back(std::move(original));
      created_for.push_back(plan.reattachment);
    }
    if (plan.notice) notice_ids.push_back(plan.notice->attachment_id);
  }

  // Verified: every new attachment holds exactly the archived bytes before a notice goes.
  const auto verify = [&](ItemId&, const std::vector<std::string>& created) -> std::optional<Outcome> {
    for (std::size_t i = 0; i < created.size(); ++i) {
      if (!has_content(folder, request.message, created[i], created_for[i]->content)) {
        throw ConnectorError(ConnectorError::Kind::protocol,
                             "CreateAttachment: " + created_for[i]->file_name + " reads back different content");
      }
    }
    return std::nullopt;
  };
  return swap_attachments(request.message, request.on_step, item->id, originals, "original", verify, notice_ids);
}

}  // namespace mailprune::ews
