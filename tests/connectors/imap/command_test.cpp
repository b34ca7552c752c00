// Command builder: exact bytes, literal forms, continuation points and masking of secrets.
#include <gtest/gtest.h>

#include "imap/command.hpp"
#include "imap/internal_date.hpp"
#include "imap/sequence_set.hpp"

namespace mailprune::imap {
namespace {

const CommandOptions plain_server{};
const CommandOptions literal_plus_server{true, false, false};

TEST(ImapCommand, TagsCount) {
  TagGenerator tags("A");
  EXPECT_EQ(tags.next(), "A0001");
  EXPECT_EQ(tags.next(), "A0002");
}

TEST(ImapCommand, SimpleCommands) {
  EXPECT_EQ(capability("A1").wire(), "A1 CAPABILITY\r\n");
  EXPECT_EQ(noop("A2").wire(), "A2 NOOP\r\n");
  EXPECT_EQ(logout("A3").wire(), "A3 LOGOUT\r\n");
  EXPECT_EQ(compress_deflate("A4").wire(), "A4 COMPRESS DEFLATE\r\n");
  EXPECT_EQ(enable("A5", {"CONDSTORE", "QRESYNC"}).wire(), "A5 ENABLE CONDSTORE QRESYNC\r\n");
  EXPECT_EQ(id(plain_server, "A6", {{"name", "mailprune"}, {"version", "0.1.0"}}).wire(),
            "A6 ID (\"name\" \"mailprune\" \"version\" \"0.1.0\")\r\n");
  EXPECT_EQ(id(plain_server, "A7", {}).wire(), "A7 ID NIL\r\n");
}

TEST(ImapCommand, LoginQuotesAndMasks) {
  const Command command = login(plain_server, "A1", "alice@example.org", "pa ss\"word");
  EXPECT_EQ(command.wire(), "A1 LOGIN alice@example.org \"pa ss\\\"word\"\r\n");
  EXPECT_EQ(command.loggable(), "A1 LOGIN alice@example.org ***\r\n");
  EXPECT_FALSE(command.needs_continuation());
  // Dovecot master user: just a user name with `*` (not an atom char: quoted).
  EXPECT_EQ(login(plain_server, "A2", "alice*admin", "x").wire(), "A2 LOGIN \"alice*admin\" x\r\n");
}

TEST(ImapCommand, EightBitPasswordGoesAsSynchronizingLiteral) {
  const Command command = login(plain_server, "A1", "bob", "p\xC3\xA4ss");
  ASSERT_EQ(command.segments.size(), 3u);
  EXPECT_EQ(command.segments[0].bytes, "A1 LOGIN bob {5}\r\n");
  EXPECT_TRUE(command.segments[0].wait_for_continuation);
  EXPECT_TRUE(command.segments[1].sensitive);
  EXPECT_EQ(command.segments[2].bytes, "\r\n");
  EXPECT_EQ(command.loggable(), "A1 LOGIN bob {5}\r\n***\r\n");
  // With LITERAL+ the same command is sent in one go.
  const Command plus = login(literal_plus_server, "A2", "bob", "p\xC3\xA4ss");
  EXPECT_FALSE(plus.needs_continuation());
  EXPECT_EQ(plus.wire(), "A2 LOGIN bob {5+}\r\np\xC3\xA4ss\r\n");
}

TEST(ImapCommand, AuthenticatePlainSaslIr) {
  // RFC 4616 §4 example (authzid empty): "\0tim\0tanstaaftanstaaf".
  const Command command = authenticate_plain(plain_server, "a", "tim", "tanstaaftanstaaf");
  EXPECT_EQ(command.wire(), "a AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
  EXPECT_EQ(command.loggable(), "a AUTHENTICATE PLAIN ***\r\n");
  // Cyrus admin acting as a user: authzid set.
  EXPECT_EQ(authenticate_plain(plain_server, "b", "admin", "secret", "alice").wire(),
            "b AUTHENTICATE PLAIN " + base64_encode(std::string("alice\0admin\0secret", 18)) + "\r\n");
}

TEST(ImapCommand, AuthenticateWithoutSaslIrWaitsForContinuation) {
  const Command command = authenticate_plain(plain_server, "c", "tim", "tanstaaftanstaaf", {}, false);
  ASSERT_EQ(command.segments.size(), 3u);
  EXPECT_EQ(command.segments[0].bytes, "c AUTHENTICATE PLAIN\r\n");
  EXPECT_TRUE(command.segments[0].wait_for_continuation);
  EXPECT_EQ(command.segments[1].bytes, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  EXPECT_EQ(command.segments[2].bytes, "\r\n");
}

TEST(ImapCommand, AuthenticateXoauth2) {
  const Command command =
      authenticate_xoauth2(plain_server, "x", "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
  // Google's documented example for this user and token.
  EXPECT_EQ(command.wire(),
            "x AUTHENTICATE XOAUTH2 "
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMj"
            "l0Q2cBAQ==\r\n");
  EXPECT_EQ(sasl_cancel_line(), "\r\n");
}

TEST(ImapCommand, ListWithStatusAndSpecialUse) {
  ListOptions options;
  options.return_special_use = true;
  options.return_status = {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ", "SIZE"};
  EXPECT_EQ(list(plain_server, "A1", "", "*", options).wire(),
            "A1 LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ SIZE))\r\n");
  ListOptions special;
  special.select_special_use = true;
  EXPECT_EQ(list(plain_server, "A2", "", "%", special).wire(), "A2 LIST (SPECIAL-USE) \"\" \"%\"\r\n");
}

TEST(ImapCommand, MailboxNamesAreEncoded) {
  const auto sent = Mailbox::from_utf8("Éléments envoyés");
  ASSERT_TRUE(sent);
  EXPECT_EQ(status(plain_server, "A1", *sent, {"MESSAGES", "UIDNEXT"}).wire(),
            "A1 STATUS \"&AMk-l&AOk-ments envoy&AOk-s\" (MESSAGES UIDNEXT)\r\n");
  EXPECT_EQ(Mailbox::from_utf8("inbox")->wire(), "INBOX");
  EXPECT_EQ(Mailbox::from_utf8("Entwürfe", true)->wire(), "Entwürfe");
  EXPECT_FALSE(Mailbox::from_utf8("bad \xFF"));
  // Verbatim from LIST; `%` is a wildcard and must be quoted.
  EXPECT_EQ(uid_move(plain_server, "A2", "1:5", Mailbox::from_wire("100% done")).wire(),
            "A2 UID MOVE 1:5 \"100% done\"\r\n");
}

TEST(ImapCommand, SelectVariants) {
  const Mailbox inbox = Mailbox::from_wire("INBOX");
  EXPECT_EQ(select(plain_server, "A1", inbox).wire(), "A1 SELECT INBOX\r\n");
  SelectOptions examine;
  examine.read_only = true;
  examine.condstore = true;
  EXPECT_EQ(select(plain_server, "A2", inbox, examine).wire(), "A2 EXAMINE INBOX (CONDSTORE)\r\n");
  SelectOptions qresync;
  qresync.qresync = QresyncParams{67890007, 90060115194045000, "41:211,214:541"};
  EXPECT_EQ(select(plain_server, "A3", inbox, qresync).wire(),
            "A3 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r\n");
}

TEST(ImapCommand, UidFetchWithModifiers) {
  EXPECT_EQ(uid_fetch("A1", "1:*", {"UID", "RFC822.SIZE", "INTERNALDATE", "FLAGS", "BODYSTRUCTURE"}).wire(),
            "A1 UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS BODYSTRUCTURE)\r\n");
  FetchModifiers modifiers;
  modifiers.changed_since = 12345;
  modifiers.vanished = true;
  EXPECT_EQ(uid_fetch("A2", "300:500", {"FLAGS"}, modifiers).wire(),
            "A2 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
  EXPECT_EQ(uid_fetch("A3", "7", {"BINARY.PEEK[2]<0.65536>"}).wire(), "A3 UID FETCH 7 (BINARY.PEEK[2]<0.65536>)\r\n");
}

TEST(ImapCommand, UidSearchAndEsearch) {
  SearchReturn returns;
  returns.all = true;
  returns.count = true;
  EXPECT_EQ(
      uid_search(plain_server, "A1",
                 {search_atom("HEADER"), search_string("X-Mailprune-Detached"), search_string("<abc@x>")}, returns)
          .wire(),
      "A1 UID SEARCH RETURN (COUNT ALL) HEADER \"X-Mailprune-Detached\" \"<abc@x>\"\r\n");
  // Non-ASCII needs CHARSET and a literal.
  const Command utf8 = uid_search(plain_server, "A2", {search_atom("SUBJECT"), search_string("Grüße")});
  EXPECT_EQ(utf8.segments[0].bytes, "A2 UID SEARCH CHARSET UTF-8 SUBJECT {7}\r\n");
  EXPECT_TRUE(utf8.needs_continuation());
  EXPECT_EQ(uid_search(plain_server, "A3", {search_atom("MODSEQ"), search_atom("620162338")}).wire(),
            "A3 UID SEARCH MODSEQ 620162338\r\n");
}

TEST(ImapCommand, StoreExpungeMoveCopy) {
  EXPECT_EQ(uid_store("A1", "42", "+FLAGS.SILENT", {"\\Deleted"}, 12121230045).wire(),
            "A1 UID STORE 42 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n");
  EXPECT_EQ(uid_store("A2", "1:3", "-FLAGS", {"\\Seen", "$Junk"}).wire(), "A2 UID STORE 1:3 -FLAGS (\\Seen $Junk)\r\n");
  EXPECT_EQ(uid_expunge("A3", "42,44").wire(), "A3 UID EXPUNGE 42,44\r\n");
  EXPECT_EQ(uid_copy(plain_server, "A4", "42", *Mailbox::from_utf8("Archives/2019")).wire(),
            "A4 UID COPY 42 Archives/2019\r\n");
  EXPECT_EQ(getquotaroot(plain_server, "A5", Mailbox::from_wire("INBOX")).wire(), "A5 GETQUOTAROOT INBOX\r\n");
}

TEST(ImapCommand, AppendKeepsDateAndFlags) {
  const std::string message = "From: a@b\r\nSubject: x\r\n\r\nbody\r\n";
  const Command sync = append(plain_server, "A1", Mailbox::from_wire("INBOX"), {"\\Seen", "$Forwarded"},
                              "17-Jul-1996 02:44:25 -0700", message);
  ASSERT_EQ(sync.segments.size(), 2u);
  EXPECT_EQ(sync.segments[0].bytes, "A1 APPEND INBOX (\\Seen $Forwarded) \"17-Jul-1996 02:44:25 -0700\" {31}\r\n");
  EXPECT_TRUE(sync.segments[0].wait_for_continuation);
  EXPECT_EQ(sync.segments[1].bytes, message + "\r\n");
  const Command plus = append(literal_plus_server, "A2", Mailbox::from_wire("INBOX"), {},
                              format_internal_date(837596665, -420), message);
  EXPECT_EQ(plus.wire(), "A2 APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" {31+}\r\n" + message + "\r\n");
  EXPECT_EQ(plus.size(), plus.wire().size());
}

TEST(ImapCommand, CatenateSendsOnlyNewText) {
  const std::vector<CatenatePart> parts = {
      {true, "/INBOX;UIDVALIDITY=785799047/;UID=20/;SECTION=HEADER"},
      {false, "--b\r\nContent-Type: text/plain\r\n\r\nDetached: report.pdf\r\n"},
      {true, "/INBOX;UIDVALIDITY=785799047/;UID=20/;SECTION=1.MIME"},
  };
  const Command plus =
      append_catenate(literal_plus_server, "A1", Mailbox::from_wire("INBOX"), {"\\Seen"}, std::nullopt, parts);
  EXPECT_EQ(plus.wire(),
            "A1 APPEND INBOX (\\Seen) CATENATE (URL /INBOX;UIDVALIDITY=785799047/;UID=20/;SECTION=HEADER "
            "TEXT {55+}\r\n--b\r\nContent-Type: text/plain\r\n\r\nDetached: report.pdf\r\n "
            "URL /INBOX;UIDVALIDITY=785799047/;UID=20/;SECTION=1.MIME)\r\n");
  const Command sync = append_catenate(plain_server, "A2", Mailbox::from_wire("INBOX"), {}, std::nullopt, parts);
  ASSERT_EQ(sync.segments.size(), 2u);
  EXPECT_TRUE(sync.segments[0].wait_for_continuation);
  EXPECT_TRUE(sync.segments[0].bytes.ends_with(" TEXT {55}\r\n")) << sync.segments[0].bytes;
}

TEST(ImapCommand, LiteralMinusOnlyForSmallLiterals) {
  const CommandOptions minus{false, true, false};
  EXPECT_FALSE(
      append(minus, "A1", Mailbox::from_wire("INBOX"), {}, std::nullopt, std::string(4096, 'x')).needs_continuation());
  EXPECT_TRUE(
      append(minus, "A2", Mailbox::from_wire("INBOX"), {}, std::nullopt, std::string(4097, 'x')).needs_continuation());
}

TEST(ImapCommand, LongUidListsSplitUnderTheLineLimit) {
  std::vector<std::uint32_t> uids;
  for (std::uint32_t uid = 1; uid < 40000; uid += 2) uids.push_back(uid);  // no ranges at all
  const auto sets = split_sequence_sets(uids, 1000);
  ASSERT_GT(sets.size(), 1u);
  std::vector<std::uint32_t> back;
  for (const auto& set : sets) {
    const Command command = uid_store("A1", set, "+FLAGS.SILENT", {"\\Deleted"}, 5);
    EXPECT_LE(command.wire().size(), 1100u);
    EXPECT_LE(set.size(), 1000u);
    const auto expanded = expand(*parse_sequence_set(set), 100000);
    back.insert(back.end(), expanded->begin(), expanded->end());
  }
  EXPECT_EQ(back, uids);
}

}  // namespace
}  // namespace mailprune::imap
