// ImapActions (imap/imap_actions.hpp) against real Dovecot and Cyrus, checked by an independent
// reader (tests/tools/imap_dump.py: Python's imaplib and email, not the code under test):
// detach with CATENATE and with APPEND leaves every other part's decoded bytes, INTERNALDATE and
// flags as they were and the old UID gone; a detach retried after each step uploads nothing twice;
// a message changed by another client is left alone; reattach gives the attachment's bytes back;
// move with and without MOVE (parents created, retry after the original left); without UIDPLUS no
// EXPUNGE at all; remove and the measured size. Capabilities are hidden by a Session wrapper to
// reach the fallbacks on a real server. One server of each kind for the whole binary, one user per
// test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <random>

#include "fake_session.hpp"  // RecordingSink
#include "harness/cyrus_server.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/temp_dir.hpp"
#include "imap/imap_actions.hpp"
#include "imap/imap_mailbox_session.hpp"
#include "platform/process.hpp"

#ifndef MAILPRUNE_TEST_TOOLS_DIR
#error "MAILPRUNE_TEST_TOOLS_DIR must name tests/tools"
#endif

namespace mailprune::test {
namespace {

using connector::ActionStep;
using connector::Outcome;
using nlohmann::json;

constexpr std::time_t kDate = 1614679200;  // 2021-03-02 10:00:00 UTC

// ---- the servers

class MailServer {
 public:
  virtual ~MailServer() = default;
  virtual std::string kind() const = 0;
  virtual void add_user(const std::string& user) = 0;
  virtual void deliver(const std::string& user, const std::string& folder, const std::string& raw,
                       const std::vector<std::string>& flags) = 0;
  virtual imap::SessionOptions options(const std::string& user) const = 0;
  // imap_dump.py arguments that log in as `user`.
  virtual std::vector<std::string> dump_login(const std::string& user) const = 0;
  // Another client, logged in as `user`.
  virtual ImapTestClient client(const std::string& user) = 0;
};

class Dovecot final : public MailServer {
 public:
  std::string kind() const override { return "dovecot"; }
  void add_user(const std::string& user) override { server_.add_user(user, "pw-" + user); }
  void deliver(const std::string& user, const std::string& folder, const std::string& raw,
               const std::vector<std::string>& flags) override {
    server_.deliver(user, folder, raw, flags, kDate);
  }
  imap::SessionOptions options(const std::string& user) const override {
    imap::SessionOptions options;
    options.host = "127.0.0.1";
    options.port = server_.imap_port();
    options.transport = imap::Transport::plain;
    options.authcid = server_.master_login(user);
    options.password = server_.master_password();
    options.compress = false;
    options.timeout = std::chrono::seconds(10);
    return options;
  }
  std::vector<std::string> dump_login(const std::string& user) const override {
    return {"--port",     std::to_string(server_.imap_port()),
            "--user",     server_.master_login(user),
            "--password", server_.master_password()};
  }
  ImapTestClient client(const std::string& user) override {
    auto client = ImapTestClient::connect_plain(server_.imap_port());
    client.login(server_.master_login(user), server_.master_password());
    return client;
  }

 private:
  DovecotServer server_;
};

class Cyrus final : public MailServer {
 public:
  std::string kind() const override { return "cyrus"; }
  void add_user(const std::string& user) override { server_.add_user(user, "pw-" + user); }
  void deliver(const std::string& user, const std::string& folder, const std::string& raw,
               const std::vector<std::string>& flags) override {
    server_.deliver(user, folder, raw, flags, kDate);
  }
  imap::SessionOptions options(const std::string& user) const override {
    imap::SessionOptions options;
    options.host = "127.0.0.1";
    options.port = server_.imap_port();
    options.transport = imap::Transport::plain;
    options.authcid = server_.admin_user();
    options.authzid = user;
    options.password = server_.admin_password();
    options.compress = false;
    options.timeout = std::chrono::seconds(10);
    return options;
  }
  std::vector<std::string> dump_login(const std::string& user) const override {
    return {"--port",     std::to_string(server_.imap_port()),
            "--user",     server_.admin_user(),
            "--authzid",  user,
            "--password", server_.admin_password()};
  }
  ImapTestClient client(const std::string& user) override { return server_.connect_as(user); }

