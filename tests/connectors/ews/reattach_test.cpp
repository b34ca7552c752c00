// EwsActions::reattach (undo of detach), the journal's step hook in detach and reattach, and a
// move retried from a new process, against the EWS test server. Checks read the server's model;
// contents are compared with what the generator wrote, read back with GetAttachment.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "actions_fixture.hpp"
#include "ews/ews_actions.hpp"

namespace mailprune::ews {
namespace {

using connector::ActionStep;
using connector::DetachRequest;
using connector::FolderState;
using connector::MessageRef;
using connector::Outcome;
using connector::Reattachment;
using connector::ReattachRequest;

struct Steps {
  std::vector<std::pair<ActionStep, MessageRef>> seen;
  connector::StepHook hook() {
    return [this](ActionStep step, const MessageRef& message) { seen.emplace_back(step, message); };
  }
  std::vector<ActionStep> steps() const {
    std::vector<ActionStep> out;
    for (const auto& entry : seen) out.push_back(entry.first);
    return out;
  }
};

const std::vector<ActionStep> all_steps = {ActionStep::uploaded, ActionStep::verified, ActionStep::original_removed};

class EwsReattachTest : public EwsActionsTest {
 protected:
  // Detaches attachment `index` of `view` and returns the undo request for it, with the content
  // read from the server before the detach.
  ReattachRequest detach_for_undo(const ews_test::ItemView& view, std::size_t index, const std::string& action) {
    const FolderState inbox = folder("INBOX");
    const auto& original = view.attachments.at(index);
    Reattachment reattachment;
    reattachment.section = original.attachment_id;
    reattachment.content = read_all(inbox, ref_of(view), original.attachment_id);
    reattachment.file_name = original.name;
    reattachment.content_type = original.content_type;
    const auto detached = actions_->detach(inbox, detach_request(view, index, action));
    EXPECT_EQ(detached.outcome, Outcome::done);
    ReattachRequest request;
    request.message = detached.message;
    request.reattachments.push_back(reattachment);
    request.detach_action_id = action;
    request.action_id = "undo-" + action;
    return request;
  }

  std::size_t count_named(const std::string& item_id, const std::string& name) {
    const auto view = item("INBOX", item_id);
    if (!view) return 0;
    return static_cast<std::size_t>(std::count_if(view->attachments.begin(), view->attachments.end(),
                                                  [&](const auto& a) { return a.name == name; }));
  }

  std::size_t notices_on(const std::string& item_id) {
    const auto view = item("INBOX", item_id);
    if (!view) return 0;
    return static_cast<std::size_t>(
        std::count_if(view->attachments.begin(), view->attachments.end(),
                      [](const auto& a) { return a.name.ends_with(std::string(notice_suffix)); }));
  }

  // The attachment of the model's item named `name` (the only one).
  std::optional<ews_test::ItemView::Attachment> named(const std::string& item_id, const std::string& name) {
    const auto view = item("INBOX", item_id);
    if (!view) return std::nullopt;
    for (const auto& attachment : view->attachments) {
      if (attachment.name == name) return attachment;
    }
    return std::nullopt;
  }
};

TEST_F(EwsReattachTest, DetachThenReattachGivesTheOriginalContentBack) {
  const auto before = add_three("undo");
  const FolderState inbox = folder("INBOX");
  const std::int64_t size_before = model_size();
  ReattachRequest request = detach_for_undo(before, 1, "act-undo-1");
  // What the generator wrote: base64 "QUJD" repeated, i.e. "ABC" for 5000 / 3 rounds.
  std::string generated;
  for (std::size_t i = 0; i < 5000 / 3; ++i) generated += "ABC";
  ASSERT_EQ(request.reattachments[0].content, generated);
  ASSERT_EQ(notices_on(before.item_id), 1u);
  ASSERT_EQ(count_named(before.item_id, "rapport é.pdf"), 0u);

  Steps steps;
  request.on_step = steps.hook();
  const auto result = actions_->reattach(inbox, request);
  ASSERT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(steps.steps(), all_steps);

  const auto after = item("INBOX", before.item_id);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(result.message.item_id, after->item_id);
  EXPECT_EQ(result.message.change_key, after->change_key);
  EXPECT_EQ(steps.seen.back().second.change_key, after->change_key);
  EXPECT_EQ(notices_on(before.item_id), 0u);
  ASSERT_EQ(after->attachments.size(), 3u);
  EXPECT_EQ(after->attachments[0].attachment_id, before.attachments[0].attachment_id);
  EXPECT_EQ(after->attachments[1].attachment_id, before.attachments[2].attachment_id);
  const auto restored = named(before.item_id, "rapport é.pdf");
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->content_type, before.attachments[1].content_type);
  EXPECT_EQ(restored->size, before.attachments[1].size);
  EXPECT_FALSE(restored->is_inline);
  EXPECT_EQ(read_all(inbox, result.message, restored->attachment_id), generated);
  EXPECT_EQ(model_size(), size_before);  // the notice gone, the attachment's bytes back

