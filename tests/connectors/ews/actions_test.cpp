// EwsActions (detach, move, remove, measured_size) against the EWS test server loaded with
// generated mail. Every check reads the server's model (items(), folders()), not the connector's
// view; every request is schema-checked by the server and a violation fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "actions_fixture.hpp"
#include "ews/ews_actions.hpp"

namespace mailprune::ews {
namespace {

using connector::Detachment;
using connector::DetachRequest;
using connector::FolderState;
using connector::MessageRef;
using connector::Outcome;
using connector::RemoveMode;

TEST_F(EwsActionsTest, DetachLeavesTheNoticeAndRemovesExactlyTheChosenAttachment) {
  const auto before = add_three("detach");
  const FolderState inbox = folder("INBOX");
  const auto size_before = actions_->measured_size();
  ASSERT_TRUE(size_before.has_value());

  const auto result = actions_->detach(inbox, detach_request(before, 1, "act-detach-1"));
  ASSERT_EQ(result.outcome, Outcome::done);
  const auto after = item("INBOX", before.item_id);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(result.message.item_id, after->item_id);
  EXPECT_EQ(result.message.change_key, after->change_key);
  EXPECT_NE(after->change_key, before.change_key);

  // alpha.txt and gamma.bin unchanged, the PDF gone, one notice added.
  ASSERT_EQ(after->attachments.size(), 3u);
  std::map<std::string, ews_test::ItemView::Attachment> by_id;
  for (const auto& attachment : after->attachments) by_id[attachment.attachment_id] = attachment;
  for (std::size_t kept : {0u, 2u}) {
    const auto& original = before.attachments[kept];
    ASSERT_TRUE(by_id.count(original.attachment_id)) << original.name;
    EXPECT_EQ(by_id[original.attachment_id].name, original.name);
    EXPECT_EQ(by_id[original.attachment_id].size, original.size);
    EXPECT_EQ(by_id[original.attachment_id].content_type, original.content_type);
  }
  EXPECT_FALSE(by_id.count(before.attachments[1].attachment_id));
  const auto& notice = after->attachments.back();
  EXPECT_EQ(notice.name, "rapport é.pdf (archivé).html");
  EXPECT_EQ(notice.content_type.substr(0, 9), "text/html");
  EXPECT_FALSE(notice.is_inline);

  // The notice: the caller's HTML, the action id and the provenance, readable back.
  const std::string html = read_all(inbox, result.message, notice.attachment_id);
  EXPECT_NE(html.find("<p>Archivé : <a href=\"https://mailprune.example/a/xyz\">"), std::string::npos);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  const auto marks = read_notice_marks(html);
  ASSERT_TRUE(marks.has_value());
  EXPECT_EQ(marks->action_id, "act-detach-1");
  EXPECT_EQ(marks->attachment_id, before.attachments[1].attachment_id);
  EXPECT_EQ(marks->provenance, (std::vector<std::pair<std::string, std::string>>{
                                   {"X-Mailprune-Sha256", "9f86d081884c7d65"}, {"X-Mailprune-Size", "5001"}}));

  // Measured size: the model's sum, smaller by the attachment less the notice.
  const auto size_after = actions_->measured_size();
  ASSERT_TRUE(size_after.has_value());
  EXPECT_EQ(static_cast<std::int64_t>(*size_after), model_size());
  EXPECT_EQ(static_cast<std::int64_t>(*size_before - *size_after), before.attachments[1].size - notice.size);
}

TEST_F(EwsActionsTest, StaleChangeKeyIsChangedAndNothingIsTouched) {
  const auto before = add_three("stale");
  ASSERT_TRUE(server_.set_read(before.item_id, !before.is_read));  // someone else changes it
  const auto changed = item("INBOX", before.item_id);
  const std::uint64_t mutations = server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment");

  const auto result = actions_->detach(folder("INBOX"), detach_request(before, 0, "act-stale"));
  EXPECT_EQ(result.outcome, Outcome::changed);
  const auto after = item("INBOX", before.item_id);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->change_key, changed->change_key);
  ASSERT_EQ(after->attachments.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(after->attachments[i].attachment_id, before.attachments[i].attachment_id);
  EXPECT_EQ(server_.request_count("CreateAttachment") + server_.request_count("DeleteAttachment"), mutations);

  EXPECT_EQ(actions_->remove(folder("INBOX"), ref_of(before), RemoveMode::permanent), Outcome::changed);
  EXPECT_EQ(actions_->move(folder("INBOX"), ref_of(before), "Archives/Stale", "act-stale-move").outcome,
            Outcome::changed);
  EXPECT_TRUE(item("INBOX", before.item_id).has_value());
  EXPECT_EQ(
      server_.request_count("DeleteItem") + server_.request_count("MoveItem") + server_.request_count("CreateFolder"),
      0u);
}

TEST_F(EwsActionsTest, RetryWithTheSameActionIdIsDoneWithoutASecondNotice) {
  const auto before = add_three("retry");
  const FolderState inbox = folder("INBOX");
  const DetachRequest request = detach_request(before, 0, "act-retry");
  const auto first = actions_->detach(inbox, request);
  ASSERT_EQ(first.outcome, Outcome::done);
  const std::uint64_t creates = server_.request_count("CreateAttachment");

  // The journal lost the answer and retries with the crawl's (now stale) ChangeKey.
  const auto again = actions_->detach(inbox, request);
  EXPECT_EQ(again.outcome, Outcome::done);
  EXPECT_EQ(server_.request_count("CreateAttachment"), creates);
  const auto after = item("INBOX", before.item_id);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(again.message.change_key, after->change_key);
  EXPECT_EQ(after->attachments.size(), 3u);
  EXPECT_EQ(std::count_if(after->attachments.begin(), after->attachments.end(),
                          [](const auto& a) { return a.name.ends_with(std::string(notice_suffix)); }),
            1);

  // A different action on the same stale ChangeKey is refused.
  EXPECT_EQ(actions_->detach(inbox, detach_request(before, 2, "act-other")).outcome, Outcome::changed);
}

TEST_F(EwsActionsTest, LostAnswersAreResumedFromTheServerState) {
  const FolderState inbox = folder("INBOX");
  // The DeleteAttachment ran but its answer was cut: the retry finds the notice and the original gone.
  {
    const auto before = add_three("lost-delete");
    ews_test::Fault cut;
    cut.kind = ews_test::FaultKind::close_mid_response;
    cut.operation = "DeleteAttachment";
    server_.inject(cut);
    const DetachRequest request = detach_request(before, 1, "act-lost-delete");
    EXPECT_THROW(actions_->detach(inbox, request), connector::ConnectorError);
    const auto result = actions_->detach(inbox, request);
    EXPECT_EQ(result.outcome, Outcome::done);
    const auto after = item("INBOX", before.item_id);
    ASSERT_EQ(after->attachments.size(), 3u);
    EXPECT_EQ(after->attachments.back().name, "rapport é.pdf (archivé).html");
    EXPECT_EQ(result.message.change_key, after->change_key);
  }
  // The CreateAttachment ran but its answer was cut: one notice, then the original removed.
  {
    const auto before = add_three("lost-create");
    ews_test::Fault cut;
    cut.kind = ews_test::FaultKind::close_mid_response;
    cut.operation = "CreateAttachment";
    server_.inject(cut);
    const DetachRequest request = detach_request(before, 2, "act-lost-create");
    EXPECT_THROW(actions_->detach(inbox, request), connector::ConnectorError);
    auto middle = item("INBOX", before.item_id);
    EXPECT_EQ(middle->attachments.size(), 4u);  // the link is in place, the original still there
    EXPECT_EQ(actions_->detach(inbox, request).outcome, Outcome::done);
    const auto after = item("INBOX", before.item_id);
    ASSERT_EQ(after->attachments.size(), 3u);
    EXPECT_EQ(after->attachments[0].attachment_id, before.attachments[0].attachment_id);
    EXPECT_EQ(after->attachments[1].attachment_id, before.attachments[1].attachment_id);
    EXPECT_EQ(after->attachments[2].name, "gamma.bin (archivé).html");
  }
}

TEST_F(EwsActionsTest, DetachOfAMessageThatIsGoneIsNotFound) {
  const auto before = add_three("gone");
  ASSERT_TRUE(server_.delete_message(before.item_id));
  EXPECT_EQ(actions_->detach(folder("INBOX"), detach_request(before, 0, "act-gone")).outcome, Outcome::not_found);
}

TEST_F(EwsActionsTest, MoveIntoANewNestedFolderAndRetry) {
  const auto inbox_items = server_.items(user_, "INBOX");
  ASSERT_GE(inbox_items.size(), 3u);
  for (const auto& view : server_.folders(user_)) ASSERT_FALSE(view.path.starts_with("Classement")) << view.path;
  const auto& first = inbox_items[0];
  const auto moved = actions_->move(folder("INBOX"), ref_of(first), "Classement/2024/Q1", "act-move-1");
  ASSERT_EQ(moved.outcome, Outcome::done);
  EXPECT_EQ(server_.request_count("CreateFolder"), 3u);
  EXPECT_FALSE(item("INBOX", first.item_id).has_value());
  const auto target = item("Classement/2024/Q1", moved.message.item_id);
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->subject, first.subject);
  EXPECT_EQ(moved.message.change_key, target->change_key);
  std::map<std::string, std::string> paths;
  for (const auto& view : server_.folders(user_)) paths[view.path] = view.display_name;
  EXPECT_EQ(paths["Classement"], "Classement");
  EXPECT_EQ(paths["Classement/2024"], "2024");
  EXPECT_EQ(paths["Classement/2024/Q1"], "Q1");