 private:
  CyrusServer server_;
};

// Started on first use, stopped when the test program ends (a gtest environment's TearDown).
class Servers : public ::testing::Environment {
 public:
  MailServer& get(const std::string& kind) {
    auto& slot = servers_[kind];
    if (!slot) {
      if (kind == "dovecot") {
        slot = std::make_unique<Dovecot>();
      } else {
        slot = std::make_unique<Cyrus>();
      }
    }
    return *slot;
  }
  void TearDown() override { servers_.clear(); }

 private:
  std::map<std::string, std::unique_ptr<MailServer>> servers_;
};

Servers* const servers = static_cast<Servers*>(::testing::AddGlobalTestEnvironment(new Servers));

// ---- a Session that hides capabilities and records the commands sent

class FilteredSession final : public imap::Session {
 public:
  FilteredSession(std::unique_ptr<imap::Session> inner, const std::set<std::string>& hidden,
                  std::shared_ptr<std::vector<std::string>> log)
      : inner_(std::move(inner)), log_(std::move(log)) {
    for (const auto& capability : inner_->capabilities()) {
      if (!hidden.count(capability)) capabilities_.insert(capability);
    }
  }
  const std::set<std::string>& capabilities() const override { return capabilities_; }
  imap::CommandOptions command_options() const override {
    imap::CommandOptions options = inner_->command_options();
    options.literal_plus = options.literal_plus && has("LITERAL+");
    options.literal_minus = options.literal_minus && has("LITERAL-");
    return options;
  }
  const std::set<std::string>& enabled() const override { return inner_->enabled(); }
  bool compressed() const override { return inner_->compressed(); }
  imap::TagGenerator& tags() override { return inner_->tags(); }
  imap::CommandResult run(const imap::Command& command) override {
    note(command);
    return inner_->run(command);
  }
  void run_pipelined(const std::vector<imap::Command>& commands, std::size_t window,
                     const std::function<void(std::size_t, imap::CommandResult&&)>& on_result) override {
    for (const auto& command : commands) note(command);
    inner_->run_pipelined(commands, window, on_result);
  }
  void set_literal_sink(imap::LiteralSink sink) override { inner_->set_literal_sink(std::move(sink)); }
  bool alive() const override { return inner_->alive(); }
  imap::SessionTraffic traffic() const override { return inner_->traffic(); }
  void close() noexcept override { inner_->close(); }

 private:
  void note(const imap::Command& command) {
    const std::string first = command.segments.front().bytes;
    const std::string line = first.substr(0, first.find("\r\n"));
    log_->push_back(line.substr(std::min(line.size(), command.tag.size() + 1)));
  }
  std::unique_ptr<imap::Session> inner_;
  std::set<std::string> capabilities_;
  std::shared_ptr<std::vector<std::string>> log_;
};

// ---- generated mail

std::string base64_lines(const std::string& bytes) {
  const std::string flat = imap::base64_encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < flat.size(); i += 76) out += flat.substr(i, 76) + "\r\n";
  return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 generator(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(generator() & 0xFF);
  return out;
}

struct Generated {
  std::string raw;
  std::string message_id;
  std::string pdf_header;  // the detachable part's header fields (CRLF-terminated, no blank line)
  std::string pdf;         // its decoded bytes
};

// multipart/mixed: 1 multipart/alternative (1.1 text, 1.2 html), 2 PDF, 3 PNG; or with `nested`:
// 1 text, 2 multipart/mixed (2.1 PDF, 2.2 text), 3 PNG. The PDF is the one to detach.
Generated make_message(const std::string& tag, unsigned seed, bool nested = false) {
  Generated g;
  g.message_id = "<" + tag + "@example.org>";
  g.pdf = random_bytes(30000, seed);
  g.pdf_header = "Content-Type: application/pdf; name=\"rapport-" + tag +
                 ".pdf\"\r\nContent-Disposition: attachment; filename=\"rapport-" + tag +
                 ".pdf\"\r\nContent-Transfer-Encoding: base64\r\n";
  const std::string pdf_part = g.pdf_header + "\r\n" + base64_lines(g.pdf);
  const std::string png_part =
      "Content-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64_lines(random_bytes(4000, seed + 1));
  std::string m = "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Rapport " + tag +
                  "\r\nDate: Tue, 2 Mar 2021 10:00:00 +0000\r\nMessage-ID: " + g.message_id +
                  "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=outer\"\r\n\r\n"
                  "This is a multi-part message in MIME format.\r\n\r\n--=outer\r\n";
  if (nested) {
    m += "Content-Type: text/plain; charset=utf-8\r\n\r\nVoici le rapport.\r\n--=outer\r\n"
         "Content-Type: multipart/mixed; boundary=\"=inner\"\r\n\r\n--=inner\r\n" +
         pdf_part + "--=inner\r\nContent-Type: text/plain\r\n\r\nnote\r\n--=inner--\r\n";
  } else {
    m += "Content-Type: multipart/alternative; boundary=\"=alt\"\r\n\r\n--=alt\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
         "Bonjour, voici le rapport de l'=C3=A9t=C3=A9.\r\n--=alt\r\n"
         "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour, voici le rapport.</p>\r\n--=alt--\r\n"
         "--=outer\r\n" +
         pdf_part;
  }
  m += "--=outer\r\n" + png_part + "--=outer--\r\nepilogue\r\n";
  g.raw = m;
  return g;
}

// ---- the fixture

class ImapActionsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    server_ = &servers->get(GetParam());
    user_ = make_name("act");
    server_->add_user(user_);
  }

