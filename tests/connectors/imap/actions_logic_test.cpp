// ImapActions (imap/imap_actions.hpp) on a scripted Session (fake_session.hpp): the server replies
// no real server here gives on demand: no UIDPLUS (never a plain EXPUNGE), NO to APPEND, a reply
// lost after the APPEND went through (the retry resumes, nothing uploaded twice), MODIFIED on the
// conditional STORE, a changed MODSEQ, a message gone, a move without MOVE and UIDPLUS.
#include <gtest/gtest.h>

#include <memory>

#include "fake_session.hpp"
#include "imap/imap_actions.hpp"
#include "imap/imap_mailbox_session.hpp"

namespace mailprune::test {
namespace {

using connector::ActionStep;
using connector::ConnectorError;
using connector::Outcome;

bool starts(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

const char* kOriginal =
    "From: a@example.org\r\nSubject: report\r\nMessage-ID: <m42@example.org>\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    "--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "JVBERi0xLjQK\r\n--b1--\r\n";

const char* kTextPart = "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL)";

// A one-folder server: INBOX (UIDVALIDITY 7) with the original as UID 42 (MODSEQ 5); an upload
// becomes UID 43 (MODSEQ 9). Knobs say how it answers; `sent` of each FakeSession records commands.
struct Model {
  bool uidplus = true;
  bool move = true;
  std::string append_reply = "OK [APPENDUID 7 43] done";  // "X": done, then the connection drops
  std::string store_reply = "OK done";
  bool original = true;
  bool original_deleted = false;
  std::uint64_t original_modseq = 5;
  bool copy = false;
  bool quarantine = false;
  bool archives = false;
  std::vector<std::string> plain_expunges;
  std::vector<std::string> log;  // every command, across sessions

  std::set<std::string> capabilities() const {
    std::set<std::string> caps = {"IMAP4REV1", "CONDSTORE", "LITERAL+"};
    if (uidplus) caps.insert("UIDPLUS");
    if (move) caps.insert("MOVE");
    return caps;
  }

  std::string original_fetch() const {
    return "* 1 FETCH (UID 42 FLAGS (\\Seen $Label" + std::string(original_deleted ? " \\Deleted" : "") +
           ") INTERNALDATE \"02-Mar-2021 10:00:00 +0000\" MODSEQ (" + std::to_string(original_modseq) +
           ") BODYSTRUCTURE (" + kTextPart +
           "(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 12 NIL NIL NIL NIL) \"mixed\" "
           "(\"boundary\" \"b1\") NIL NIL NIL))";
  }

  static std::string copy_fetch() {
    const std::string notice_header =
        "Content-Type: multipart/alternative; boundary=\"=_n\"\r\nContent-Disposition: inline\r\n"
        "X-Mailprune-Notice: a1; section=2\r\n\r\n";
    return "* 2 FETCH (UID 43 FLAGS (\\Seen $Label) INTERNALDATE \"02-Mar-2021 10:00:00 +0000\" MODSEQ (9) "
           "BODYSTRUCTURE (" +
           std::string(kTextPart) +
           "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 10 1 NIL NIL NIL NIL)"
           "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 20 1 NIL NIL NIL NIL) "
           "\"alternative\" (\"boundary\" \"=_n\") (\"inline\" NIL) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL "
           "NIL) BODY[HEADER.FIELDS (X-MAILPRUNE-ACTION X-MAILPRUNE-RESTORED X-MAILPRUNE-NOTICE)] " +
           lit("X-Mailprune-Action: a1\r\n\r\n") + " BODY[2.MIME] " + lit(notice_header) + ")";
  }

  std::vector<std::string> answer(const std::string& c) {
    log.push_back(c);
    if (starts(c, "SELECT INBOX")) return {"* 1 EXISTS", "* OK [UIDVALIDITY 7] ok", "OK [READ-WRITE] selected"};
    if (starts(c, "SELECT Archives")) return {"* OK [UIDVALIDITY 3] ok", "OK [READ-WRITE] selected"};
    if (starts(c, "UID SEARCH UID 43:* HEADER")) return {copy ? "* SEARCH 43" : "* SEARCH", "OK done"};
    if (starts(c, "UID SEARCH UID 1:* HEADER \"Message-ID\"")) return {archives ? "* SEARCH 5" : "* SEARCH", "OK"};
    if (starts(c, "UID FETCH 43 (UID BODY.PEEK[HEADER.FIELDS")) {
      return {
          "* 2 FETCH (UID 43 BODY[HEADER.FIELDS (X-MAILPRUNE-ACTION)] " + lit("X-Mailprune-Action: a1\r\n\r\n") + ")",
          "OK"};
    }
    if (starts(c, "UID FETCH 5 (UID BODY.PEEK[HEADER.FIELDS")) {
      return {"* 1 FETCH (UID 5 BODY[HEADER.FIELDS (MESSAGE-ID)] " + lit("Message-ID: <m42@example.org>\r\n\r\n") + ")",
              "OK"};
    }
    if (starts(c, "UID FETCH 5 (UID MODSEQ)")) return {"* 1 FETCH (UID 5 MODSEQ (3))", "OK"};
    if (starts(c, "UID FETCH 42 (UID BODY.PEEK[])")) {
      if (!original) return {"OK"};
      return {"* 1 FETCH (UID 42 BODY[] " + lit(kOriginal) + ")", "OK"};
    }
    if (starts(c, "UID FETCH 42 (")) {
      if (!original) return {"OK"};
      return {original_fetch(), "OK"};
    }
    if (starts(c, "UID FETCH 43 (")) {
      if (!copy) return {"OK"};
      return {copy_fetch(), "OK"};
    }
    if (starts(c, "APPEND INBOX (\\Seen $Label) \"02-Mar-2021 10:00:00 +0000\"")) {
      if (starts(append_reply, "OK") || append_reply == "X") copy = true;
      if (!uidplus && starts(append_reply, "OK")) return {"OK APPEND completed"};
      return {append_reply};
    }
    if (starts(c, "UID STORE 42")) {
      if (store_reply == "OK done" || store_reply == "X") {  // "X": carried out, then the drop
        original_deleted = true;
        original_modseq = 10;
      }
      return {store_reply};
    }
    if (starts(c, "UID EXPUNGE 42")) {
      original = false;
      return {"* 1 EXPUNGE", "OK"};
    }
    if (starts(c, "UID STORE 43 +FLAGS.SILENT (\\Deleted)")) return {"OK"};
    if (starts(c, "UID EXPUNGE 43")) {
      copy = false;
      return {"* 2 EXPUNGE", "OK"};
    }
    if (c == "LIST \"\" \"\"") return {"* LIST (\\Noselect) \"/\" \"\"", "OK"};
    if (c == "LIST \"\" \"Quarantine\"") {
      return quarantine ? std::vector<std::string>{"* LIST () \"/\" Quarantine", "OK"} : std::vector<std::string>{"OK"};
    }
    if (c == "LIST \"\" \"Archives\"") {
      return archives ? std::vector<std::string>{"* LIST () \"/\" Archives", "OK"} : std::vector<std::string>{"OK"};
    }
    if (c == "CREATE Quarantine") {
      quarantine = true;
      return {"OK"};
    }
    if (c == "CREATE Archives") {
      archives = true;
      return {"OK"};
    }
    if (starts(c, "UID COPY 42 Quarantine")) return {"OK done"};
    if (starts(c, "UID MOVE 42 Quarantine")) {
      original = false;
      return {"* 1 EXPUNGE", "OK done"};
    }
    if (starts(c, "UID COPY 42 Archives")) {
      archives = true;
      return {"OK done"};
    }
    if (c == "EXPUNGE" || starts(c, "EXPUNGE ")) {
      plain_expunges.push_back(c);
      return {"OK"};
    }
    ADD_FAILURE() << "unexpected command: " << c;
    return {"BAD unexpected"};
  }
};

struct Harness {
  std::shared_ptr<Model> model = std::make_shared<Model>();
  std::size_t sessions = 0;  // opened so far
  std::unique_ptr<imap::ImapMailboxSession> mailbox;
  std::vector<std::pair<ActionStep, std::uint64_t>> steps;

  void open() {
    auto make = [this] {
      auto fake = std::make_unique<FakeSession>(
          model->capabilities(), [m = model](const std::string& c) { return m->answer(c); },
          std::set<std::string>{"CONDSTORE"});
      ++sessions;
      return fake;
    };
    imap::ImapMailboxSession::SessionFactory factory = [make] { return std::unique_ptr<imap::Session>(make()); };
    mailbox = std::make_unique<imap::ImapMailboxSession>(make(), imap::FetchSettings{}, factory);
  }
  imap::ImapActions& actions() { return *static_cast<imap::ImapActions*>(mailbox->actions()); }

  bool sent(const std::string& prefix) const {
    for (const auto& c : model->log) {
      if (starts(c, prefix)) return true;
    }
    return false;
  }

  // The message the tests act on: UID 42 in the INBOX, known to be at MODSEQ `change_key`.
  connector::MessageRef message(std::string change_key = "5") const {
    connector::MessageRef m;
    m.uid = 42;
    m.change_key = std::move(change_key);
    m.message_id = "<m42@example.org>";
    return m;
  }

  connector::DetachRequest request(std::string change_key = "5") {
    connector::DetachRequest r;
    r.message = message(std::move(change_key));
    connector::Detachment d;
    d.section = "2";
    d.notice_text = "a.pdf is archived";
    d.notice_html = "<p>a.pdf is archived</p>";
    d.file_name = "a.pdf";
    r.detachments.push_back(d);
    r.provenance = {{"X-Mailprune-Sha256", "00ff"}};
    r.action_id = "a1";
    r.on_step = [this](ActionStep step, const connector::MessageRef& m) { steps.emplace_back(step, m.uid); };
    return r;
  }
};

connector::FolderState inbox() {
  connector::FolderState f;
  f.name = "INBOX";
  f.server_name = "INBOX";
  f.uidvalidity = 7;
  return f;
}

// Detaching h.request() from the INBOX must throw a ConnectorError of `kind`.
void expect_detach_throws(Harness& h, ConnectorError::Kind kind) {
  try {
    h.actions().detach(inbox(), h.request());
    ADD_FAILURE() << "no exception";
  } catch (const ConnectorError& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
  }
}

using Steps = std::vector<std::pair<ActionStep, std::uint64_t>>;

TEST(ImapActionsScripted, WithoutUidplusNeverAPlainExpungeOriginalToQuarantine) {
  Harness h;
  h.model->uidplus = false;
  h.model->move = false;
  h.open();
  auto result = h.actions().detach(inbox(), h.request());
  EXPECT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(result.message.uid, 43u) << "found by its header: no APPENDUID without UIDPLUS";
  EXPECT_EQ(result.message.change_key, "9");
  EXPECT_EQ(h.actions().last_action().upload, "append");
  EXPECT_TRUE(h.sent("CREATE Quarantine"));
  EXPECT_TRUE(h.sent("UID COPY 42 Quarantine"));
  EXPECT_TRUE(h.sent("UID STORE 42 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)"));
  EXPECT_FALSE(h.sent("UID EXPUNGE"));
  EXPECT_TRUE(h.model->plain_expunges.empty());
  EXPECT_EQ(h.steps,
            (Steps{{ActionStep::uploaded, 43}, {ActionStep::verified, 43}, {ActionStep::original_removed, 42}}));
}

TEST(ImapActionsScripted, WithoutUidplusRemoveMovesToQuarantineAfterAModseqCheck) {
  Harness h;
  h.model->uidplus = false;
  h.model->quarantine = true;
  h.open();
  connector::MessageRef ref;
  ref.uid = 42;
  ref.change_key = "5";
  EXPECT_EQ(h.actions().remove(inbox(), ref, connector::RemoveMode::permanent), Outcome::done);
  EXPECT_TRUE(h.sent("UID MOVE 42 Quarantine"));
  EXPECT_FALSE(h.sent("CREATE"));
  EXPECT_FALSE(h.sent("UID EXPUNGE"));
  EXPECT_TRUE(h.model->plain_expunges.empty());
  EXPECT_FALSE(h.model->original);
}

TEST(ImapActionsScripted, NoToAppendIsRefusedNothingRemoved) {
  Harness h;
  h.model->append_reply = "NO [OVERQUOTA] Quota exceeded";
  h.open();
  expect_detach_throws(h, ConnectorError::Kind::refused);
  EXPECT_FALSE(h.sent("UID STORE"));
  EXPECT_TRUE(h.steps.empty());
  EXPECT_TRUE(h.model->original);
}

TEST(ImapActionsScripted, LostAppendReplyThenTheRetryResumesWithoutUploadingAgain) {
  Harness h;
  h.model->append_reply = "X";
  h.open();
  expect_detach_throws(h, ConnectorError::Kind::connection);
  EXPECT_TRUE(h.steps.empty());
  ASSERT_EQ(h.sessions, 1u);
  // The caller retries the whole action: a fresh connection, the copy found by its header.
  const std::size_t retry_starts = h.model->log.size();
  auto result = h.actions().detach(inbox(), h.request());
  ASSERT_EQ(h.sessions, 2u);
  EXPECT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(result.message.uid, 43u);
  EXPECT_EQ(h.actions().last_action().upload, "");
  for (std::size_t i = retry_starts; i < h.model->log.size(); ++i) EXPECT_FALSE(starts(h.model->log[i], "APPEND"));
  EXPECT_TRUE(h.sent("UID STORE 42 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)"));
  EXPECT_TRUE(h.sent("UID EXPUNGE 42"));
  EXPECT_EQ(h.steps,
            (Steps{{ActionStep::uploaded, 43}, {ActionStep::verified, 43}, {ActionStep::original_removed, 42}}));
}

TEST(ImapActionsScripted, LostStoreReplyThenTheRetryExpungesWithoutUnchangedSince) {
  Harness h;
  h.model->store_reply = "X";
  h.open();
  EXPECT_THROW(h.actions().detach(inbox(), h.request()), ConnectorError);
  // The STORE went through before the drop: \Deleted set, MODSEQ moved on.
  ASSERT_TRUE(h.model->original_deleted);
  h.model->store_reply = "OK done";
  auto result = h.actions().detach(inbox(), h.request());
  EXPECT_EQ(result.outcome, Outcome::done) << "the \\Deleted flag is the earlier attempt's, not a change";
  EXPECT_FALSE(h.model->original);
  EXPECT_TRUE(h.model->copy);
}

TEST(ImapActionsScripted, ModifiedDuringRemovalDropsTheCopyAndSaysChanged) {
  Harness h;
  h.model->store_reply = "OK [MODIFIED 42] Conditional STORE failed";
  h.open();
  auto result = h.actions().detach(inbox(), h.request());
  EXPECT_EQ(result.outcome, Outcome::changed);
  EXPECT_EQ(result.message.uid, 42u);
  EXPECT_TRUE(h.sent("UID STORE 43 +FLAGS.SILENT (\\Deleted)"));
  EXPECT_TRUE(h.sent("UID EXPUNGE 43"));
  EXPECT_FALSE(h.sent("UID EXPUNGE 42"));
  EXPECT_TRUE(h.model->original);
  EXPECT_FALSE(h.model->copy);
  EXPECT_EQ(h.steps, (Steps{{ActionStep::uploaded, 43}, {ActionStep::verified, 43}}));
}

TEST(ImapActionsScripted, ChangedModseqOrGoneDoesNothing) {
  Harness h;
  h.open();
  auto changed = h.actions().detach(inbox(), h.request("4"));
  EXPECT_EQ(changed.outcome, Outcome::changed);
  h.model->original = false;
  auto gone = h.actions().detach(inbox(), h.request());
  EXPECT_EQ(gone.outcome, Outcome::not_found);
  EXPECT_FALSE(h.sent("APPEND"));
  EXPECT_FALSE(h.sent("UID STORE"));
  EXPECT_TRUE(h.steps.empty());
  connector::FolderState other_validity = inbox();
  other_validity.uidvalidity = 8;
  EXPECT_EQ(h.actions().detach(other_validity, h.request()).outcome, Outcome::changed);
}

TEST(ImapActionsScripted, ExceptionFromTheHookStopsThereLikeACrash) {
  Harness h;
  h.open();
  auto request = h.request();
  request.on_step = [](ActionStep step, const connector::MessageRef&) {
    if (step == ActionStep::verified) throw std::runtime_error("crash");
  };
  EXPECT_THROW(h.actions().detach(inbox(), request), std::runtime_error);
  EXPECT_FALSE(h.sent("UID STORE"));
  EXPECT_TRUE(h.model->copy);
  EXPECT_TRUE(h.model->original);
}

TEST(ImapActionsScripted, MoveWithoutMoveOrUidplusCopiesAndLeavesTheOriginalFlagged) {
  Harness h;
  h.model->uidplus = false;
  h.model->move = false;
  h.open();
  connector::MessageRef ref = h.message();
  auto result = h.actions().move(inbox(), ref, "Archives", "m1");
  EXPECT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(result.message.uid, 5u) << "found by Message-ID: no COPYUID";
  EXPECT_EQ(result.message.change_key, "3");
  EXPECT_TRUE(h.sent("CREATE Archives"));
  EXPECT_TRUE(h.sent("UID COPY 42 Archives"));
  EXPECT_TRUE(h.sent("UID STORE 42 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)"));
  EXPECT_FALSE(h.sent("UID EXPUNGE"));
  EXPECT_TRUE(h.model->plain_expunges.empty());
}

TEST(ImapActionsScripted, MoveRetriedAfterTheOriginalLeftFindsItByMessageId) {
  Harness h;
  h.model->original = false;
  h.model->archives = true;
  h.open();
  connector::MessageRef ref = h.message();
  auto result = h.actions().move(inbox(), ref, "Archives", "m1");
  EXPECT_EQ(result.outcome, Outcome::done);
  EXPECT_EQ(result.message.uid, 5u);
  EXPECT_FALSE(h.sent("UID MOVE"));
  EXPECT_FALSE(h.sent("UID COPY"));
  h.model->archives = false;
  ref.message_id.clear();
  EXPECT_EQ(h.actions().move(inbox(), ref, "Archives", "m1").outcome, Outcome::not_found);
}

}  // namespace
}  // namespace mailprune::test
