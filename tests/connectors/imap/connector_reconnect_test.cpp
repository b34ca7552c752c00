// The IMAP connector on a scripted Session (fake_session.hpp), part two: connections the server drops
// over one damaged part, and range reads (read_attachment_from).
//
// dovecot-bye-on-truncated-base64: Dovecot 2.3.19.1 answers UID FETCH ... (BINARY.SIZE[2]) of a base64
// part whose data ends part-way (SpamAssassin corpus spam-1/00256) with `* BYE FETCH failed: Internal
// error` and closes, every time. The session reconnects through its SessionFactory, splits the range
// down to that message, keeps its estimate, marks it damaged and goes on.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>

#include "fake_session.hpp"
#include "imap/imap_connector.hpp"
#include "imap/imap_mailbox_session.hpp"
#include "imap/sequence_set.hpp"

namespace mailprune::test {
namespace {

using connector::ConnectorError;
using connector::FolderState;
using imap::ImapMailboxSession;

FolderState inbox() {
  FolderState f;
  f.name = f.server_name = "INBOX";
  f.uidvalidity = 7;
  f.uidnext = 9;
  return f;
}

// Metadata of a message with a text body and a base64 PDF (section 2, size only estimated).
std::string pdf_message(std::uint32_t uid) {
  const std::string n = std::to_string(uid);
  return "* " + n + " FETCH (UID " + n + " RFC822.SIZE 2000 FLAGS () BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL " +
         "\"7bit\" 10 1)(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 1404) \"mixed\"))";
}

std::vector<std::uint32_t> uids_of(const std::string& command) {
  std::smatch m;
  if (!std::regex_search(command, m, std::regex("UID FETCH ([0-9:,]+) "))) return {};
  auto parsed = imap::parse_sequence_set(m[1].str());
  return parsed ? imap::expand(*parsed, 100000).value_or(std::vector<std::uint32_t>{}) : std::vector<std::uint32_t>{};
}

// An ImapMailboxSession whose sessions (the first and every reconnect) answer from one script.
// `log` holds every command as "<session number> <command>", the first session being 0.
struct Reconnecting {
  std::vector<std::string> log;
  int opened = 0;
  std::unique_ptr<ImapMailboxSession> mailbox;

