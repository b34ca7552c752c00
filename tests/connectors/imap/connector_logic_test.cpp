// The IMAP connector's logic on a scripted Session (fake_session.hpp): folder listing and name
// decoding, the no-change path, QRESYNC and CONDSTORE incremental paths, range splitting on
// NO [PARSE], BODYSTRUCTURE -> AttachmentRecord, attachment reads with and without BINARY.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "fake_session.hpp"
#include "imap/imap_connector.hpp"
#include "imap/imap_mailbox_session.hpp"
#include "imap/message_record.hpp"
#include "imap/response.hpp"
#include "mime/attachments.hpp"

namespace mailprune::test {
namespace {

using connector::ConnectorError;
using connector::FolderState;
using imap::ImapMailboxSession;

// A message with a text body and one base64 PDF attachment (section 2, 1400 encoded bytes).
std::string pdf_message(std::uint32_t uid) {
  return "* " + std::to_string(uid) + " FETCH (UID " + std::to_string(uid) +
         " RFC822.SIZE 2000 INTERNALDATE \"02-Mar-2021 10:00:00 +0000\" FLAGS (\\Seen) "
         "ENVELOPE (\"Tue, 2 Mar 2021 10:00:00 +0100\" \"=?utf-8?q?R=C3=A9union?=\" "
         "((\"Alice\" NIL \"alice\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<m" +
         std::to_string(uid) +
         "@x>\") "
         "BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)"
         "(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 1404 NIL (\"attachment\" "
         "(\"filename\" \"a.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))";
}

std::vector<std::uint32_t> uids_of(const std::string& command) {
  std::smatch m;
  std::regex set("UID FETCH ([0-9:,*]+) ");
  std::vector<std::uint32_t> out;
  if (!std::regex_search(command, m, set)) return out;
  auto parsed = imap::parse_sequence_set(m[1].str());
  if (!parsed) return out;
  auto all = imap::expand(*parsed, 100000);
  return all.value_or(out);
}

FolderState folder(std::string name, std::uint64_t validity, std::uint64_t next, std::optional<std::uint64_t> modseq,
                   std::uint64_t count = 0) {
  FolderState f;
  f.name = name;
  f.server_name = std::move(name);
  f.uidvalidity = validity;
  f.uidnext = next;
  f.highestmodseq = modseq;
  f.message_count = count;
  return f;
}

struct Harness {
  FakeSession* fake = nullptr;
  std::unique_ptr<ImapMailboxSession> session;
  Harness(std::set<std::string> caps, FakeSession::Script script, std::set<std::string> enabled = {},
          imap::FetchSettings settings = {}) {
    auto owned = std::make_unique<FakeSession>(std::move(caps), std::move(script), std::move(enabled));
    fake = owned.get();
    session = std::make_unique<ImapMailboxSession>(std::move(owned), settings);
  }
};

// ---------------------------------------------------------------- folder listing

TEST(ImapConnectorLogic, ListStatusIsOneRoundTripAndNamesAreDecoded) {
  Harness h(kDovecotCaps, [](const std::string& command) -> std::vector<std::string> {
    EXPECT_EQ(command, "LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ SIZE))");
    return {"* LIST (\\HasNoChildren) \".\" INBOX",
            "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 7 HIGHESTMODSEQ 10 SIZE 1000)",
            "* LIST (\\HasNoChildren \\Sent) \".\" \"Sent Items\"",
            "* STATUS \"Sent Items\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 8 HIGHESTMODSEQ 1 SIZE 0)",
            "* LIST (\\Noselect \\HasChildren) \".\" Archives",
            "* LIST (\\HasNoChildren) \".\" \"Archives.R&AOk-unions\"",
            "* STATUS \"Archives.R&AOk-unions\" (MESSAGES 2 UIDNEXT 9 UIDVALIDITY 9 HIGHESTMODSEQ 4 SIZE 300)",
            "* LIST (\\NonExistent) \".\" Gone",
            "* LIST (\\HasNoChildren) \".\" inbox.Drafts",
            "OK List completed"};
  });
  auto folders = h.session->list_folders();
  ASSERT_EQ(folders.size(), 4u);
  EXPECT_EQ(folders[0].name, "INBOX");
  EXPECT_EQ(folders[0].uidvalidity, 7u);
  EXPECT_EQ(folders[0].uidnext, 4u);
  EXPECT_EQ(folders[0].highestmodseq, 10u);
  EXPECT_EQ(folders[0].message_count, 3u);
  EXPECT_EQ(folders[0].size_bytes, 1000u);
  EXPECT_EQ(folders[1].name, "Sent Items");
  EXPECT_EQ(folders[1].special_use, "\\Sent");
  EXPECT_EQ(folders[2].name, "Archives/R\xC3\xA9unions");
  EXPECT_EQ(folders[2].server_name, "Archives.R&AOk-unions");
  EXPECT_EQ(folders[3].name, "INBOX/Drafts");
  EXPECT_FALSE(folders[3].uidvalidity);
  EXPECT_EQ(h.session->traffic().round_trips, 1u);
}

TEST(ImapConnectorLogic, WithoutListStatusStatusIsPipelined) {
  Harness h({"IMAP4REV1"}, [](const std::string& command) -> std::vector<std::string> {
    if (command == "LIST \"\" \"*\"") {
      return {"* LIST () \"/\" INBOX", "* LIST () \"/\" \"a/b\"", "OK"};
    }
    if (command == "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)")
      return {"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 3)", "OK"};
    if (command == "STATUS a/b (MESSAGES UIDNEXT UIDVALIDITY)") return {"NO [NONEXISTENT] gone"};
    ADD_FAILURE() << command;
    return {"BAD"};
  });
  auto folders = h.session->list_folders();
  ASSERT_EQ(folders.size(), 2u);
  EXPECT_EQ(folders[0].uidnext, 2u);
  EXPECT_EQ(folders[1].name, "a/b");
  EXPECT_FALSE(folders[1].uidvalidity);
  EXPECT_EQ(h.fake->sent.size(), 3u);
  EXPECT_EQ(h.session->traffic().round_trips, 2u);  // LIST, then both STATUS in one window
}

// ---------------------------------------------------------------- crawl paths

TEST(ImapConnectorLogic, UnchangedFolderSendsNothing) {
  Harness h(kDovecotCaps,
            [](const std::string& command) -> std::vector<std::string> {
              ADD_FAILURE() << "nothing should be sent, got " << command;
              return {"BAD"};
            },
            {"QRESYNC"});
  RecordingSink sink;
  FolderState state = folder("INBOX", 7, 4, 10, 3);
  FolderState returned = h.session->crawl_folder(state, state, sink);
  EXPECT_EQ(sink.begins, std::vector<bool>{false});
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(returned.highestmodseq, 10u);
  EXPECT_EQ(h.session->traffic().round_trips, 0u);
}

TEST(ImapConnectorLogic, UnchangedFolderWithoutCondstoreComparesCounts) {
  Harness h({"IMAP4REV1"}, [](const std::string& command) -> std::vector<std::string> {
    ADD_FAILURE() << command;
    return {"BAD"};
  });
  RecordingSink sink;
  h.session->crawl_folder(folder("INBOX", 7, 4, std::nullopt, 3), folder("INBOX", 7, 4, std::nullopt, 3), sink);
  EXPECT_EQ(sink.begins, std::vector<bool>{false});
}

TEST(ImapConnectorLogic, QresyncIncrementalFetchesChangedInFullAndReportsVanished) {
  Harness h(
      kDovecotCaps,
      [](const std::string& command) -> std::vector<std::string> {
        if (command == "EXAMINE INBOX (QRESYNC (7 10))") {
          return {"* OK [UIDVALIDITY 7] ok",
                  "* OK [UIDNEXT 6] ok",
                  "* OK [HIGHESTMODSEQ 15] ok",
                  "* 3 EXISTS",
                  "* VANISHED (EARLIER) 1:2",
                  "* 1 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (12))",
                  "* 2 FETCH (UID 5 FLAGS () MODSEQ (14))",
                  "OK [READ-ONLY] Examined"};
        }
        if (command.rfind("UID FETCH 3,5 (UID RFC822.SIZE INTERNALDATE FLAGS ENVELOPE BODYSTRUCTURE MODSEQ X-GUID)",
                          0) == 0) {
          return {pdf_message(3), pdf_message(5), "OK"};
        }
        if (command == "UID FETCH 3,5 (UID BINARY.SIZE[2])") {
          return {"* 1 FETCH (UID 3 BINARY.SIZE[2] 1000)", "* 2 FETCH (UID 5 BINARY.SIZE[2] 1001)", "OK"};
        }
        ADD_FAILURE() << command;
        return {"BAD unexpected"};
      },
      {"QRESYNC"});
  RecordingSink sink;
  FolderState state = h.session->crawl_folder(folder("INBOX", 7, 6, 15), folder("INBOX", 7, 4, 10), sink);
  EXPECT_EQ(sink.begins, std::vector<bool>{false});
  EXPECT_EQ(sink.removed_uids, (std::vector<std::uint64_t>{1, 2}));
  ASSERT_EQ(sink.messages.size(), 2u);
  const auto* m3 = sink.find(3);
  ASSERT_TRUE(m3);
  ASSERT_EQ(m3->attachments.size(), 1u);  // complete record, not flags only
  EXPECT_EQ(m3->attachments[0].size, 1000u);
  EXPECT_TRUE(m3->attachments[0].size_exact);
  EXPECT_EQ(sink.find(5)->attachments[0].size, 1001u);
  EXPECT_EQ(state.highestmodseq, 15u);
  EXPECT_EQ(state.uidnext, 6u);
  EXPECT_EQ(h.session->traffic().round_trips, 3u);  // EXAMINE, metadata, BINARY.SIZE
  EXPECT_TRUE(sink.errors.empty());
}

TEST(ImapConnectorLogic, CondstoreIncrementalUsesGapsAndChangedSince) {
  const std::set<std::string> caps = {"IMAP4REV1", "CONDSTORE", "OBJECTID"};
  Harness h(caps, [](const std::string& command) -> std::vector<std::string> {
    if (command == "EXAMINE INBOX (CONDSTORE)") {
      return {"* OK [UIDVALIDITY 7] ok", "* OK [UIDNEXT 8] ok", "* OK [HIGHESTMODSEQ 20] ok", "* 4 EXISTS", "OK"};
    }
    if (command == "UID SEARCH ALL") return {"* SEARCH 1 3 6 7", "OK"};
    if (command == "UID FETCH 1:* (UID) (CHANGEDSINCE 10)")
      return {"* 2 FETCH (UID 3 MODSEQ (12))", "* 4 FETCH (UID 7 MODSEQ (19))", "OK"};
    if (command == "UID FETCH 3,6:7 (UID RFC822.SIZE INTERNALDATE FLAGS ENVELOPE BODYSTRUCTURE MODSEQ EMAILID)") {
      return {pdf_message(3), pdf_message(6), pdf_message(7), "OK"};
    }
    ADD_FAILURE() << command;
    return {"BAD unexpected"};
  });
  RecordingSink sink;
  h.session->crawl_folder(folder("INBOX", 7, 8, 20), folder("INBOX", 7, 6, 10), sink);
  EXPECT_EQ(sink.begins, std::vector<bool>{false});
  EXPECT_EQ(sink.removed_uids, (std::vector<std::uint64_t>{2, 4, 5}));
  EXPECT_EQ(sink.messages.size(), 3u);
  EXPECT_FALSE(sink.find(3)->attachments[0].size_exact);  // no BINARY: estimated
  EXPECT_EQ(h.session->traffic().round_trips, 2u);        // EXAMINE+SEARCH+CHANGEDSINCE, then metadata
}

TEST(ImapConnectorLogic, NewUidValidityRescansEverything) {
  Harness h(kDovecotCaps,
            [](const std::string& command) -> std::vector<std::string> {
              if (command == "EXAMINE INBOX (CONDSTORE)") return {"* OK [UIDVALIDITY 99] ok", "* 1 EXISTS", "OK"};
              if (command == "UID SEARCH RETURN (ALL) ALL") return {"* ESEARCH (TAG \"T0002\") UID ALL 4", "OK"};
              if (command.rfind("UID FETCH 4 (UID RFC822.SIZE", 0) == 0) return {pdf_message(4), "OK"};
              if (command == "UID FETCH 4 (UID BINARY.SIZE[2])") return {"* 1 FETCH (UID 4 BINARY.SIZE[2] 1000)", "OK"};
              ADD_FAILURE() << command;
              return {"BAD unexpected"};
            },
            {"QRESYNC"});
  RecordingSink sink;
  FolderState state = h.session->crawl_folder(folder("INBOX", 99, 5, 3), folder("INBOX", 7, 4, 10), sink);
  EXPECT_EQ(sink.begins, std::vector<bool>{true});
  EXPECT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(state.uidvalidity, 99u);
}

TEST(ImapConnectorLogic, BinarySizeNoParseSplitsDownToOneMessage) {
  std::vector<std::string> size_commands;
  Harness h(kDovecotCaps, [&](const std::string& command) -> std::vector<std::string> {
    if (command == "EXAMINE INBOX (CONDSTORE)") return {"* OK [UIDVALIDITY 7] ok", "* 4 EXISTS", "OK"};
    if (command == "UID SEARCH RETURN (ALL) ALL") return {"* ESEARCH UID ALL 1:4", "OK"};
    if (command.find("BODYSTRUCTURE") != std::string::npos) {
      std::vector<std::string> lines;
      for (auto uid : uids_of(command)) lines.push_back(pdf_message(uid));
      lines.emplace_back("OK");
      return lines;
    }
    if (command.find("BINARY.SIZE") != std::string::npos) {
      size_commands.push_back(command);
      auto uids = uids_of(command);
      std::vector<std::string> lines;
      // UID 2 has broken content: like Dovecot, the answer stops there with NO [PARSE].
      bool broken = false;
      for (auto uid : uids) {
        if (uid == 2) {
          broken = true;
          break;
        }
        lines.push_back("* " + std::to_string(uid) + " FETCH (UID " + std::to_string(uid) + " BINARY.SIZE[2] " +
                        std::to_string(990 + uid) + ")");
      }
      lines.emplace_back(broken ? "NO [PARSE] Invalid quoted-printable input trailer" : "OK");
      return lines;
    }
    ADD_FAILURE() << command;
    return {"BAD unexpected"};
  });
  RecordingSink sink;
  h.session->crawl_folder(folder("INBOX", 7, 5, 3), std::nullopt, sink);
  ASSERT_EQ(sink.messages.size(), 4u);
  for (std::uint64_t uid : {1, 3, 4}) {
    EXPECT_EQ(sink.find(uid)->attachments[0].size, 990 + uid);
    EXPECT_TRUE(sink.find(uid)->attachments[0].size_exact);
    EXPECT_FALSE(sink.find(uid)->attachments[0].damaged);
  }
  const auto& broken = sink.find(2)->attachments[0];
  EXPECT_FALSE(broken.size_exact);
  EXPECT_TRUE(broken.damaged);
  EXPECT_EQ(broken.size, mime::estimate_decoded_size(1404, "base64").size);
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_NE(sink.errors[0].find("2: BINARY.SIZE[2]: NO [PARSE]"), std::string::npos) << sink.errors[0];
  // 1:4 refused after 1 was answered: 2:4 split in halves; 2 alone is refused, 3:4 answered; one
  // message alone that still fails is not asked again.
  EXPECT_EQ(size_commands,
            (std::vector<std::string>{"UID FETCH 1:4 (UID BINARY.SIZE[2])", "UID FETCH 2 (UID BINARY.SIZE[2])",
                                      "UID FETCH 3:4 (UID BINARY.SIZE[2])"}));
}

TEST(ImapConnectorLogic, MetadataNoSplitsAndRecordsTheBrokenMessage) {
  imap::FetchSettings settings;
  settings.metadata_batch = 4;
  Harness h(
      {"IMAP4REV1", "OBJECTID"},
      [&](const std::string& command) -> std::vector<std::string> {
        if (command == "EXAMINE INBOX") return {"* OK [UIDVALIDITY 7] ok", "* 4 EXISTS", "OK"};
        if (command == "UID SEARCH ALL") return {"* SEARCH 1 2 3 4", "OK"};
        if (command.find("BODYSTRUCTURE") != std::string::npos) {
          auto uids = uids_of(command);
          if (std::find(uids.begin(), uids.end(), 2u) != uids.end()) return {"NO [SERVERBUG] cannot parse message"};
          std::vector<std::string> lines;
          for (auto uid : uids) lines.push_back(pdf_message(uid));
          lines.emplace_back("OK");
          return lines;
        }
        if (command == "UID FETCH 2 (UID RFC822.SIZE INTERNALDATE FLAGS)")
          return {"* 2 FETCH (UID 2 RFC822.SIZE 77 FLAGS ())", "OK"};
        ADD_FAILURE() << command;
        return {"BAD unexpected"};
      },
      {}, settings);
  RecordingSink sink;
  h.session->crawl_folder(folder("INBOX", 7, 5, std::nullopt), std::nullopt, sink);
  ASSERT_EQ(sink.messages.size(), 4u);
  const auto* two = sink.find(2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size, 77u);
  EXPECT_FALSE(two->parse_error.empty());
  EXPECT_TRUE(two->attachments.empty());
  EXPECT_EQ(sink.errors.size(), 1u);
}

TEST(ImapConnectorLogic, XGuidRefusedIsDroppedForTheSession) {
  Harness h({"IMAP4REV1"}, [&](const std::string& command) -> std::vector<std::string> {
    if (command == "EXAMINE INBOX") return {"* OK [UIDVALIDITY 7] ok", "* 1 EXISTS", "OK"};
    if (command == "UID SEARCH ALL") return {"* SEARCH 1", "OK"};
    if (command.find("X-GUID") != std::string::npos) return {"BAD Invalid fetch attribute X-GUID"};
    if (command.find("BODYSTRUCTURE") != std::string::npos) return {pdf_message(1), "OK"};
    ADD_FAILURE() << command;
    return {"BAD unexpected"};
  });
  RecordingSink sink;
  h.session->crawl_folder(folder("INBOX", 7, 2, std::nullopt), std::nullopt, sink);
  EXPECT_EQ(sink.messages.size(), 1u);
}

TEST(ImapConnectorLogic, ExamineRefusedIsNotFound) {
  Harness h(kDovecotCaps, [](const std::string& command) -> std::vector<std::string> {
    if (command.rfind("EXAMINE", 0) == 0) return {"NO [NONEXISTENT] Mailbox doesn't exist"};
    return {"BAD No mailbox selected"};
  });
  RecordingSink sink;
  try {
    h.session->crawl_folder(folder("Gone", 7, 2, 3), std::nullopt, sink);
    FAIL() << "no exception";
  } catch (const ConnectorError& e) {
    EXPECT_EQ(e.kind(), ConnectorError::Kind::not_found);
  }
}

// ---------------------------------------------------------------- attachment reads

TEST(ImapConnectorLogic, ReadAttachmentWithBinaryAndForwardedMessagesRaw) {
  const std::string embedded = "Subject: fwd\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nd=C3=A9j=C3=A0\r\n";
  Harness h(kDovecotCaps, [&](const std::string& command) -> std::vector<std::string> {
    if (command == "EXAMINE INBOX (CONDSTORE)") return {"* OK [UIDVALIDITY 7] ok", "OK"};
    if (command == "UID FETCH 3 (UID BODYSTRUCTURE)") {
      return {
          "* 1 FETCH (UID 3 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"application\" \"pdf\" NIL "
          "NIL NIL \"base64\" 20)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" " +
              std::to_string(embedded.size()) +
              " (NIL \"fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"quoted-printable\" 14 "
              "1) 4)"
              " \"mixed\"))",
          "OK"};
    }
    if (command == "UID FETCH 3 (UID BINARY.PEEK[2]<0.5>)")
      return {"* 1 FETCH (UID 3 BINARY[2]<0> ~" + lit("hello") + ")", "OK"};
    if (command == "UID FETCH 3 (UID BINARY.PEEK[2])")
      return {"* 1 FETCH (UID 3 BINARY[2] ~" + lit("hello world") + ")", "OK"};
    // Dovecot would answer BINARY[3] with the embedded message's parts decoded: the raw bytes are wanted.
    if (command == "UID FETCH 3 (UID BODY.PEEK[3])") return {"* 1 FETCH (UID 3 BODY[3] " + lit(embedded) + ")", "OK"};
    ADD_FAILURE() << command;
    return {"BAD"};
  });
  std::string got;
  auto sink = [&](std::string_view bytes) {
    got += bytes;
    return true;
  };
  FolderState inbox = folder("INBOX", 7, 4, 10);
  EXPECT_TRUE(h.session->read_attachment(inbox, ref(3), "2", 5, sink));
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(h.session->traffic().round_trips, 3u);  // EXAMINE, BODYSTRUCTURE, BINARY (not pipelined)
  got.clear();
  EXPECT_TRUE(h.session->read_attachment(inbox, ref(3), "2", 0, sink));
  EXPECT_EQ(got, "hello world");
  got.clear();
  EXPECT_TRUE(h.session->read_attachment(inbox, ref(3), "3", 0, sink));
  EXPECT_EQ(got, embedded);
  EXPECT_EQ(h.session->traffic().bytes_for_content, 16u + embedded.size());
  EXPECT_EQ(h.fake->sent.size(), 5u);  // the folder is selected once, the structure asked once
}

TEST(ImapConnectorLogic, ReadAttachmentDecodesWhenTheServerCannot) {
  const std::string encoded = "aGVsbG8g!d29ybGQ=\r\n";  // "hello world" with a stray '!'
  Harness h(kDovecotCaps, [&](const std::string& command) -> std::vector<std::string> {
    if (command == "EXAMINE INBOX (CONDSTORE)") return {"* OK [UIDVALIDITY 7] ok", "OK"};
    if (command == "UID FETCH 3 (UID BINARY.PEEK[2])") return {"NO [PARSE] Invalid base64"};
    if (command == "UID FETCH 3 (UID BODYSTRUCTURE)") {
      return {
          "* 1 FETCH (UID 3 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"application\" \"pdf\" NIL "
          "NIL NIL \"base64\" 20) \"mixed\"))",
          "OK"};
    }
    if (command == "UID FETCH 3 (UID BODY.PEEK[2])") return {"* 1 FETCH (UID 3 BODY[2] " + lit(encoded) + ")", "OK"};
    ADD_FAILURE() << command;
    return {"BAD"};
  });
  std::string got;
  EXPECT_FALSE(h.session->read_attachment(folder("INBOX", 7, 4, 10), ref(3), "2", 0, [&](std::string_view bytes) {
    got += bytes;
    return true;
  }));
  EXPECT_EQ(got, "hello world");
}

// ---------------------------------------------------------------- records, names, dates, errors

imap::FetchMessage fetch_of(const std::string& line) {
  auto parsed = imap::parse_response_text(line + "\r\n");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return std::get<imap::FetchMessage>(parsed.value());
}

TEST(ImapConnectorLogic, BodystructureToAttachmentRecords) {
  // multipart/mixed: (related: html + inline png with Content-ID), pdf with an RFC 2231 name,
  // a forwarded message/rfc822, and a quoted-printable text file.
  auto record = imap::message_record(fetch_of(
      "* 1 FETCH (UID 9 RFC822.SIZE 9000 FLAGS (\\Seen \\Recent) ENVELOPE (\"Mon, 01 Feb 2021 08:30:00 -0500\" "
      "\"=?ISO-8859-1?Q?Caf=E9?=\" ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL NIL NIL NIL \" <id@x> \") "
      "MODSEQ (42) BODYSTRUCTURE ("
      "((\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 300 10 NIL NIL NIL NIL)"
      "(\"image\" \"png\" (\"name\" \"logo.png\") \"<logo@x>\" NIL \"base64\" 780 NIL (\"inline\" NIL) NIL NIL)"
      " \"related\" (\"boundary\" \"r\") NIL NIL NIL)"
      "(\"application\" \"pdf\" NIL NIL NIL \"base64\" 1404 NIL (\"attachment\" (\"filename*\" "
      "\"utf-8''R%C3%A9sum%C3%A9.pdf\")) NIL NIL)"
      "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 345 (NIL \"fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) "
      "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 20 2 NIL NIL NIL NIL) 12 NIL (\"attachment\" NIL) NIL NIL)"
      "(\"text\" \"plain\" NIL NIL NIL \"quoted-printable\" 100 3 NIL (\"attachment\" (\"filename\" \"notes.txt\")) "
      "NIL NIL)"
      " \"mixed\" (\"boundary\" \"m\") NIL NIL NIL) EMAILID (M1))"));
  EXPECT_EQ(record.ref.uid, 9u);
  EXPECT_EQ(record.ref.change_key, "42");
  EXPECT_EQ(record.size, 9000u);
  EXPECT_EQ(record.flags, std::vector<std::string>{"\\Seen"});
  EXPECT_EQ(record.subject, "Caf\xC3\xA9");
  EXPECT_EQ(record.from_address, "bob@example.com");
  EXPECT_EQ(record.message_id, "<id@x>");
  EXPECT_EQ(record.sent_date, 1612186200);  // 2021-02-01 13:30:00 UTC
  EXPECT_EQ(record.object_id, "M1");
  EXPECT_EQ(record.protection, "");
  EXPECT_TRUE(record.parse_error.empty());
  ASSERT_EQ(record.attachments.size(), 4u);
  const auto& png = record.attachments[0];
  EXPECT_EQ(png.section, "1.2");
  EXPECT_EQ(png.name, "logo.png");
  EXPECT_TRUE(png.is_inline);
  EXPECT_FALSE(png.size_exact);
  EXPECT_EQ(png.size, 570u);  // 780 encoded bytes: 10 lines of 76 characters + CRLF
  const auto& pdf = record.attachments[1];
  EXPECT_EQ(pdf.section, "2");
  EXPECT_EQ(pdf.name, "R\xC3\xA9sum\xC3\xA9.pdf");
  EXPECT_EQ(pdf.content_type, "application/pdf");
  const auto& eml = record.attachments[2];
  EXPECT_EQ(eml.section, "3");
  EXPECT_EQ(eml.content_type, "message/rfc822");
  EXPECT_EQ(eml.size, 345u);  // 7bit: the embedded message's raw bytes, exact
  EXPECT_TRUE(eml.size_exact);
  EXPECT_EQ(record.attachments[3].name, "notes.txt");
  EXPECT_EQ(imap::inexact_sections(record), (std::vector<std::string>{"1.2", "2", "4"}));
}

TEST(ImapConnectorLogic, UnreadableBodystructureGivesParseError) {
  auto record = imap::message_record(
      fetch_of("* 1 FETCH (UID 9 BODYSTRUCTURE (\"text\" \"plain\" \"x\" \"y\" \"z\") RFC822.SIZE 5)"));
  EXPECT_EQ(record.size, 5u);
  EXPECT_FALSE(record.parse_error.empty());
  EXPECT_TRUE(record.attachments.empty());
}

TEST(ImapConnectorLogic, Protection) {
  auto tree = [](const std::string& body) {
    return *fetch_of("* 1 FETCH (UID 1 BODYSTRUCTURE " + body + ")").body_structure;
  };
  EXPECT_EQ(imap::protection_of(tree("((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"application\" "
                                     "\"pkcs7-signature\" NIL NIL NIL \"base64\" 10) \"signed\")")),
            "signed");
  EXPECT_EQ(imap::protection_of(tree("(\"application\" \"pkcs7-mime\" (\"smime-type\" \"enveloped-data\") NIL NIL "
                                     "\"base64\" 10 NIL NIL NIL NIL)")),
            "encrypted");
  EXPECT_EQ(imap::protection_of(tree("((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"text\" \"calendar\" "
                                     "(\"method\" \"REQUEST\") NIL NIL \"7bit\" 10 1) \"alternative\")")),
            "calendar");
  EXPECT_EQ(imap::protection_of(tree("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)")), "");
}

struct NameRow {
  const char* name;
  std::string wire;
  std::optional<char> delimiter;
  std::string expected;
};

TEST(ImapConnectorLogic, FolderNames) {
  const NameRow rows[] = {
      {"dovecot-slash", "Archives/R&AOk-unions", '/', "Archives/R\xC3\xA9unions"},
      {"courier-dot-prefix", "INBOX.Sent", '.', "INBOX/Sent"},
      {"lowercase-inbox", "inbox", '.', "INBOX"},
      {"not-inbox-prefix", "inboxes", '.', "inboxes"},
      {"ampersand", "Q&-A", '/', "Q&A"},
      {"nil-delimiter", "flat.name", std::nullopt, "flat.name"},
      {"raw-8bit-latin1", "Caf\xE9", '/', "Caf\xC3\xA9"},
      {"cjk", "&ZeVnLIqe-", '/', "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
  };
  for (const auto& row : rows) EXPECT_EQ(imap::decode_folder_name(row.wire, row.delimiter), row.expected) << row.name;
}

TEST(ImapConnectorLogic, SentDates) {
  EXPECT_EQ(imap::parse_rfc5322_date("Thu, 1 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_EQ(imap::parse_rfc5322_date("1 Jan 1970 01:00 +0100"), 0);
  EXPECT_EQ(imap::parse_rfc5322_date("Fri, 13 Feb 2009 23:31:30 GMT (comment)"), 1234567890);
  EXPECT_EQ(imap::parse_rfc5322_date("13 Feb 09 18:31:30 EST"), 1234567890);
  EXPECT_FALSE(imap::parse_rfc5322_date("yesterday"));
  EXPECT_FALSE(imap::parse_rfc5322_date(""));
}

TEST(ImapConnectorLogic, LoginModesAndErrorKinds) {
  imap::ImapSettings settings;
  settings.admin_user = "admin";
  settings.login_as = imap::LoginAs::master;
  EXPECT_EQ(imap::session_options(settings, "alice@x").authcid, "alice@x*admin");
  settings.login_as = imap::LoginAs::authzid;
  auto options = imap::session_options(settings, "alice@x");
  EXPECT_EQ(options.authcid, "admin");
  EXPECT_EQ(options.authzid, "alice@x");
  settings.login_as = imap::LoginAs::self;
  EXPECT_EQ(imap::session_options(settings, "alice@x").authcid, "alice@x");

  using Kind = ConnectorError::Kind;
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::no, "x", "AUTHENTICATIONFAILED"), true).kind(),
            Kind::authentication);
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::no, "x", "UNAVAILABLE"), true).kind(),
            Kind::connection);
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::no, "x")).kind(), Kind::refused);
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::timeout, "x")).kind(), Kind::connection);
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::bye, "x")).kind(), Kind::connection);
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::protocol, "x")).kind(), Kind::connection);
  EXPECT_EQ(imap::connector_error(imap::make_error(imap::ErrorKind::bad, "x")).kind(), Kind::protocol);
}

}  // namespace
}  // namespace mailprune::test
