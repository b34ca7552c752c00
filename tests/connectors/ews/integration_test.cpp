// The EWS connector against the EWS test server (tests/ews_server): generated mailboxes crawled
// through impersonation, incremental crawl, attachment content, throttling and faults, OAuth2,
// refused impersonation. Every request is schema-checked by the server; a violation fails the test.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "ews/ews_connector.hpp"
#include "ews_server/ews_test_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::ews {
namespace {

using connector::ConnectorError;
using connector::FolderState;
using connector::MessageRecord;
using connector::MessageRef;

struct CollectingSink : connector::FolderSink {
  bool began = false;
  bool full = false;
  std::vector<MessageRecord> messages;
  std::vector<std::string> removed_ids;
  std::vector<std::string> errors;
  void begin(bool is_full) override {
    began = true;
    full = is_full;
  }
  void message(MessageRecord&& record) override { messages.push_back(std::move(record)); }
  void removed(const MessageRef& ref) override { removed_ids.push_back(ref.item_id); }
  void error(const MessageRef* ref, const std::string& message) override {
    errors.push_back((ref ? ref->item_id + ": " : std::string()) + message);
  }
};

class EwsIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("ews-int");
    test::MailgenOptions options;
    options.users = 2;
    options.messages = 30;
    options.seed = 7;
    set_ = new test::SampleMailSet(test::generate_sample_mail(dir_->path() + "/mail", options));
  }
  static void TearDownTestSuite() {
    delete set_;
    delete dir_;
  }

  void SetUp() override {
    server_.add_service_account("svc-mailprune", "svc-pass", true);
    server_.add_service_account("svc-noimp", "noimp-pass", false);
    server_.load(*set_);
    server_.start();
  }

  void TearDown() override {
    for (const auto& violation : server_.schema_violations()) {
      ADD_FAILURE() << violation.direction << " " << violation.operation << ": " << violation.message << "\n"
                    << violation.xml.substr(0, 2000);
    }
  }

  EwsSettings settings() const {
    EwsSettings s;
    s.url = server_.url();
    s.auth = AuthKind::basic;
    s.user = "svc-mailprune";
    s.secret = "svc-pass";
    s.impersonation = true;
    s.max_connections = 2;
    s.timeout = std::chrono::seconds(10);
    s.retry.base_delay = std::chrono::milliseconds(20);
    s.retry.max_delay = std::chrono::milliseconds(200);
    s.crawl.attachment_sizes_exact = true;  // the test server reports decoded sizes
    return s;
  }

  // Crawls every folder of `user` from scratch; returns records by folder name.
  std::map<std::string, std::vector<MessageRecord>> crawl_all(connector::MailboxSession& session,
                                                              std::map<std::string, FolderState>* states = nullptr) {
    std::map<std::string, std::vector<MessageRecord>> out;
    for (const FolderState& folder : session.list_folders()) {
      CollectingSink sink;
      const FolderState next = session.crawl_folder(folder, std::nullopt, sink);
      EXPECT_TRUE(sink.began && sink.full) << folder.name;
      EXPECT_TRUE(sink.errors.empty()) << folder.name << ": " << (sink.errors.empty() ? "" : sink.errors[0]);
      EXPECT_FALSE(next.sync_state.empty()) << folder.name;
      out[folder.name] = std::move(sink.messages);
      if (states != nullptr) (*states)[folder.name] = next;
    }
    return out;
  }

  static test::TempDir* dir_;
  static test::SampleMailSet* set_;
  ews_test::EwsTestServer server_;
};

test::TempDir* EwsIntegration::dir_ = nullptr;
test::SampleMailSet* EwsIntegration::set_ = nullptr;