  Reconnecting(std::set<std::string> caps, FakeSession::Script script, imap::FetchSettings settings = {},
               bool can_reconnect = true) {
    auto make = [this, caps, script] {
      const int number = opened++;
      return std::make_unique<FakeSession>(caps, [this, number, script](const std::string& command) {
        log.push_back(std::to_string(number) + " " + command);
        return script(command);
      });
    };
    ImapMailboxSession::SessionFactory factory;
    if (can_reconnect) factory = make;
    mailbox = std::make_unique<ImapMailboxSession>(make(), settings, factory);
  }
};

// A folder of 8 messages whose BINARY.SIZE of UID `bad` is answered with BYE (Dovecot 2.3).
std::vector<std::string> dovecot_folder(const std::string& command, std::uint32_t bad, std::uint64_t uidvalidity = 7) {
  if (command == "EXAMINE INBOX (CONDSTORE)") {
    return {"* OK [UIDVALIDITY " + std::to_string(uidvalidity) + "] ok", "* OK [UIDNEXT 9] ok", "* 8 EXISTS", "OK"};
  }
  if (command == "UID SEARCH RETURN (ALL) ALL") return {"* ESEARCH UID ALL 1:8", "OK"};
  std::vector<std::string> reply;
  if (command.find("BODYSTRUCTURE") != std::string::npos) {
    for (std::uint32_t uid : uids_of(command)) reply.push_back(pdf_message(uid));
  } else if (command.find("BINARY.SIZE[2]") != std::string::npos) {
    const auto uids = uids_of(command);
    if (std::find(uids.begin(), uids.end(), bad) != uids.end()) return {"* BYE FETCH failed: Internal error"};
    for (std::uint32_t uid : uids) {
      reply.push_back("* " + std::to_string(uid) + " FETCH (UID " + std::to_string(uid) + " BINARY.SIZE[2] " +
                      std::to_string(1000 + uid) + ")");
    }
  } else {
    ADD_FAILURE() << command;
    return {"BAD unexpected"};
  }
  reply.emplace_back("OK");
  return reply;
}

TEST(ImapConnectorLogic, DovecotByeOnBinarySizeReconnectsAndMarksThePartDamaged) {
  imap::FetchSettings settings;
  settings.binary_batch = 4;  // two commands in flight: a drop does not say which one it was
  Reconnecting h(
      kDovecotCaps, [](const std::string& command) { return dovecot_folder(command, 2); }, settings);
  RecordingSink sink;
  const FolderState state = h.mailbox->crawl_folder(inbox(), std::nullopt, sink);
  EXPECT_EQ(state.uidvalidity, 7u);
  ASSERT_EQ(sink.messages.size(), 8u);
  for (std::uint32_t uid = 1; uid <= 8; ++uid) {
    const auto* record = sink.find(uid);
    ASSERT_TRUE(record) << uid;
    ASSERT_EQ(record->attachments.size(), 1u);
    const auto& pdf = record->attachments[0];
    EXPECT_EQ(pdf.size_exact, uid != 2) << uid;
    EXPECT_EQ(pdf.damaged, uid == 2) << uid;
    EXPECT_EQ(pdf.size, uid == 2 ? 1026u : 1000u + uid) << uid;  // 2: the BODYSTRUCTURE estimate
  }
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_EQ(sink.errors[0],
            "2: BINARY.SIZE[2]: server said BYE: FETCH failed: Internal error (attachment marked damaged, size "
            "estimated)");
  // Both in-flight commands again one at a time, then halves down to UID 2: four fresh sessions,
  // each selecting the folder before anything else.
  EXPECT_EQ(h.opened, 5);
  for (int session = 1; session < h.opened; ++session) {
    auto first = std::find_if(h.log.begin(), h.log.end(), [&](const std::string& line) {
      return line.rfind(std::to_string(session) + " ", 0) == 0;
    });
    ASSERT_NE(first, h.log.end());
    EXPECT_EQ(*first, std::to_string(session) + " EXAMINE INBOX (CONDSTORE)");
  }
  ASSERT_GE(h.log.size(), 2u);
  EXPECT_EQ(h.log[h.log.size() - 2], "3 UID FETCH 2 (UID BINARY.SIZE[2])");  // alone: it is the one
  EXPECT_EQ(h.log.back(), "4 EXAMINE INBOX (CONDSTORE)");                    // ready for what follows
  // The dropped sessions' work is counted too: 3 round trips on the first, and at least the EXAMINE
  // of each reconnect (the last session alone did only that).
  EXPECT_GE(h.mailbox->traffic().round_trips, 3u + 4u);
}

TEST(ImapConnectorLogic, ConnectionDropOnBinarySizeIsTreatedTheSame) {
  Reconnecting h(kDovecotCaps, [](const std::string& command) -> std::vector<std::string> {
    const auto uids = uids_of(command);
    if (command.find("BINARY.SIZE") != std::string::npos && std::find(uids.begin(), uids.end(), 6u) != uids.end()) {
      return {"X"};  // EOF, no BYE
    }
    return dovecot_folder(command, 0);
  });
  RecordingSink sink;
  h.mailbox->crawl_folder(inbox(), std::nullopt, sink);
  ASSERT_EQ(sink.messages.size(), 8u);
  EXPECT_TRUE(sink.find(6)->attachments[0].damaged);
  EXPECT_FALSE(sink.find(5)->attachments[0].damaged);
  EXPECT_TRUE(sink.find(5)->attachments[0].size_exact);
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_EQ(sink.errors[0].rfind("6: BINARY.SIZE[2]: connection closed by the server", 0), 0u) << sink.errors[0];
}

TEST(ImapConnectorLogic, ServerDroppingEveryBinarySizeFailsTheFolderInBoundedTime) {
  imap::FetchSettings settings;
  settings.max_reconnects_per_folder = 3;
  Reconnecting h(
      kDovecotCaps,
      [](const std::string& command) -> std::vector<std::string> {
        if (command.find("BINARY.SIZE") != std::string::npos) return {"* BYE Internal error"};
        return dovecot_folder(command, 0);
      },
      settings);
  RecordingSink sink;
  try {
    h.mailbox->crawl_folder(inbox(), std::nullopt, sink);
    FAIL() << "no exception";
  } catch (const ConnectorError& e) {
    EXPECT_EQ(e.kind(), ConnectorError::Kind::connection);
    EXPECT_TRUE(e.retriable());
  }
  EXPECT_EQ(h.opened, 4);  // the first session and 3 reconnects
}

TEST(ImapConnectorLogic, ByeWithoutSessionFactoryIsAConnectionError) {
  Reconnecting h(
      kDovecotCaps, [](const std::string& command) { return dovecot_folder(command, 3); }, {}, false);
  RecordingSink sink;
  try {
    h.mailbox->crawl_folder(inbox(), std::nullopt, sink);
    FAIL() << "no exception";
  } catch (const ConnectorError& e) {
    EXPECT_EQ(e.kind(), ConnectorError::Kind::connection);
  }
  EXPECT_EQ(h.opened, 1);
}

TEST(ImapConnectorLogic, UidValidityChangedWhileReconnectingStartsOver) {
  Reconnecting h(kDovecotCaps,
                 [&h](const std::string& command) { return dovecot_folder(command, 4, h.opened > 1 ? 8 : 7); });
  RecordingSink sink;
  try {
    h.mailbox->crawl_folder(inbox(), std::nullopt, sink);
    FAIL() << "no exception";
  } catch (const ConnectorError& e) {
    EXPECT_EQ(e.kind(), ConnectorError::Kind::connection);
    EXPECT_NE(std::string(e.what()).find("UIDVALIDITY changed"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- attachment reads

// UID 3: text body (1), base64 "hello world" (2), a forwarded message (3, 7bit).
const std::string kEmbedded = "Subject: fwd\r\n\r\nforwarded text\r\n";

std::vector<std::string> structure_or_examine(const std::string& command) {
  if (command == "EXAMINE INBOX (CONDSTORE)") return {"* OK [UIDVALIDITY 7] ok", "OK"};
  if (command == "UID FETCH 3 (UID BODYSTRUCTURE)") {
    return {
        "* 1 FETCH (UID 3 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"application\" \"pdf\" "
        "NIL NIL NIL \"base64\" 18)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" " +
            std::to_string(kEmbedded.size()) +
            " (NIL \"fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 16 1) 3)"
            " \"mixed\"))",
        "OK"};
  }
  return {};
}

// UID 3's script: structure_or_examine(), then `replies` by exact command; any other command fails
// the test.
FakeSession::Script uid3_script(std::map<std::string, std::vector<std::string>> replies) {
  return [replies = std::move(replies)](const std::string& command) -> std::vector<std::string> {
    if (auto reply = structure_or_examine(command); !reply.empty()) return reply;
    if (auto it = replies.find(command); it != replies.end()) return it->second;
    ADD_FAILURE() << command;
    return {"BAD"};
  };
}

struct Collect {
  std::string got;
  connector::ContentSink sink() {
    return [this](std::string_view bytes) {
      got += bytes;
      return true;
    };
  }
};

TEST(ImapConnectorLogic, ReadAttachmentByeFallsBackToLocalDecodingOnAFreshSession) {
  Reconnecting h(
      kDovecotCaps,
      uid3_script({
          {"UID FETCH 3 (UID BINARY.PEEK[2])", {"* BYE FETCH failed: Internal error"}},
          // The base64 ends part-way: "hello wor" and a lone "b".
          {"UID FETCH 3 (UID BODY.PEEK[2])", {"* 1 FETCH (UID 3 BODY[2] " + lit("aGVsbG8gd29yb") + ")", "OK"}},
      }));
  Collect c;
  EXPECT_FALSE(h.mailbox->read_attachment(inbox(), ref(3), "2", 0, c.sink()));
  EXPECT_EQ(c.got, "hello wor");
  EXPECT_EQ(h.opened, 2);
  EXPECT_EQ(h.log, (std::vector<std::string>{"0 EXAMINE INBOX (CONDSTORE)", "0 UID FETCH 3 (UID BODYSTRUCTURE)",
                                             "0 UID FETCH 3 (UID BINARY.PEEK[2])", "1 EXAMINE INBOX (CONDSTORE)",
                                             "1 UID FETCH 3 (UID BODY.PEEK[2])"}));
}

TEST(ImapConnectorLogic, ReadAttachmentFromFetchesABinaryRange) {
  Reconnecting h(
      kDovecotCaps,
      uid3_script({
          {"UID FETCH 3 (UID BINARY.PEEK[2]<6.4294967289>)",
           {"* 1 FETCH (UID 3 BINARY[2]<6> ~" + lit("world") + ")", "OK"}},
          // Past the end (Dovecot, Cyrus).
          {"UID FETCH 3 (UID BINARY.PEEK[2]<50.4294967245>)", {"* 1 FETCH (UID 3 BINARY[2]<50> \"\")", "OK"}},
          // message/*: raw, and identity-encoded: the server skips the bytes.
          {"UID FETCH 3 (UID BODY.PEEK[3]<9.4294967286>)",
           {"* 1 FETCH (UID 3 BODY[3]<9> " + lit(kEmbedded.substr(9)) + ")", "OK"}},
      }));
  Collect c;
  EXPECT_TRUE(h.mailbox->read_attachment_from(inbox(), ref(3), "2", 6, c.sink()));
  EXPECT_EQ(c.got, "world");
  c.got.clear();
  EXPECT_TRUE(h.mailbox->read_attachment_from(inbox(), ref(3), "2", 50, c.sink()));
  EXPECT_EQ(c.got, "");
  EXPECT_TRUE(h.mailbox->read_attachment_from(inbox(), ref(3), "3", 9, c.sink()));
  EXPECT_EQ(c.got, kEmbedded.substr(9));
  EXPECT_EQ(h.mailbox->traffic().bytes_for_content, 5u + kEmbedded.size() - 9);
  EXPECT_EQ(h.log.size(), 5u);  // EXAMINE and BODYSTRUCTURE once
}

TEST(ImapConnectorLogic, ReadAttachmentFromDecodesAndSkipsWithoutBinaryOrAfterNo) {
  const std::string encoded = "aGVsbG8gd29ybGQ=\r\n";  // "hello world"
  const auto script = uid3_script({
      {"EXAMINE INBOX", {"* OK [UIDVALIDITY 7] ok", "OK"}},
      {"UID FETCH 3 (UID BINARY.PEEK[2]<6.4294967289>)", {"NO [PARSE] Invalid base64"}},
      {"UID FETCH 3 (UID BODY.PEEK[2])", {"* 1 FETCH (UID 3 BODY[2] " + lit(encoded) + ")", "OK"}},
  });
  for (const auto& caps : {kDovecotCaps, std::set<std::string>{"IMAP4REV1"}}) {
    Reconnecting h(caps, script);
    Collect c;
    EXPECT_TRUE(h.mailbox->read_attachment_from(inbox(), ref(3), "2", 6, c.sink()));
    EXPECT_EQ(c.got, "world");
    EXPECT_EQ(h.mailbox->traffic().bytes_for_content, encoded.size());
  }
}

TEST(ImapConnectorLogic, ReadAttachmentFromAfterADropSkipsLocallyOnAFreshSession) {
  Reconnecting h(
      kDovecotCaps,
      uid3_script({
          {"UID FETCH 3 (UID BINARY.PEEK[2]<6.4294967289>)", {"X"}},
          {"UID FETCH 3 (UID BODY.PEEK[2])", {"* 1 FETCH (UID 3 BODY[2] " + lit("aGVsbG8gd29ybGQ=") + ")", "OK"}},
      }));
  Collect c;
  // A bare drop may be the network: the part decodes cleanly here, so it is not damaged.
  EXPECT_TRUE(h.mailbox->read_attachment_from(inbox(), ref(3), "2", 6, c.sink()));
  EXPECT_EQ(c.got, "world");
  EXPECT_EQ(h.opened, 2);
}

}  // namespace
}  // namespace mailprune::test