  std::unique_ptr<imap::ImapMailboxSession> open(std::set<std::string> hidden = {}, bool catenate = true) {
    const imap::SessionOptions options = server_->options(user_);
    auto log = log_;
    auto make = [options, hidden, log]() -> std::unique_ptr<imap::Session> {
      return std::make_unique<FilteredSession>(imap::Session::open(options), hidden, log);
    };
    imap::ActionSettings settings;
    settings.catenate = catenate;
    return std::make_unique<imap::ImapMailboxSession>(make(), imap::FetchSettings{}, make, settings);
  }

  static imap::ImapActions& actions(imap::ImapMailboxSession& mailbox) {
    return *static_cast<imap::ImapActions*>(mailbox.actions());
  }

  // The folder's state and its messages' refs by Message-ID, as a crawl sees them.
  std::map<std::string, connector::MessageRef> crawl(imap::ImapMailboxSession& mailbox, const std::string& name,
                                                     connector::FolderState& folder) {
    for (const auto& f : mailbox.list_folders()) {
      if (f.name == name) folder = f;
    }
    EXPECT_EQ(folder.name, name);
    RecordingSink sink;
    mailbox.crawl_folder(folder, std::nullopt, sink);
    std::map<std::string, connector::MessageRef> refs;
    for (const auto& record : sink.messages) {
      connector::MessageRef ref = record.ref;
      ref.message_id = record.message_id;
      refs[record.message_id] = ref;
    }
    return refs;
  }

