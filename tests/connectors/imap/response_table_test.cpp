// Status responses, codes and untagged data other than FETCH, one row per server behaviour.
#include "table.hpp"

namespace mailprune::imap::test {
namespace {

std::vector<Row> rows() {
  return {
      // RFC 3501 §7.1: tagged completion with a response code.
      {"rfc3501-tagged-ok-read-write", "A142 OK [READ-WRITE] SELECT completed\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_EQ(s.tag, "A142");
         EXPECT_EQ(s.condition, Condition::ok);
         ASSERT_TRUE(s.code);
         EXPECT_EQ(s.code->name, "READ-WRITE");
         EXPECT_EQ(s.text, "SELECT completed");
       }},
      // Issue 3 / Dovecot imap-fetch-body.c: BINARY on broken quoted-printable answers NO [PARSE].
      {"dovecot-no-parse-binary",
       "A5 NO [PARSE] Invalid quoted-printable input trailer: '=' not followed by two hex digits\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_EQ(s.condition, Condition::no);
         ASSERT_TRUE(s.code);
         EXPECT_EQ(s.code->name, "PARSE");
         EXPECT_EQ(s.text, "Invalid quoted-printable input trailer: '=' not followed by two hex digits");
       }},
      // RFC 3501 §7.1.1 untagged OK with UIDVALIDITY; lower-case keywords are legal.
      {"rfc3501-untagged-uidvalidity", "* ok [uidvalidity 3857529045] UIDs valid\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_FALSE(s.tagged());
         ASSERT_TRUE(s.code);
         EXPECT_EQ(s.code->name, "UIDVALIDITY");
         EXPECT_EQ(s.code->number, 3857529045u);
       }},
      {"rfc3501-uidnext", "* OK [UIDNEXT 4392] Predicted next UID\r\n",
       [](const Response& r) { EXPECT_EQ(as<StatusResponse>(r).code->number, 4392u); }},
      // RFC 7162 §3.1.2.1: HIGHESTMODSEQ near 2^63.
      {"rfc7162-highestmodseq", "* OK [HIGHESTMODSEQ 9223372036854775807] Highest\r\n",
       [](const Response& r) { EXPECT_EQ(as<StatusResponse>(r).code->number, 9223372036854775807ull); }},
      {"rfc7162-nomodseq", "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n",
       [](const Response& r) { EXPECT_EQ(as<StatusResponse>(r).code->name, "NOMODSEQ"); }},
      // RFC 7162 §3.2: MODIFIED lists the UIDs that failed UNCHANGEDSINCE.
      {"rfc7162-modified", "d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n",
       [](const Response& r) {
         const auto& code = *as<StatusResponse>(r).code;
         EXPECT_EQ(format_sequence_set(code.uids), "7,9");
       }},
      {"rfc7162-closed", "* OK [CLOSED] Previous mailbox closed.\r\n",
       [](const Response& r) { EXPECT_EQ(as<StatusResponse>(r).code->name, "CLOSED"); }},
      // RFC 3501 §7.1: PERMANENTFLAGS with \*.
      {"rfc3501-permanentflags", "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
       [](const Response& r) {
         const auto& code = *as<StatusResponse>(r).code;
         EXPECT_EQ(code.list, (std::vector<std::string>{"\\Deleted", "\\Seen", "\\*"}));
       }},
      // RFC 4315 §3: APPENDUID / COPYUID.
      {"rfc4315-appenduid", "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
       [](const Response& r) {
         const auto& code = *as<StatusResponse>(r).code;
         EXPECT_EQ(code.name, "APPENDUID");
         EXPECT_EQ(code.number, 38505u);
         EXPECT_EQ(format_sequence_set(code.uids), "3955");
       }},
      {"rfc4315-copyuid", "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
       [](const Response& r) {
         const auto& code = *as<StatusResponse>(r).code;
         EXPECT_EQ(code.number, 38505u);
         EXPECT_EQ(format_sequence_set(code.source_uids), "304,319:320");
         EXPECT_EQ(format_sequence_set(code.uids), "3956:3958");
       }},
      // RFC 6851 §4.3: MOVE sends COPYUID in an untagged OK before the expunges.
      {"rfc6851-move-untagged-copyuid", "* OK [COPYUID 432432 42:69 1202:1229]\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_EQ(count_of(s.code->uids), 28u);
         EXPECT_EQ(s.text, "");
       }},
      // ruby/net-imap #250: Exchange 2013 answers UID MOVE with a bare `[COPYUID ...]` line.
      {"exchange-2013-bare-copyuid", "[COPYUID 124 10 233]\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_FALSE(s.tagged());
         EXPECT_EQ(s.code->name, "COPYUID");
         EXPECT_EQ(format_sequence_set(s.code->uids), "233");
       }},
      {"rfc3501-trycreate", "A3 NO [TRYCREATE] Mailbox doesn't exist: Archive/2019\r\n",
       [](const Response& r) { EXPECT_EQ(as<StatusResponse>(r).code->name, "TRYCREATE"); }},
      // Unknown codes are kept raw, whatever their shape.
      {"rfc3501-unknown-code-kept-raw", "* OK [X-SERVER-THING a \"b]c\" (d)] text here\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_EQ(s.code->name, "X-SERVER-THING");
         EXPECT_EQ(s.code->raw, "a \"b]c\" (d)");
         EXPECT_EQ(s.text, "text here");
       }},
      {"rfc3501-alert", "* NO [ALERT] Mailbox is at 99% of quota\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<StatusResponse>(r).condition, Condition::no);
         EXPECT_EQ(as<StatusResponse>(r).code->name, "ALERT");
       }},
      // imap-proto #131: iCloud sends `* BYE` with no text at all.
      {"icloud-bye-without-text", "* BYE\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<StatusResponse>(r).condition, Condition::bye);
         EXPECT_EQ(as<StatusResponse>(r).text, "");
       }},
      {"rfc3501-preauth-capability",
       "* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ ID] IMAP4rev1 server logged in as Smith\r\n",
       [](const Response& r) {
         const auto& s = as<StatusResponse>(r);
         EXPECT_EQ(s.condition, Condition::preauth);
         EXPECT_EQ(s.code->list, (std::vector<std::string>{"IMAP4rev1", "LITERAL+", "ID"}));
       }},
      {"rfc4959-continuation-empty", "+\r\n",
       [](const Response& r) { EXPECT_EQ(as<ContinuationRequest>(r).text, ""); }},
      {"rfc3501-continuation-text", "+ Ready for literal data\r\n",
       [](const Response& r) { EXPECT_EQ(as<ContinuationRequest>(r).text, "Ready for literal data"); }},
      // modern-email/defects #21: trailing space after the capability list.
      {"exmail-capability-trailing-space", "* CAPABILITY IMAP4rev1 AUTH=PLAIN COMPRESS=DEFLATE BINARY CONDSTORE \r\n",
       [](const Response& r) {
         EXPECT_EQ(as<CapabilityData>(r).capabilities,
                   (std::vector<std::string>{"IMAP4rev1", "AUTH=PLAIN", "COMPRESS=DEFLATE", "BINARY", "CONDSTORE"}));
       }},
      {"rfc5161-enabled", "* ENABLED CONDSTORE QRESYNC\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<EnabledData>(r).capabilities, (std::vector<std::string>{"CONDSTORE", "QRESYNC"}));
       }},
      // RFC 6154 §5.1 + RFC 3501 §5.1.3: special-use attribute, modified UTF-7 name.
      {"rfc6154-special-use-mutf7", "* LIST (\\HasNoChildren \\Sent) \"/\" \"&AMk-l&AOk-ments envoy&AOk-s\"\r\n",
       [](const Response& r) {
         const auto& l = as<ListData>(r);
         EXPECT_TRUE(l.has_attribute("\\sent"));
         EXPECT_EQ(l.delimiter, '/');
         EXPECT_EQ(l.mailbox, "&AMk-l&AOk-ments envoy&AOk-s");
       }},
      // RFC 3501 §7.2.2: NIL delimiter (flat namespace).
      {"rfc3501-list-nil-delimiter", "* LIST (\\Noselect) NIL \"\"\r\n",
       [](const Response& r) {
         EXPECT_FALSE(as<ListData>(r).delimiter);
         EXPECT_EQ(as<ListData>(r).mailbox, "");
       }},
      // Dovecot writes names with `"` or CR as literals.
      {"dovecot-list-literal-name", "* LIST () \"/\" {11}\r\nSay \"hello\"\r\n",
       [](const Response& r) { EXPECT_EQ(as<ListData>(r).mailbox, "Say \"hello\""); }},
      {"rfc3501-list-escaped-delimiter", "* LIST (\\HasChildren) \"\\\\\" Projects\r\n",
       [](const Response& r) { EXPECT_EQ(as<ListData>(r).delimiter, '\\'); }},
      // cyrus-imapd #2179: Cyrus (altnamespace off) writes INBOX.Archiv unquoted, and LIST-STATUS
      // replies follow as STATUS with an unquoted name.
      {"cyrus-list-unquoted-dotted", "* LIST (\\HasChildren) \".\" INBOX.Archiv\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<ListData>(r).mailbox, "INBOX.Archiv");
         EXPECT_EQ(as<ListData>(r).delimiter, '.');
       }},
      {"cyrus-list-status-unquoted", "* STATUS INBOX.Archiv (UNSEEN 0)\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<StatusData>(r).mailbox, "INBOX.Archiv");
         EXPECT_EQ(as<StatusData>(r).unseen, 0u);
       }},
      // RFC 5258 §3.5: CHILDINFO extended data; OLDNAME (RFC 5465 §4 / RFC 9051).
      {"rfc5258-childinfo", "* LIST () \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
       [](const Response& r) { EXPECT_EQ(as<ListData>(r).childinfo, std::vector<std::string>{"SUBSCRIBED"}); }},
      {"rfc9051-oldname", "* LIST () \"/\" \"NewName\" (\"OLDNAME\" (\"OldName\"))\r\n",
       [](const Response& r) { EXPECT_EQ(as<ListData>(r).old_name, "OldName"); }},
      {"rfc3501-lsub", "* LSUB () \".\" #news.comp.mail.misc\r\n",
       [](const Response& r) {
         EXPECT_TRUE(as<ListData>(r).lsub);
         EXPECT_EQ(as<ListData>(r).mailbox, "#news.comp.mail.misc");
       }},
      // RFC 6855 servers and sloppy ones send raw UTF-8 / 8-bit bytes inside quoted strings.
      {"utf8-8bit-in-quoted-list", "* LIST () \"/\" \"Entw\xC3\xBCrfe\"\r\n",
       [](const Response& r) { EXPECT_EQ(as<ListData>(r).mailbox, "Entw\xC3\xBCrfe"); }},
      // RFC 3501 §7.2.4 / RFC 8438 SIZE / RFC 9051 DELETED / RFC 8474 MAILBOXID.
      {"dovecot-status-all-items",
       "* STATUS \"INBOX\" (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 3 HIGHESTMODSEQ 90060115205545359 SIZE "
       "98765432 DELETED 2 MAILBOXID (F2212ea87-6097-4256-9d51-71338625))\r\n",
       [](const Response& r) {
         const auto& s = as<StatusData>(r);
         EXPECT_EQ(s.messages, 231u);
         EXPECT_EQ(s.uidnext, 44292u);
         EXPECT_EQ(s.uidvalidity, 1u);
         EXPECT_EQ(s.unseen, 3u);
         EXPECT_EQ(s.highestmodseq, 90060115205545359ull);
         EXPECT_EQ(s.size, 98765432u);
         EXPECT_EQ(s.deleted, 2u);
         EXPECT_EQ(s.mailboxid, "F2212ea87-6097-4256-9d51-71338625");
       }},
      // modern-email/defects #9, imap-codec #468, Ruby bug #13649: Exchange/Outlook put a space
      // after the STATUS list.
      {"exchange-trailing-space-status", "* STATUS INBOX (MESSAGES 0) \r\n",
       [](const Response& r) { EXPECT_EQ(as<StatusData>(r).messages, 0u); }},
      // imap-proto #154 / modern-email/defects #15: mail.163.com sends an empty STATUS list.
      {"163-empty-status-list", "* STATUS INBOX ()\r\n",
       [](const Response& r) { EXPECT_FALSE(as<StatusData>(r).messages); }},
      // davmail #122: DavMail's keep-alive puts two spaces after `*`.
      {"davmail-double-space-exists", "*  1688 EXISTS\r\n",
       [](const Response& r) { EXPECT_EQ(as<ExistsData>(r).count, 1688u); }},
      {"rfc3501-recent", "* 5 RECENT\r\n", [](const Response& r) { EXPECT_EQ(as<RecentData>(r).count, 5u); }},
      {"rfc3501-expunge", "* 44 EXPUNGE\r\n", [](const Response& r) { EXPECT_EQ(as<ExpungeData>(r).seq, 44u); }},
      // ruby/net-imap #228: GreenMail sends \* in FLAGS (only legal in PERMANENTFLAGS).
      {"greenmail-star-in-flags", "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)\r\n",
       [](const Response& r) { EXPECT_EQ(as<FlagsData>(r).flags.back(), "\\*"); }},
      // RFC 7162 §3.1.5: SEARCH with MODSEQ; an empty SEARCH.
      {"rfc7162-search-modseq", "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n",
       [](const Response& r) {
         const auto& s = as<SearchData>(r);
         EXPECT_EQ(s.numbers.size(), 10u);
         EXPECT_EQ(s.numbers.back(), 23u);
         EXPECT_EQ(s.modseq, 917162500u);
       }},
      {"rfc3501-search-empty", "* SEARCH\r\n",
       [](const Response& r) { EXPECT_TRUE(as<SearchData>(r).numbers.empty()); }},
      // modern-email/defects #26: trailing space after SEARCH results.
      {"globalmail-search-trailing-space", "* SEARCH 1 2 \r\n",
       [](const Response& r) { EXPECT_EQ(as<SearchData>(r).numbers.size(), 2u); }},
      // RFC 4731 §3.1.
      {"rfc4731-esearch", "* ESEARCH (TAG \"A282\") UID MIN 2 MAX 11 COUNT 3 ALL 2,10:11\r\n",
       [](const Response& r) {
         const auto& e = as<EsearchData>(r);
         EXPECT_EQ(e.correlator, "A282");
         EXPECT_TRUE(e.uid);
         EXPECT_EQ(e.min, 2u);
         EXPECT_EQ(e.max, 11u);
         EXPECT_EQ(e.count, 3u);
         EXPECT_EQ(format_sequence_set(e.all), "2,10:11");
       }},
      {"rfc4731-esearch-nothing", "* ESEARCH (TAG \"A285\") UID\r\n",
       [](const Response& r) {
         EXPECT_TRUE(as<EsearchData>(r).all.empty());
         EXPECT_FALSE(as<EsearchData>(r).count);
       }},
      // RFC 7162 §3.6.
      {"rfc7162-vanished-earlier", "* VANISHED (EARLIER) 300:310,405,411\r\n",
       [](const Response& r) {
         EXPECT_TRUE(as<VanishedData>(r).earlier);
         EXPECT_EQ(count_of(as<VanishedData>(r).uids), 13u);
       }},
      {"rfc7162-vanished", "* VANISHED 405,407,410,425\r\n",
       [](const Response& r) { EXPECT_FALSE(as<VanishedData>(r).earlier); }},
      // RFC 9208 §5.
      {"rfc9208-quotaroot", "* QUOTAROOT INBOX \"\" user.alice\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<QuotaRootData>(r).roots, (std::vector<std::string>{"", "user.alice"}));
       }},
      {"rfc9208-quota", "* QUOTA \"\" (STORAGE 10 512 MESSAGE 3 1000)\r\n",
       [](const Response& r) {
         const auto& q = as<QuotaData>(r);
         ASSERT_EQ(q.resources.size(), 2u);
         EXPECT_EQ(q.resources[0].name, "STORAGE");
         EXPECT_EQ(q.resources[0].usage, 10u);
         EXPECT_EQ(q.resources[0].limit, 512u);
       }},
      // RFC 2971 §3.2; Exchange 2013 identity from ruby/net-imap #250.
      {"exchange-id", "* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.0\")\r\n",
       [](const Response& r) {
         const auto& id = as<IdData>(r);
         ASSERT_EQ(id.fields.size(), 2u);
         EXPECT_EQ(id.fields[0].second, "Microsoft.Exchange.Imap4.Imap4Server");
       }},
      // cyrus-imapd #1090: Cyrus answers a repeated ID with `* ID NIL`.
      {"cyrus-id-nil", "* ID NIL\r\n", [](const Response& r) { EXPECT_TRUE(as<IdData>(r).fields.empty()); }},
      // RFC 2342 §5.
      {"rfc2342-namespace",
       "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\" \"X-PARAM\" (\"FLAG1\")))\r\n",
       [](const Response& r) {
         const auto& n = as<NamespaceData>(r);
         ASSERT_EQ(n.personal.size(), 1u);
         EXPECT_EQ(n.personal[0].delimiter, '/');
         EXPECT_EQ(n.other_users[0].prefix, "~");
         EXPECT_EQ(n.shared[0].prefix, "#shared/");
       }},
      {"courier-namespace-inbox-dot", "* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared.\" \".\"))\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<NamespaceData>(r).personal[0].prefix, "INBOX.");
         EXPECT_TRUE(as<NamespaceData>(r).other_users.empty());
       }},
      // RFC 5464: untagged data this layer does not model is kept raw, not an error.
      {"rfc5464-metadata-unknown", "* METADATA \"INBOX\" (/private/comment \"My comment\")\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<UnknownData>(r).name, "METADATA");
         EXPECT_EQ(as<UnknownData>(r).raw, "METADATA \"INBOX\" (/private/comment \"My comment\")");
       }},
      // Bare LF line ends (some proxies, test servers) are tolerated.
      {"proxy-bare-lf", "* 3 EXISTS\n", [](const Response& r) { EXPECT_EQ(as<ExistsData>(r).count, 3u); }},
  };
}

class ResponseTable : public ::testing::TestWithParam<Row> {};

TEST_P(ResponseTable, Parses) {
  const Row& row = GetParam();
  row.check(grind_one(row.wire));
}

INSTANTIATE_TEST_SUITE_P(Quirks, ResponseTable, ::testing::ValuesIn(rows()), row_name);

}  // namespace
}  // namespace mailprune::imap::test