TEST_F(EwsIntegration, CrawlsEveryMailboxLikeTheModel) {
  auto connector = make_ews_connector(settings());
  for (const std::string& user : set_->users) {
    SCOPED_TRACE(user);
    auto session = connector->open(user);
    const auto folders = session->list_folders();
    std::map<std::string, ews_test::FolderView> model;
    for (const auto& view : server_.folders(user)) {
      if (!view.path.empty()) model[view.path] = view;
    }
    std::set<std::string> generated;
    for (const auto& folder : set_->folders) {
      if (folder.user == user) generated.insert(folder.folder);
    }
    for (const FolderState& folder : folders) {
      ASSERT_TRUE(model.count(folder.name)) << "unknown folder " << folder.name;
      EXPECT_EQ(folder.message_count, model[folder.name].total_count) << folder.name;
      if (generated.count(folder.name)) {
        EXPECT_EQ(folder.server_name, model[folder.name].folder_id);
      }
    }
    for (const std::string& name : generated) {
      EXPECT_TRUE(std::any_of(folders.begin(), folders.end(), [&](const FolderState& f) { return f.name == name; }))
          << "folder not listed: " << name;
    }
    const auto crawled = crawl_all(*session);
    std::size_t messages = 0;
    for (const auto& [name, records] : crawled) {
      const auto items = server_.items(user, name);
      ASSERT_EQ(records.size(), items.size()) << name;
      std::map<std::string, const ews_test::ItemView*> by_id;
      for (const auto& item : items) by_id[item.item_id] = &item;
      for (const MessageRecord& record : records) {
        ASSERT_TRUE(by_id.count(record.ref.item_id)) << name;
        const auto& item = *by_id[record.ref.item_id];
        EXPECT_EQ(record.ref.change_key, item.change_key);
        EXPECT_EQ(static_cast<std::int64_t>(record.size), item.size);
        EXPECT_EQ(record.subject, item.subject);
        EXPECT_EQ(std::count(record.flags.begin(), record.flags.end(), "\\Seen") == 1, item.is_read);
        ASSERT_EQ(record.attachments.size(), item.attachments.size()) << record.subject;
        for (std::size_t i = 0; i < item.attachments.size(); ++i) {
          EXPECT_EQ(record.attachments[i].section, item.attachments[i].attachment_id);
          EXPECT_EQ(static_cast<std::int64_t>(record.attachments[i].size), item.attachments[i].size);
          EXPECT_EQ(record.attachments[i].is_inline, item.attachments[i].is_inline);
        }
      }
      messages += records.size();
    }
    std::size_t expected = 0;
    for (const auto& message : set_->messages) expected += message.user == user ? 1 : 0;
    EXPECT_GT(expected, 0u);
    EXPECT_EQ(messages, expected);
  }
  EXPECT_EQ(server_.request_count("GetAttachment"), 0u);
}

TEST_F(EwsIntegration, IncrementalCrawlSeesOnlyChanges) {
  auto connector = make_ews_connector(settings());
  const std::string user = set_->users.at(0);
  auto session = connector->open(user);
  std::map<std::string, FolderState> states;
  const auto first = crawl_all(*session, &states);
  ASSERT_TRUE(states.count("INBOX"));
  const auto inbox = server_.items(user, "INBOX");
  ASSERT_GE(inbox.size(), 2u);

  // Nothing changed: no records, begin(false).
  for (const auto& [name, state] : states) {
    CollectingSink sink;
    const FolderState next = session->crawl_folder(state, state, sink);
    EXPECT_TRUE(sink.began && !sink.full) << name;
    EXPECT_TRUE(sink.messages.empty() && sink.removed_ids.empty()) << name;
    states[name] = next;
  }

  ASSERT_TRUE(server_.delete_message(inbox[0].item_id));
  ASSERT_TRUE(server_.set_read(inbox[1].item_id, !inbox[1].is_read));
  const std::string added = server_.add_message(
      user, "INBOX",
      "From: a@example.org\r\nTo: b@example.org\r\nSubject: new one\r\nMessage-ID: <new@x>\r\n\r\nhi\r\n");
  CollectingSink sink;
  const FolderState next = session->crawl_folder(states["INBOX"], states["INBOX"], sink);
  EXPECT_FALSE(sink.full);
  EXPECT_EQ(sink.removed_ids, std::vector<std::string>{inbox[0].item_id});
  std::set<std::string> changed;
  for (const auto& record : sink.messages) changed.insert(record.ref.item_id);
  EXPECT_EQ(changed, (std::set<std::string>{inbox[1].item_id, added}));
  EXPECT_NE(next.sync_state, states["INBOX"].sync_state);

  // A state the server does not know: a full crawl again.
  FolderState bogus = next;
  bogus.sync_state = "bm90IGEgc3luYyBzdGF0ZQ==";
  CollectingSink again;
  session->crawl_folder(bogus, bogus, again);
  EXPECT_TRUE(again.full);
  EXPECT_EQ(again.messages.size(), server_.items(user, "INBOX").size());
}