  json dump(const std::string& folder) {
    TempDir scratch("dump");
    const std::string output = scratch / "dump.json";
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(MAILPRUNE_TEST_TOOLS_DIR) + "/imap_dump.py",
                                     "--folder",         folder,
                                     "--output",         output};
    for (auto& a : server_->dump_login(user_)) argv.push_back(a);
    auto result = platform::run(argv);
    if (result.exit_code != 0) throw std::runtime_error("imap_dump.py failed:\n" + result.output);
    return json::parse(read_file(output));
  }

  static const json* by_uid(const json& folder, std::uint64_t uid) {
    for (const auto& m : folder["messages"]) {
      if (m["uid"] == uid) return &m;
    }
    return nullptr;
  }
  static const json* part(const json& message, const std::string& section) {
    for (const auto& p : message["parts"]) {
      if (p["section"] == section) return &p;
    }
    return nullptr;
  }
  static bool has_header(const json& message, const std::string& name, const std::string& value) {
    for (const auto& field : message["mailprune"]) {
      if (field[0] == name && field[1] == value) return true;
    }
    return false;
  }

  // Every part of `after` but `detached` as in `before`; the notice of `action` at `detached`;
  // INTERNALDATE and flags unchanged.
  static void expect_detached(const json& before, const json& after, const std::string& detached,
                              const std::string& action) {
    EXPECT_EQ(after["internaldate"], before["internaldate"]);
    EXPECT_EQ(after["flags"], before["flags"]);
    EXPECT_EQ(after["message_id"], before["message_id"]);
    EXPECT_TRUE(has_header(after, "X-Mailprune-Action", action)) << after.dump();
    EXPECT_TRUE(has_header(after, "X-Mailprune-Sha256", "provenance-" + action)) << after.dump();
    std::size_t kept = 0;
    for (const auto& p : before["parts"]) {
      const std::string section = p["section"];
      if (section == detached) continue;
      const json* now = part(after, section);
      ASSERT_NE(now, nullptr) << "part " << section << " missing";
      EXPECT_EQ(*now, p) << "part " << section;
      ++kept;
    }
    EXPECT_GE(kept, 2u);
    const json* notice_text = part(after, detached + ".1");
    ASSERT_NE(notice_text, nullptr) << after.dump();
    EXPECT_EQ((*notice_text)["content_type"], "text/plain");
    EXPECT_EQ(part(after, detached), nullptr) << "the PDF is still there";
  }

  connector::DetachRequest detach_request(const connector::MessageRef& ref, const std::string& section,
                                          const std::string& action) {
    connector::DetachRequest request;
    request.message = ref;
    connector::Detachment detachment;
    detachment.section = section;
    detachment.notice_text = "Pièce jointe archivée : rapport.pdf (30 Ko), https://mailprune.example/a/1";
    detachment.notice_html = "<p>Pièce jointe archivée : <a href=\"https://mailprune.example/a/1\">rapport.pdf</a></p>";
    detachment.file_name = "rapport.pdf";
    request.detachments.push_back(detachment);
    request.provenance = {{"X-Mailprune-Sha256", "provenance-" + action}};
    request.action_id = action;
    request.on_step = [this](ActionStep step, const connector::MessageRef& m) { steps_.emplace_back(step, m.uid); };
    return request;
  }

  bool logged(const std::string& prefix) const {
    return std::any_of(log_->begin(), log_->end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
  }

  MailServer* server_ = nullptr;
  std::string user_;
  std::shared_ptr<std::vector<std::string>> log_ = std::make_shared<std::vector<std::string>>();
  std::vector<std::pair<ActionStep, std::uint64_t>> steps_;
};

using Steps = std::vector<std::pair<ActionStep, std::uint64_t>>;