  // Done again: nothing sent.
  const std::uint64_t writes = server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment");
  ReattachRequest again = request;
  again.on_step = nullptr;
  EXPECT_EQ(actions_->reattach(inbox, again).outcome, Outcome::done);
  EXPECT_EQ(server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment"), writes);
  EXPECT_EQ(count_named(before.item_id, "rapport é.pdf"), 1u);
}

TEST_F(EwsReattachTest, RetryAfterALostCreateReplyDoesNotDuplicate) {
  const auto before = add_three("undo-lost-create");
  const FolderState inbox = folder("INBOX");
  const ReattachRequest request = detach_for_undo(before, 2, "act-undo-lost-create");
  const std::uint64_t creates = server_.request_count("CreateAttachment");

  ews_test::Fault cut;
  cut.kind = ews_test::FaultKind::close_mid_response;
  cut.operation = "CreateAttachment";
  server_.inject(cut);
  EXPECT_THROW(actions_->reattach(inbox, request), connector::ConnectorError);
  EXPECT_EQ(count_named(before.item_id, "gamma.bin"), 1u);  // the copy is there, the notice too
  EXPECT_EQ(notices_on(before.item_id), 1u);

  Steps steps;
  ReattachRequest retry = request;
  retry.on_step = steps.hook();
  const auto result = actions_->reattach(inbox, retry);
  ASSERT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(steps.steps(), all_steps);
  EXPECT_EQ(server_.request_count("CreateAttachment"), creates + 1);  // only the cut one
  EXPECT_EQ(count_named(before.item_id, "gamma.bin"), 1u);
  EXPECT_EQ(notices_on(before.item_id), 0u);
  const auto restored = named(before.item_id, "gamma.bin");
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(read_all(inbox, result.message, restored->attachment_id), request.reattachments[0].content);
  EXPECT_EQ(item("INBOX", before.item_id)->attachments.size(), 3u);
}

TEST_F(EwsReattachTest, RetryAfterALostDeleteReplyIsDone) {
  const auto before = add_three("undo-lost-delete");
  const FolderState inbox = folder("INBOX");
  const ReattachRequest request = detach_for_undo(before, 0, "act-undo-lost-delete");
  ews_test::Fault cut;
  cut.kind = ews_test::FaultKind::close_mid_response;
  cut.operation = "DeleteAttachment";
  server_.inject(cut);
  EXPECT_THROW(actions_->reattach(inbox, request), connector::ConnectorError);
  EXPECT_EQ(notices_on(before.item_id), 0u);
  const std::uint64_t writes = server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment");
  const auto result = actions_->reattach(inbox, request);
  EXPECT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment"), writes);
  EXPECT_EQ(count_named(before.item_id, "alpha.txt"), 1u);
  EXPECT_EQ(result.message.change_key, item("INBOX", before.item_id)->change_key);
}

TEST_F(EwsReattachTest, AnIdenticalAttachmentTheMessageHadIsNotTakenForTheCopy) {
  // Two identical attachments; the second is detached. Its undo must create it again although an
  // attachment with the same name and content is there (before the notice).
  const std::string block =
      "Content-Type: application/octet-stream; name=\"same.bin\"\r\n"
      "Content-Disposition: attachment; filename=\"same.bin\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nU0FNRVNBTUU=\r\n";
  const std::string raw =
      "From: a@example.org\r\nSubject: twins\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=tw\r\n\r\n--tw\r\nContent-Type: text/plain\r\n\r\n"
      "twins\r\n--tw\r\n" +
      block + "--tw\r\n" + block + "--tw--\r\n";
  const std::string id = server_.add_message(user_, "INBOX", raw);
  const auto view = item("INBOX", id);
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->attachments.size(), 2u);
  const FolderState inbox = folder("INBOX");
  const ReattachRequest request = detach_for_undo(*view, 1, "act-twins");
  EXPECT_EQ(count_named(id, "same.bin"), 1u);
  ASSERT_EQ(request.reattachments[0].content, "SAMESAME");