  // Retry of the same action: done, the same item, nothing moved or created twice.
  const auto again = actions_->move(folder("INBOX"), ref_of(first), "Classement/2024/Q1", "act-move-1");
  EXPECT_EQ(again.outcome, Outcome::done);
  EXPECT_EQ(again.message.item_id, moved.message.item_id);
  EXPECT_EQ(server_.items(user_, "Classement/2024/Q1").size(), 1u);
  EXPECT_EQ(server_.request_count("MoveItem"), 1u);

  // Into the existing folder: no CreateFolder.
  const auto second = actions_->move(folder("INBOX"), ref_of(inbox_items[1]), "Classement/2024/Q1", "act-move-2");
  EXPECT_EQ(second.outcome, Outcome::done);
  EXPECT_EQ(server_.request_count("CreateFolder"), 3u);
  EXPECT_EQ(server_.items(user_, "Classement/2024/Q1").size(), 2u);

  // A MoveItem whose answer is cut: the retry finds the message in the target.
  ews_test::Fault cut;
  cut.kind = ews_test::FaultKind::close_mid_response;
  cut.operation = "MoveItem";
  server_.inject(cut);
  const auto& third = inbox_items[2];
  EXPECT_THROW(actions_->move(folder("INBOX"), ref_of(third), "INBOX/Later", "act-move-3"), connector::ConnectorError);
  const auto resumed = actions_->move(folder("INBOX"), ref_of(third), "INBOX/Later", "act-move-3");
  EXPECT_EQ(resumed.outcome, Outcome::done);
  const auto later = server_.items(user_, "INBOX/Later");
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].item_id, resumed.message.item_id);
  EXPECT_EQ(later[0].subject, third.subject);

  // A message that vanished without this action: not found.
  const auto other = actions_->move(folder("INBOX"), ref_of(first), "Classement/2024/Q1", "act-move-unknown");
  EXPECT_EQ(other.outcome, Outcome::not_found);
}