TEST_P(ImapActionsTest, DetachWithCatenateAndWithAppendKeepsEverythingElse) {
  const Generated a = make_message("a-" + user_, 1);
  const Generated b = make_message("b-" + user_, 2, true);
  const Generated c = make_message("c-" + user_, 3);
  for (const auto* g : {&a, &b, &c}) server_->deliver(user_, "INBOX", g->raw, {"\\Seen", "\\Flagged"});
  auto mailbox = open();
  connector::FolderState inbox;
  auto refs = crawl(*mailbox, "INBOX", inbox);
  const json before = dump("INBOX");
  const std::optional<std::uint64_t> size_before = actions(*mailbox).measured_size();
  ASSERT_TRUE(size_before.has_value()) << "QUOTA or STATUS=SIZE expected on " << GetParam();

  auto result_a = actions(*mailbox).detach(inbox, detach_request(refs[a.message_id], "2", "det-a"));
  ASSERT_EQ(result_a.outcome, Outcome::done);
  const imap::ImapActions::LastAction last_a = actions(*mailbox).last_action();
  RecordProperty("upload_" + GetParam(), last_a.upload);
  EXPECT_EQ(last_a.upload, "catenate") << GetParam() << " offers CATENATE";
  EXPECT_LT(last_a.upload_bytes, 3000u) << "only the notice and header fields should travel";
  EXPECT_NE(result_a.message.uid, refs[a.message_id].uid);
  EXPECT_FALSE(result_a.message.change_key.empty());
  EXPECT_EQ(result_a.message.message_id, a.message_id);
  EXPECT_EQ(steps_, (Steps{{ActionStep::uploaded, result_a.message.uid},
                           {ActionStep::verified, result_a.message.uid},
                           {ActionStep::original_removed, refs[a.message_id].uid}}));

  // Synchronising literals (each TEXT waits for the server's `+`) for the nested one.
  auto synchronising = open({"LITERAL+", "LITERAL-"});
  auto result_b = actions(*synchronising).detach(inbox, detach_request(refs[b.message_id], "2.1", "det-b"));
  ASSERT_EQ(result_b.outcome, Outcome::done);
  EXPECT_EQ(actions(*synchronising).last_action().upload, "catenate");
  EXPECT_NE(std::find_if(log_->begin(), log_->end(),
                         [](const std::string& command) {
                           return command.rfind("APPEND", 0) == 0 && command.back() == '}' &&
                                  command.find("+}") == std::string::npos;
                         }),
            log_->end())
      << "a synchronising literal was expected";

  auto whole = open({"LITERAL+", "LITERAL-"}, false);
  auto result_c = actions(*whole).detach(inbox, detach_request(refs[c.message_id], "2", "det-c"));
  ASSERT_EQ(result_c.outcome, Outcome::done);
  EXPECT_EQ(actions(*whole).last_action().upload, "append");
  // The whole message travels: the PNG's 5.4 KB of base64 too.
  EXPECT_GT(actions(*whole).last_action().upload_bytes, last_a.upload_bytes + 5400);
  EXPECT_GT(actions(*whole).last_action().bytes_sent, actions(*whole).last_action().upload_bytes);
  RecordProperty("catenate_bytes", std::to_string(last_a.upload_bytes));
  RecordProperty("append_bytes", std::to_string(actions(*whole).last_action().upload_bytes));

  const json after = dump("INBOX");
  EXPECT_EQ(after["messages"].size(), 3u);
  for (const auto* g : {&a, &b, &c})
    EXPECT_EQ(by_uid(after, refs[g->message_id].uid), nullptr) << "old UID still there";
  const std::vector<std::tuple<const Generated*, connector::DetachResult*, std::string, std::string>> cases = {
      {&a, &result_a, "2", "det-a"}, {&b, &result_b, "2.1", "det-b"}, {&c, &result_c, "2", "det-c"}};
  for (const auto& [g, result, section, action] : cases) {
    const json* old = by_uid(before, refs[g->message_id].uid);
    const json* now = by_uid(after, result->message.uid);
    ASSERT_NE(old, nullptr);
    ASSERT_NE(now, nullptr) << action;
    SCOPED_TRACE(action);
    expect_detached(*old, *now, section, action);
  }
  const std::optional<std::uint64_t> size_after = actions(*mailbox).measured_size();
  ASSERT_TRUE(size_after.has_value());
  EXPECT_LT(*size_after + 3 * 30000, *size_before) << "three 40 KB PDFs are gone";
}

TEST_P(ImapActionsTest, CatenateUrlsNameAFolderWithNonAsciiCharacters) {
  const std::string folder = "Archives/Réunions d'été & co";
  const Generated g = make_message("na-" + user_, 5);
  server_->deliver(user_, folder, g.raw, {"\\Seen"});
  const std::string single =
      "From: a@example.org\r\nSubject: scan\r\nMessage-ID: <single-" + user_ +
      "@example.org>\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64_lines(random_bytes(3000, 6));
  server_->deliver(user_, folder, single, {});
  auto mailbox = open();
  connector::FolderState archives;
  auto refs = crawl(*mailbox, folder, archives);
  const json before = dump(folder);
  auto result = actions(*mailbox).detach(archives, detach_request(refs[g.message_id], "2", "det-na"));
  ASSERT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(actions(*mailbox).last_action().upload, "catenate") << "the URL was refused (BADURL)?";
  // The body of a single-part message cannot give way to a notice: refused, nothing done.
  auto whole_body = detach_request(refs["<single-" + user_ + "@example.org>"], "1", "det-single");
  EXPECT_THROW(actions(*mailbox).detach(archives, whole_body), connector::ConnectorError);
  const json after = dump(folder);
  ASSERT_EQ(after["messages"].size(), 2u);
  expect_detached(*by_uid(before, refs[g.message_id].uid), *by_uid(after, result.message.uid), "2", "det-na");
  EXPECT_EQ(*by_uid(after, refs["<single-" + user_ + "@example.org>"].uid),
            *by_uid(before, refs["<single-" + user_ + "@example.org>"].uid));
}