  const auto result = actions_->reattach(inbox, request);
  ASSERT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(count_named(id, "same.bin"), 2u);
  EXPECT_EQ(notices_on(id), 0u);
}

TEST_F(EwsReattachTest, ChangedOrGoneIsRefusedWithNothingSent) {
  const FolderState inbox = folder("INBOX");
  {
    const auto before = add_three("undo-stale");
    const ReattachRequest request = detach_for_undo(before, 1, "act-undo-stale");
    ASSERT_TRUE(server_.set_read(before.item_id, !before.is_read));  // someone else changes it
    const std::uint64_t writes = server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment");
    EXPECT_EQ(actions_->reattach(inbox, request).outcome, Outcome::changed);
    EXPECT_EQ(server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment"), writes);
    EXPECT_EQ(notices_on(before.item_id), 1u);
  }
  {
    // No notice of the detach being undone (another detach's notice does not count): nothing to undo.
    const auto before = add_three("undo-no-notice");
    ReattachRequest request = detach_for_undo(before, 1, "act-undo-no-notice");
    const auto detached = item("INBOX", before.item_id);
    ASSERT_TRUE(detached.has_value());
    const auto notice = detached->attachments.back();
    ASSERT_TRUE(notice.name.ends_with(std::string(notice_suffix)));
    // Another detach's notice does not count either.
    request.detach_action_id = "act-someone-else";
    EXPECT_EQ(actions_->reattach(inbox, request).outcome, Outcome::not_found);
  }
  {
    const auto before = add_three("undo-gone");
    const ReattachRequest request = detach_for_undo(before, 0, "act-undo-gone");
    ASSERT_TRUE(server_.delete_message(before.item_id));
    EXPECT_EQ(actions_->reattach(inbox, request).outcome, Outcome::not_found);
  }
}

TEST_F(EwsReattachTest, DetachReportsEachStepAndAHookFailureStopsBeforeTheOriginalGoes) {
  const auto before = add_three("steps");
  const FolderState inbox = folder("INBOX");
  DetachRequest request = detach_request(before, 1, "act-steps");
  int calls = 0;
  request.on_step = [&](ActionStep step, const MessageRef&) {
    ++calls;
    if (step == ActionStep::verified) throw std::runtime_error("journal crashed");
  };
  EXPECT_THROW(actions_->detach(inbox, request), std::runtime_error);
  EXPECT_EQ(calls, 2);
  const auto middle = item("INBOX", before.item_id);
  ASSERT_EQ(middle->attachments.size(), 4u);  // notice in place, original still there
  EXPECT_EQ(server_.request_count("DeleteAttachment"), 0u);

  Steps steps;
  request.on_step = steps.hook();
  const auto result = actions_->detach(inbox, request);
  ASSERT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(steps.steps(), all_steps);
  const auto after = item("INBOX", before.item_id);
  ASSERT_EQ(after->attachments.size(), 3u);
  EXPECT_EQ(notices_on(before.item_id), 1u);
  EXPECT_EQ(count_named(before.item_id, "rapport é.pdf"), 0u);
  EXPECT_EQ(steps.seen.back().second.change_key, after->change_key);
  EXPECT_EQ(steps.seen.back().second.item_id, before.item_id);
}

TEST_F(EwsReattachTest, MoveRetriedFromANewProcessFindsItsCopyByMessageId) {
  const auto before = add_three("move-new-process");
  MessageRef ref = ref_of(before);
  ref.message_id = "<three-move-new-process@example.org>";
  ews_test::Fault cut;
  cut.kind = ews_test::FaultKind::close_mid_response;
  cut.operation = "MoveItem";
  server_.inject(cut);
  EXPECT_THROW(actions_->move(folder("INBOX"), ref, "Archives/2024", "act-move-np"), connector::ConnectorError);
  ASSERT_EQ(server_.items(user_, "Archives/2024").size(), 1u);

  // A new process: a new session, so nothing remembered in memory.
  auto session = connector_->open(user_);
  connector::MailboxActions* fresh = session->actions();
  ASSERT_NE(fresh, nullptr);
  const auto resumed = fresh->move(folder("INBOX"), ref, "Archives/2024", "act-move-np");
  EXPECT_EQ(resumed.outcome, Outcome::done);
  const auto archived = server_.items(user_, "Archives/2024");
  ASSERT_EQ(archived.size(), 1u);
  EXPECT_EQ(archived[0].item_id, resumed.message.item_id);
  EXPECT_EQ(archived[0].change_key, resumed.message.change_key);
  EXPECT_EQ(server_.request_count("MoveItem"), 1u);

  // Without the Message-ID, a new process cannot tell: not_found (documented limit).
  auto other_session = connector_->open(user_);
  EXPECT_EQ(other_session->actions()->move(folder("INBOX"), ref_of(before), "Archives/2024", "act-move-np").outcome,
            Outcome::not_found);
}

}  // namespace
}  // namespace mailprune::ews