TEST_F(EwsActionsTest, TheThreeRemoveModes) {
  const auto inbox_items = server_.items(user_, "INBOX");
  ASSERT_GE(inbox_items.size(), 3u);
  const std::size_t deleted_before = server_.items(user_, "Deleted Items").size();
  const FolderState inbox = folder("INBOX");

  EXPECT_EQ(actions_->remove(inbox, ref_of(inbox_items[0]), RemoveMode::permanent), Outcome::done);
  EXPECT_EQ(actions_->remove(inbox, ref_of(inbox_items[1]), RemoveMode::recoverable), Outcome::done);
  EXPECT_EQ(actions_->remove(inbox, ref_of(inbox_items[2]), RemoveMode::to_deleted_items), Outcome::done);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(item("INBOX", inbox_items[i].item_id).has_value()) << i;
  const auto deleted = server_.items(user_, "Deleted Items");
  EXPECT_EQ(deleted.size(), deleted_before + 1);
  EXPECT_FALSE(by_subject("Deleted Items", inbox_items[2].subject).empty());
  EXPECT_EQ(server_.request_count("DeleteItem"), 3u);

  // Gone: not_found, and nothing sent.
  EXPECT_EQ(actions_->remove(inbox, ref_of(inbox_items[0]), RemoveMode::permanent), Outcome::not_found);
  EXPECT_EQ(server_.request_count("DeleteItem"), 3u);
}

TEST_F(EwsActionsTest, MeasuredSizeIsTheSumOfTheModelsFolderSizes) {
  const auto measured = actions_->measured_size();
  ASSERT_TRUE(measured.has_value());
  EXPECT_GT(*measured, 0u);
  EXPECT_EQ(static_cast<std::int64_t>(*measured), model_size());
}

TEST(EwsNotice, MarksSurviveHostileStrings) {
  Detachment detachment;
  detachment.section = "AAMk<&>\"id\"";
  detachment.file_name = "a\"b<c>&d é.pdf";
  detachment.notice_html = "<p>x</p>";
  const std::vector<std::pair<std::string, std::string>> provenance = {{"X-Name", "v: \"al<ue>&#1;"}, {"Empty", ""}};
  const std::string html = notice_document(detachment, provenance, "act \"1\" & <2> é");
  const auto marks = read_notice_marks(html);
  ASSERT_TRUE(marks.has_value());
  EXPECT_EQ(marks->action_id, "act \"1\" & <2> é");
  EXPECT_EQ(marks->attachment_id, detachment.section);
  ASSERT_EQ(marks->provenance.size(), 2u);
  EXPECT_EQ(marks->provenance[0].first, "X-Name");
  EXPECT_EQ(marks->provenance[0].second, "v: \"al<ue>&#1;");
  EXPECT_EQ(marks->provenance[1], (std::pair<std::string, std::string>{"Empty", ""}));
  EXPECT_EQ(notice_name(""), "attachment (archivé).html");
  EXPECT_FALSE(read_notice_marks("<html><p>not a notice</p></html>").has_value());
}

}  // namespace
}  // namespace mailprune::ews