TEST_P(ImapActionsTest, RetryAfterEachStepUploadsNothingTwice) {
  for (ActionStep crash_at : {ActionStep::uploaded, ActionStep::verified, ActionStep::original_removed}) {
    const std::string tag = "r" + std::to_string(static_cast<int>(crash_at)) + "-" + user_;
    const Generated g = make_message(tag, 10 + static_cast<unsigned>(crash_at));
    server_->deliver(user_, "INBOX", g.raw, {"\\Seen"});
    connector::FolderState inbox;
    std::map<std::string, connector::MessageRef> refs;
    std::uint64_t uploaded = 0;
    {
      auto mailbox = open();
      refs = crawl(*mailbox, "INBOX", inbox);
      auto request = detach_request(refs[g.message_id], "2", "retry-" + tag);
      request.on_step = [&](ActionStep step, const connector::MessageRef& m) {
        if (step == ActionStep::uploaded) uploaded = m.uid;
        if (step == crash_at) throw std::runtime_error("crash");
      };
      EXPECT_THROW(actions(*mailbox).detach(inbox, request), std::runtime_error);
    }
    auto mailbox = open();
    auto result = actions(*mailbox).detach(inbox, detach_request(refs[g.message_id], "2", "retry-" + tag));
    EXPECT_EQ(result.outcome, Outcome::done);
    EXPECT_EQ(result.message.uid, uploaded);
    EXPECT_EQ(actions(*mailbox).last_action().upload, "")
        << "uploaded again after a crash at step " << static_cast<int>(crash_at);
    const json after = dump("INBOX");
    std::size_t copies = 0;
    for (const auto& m : after["messages"]) copies += has_header(m, "X-Mailprune-Action", "retry-" + tag) ? 1 : 0;
    EXPECT_EQ(copies, 1u);
    EXPECT_EQ(by_uid(after, refs[g.message_id].uid), nullptr);
  }
}

TEST_P(ImapActionsTest, MessageChangedByAnotherClientIsLeftAlone) {
  const Generated g = make_message("chg-" + user_, 20);
  server_->deliver(user_, "INBOX", g.raw, {"\\Seen"});
  auto mailbox = open();
  connector::FolderState inbox;
  auto refs = crawl(*mailbox, "INBOX", inbox);
  const connector::MessageRef ref = refs[g.message_id];
  ASSERT_FALSE(ref.change_key.empty()) << "CONDSTORE expected";
  {
    auto other = server_->client(user_);
    ASSERT_TRUE(other.command("SELECT INBOX").ok());
    ASSERT_TRUE(other.command("UID STORE " + std::to_string(ref.uid) + " +FLAGS (\\Answered)").ok());
  }
  const json before = dump("INBOX");
  EXPECT_EQ(actions(*mailbox).detach(inbox, detach_request(ref, "2", "chg")).outcome, Outcome::changed);
  EXPECT_EQ(actions(*mailbox).move(inbox, ref, "Archives", "chg-move").outcome, Outcome::changed);
  EXPECT_EQ(actions(*mailbox).remove(inbox, ref, connector::RemoveMode::permanent), Outcome::changed);
  EXPECT_EQ(dump("INBOX"), before);
  EXPECT_TRUE(steps_.empty());
  EXPECT_FALSE(logged("APPEND"));
  EXPECT_FALSE(logged("UID STORE"));
}

