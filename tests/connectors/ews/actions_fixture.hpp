// actions_fixture.hpp: the fixture of the EwsActions tests (actions_test.cpp, reattach_test.cpp):
// an EWS test server loaded with generated mail, a connector session on it with its actions, and
// helpers that read the server's model (never the connector's view). Every request is
// schema-checked by the server; TearDown fails the test on any violation.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ews/ews_connector.hpp"
#include "ews_server/ews_test_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"
#include "interface/actions.hpp"

namespace mailprune::ews {

// A message with three file attachments of distinct names and sizes.
inline std::string three_attachments(const std::string& tag) {
  const std::string boundary = "b-" + tag;
  std::string raw = "From: a@example.org\r\nTo: b@example.org\r\nSubject: three " + tag + "\r\nMessage-ID: <three-" +
                    tag + "@example.org>\r\nMIME-Version: 1.0\r\n" + "Content-Type: multipart/mixed; boundary=\"" +
                    boundary + "\"\r\n\r\n";
  raw += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody text.\r\n";
  const struct {
    const char* name;
    const char* type;
    std::size_t size;
  } parts[] = {{"alpha.txt", "text/plain", 300},
               {"rapport é.pdf", "application/pdf", 5000},
               {"gamma.bin", "application/octet-stream", 1200}};
  for (const auto& part : parts) {
    raw += "--" + boundary + "\r\nContent-Type: " + part.type + "; name=\"" + part.name +
           "\"\r\nContent-Disposition: attachment; filename=\"" + part.name +
           "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    // "QUJD" is "ABC": size bytes of base64 lines of 76 characters.
    std::string encoded;
    for (std::size_t i = 0; i < part.size / 3; ++i) encoded += "QUJD";
    for (std::size_t at = 0; at < encoded.size(); at += 76) raw += encoded.substr(at, 76) + "\r\n";
  }
  raw += "--" + boundary + "--\r\n";
  return raw;
}

class EwsActionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mailprune::test::TempDir("ews-actions");
    mailprune::test::MailgenOptions options;
    options.users = 1;
    options.messages = 25;
    options.seed = 11;
    set_ = new mailprune::test::SampleMailSet(mailprune::test::generate_sample_mail(dir_->path() + "/mail", options));
  }
  static void TearDownTestSuite() {
    delete set_;
    delete dir_;
  }

  void SetUp() override {
    server_.add_service_account("svc-mailprune", "svc-pass", true);
    server_.load(*set_);
    server_.start();
    user_ = set_->users.at(0);
    EwsSettings s;
    s.url = server_.url();
    s.auth = AuthKind::basic;
    s.user = "svc-mailprune";
    s.secret = "svc-pass";
    s.impersonation = true;
    s.timeout = std::chrono::seconds(10);
    s.retry.base_delay = std::chrono::milliseconds(20);
    s.retry.max_delay = std::chrono::milliseconds(200);
    connector_ = make_ews_connector(s);
    session_ = connector_->open(user_);
    actions_ = session_->actions();
    ASSERT_NE(actions_, nullptr);
  }

  void TearDown() override {
    for (const auto& violation : server_.schema_violations()) {
      ADD_FAILURE() << violation.direction << " " << violation.operation << ": " << violation.message << "\n"
                    << violation.xml.substr(0, 2000);
    }
  }

  connector::FolderState folder(const std::string& name) {
    for (const connector::FolderState& state : session_->list_folders()) {
      if (state.name == name) return state;
    }
    ADD_FAILURE() << "no folder " << name;
    return {};
  }

  std::optional<ews_test::ItemView> item(const std::string& folder_name, const std::string& id) {
    for (const auto& view : server_.items(user_, folder_name)) {
      if (view.item_id == id) return view;
    }
    return std::nullopt;
  }

  std::vector<ews_test::ItemView> by_subject(const std::string& folder_name, const std::string& subject) {
    std::vector<ews_test::ItemView> out;
    for (const auto& view : server_.items(user_, folder_name)) {
      if (view.subject == subject) out.push_back(view);
    }
    return out;
  }

  // A fresh three-attachment message in INBOX, as the model has it.
  ews_test::ItemView add_three(const std::string& tag) {
    const std::string id = server_.add_message(user_, "INBOX", three_attachments(tag));
    auto view = item("INBOX", id);
    EXPECT_TRUE(view.has_value());
    EXPECT_EQ(view->attachments.size(), 3u);
    return *view;
  }

  static connector::MessageRef ref_of(const ews_test::ItemView& view) {
    connector::MessageRef ref;
    ref.item_id = view.item_id;
    ref.change_key = view.change_key;
    return ref;
  }

  static connector::DetachRequest detach_request(const ews_test::ItemView& view, std::size_t index,
                                                 const std::string& action) {
    connector::DetachRequest request;
    request.message = ref_of(view);
    connector::Detachment detachment;
    detachment.section = view.attachments.at(index).attachment_id;
    detachment.file_name = view.attachments.at(index).name;
    detachment.notice_text = "archived: " + detachment.file_name;
    detachment.notice_html =
        "<p>Archivé : <a href=\"https://mailprune.example/a/xyz\">" + detachment.file_name + "</a></p>";
    request.detachments.push_back(detachment);
    request.provenance = {{"X-Mailprune-Sha256", "9f86d081884c7d65"}, {"X-Mailprune-Size", "5001"}};
    request.action_id = action;
    return request;
  }

  std::int64_t model_size() const {
    std::int64_t total = 0;
    for (const auto& view : server_.folders(user_)) total += view.size;
    return total;
  }

  std::string read_all(const connector::FolderState& state, const connector::MessageRef& ref,
                       const std::string& attachment_id) {
    std::string content;
    session_->read_attachment(state, ref, attachment_id, 0, [&](std::string_view chunk) {
      content.append(chunk);
      return true;
    });
    return content;
  }

  static inline mailprune::test::TempDir* dir_ = nullptr;
  static inline mailprune::test::SampleMailSet* set_ = nullptr;
  ews_test::EwsTestServer server_;
  std::string user_;
  std::unique_ptr<connector::Connector> connector_;
  std::unique_ptr<connector::MailboxSession> session_;
  connector::MailboxActions* actions_ = nullptr;
};

}  // namespace mailprune::ews