TEST_F(EwsIntegration, ReadsAttachmentContentStreamedAndLimited) {
  auto connector = make_ews_connector(settings());
  const std::string user = set_->users.at(0);
  auto session = connector->open(user);
  std::size_t read = 0;
  for (const FolderState& folder : session->list_folders()) {
    for (const auto& item : server_.items(user, folder.name)) {
      for (const auto& attachment : item.attachments) {
        if (read >= 12) break;
        std::uint64_t bytes = 0;
        MessageRef ref;
        ref.item_id = item.item_id;
        session->read_attachment(folder, ref, attachment.attachment_id, 0, [&](std::string_view chunk) {
          bytes += chunk.size();
          return true;
        });
        if (!attachment.is_item) {
          EXPECT_EQ(static_cast<std::int64_t>(bytes), attachment.size) << attachment.name;
        } else {
          EXPECT_GT(bytes, 0u) << attachment.name;
        }
        if (attachment.size > 100) {
          std::uint64_t limited = 0;
          session->read_attachment(folder, ref, attachment.attachment_id, 100, [&](std::string_view chunk) {
            limited += chunk.size();
            return true;
          });
          EXPECT_EQ(limited, 100u);
        }
        ++read;
      }
    }
  }
  EXPECT_GT(read, 0u);
  EXPECT_GT(session->traffic().bytes_for_content, 0u);
}

TEST_F(EwsIntegration, ThrottlingAndFaultsCostRetriesNotTheRun) {
  auto connector = make_ews_connector(settings());
  const std::string user = set_->users.at(1);
  ews_test::Fault busy;
  busy.kind = ews_test::FaultKind::server_busy;
  busy.operation = "GetItem";
  busy.count = 2;
  busy.back_off = std::chrono::milliseconds(30);
  server_.inject(busy);
  ews_test::Fault too_many;
  too_many.kind = ews_test::FaultKind::too_many_objects_opened;
  too_many.operation = "SyncFolderItems";
  server_.inject(too_many);
  ews_test::Fault http_503;
  http_503.kind = ews_test::FaultKind::http_503;
  http_503.operation = "SyncFolderHierarchy";
  http_503.retry_after_seconds = 1;
  server_.inject(http_503);
  ews_test::Fault http_500;
  http_500.kind = ews_test::FaultKind::http_500;
  http_500.operation = "GetItem";
  server_.inject(http_500);
  ews_test::Fault cut;
  cut.kind = ews_test::FaultKind::close_mid_response;
  cut.operation = "GetItem";
  server_.inject(cut);
  auto session = connector->open(user);
  const auto crawled = crawl_all(*session);
  std::size_t messages = 0;
  for (const auto& [name, records] : crawled) messages += records.size();
  std::size_t expected = 0;
  for (const auto& message : set_->messages) expected += message.user == user ? 1 : 0;
  EXPECT_GT(expected, 0u);
  EXPECT_EQ(messages, expected);
  // Every fault was met and retried: one 503 then the hierarchy; two busy, one 500, one cut GetItem.
  EXPECT_EQ(server_.request_count("SyncFolderHierarchy"), 2u);
  EXPECT_GE(server_.request_count("GetItem"), 5u);
}

TEST_F(EwsIntegration, ImpersonationWithoutTheRightIsAnAuthenticationError) {
  EwsSettings s = settings();
  s.user = "svc-noimp";
  s.secret = "noimp-pass";
  auto connector = make_ews_connector(s);
  try {
    connector->open(set_->users.at(0));
    FAIL() << "open succeeded";
  } catch (const ConnectorError& error) {
    EXPECT_EQ(error.kind(), ConnectorError::Kind::authentication) << error.what();
  }
  s = settings();
  s.secret = "wrong";
  try {
    make_ews_connector(s)->open(set_->users.at(0));
    FAIL() << "open succeeded";
  } catch (const ConnectorError& error) {
    EXPECT_EQ(error.kind(), ConnectorError::Kind::authentication) << error.what();
    EXPECT_EQ(std::string(error.what()).find("wrong"), std::string::npos);
  }
}

TEST_F(EwsIntegration, OAuth2ClientCredentialsWithTokenRenewal) {
  server_.add_oauth_client("mailprune-client", "client-secret", std::chrono::seconds(3600));
  EwsSettings s = settings();
  s.auth = AuthKind::oauth2;
  s.user.clear();
  s.secret = "client-secret";
  s.client_id = "mailprune-client";
  s.token_url = server_.token_url();
  s.scope = "https://outlook.office365.com/.default";
  auto connector = make_ews_connector(s);
  auto session = connector->open(set_->users.at(0));
  EXPECT_FALSE(session->list_folders().empty());
  server_.expire_tokens();
  EXPECT_FALSE(session->list_folders().empty());  // 401, new token, retried
}

}  // namespace
}  // namespace mailprune::ews