TEST_P(ImapActionsTest, ReattachGivesTheAttachmentBackByteForByte) {
  const Generated g = make_message("re-" + user_, 30);
  server_->deliver(user_, "INBOX", g.raw, {"\\Seen", "\\Answered"});
  auto mailbox = open();
  connector::FolderState inbox;
  auto refs = crawl(*mailbox, "INBOX", inbox);
  const json before = dump("INBOX");
  auto detached = actions(*mailbox).detach(inbox, detach_request(refs[g.message_id], "2", "det-re"));
  ASSERT_EQ(detached.outcome, Outcome::done);

  connector::ReattachRequest request;
  request.message = detached.message;
  connector::Reattachment reattachment;
  reattachment.section = "2";
  reattachment.original_header = g.pdf_header;
  reattachment.content = g.pdf;
  reattachment.file_name = "rapport-re-" + user_ + ".pdf";
  reattachment.content_type = "application/pdf";
  request.reattachments.push_back(reattachment);
  request.detach_action_id = "det-re";
  request.action_id = "undo-re";
  auto restored = actions(*mailbox).reattach(inbox, request);
  ASSERT_EQ(restored.outcome, Outcome::done);
  EXPECT_EQ(actions(*mailbox).last_action().upload, "append");

  const json after = dump("INBOX");
  ASSERT_EQ(after["messages"].size(), 1u);
  const json& now = after["messages"][0];
  EXPECT_EQ(now["uid"], restored.message.uid);
  const json& old = before["messages"][0];
  EXPECT_EQ(now["parts"], old["parts"]) << "every part, the PDF included, decodes as before";
  EXPECT_EQ(now["internaldate"], old["internaldate"]);
  EXPECT_EQ(now["flags"], old["flags"]);
  EXPECT_TRUE(has_header(now, "X-Mailprune-Restored", "undo-re"));
  EXPECT_FALSE(has_header(now, "X-Mailprune-Action", "det-re"));
  EXPECT_FALSE(has_header(now, "X-Mailprune-Sha256", "provenance-det-re"));

  // A retry of the undo finds it done, uploads nothing.
  auto again = actions(*mailbox).reattach(inbox, request);
  EXPECT_EQ(again.outcome, Outcome::done);
  EXPECT_EQ(again.message.uid, restored.message.uid);
  EXPECT_EQ(actions(*mailbox).last_action().upload, "");
}

TEST_P(ImapActionsTest, MoveWithAndWithoutMoveCreatesTheTarget) {
  const Generated one = make_message("mv1-" + user_, 40);
  const Generated two = make_message("mv2-" + user_, 41);
  server_->deliver(user_, "INBOX", one.raw, {"\\Seen"});
  server_->deliver(user_, "INBOX", two.raw, {"\\Flagged"});
  const std::string target = "Archives/2021/Réunions d'été";
  connector::FolderState inbox;
  std::map<std::string, connector::MessageRef> refs;
  const json before = dump("INBOX");
  connector::MoveResult moved_one;
  {
    auto mailbox = open();
    refs = crawl(*mailbox, "INBOX", inbox);
    moved_one = actions(*mailbox).move(inbox, refs[one.message_id], target, "mv-1");
    ASSERT_EQ(moved_one.outcome, Outcome::done);
    EXPECT_NE(moved_one.message.uid, 0u);
    EXPECT_FALSE(moved_one.message.change_key.empty());
    EXPECT_TRUE(logged("UID MOVE"));
    // The retry of a move whose reply was lost: the original is gone, found by Message-ID.
    auto again = actions(*mailbox).move(inbox, refs[one.message_id], target, "mv-1");
    EXPECT_EQ(again.outcome, Outcome::done);
    EXPECT_EQ(again.message.uid, moved_one.message.uid);
  }
  log_->clear();
  auto no_move = open({"MOVE"});
  auto moved_two = actions(*no_move).move(inbox, refs[two.message_id], target, "mv-2");
  ASSERT_EQ(moved_two.outcome, Outcome::done);
  EXPECT_NE(moved_two.message.uid, 0u);
  EXPECT_FALSE(logged("UID MOVE"));
  EXPECT_TRUE(logged("UID COPY"));
  EXPECT_TRUE(logged("UID EXPUNGE " + std::to_string(refs[two.message_id].uid)));

  EXPECT_TRUE(dump("INBOX")["messages"].empty());
  const json archived = dump(target);
  ASSERT_EQ(archived["messages"].size(), 2u);
  for (const auto& [g, moved] : {std::pair{&one, moved_one}, std::pair{&two, moved_two}}) {
    const json* old = by_uid(before, refs[g->message_id].uid);
    const json* now = by_uid(archived, moved.message.uid);
    ASSERT_NE(old, nullptr);
    ASSERT_NE(now, nullptr);
    EXPECT_EQ((*now)["parts"], (*old)["parts"]);
    EXPECT_EQ((*now)["flags"], (*old)["flags"]);
    EXPECT_EQ((*now)["internaldate"], (*old)["internaldate"]);
  }
}

TEST_P(ImapActionsTest, WithoutUidplusNoExpungeIsEverSent) {
  const Generated g = make_message("nx-" + user_, 50);
  server_->deliver(user_, "INBOX", g.raw, {"\\Seen"});
  auto mailbox = open({"UIDPLUS", "MOVE"});
  connector::FolderState inbox;
  auto refs = crawl(*mailbox, "INBOX", inbox);
  const json before = dump("INBOX");
  auto result = actions(*mailbox).detach(inbox, detach_request(refs[g.message_id], "2", "det-nx"));
  ASSERT_EQ(result.outcome, Outcome::done);
  for (const auto& command : *log_) {
    EXPECT_EQ(command.find("EXPUNGE"), std::string::npos) << command;
  }
  const json after = dump("INBOX");
  const json* copy = by_uid(after, result.message.uid);
  ASSERT_NE(copy, nullptr);
  expect_detached(*by_uid(before, refs[g.message_id].uid), *copy, "2", "det-nx");
  const json* original = by_uid(after, refs[g.message_id].uid);
  ASSERT_NE(original, nullptr) << "left in place, flagged, for the user's client to expunge";
  const auto flags = (*original)["flags"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(flags.begin(), flags.end(), "\\Deleted"), flags.end());
  const json quarantine = dump("Quarantine");
  ASSERT_EQ(quarantine["messages"].size(), 1u);
  EXPECT_EQ(quarantine["messages"][0]["parts"], by_uid(before, refs[g.message_id].uid)->at("parts"));
}

TEST_P(ImapActionsTest, RemovePermanentlyOrToTrash) {
  const Generated one = make_message("rm1-" + user_, 60);
  const Generated two = make_message("rm2-" + user_, 61);
  server_->deliver(user_, "INBOX", one.raw, {"\\Seen"});
  server_->deliver(user_, "INBOX", two.raw, {"\\Seen"});
  auto mailbox = open();
  connector::FolderState inbox;
  auto refs = crawl(*mailbox, "INBOX", inbox);
  auto no_quota = open({"QUOTA"});  // the sum of STATUS (SIZE) instead
  const std::optional<std::uint64_t> size_before = actions(*no_quota).measured_size();
  ASSERT_TRUE(size_before.has_value()) << "STATUS=SIZE expected on " << GetParam();
  EXPECT_GT(*size_before, 2 * 40000u);
  EXPECT_EQ(actions(*mailbox).remove(inbox, refs[one.message_id], connector::RemoveMode::permanent), Outcome::done);
  EXPECT_EQ(actions(*mailbox).remove(inbox, refs[two.message_id], connector::RemoveMode::to_deleted_items),
            Outcome::done);
  EXPECT_EQ(actions(*mailbox).remove(inbox, refs[one.message_id], connector::RemoveMode::permanent),
            Outcome::not_found);
  EXPECT_TRUE(dump("INBOX")["messages"].empty());
  const std::optional<std::uint64_t> size_after = actions(*no_quota).measured_size();
  ASSERT_TRUE(size_after.has_value());
  EXPECT_LT(*size_after + 40000, *size_before) << "one message gone for good, one moved to Trash";
  const json trash = dump("Trash");
  ASSERT_EQ(trash["messages"].size(), 1u);
  EXPECT_EQ(trash["messages"][0]["message_id"], two.message_id);
}

INSTANTIATE_TEST_SUITE_P(Servers, ImapActionsTest, ::testing::Values("dovecot", "cyrus"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace mailprune::test
