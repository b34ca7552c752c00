// FETCH responses: crawl items, identity hints, body sections, and BODY/BODYSTRUCTURE from real
// servers, one row per behaviour. Every row is ground (split at every byte, byte by byte).
#include "table.hpp"

namespace mailprune::imap::test {
namespace {

// A literal as the server writes it: `{n}` CRLF and the bytes.
std::string lit(std::string_view bytes) {
  return "{" + std::to_string(bytes.size()) + "}\r\n" + std::string(bytes);
}

const mime::MimePart* find(const mime::MimePart& root, std::string_view section) {
  if (root.section == section) return &root;
  for (const auto& child : root.children) {
    if (const auto* found = find(child, section)) return found;
  }
  return nullptr;
}

// The part at `section` of the FETCH's body structure (fails the test when missing).
const mime::MimePart& part(const Response& r, std::string_view section) {
  static const mime::MimePart missing;
  const auto& fetch = as<FetchMessage>(r);
  if (!fetch.body_structure) {
    ADD_FAILURE() << "no body structure: " << describe(r);
    return missing;
  }
  const auto* found = find(*fetch.body_structure, section);
  if (found == nullptr) {
    ADD_FAILURE() << "no part " << section << " in " << describe(*fetch.body_structure);
    return missing;
  }
  return *found;
}

std::string param(const std::vector<mime::Parameter>& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.name == name) return p.value;
  }
  return "<none>";
}

std::vector<Row> rows() {
  return {
      // RFC 3501 §7.4.2 example envelope, with the items the crawl asks for.
      {"dovecot-crawl-items",
       "* 12 FETCH (UID 5 RFC822.SIZE 2345678 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
       "FLAGS (\\Seen $Forwarded) MODSEQ (12121231000) ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 "
       "(PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
       "\"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry "
       "Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) "
       "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
       "NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODYSTRUCTURE (((\"text\" \"plain\" "
       "(\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 1772 47 NIL NIL NIL NIL)(\"text\" "
       "\"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 2778 40 NIL NIL NIL NIL) "
       "\"alternative\" (\"boundary\" \"b1\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" "
       "\"report.pdf\") NIL NIL \"base64\" 2300000 NIL (\"attachment\" (\"filename\" \"report.pdf\" "
       "\"size\" \"1680000\")) NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5000 (\"Mon, 1 "
       "Jan 2024 10:00:00 +0000\" \"fwd\" NIL NIL NIL NIL NIL NIL NIL \"<x@y>\") (\"text\" \"plain\" "
       "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 100 3 NIL NIL NIL NIL) 80 NIL (\"attachment\" "
       "(\"filename\" \"fwd.eml\")) NIL NIL) \"mixed\" (\"boundary\" \"b0\") NIL NIL NIL))\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         EXPECT_EQ(f.seq, 12u);
         EXPECT_EQ(f.uid, 5u);
         EXPECT_EQ(f.rfc822_size, 2345678u);
         EXPECT_EQ(f.internal_date, 837596665);
         EXPECT_EQ(f.flags, (std::vector<std::string>{"\\Seen", "$Forwarded"}));
         EXPECT_EQ(f.modseq, 12121231000u);
         ASSERT_TRUE(f.envelope);
         EXPECT_EQ(f.envelope->subject, "IMAP4rev1 WG mtg summary and minutes");
         EXPECT_EQ(f.envelope->from.at(0).mailbox, "gray");
         EXPECT_EQ(f.envelope->cc.size(), 2u);
         EXPECT_EQ(f.envelope->message_id, "<B27397-0100000@cac.washington.edu>");
         EXPECT_TRUE(f.body_structure_extended);
         const auto& root = part(r, "");
         EXPECT_EQ(root.type + "/" + root.subtype, "multipart/mixed");
         EXPECT_EQ(root.children.size(), 3u);
         EXPECT_EQ(part(r, "1").subtype, "alternative");
         EXPECT_EQ(part(r, "1.2").subtype, "html");
         EXPECT_EQ(part(r, "1.2").encoded_size, 2778u);
         const auto& pdf = part(r, "2");
         EXPECT_EQ(pdf.disposition, "attachment");
         EXPECT_EQ(param(pdf.disposition_params, "filename"), "report.pdf");
         EXPECT_EQ(pdf.transfer_encoding, "base64");
         EXPECT_EQ(pdf.encoded_size, 2300000u);
         EXPECT_FALSE(pdf.decoded_size);
         const auto& eml = part(r, "3");
         EXPECT_EQ(eml.type + "/" + eml.subtype, "message/rfc822");
         EXPECT_TRUE(eml.children.empty());  // never descended into
         EXPECT_EQ(eml.disposition, "attachment");
       }},
      // RFC 3501 §7.4.2: a single-part message has only its root; its content is section 1.
      {"rfc3501-single-part-root",
       "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
       [](const Response& r) {
         const auto& root = part(r, "");
         EXPECT_EQ(root.type, "text");
         EXPECT_EQ(param(root.content_type_params, "charset"), "US-ASCII");
         EXPECT_EQ(root.encoded_size, 3028u);
         EXPECT_EQ(content_section(root), "1");
       }},
      // RFC 3501 §7.4.2: every extension field, plus future extension data to skip.
      {"rfc3501-all-extension-fields",
       "* 2 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") \"<id@x>\" \"desc\" "
       "\"8bit\" 10 1 \"md5sum\" (\"inline\" NIL) (\"en\" \"de\") \"http://loc\" (1 (2 \"x\")) \"ext\"))\r\n",
       [](const Response& r) {
         const auto& root = part(r, "");
         EXPECT_EQ(root.content_id, "id@x");
         EXPECT_EQ(root.disposition, "inline");
         EXPECT_EQ(root.transfer_encoding, "8bit");
       }},
      // MailKit #919: Exchange writes the disposition as a bare string, not a list.
      {"exchange-disposition-bare-string",
       "* 37 FETCH (UID 67 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"ISO-8859-1\") NIL NIL "
       "\"QUOTED-PRINTABLE\" 850 31 NIL \"inline\" NIL NIL)(\"text\" \"html\" (\"charset\" "
       "\"ISO-8859-1\") NIL NIL \"QUOTED-PRINTABLE\" 14692 502 NIL \"inline\" NIL NIL) "
       "\"alternative\" (\"boundary\" \"----=_Part_45\") NIL NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(part(r, "1").disposition, "inline");
         EXPECT_EQ(part(r, "2").transfer_encoding, "quoted-printable");
       }},
      // Exchange Online adds RFC 2183 size/creation-date/modification-date to the disposition and
      // writes names as RFC 2047 words (kept undecoded here).
      {"office365-disposition-dates-encoded-name",
       "* 9 FETCH (UID 900 BODYSTRUCTURE ((\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL "
       "\"QUOTED-PRINTABLE\" 2048 30 NIL NIL NIL NIL)(\"APPLICATION\" \"VND.OPENXMLFORMATS-"
       "OFFICEDOCUMENT.WORDPROCESSINGML.DOCUMENT\" (\"NAME\" \"=?utf-8?B?QmVyaWNodC5kb2N4?=\") NIL "
       "\"=?utf-8?B?QmVyaWNodC5kb2N4?=\" \"BASE64\" 81234 NIL (\"ATTACHMENT\" (\"FILENAME\" "
       "\"=?utf-8?B?QmVyaWNodC5kb2N4?=\" \"SIZE\" \"59360\" \"CREATION-DATE\" \"Tue, 05 Mar 2024 "
       "10:11:12 GMT\" \"MODIFICATION-DATE\" \"Tue, 05 Mar 2024 10:11:12 GMT\")) NIL NIL) \"MIXED\" "
       "(\"BOUNDARY\" \"_004_\") NIL NIL))\r\n",
       [](const Response& r) {
         const auto& docx = part(r, "2");
         EXPECT_EQ(docx.disposition, "attachment");
         EXPECT_EQ(param(docx.disposition_params, "filename"), "=?utf-8?B?QmVyaWNodC5kb2N4?=");
         EXPECT_EQ(param(docx.disposition_params, "size"), "59360");
         EXPECT_EQ(docx.subtype, "vnd.openxmlformats-officedocument.wordprocessingml.document");
       }},
      // MailKit #371: Gmail writes empty multipart/related parts as ("RELATED" NIL ("ATTACHMENT"
      // NIL) NIL), next to its X-GM-* items and a quoted label with a backslash.
      {"gmail-empty-related-multipart",
       "* 56697 FETCH (X-GM-THRID 1563190496481790748 X-GM-MSGID 1563491715126921418 X-GM-LABELS "
       "(\"\\\\Sent\") UID 227195 RFC822.SIZE 87705 MODSEQ (10677203) INTERNALDATE \"01-Apr-2017 "
       "15:51:32 +0000\" FLAGS (\\Seen) BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") "
       "NIL NIL \"BASE64\" 10418 133 NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL "
       "\"BASE64\" 34544 442 NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"94eb\") NIL NIL)(\"RELATED\" "
       "NIL (\"ATTACHMENT\" NIL) NIL)(\"RELATED\" NIL (\"ATTACHMENT\" NIL) NIL) \"MIXED\" "
       "(\"BOUNDARY\" \"94ec\") NIL NIL))\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         EXPECT_EQ(f.gm_thrid, 1563190496481790748u);
         EXPECT_EQ(f.gm_msgid, 1563491715126921418u);
         EXPECT_EQ(f.gm_labels, std::vector<std::string>{"\\Sent"});
         EXPECT_EQ(f.internal_date, 1491061892);
         EXPECT_EQ(part(r, "").children.size(), 3u);
         const auto& related = part(r, "2");
         EXPECT_EQ(related.type + "/" + related.subtype, "multipart/related");
         EXPECT_TRUE(related.children.empty());
         EXPECT_EQ(related.disposition, "attachment");
       }},
      // Gmail's X-GM-LABELS mix atoms and quoted strings.
      {"gmail-x-gm-labels-mixed",
       "* 1 FETCH (X-GM-MSGID 1278455344230334865 X-GM-THRID 1266894439832287888 X-GM-LABELS "
       "(\\Inbox \\Sent Important \"Muy Importante\") UID 4)\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<FetchMessage>(r).gm_labels,
                   (std::vector<std::string>{"\\Inbox", "\\Sent", "Important", "Muy Importante"}));
       }},
      // node-imap #310: Gmail inline images in multipart/related have a Content-ID and NIL
      // disposition.
      {"gmail-related-attachment-nil",
       "* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL "
       "\"QUOTED-PRINTABLE\" 500 10 NIL NIL NIL)(\"IMAGE\" \"JPEG\" (\"NAME\" "
       "\"MdvnKAPUnQ4FyE3NAA.jpg\") \"<ii_141931a8d8c1360c>\" NIL \"BASE64\" 91062 NIL NIL NIL) "
       "\"RELATED\" (\"BOUNDARY\" \"x\") NIL NIL))\r\n",
       [](const Response& r) {
         const auto& image = part(r, "2");
         EXPECT_EQ(image.disposition, "");
         EXPECT_EQ(image.content_id, "ii_141931a8d8c1360c");
         EXPECT_EQ(param(image.content_type_params, "name"), "MdvnKAPUnQ4FyE3NAA.jpg");
       }},
      // MailKit #1841: Gmail's BODY (non-extended) with an empty multipart written ("ALTERNATIVE")
      // inside a message/rfc822 part.
      {"gmail-empty-alternative-in-body",
       "* 51 FETCH (MODSEQ (18812) BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"windows-1252\") NIL NIL "
       "\"QUOTED-PRINTABLE\" 211 5)(\"MESSAGE\" \"DELIVERY-STATUS\" NIL NIL NIL \"7BIT\" 344)"
       "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 2942 (\"Sat, 3 Jan 2015 19:26:15 +0100\" \"Re: "
       "MPG\" ((\"c p\" NIL \"cp\" \"gmail.com\")) ((\"c p\" NIL \"cp\" \"gmail.com\")) ((\"c p\" "
       "NIL \"cp\" \"gmail.com\")) ((\"am\" NIL \"sm\" \"ce.fr\")) NIL NIL \"<D3@ce.fr>\" "
       "\"<D4@gmail.com>\") (\"ALTERNATIVE\") 51) \"REPORT\"))\r\n",
       [](const Response& r) {
         EXPECT_FALSE(as<FetchMessage>(r).body_structure_extended);
         EXPECT_EQ(part(r, "").subtype, "report");
         EXPECT_EQ(part(r, "3").subtype, "rfc822");
         EXPECT_EQ(part(r, "3").encoded_size, 2942u);
       }},
      // MailKit #1393: a message/rfc822 whose body is a multipart written (NIL "alternative" ...).
      {"apple-nil-first-multipart",
       "* 6285 FETCH (UID 11889 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
       "\"7bit\" 727 16 NIL NIL NIL NIL)(\"message\" \"delivery-status\" (\"name\" \"Delivery "
       "status\") NIL NIL \"7bit\" 416 NIL NIL NIL NIL)(\"message\" \"rfc822\" (\"name\" \"Message "
       "headers\") NIL NIL \"7bit\" 903 (\"Mon, 17 Nov 2014 13:29:21 +0100\" \"Re: Adresy\" "
       "((\"username\" NIL \"e.username\" \"example.com\")) NIL NIL NIL NIL NIL "
       "\"<0049@some-company.eu>\" \"<D617@example.com>\") (NIL \"alternative\" (\"boundary\" "
       "\"Apple-Mail=_352F\") NIL NIL NIL) 17 NIL NIL NIL NIL) \"report\" (\"report-type\" "
       "\"delivery-status\" \"boundary\" \"_e0d7\") NIL NIL NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(param(part(r, "3").content_type_params, "name"), "Message headers");
         EXPECT_EQ(part(r, "2").subtype, "delivery-status");
       }},
      // MailKit #944: Lotus Domino: double spaces, an all-NIL envelope and `()` as the body of a
      // message/rfc822 part.
      {"domino-empty-envelope-body",
       "* 9125 FETCH (UID 23064 BODYSTRUCTURE ((\"text\" \"plain\"  (\"charset\" \"UTF-8\") NIL NIL "
       "\"base64\" 232 4 NIL NIL NIL)(\"message\" \"delivery-status\"  NIL NIL NIL \"7BIT\" 421 NIL "
       "NIL NIL)(\"message\" \"rfc822\"  NIL NIL NIL \"7BIT\" 787 (NIL NIL NIL NIL NIL NIL NIL NIL "
       "NIL NIL) () 0 NIL NIL NIL) \"report\" (\"report-type\" \"delivery-status\" \"boundary\" "
       "\"==IFJ\") NIL NIL) FLAGS (\\Seen))\r\n",
       [](const Response& r) {
         EXPECT_EQ(part(r, "3").encoded_size, 787u);
         EXPECT_EQ(as<FetchMessage>(r).flags, std::vector<std::string>{"\\Seen"});
       }},
      // swift-nio-imap #684: NIL transfer encoding.
      {"nil-encoding",
       "* 2114 FETCH (UID 2114 MODSEQ (3143) RFC822.SIZE 11867 BODYSTRUCTURE (((\"text\" \"plain\" "
       "(\"CHARSET\" \"UTF-8\") NIL NIL NIL 1423 44 NIL NIL NIL NIL)(\"text\" \"html\" (\"CHARSET\" "
       "\"UTF-8\") NIL NIL \"quoted-printable\" 2524 34 NIL NIL NIL NIL) \"alternative\" "
       "(\"BOUNDARY\" \"0000\") NIL NIL NIL)(\"text\" \"plain\" (\"CHARSET\" \"us-ascii\") NIL NIL "
       "\"7bit\" 151 4 NIL NIL NIL NIL) \"mixed\" (\"BOUNDARY\" \"====\") NIL NIL NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(part(r, "1.1").transfer_encoding, "");
         EXPECT_EQ(part(r, "1.1").encoded_size, 1423u);
       }},
      // Issue 3 (NIL subtypes): broken generators leave the subtype out; servers send NIL.
      {"nil-subtype",
       "* 2 FETCH (UID 8 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1)"
       "(\"application\" NIL (\"name\" \"blob\") NIL NIL \"base64\" 4096 NIL (\"attachment\" "
       "(\"filename\" \"blob\")) NIL NIL) \"mixed\" (\"boundary\" \"z\") NIL NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(part(r, "2").type, "application");
         EXPECT_EQ(part(r, "2").subtype, "");
         EXPECT_EQ(part(r, "2").encoded_size, 4096u);
       }},
      // libetpan #217: a parameter list where body-fld-md5 belongs.
      {"libetpan-list-in-md5-slot",
       "* 4 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"GB2312\") NIL NIL NIL 0 0 "
       "(\"BOUNDARY\" \"=====002_Dragon=====\") NIL NIL) \"RELATED\" (\"BOUNDARY\" "
       "\"=====002_Dragon=====\") NIL NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(part(r, "1").subtype, "plain");
         EXPECT_EQ(part(r, "1").disposition, "");
       }},
      // javamail #278: a description string in a multipart's disposition slot.
      {"javamail-string-in-multipart-disposition",
       "* 9 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 "
       "0 NIL NIL NIL NIL)(\"application\" \"octet-stream\" (\"name\" \"MSCONS.txt\") NIL NIL "
       "\"base64\" 171724 NIL (\"attachment\" (\"filename\" \"MSCONS.txt\")) NIL NIL) \"mixed\" "
       "(\"boundary\" \"----=_Part_694\") \"S/MIME Encrypted Message\" NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(part(r, "2").encoded_size, 171724u);
         EXPECT_EQ(part(r, "").disposition, "s/mime encrypted message");
       }},
      // RFC 3501 §4.3: strings with CR/LF or 8-bit bytes come as literals (Dovecot imap-quote.c),
      // also deep inside a BODYSTRUCTURE's embedded envelope; a literal may hold `)`.
      {"literal-inside-bodystructure-envelope",
       "* 7 FETCH (UID 70 ENVELOPE (NIL " +
           lit("Subj\xC3\xA9"
               "ct ok") +
           " NIL NIL NIL NIL NIL NIL NIL \"<m@x>\") BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL "
           "\"7bit\" 5 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" (\"name\" " +
           lit("fwd).eml") + ") NIL NIL \"7bit\" 300 (\"Tue, 2 Jun 2020 16:25:29 +0200\" " + lit("line1\r\nline2") +
           " NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 20 2 NIL NIL "
           "NIL NIL) 9 NIL (\"attachment\" NIL) NIL NIL) \"mixed\" (\"boundary\" \"q\") NIL NIL "
           "NIL))\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<FetchMessage>(r).envelope->subject,
                   "Subj\xC3\xA9"
                   "ct ok");
         EXPECT_EQ(param(part(r, "2").content_type_params, "name"), "fwd).eml");
         EXPECT_EQ(part(r, "2").disposition, "attachment");
       }},
      // RFC 2231 §3-4: continuations and charset forms stay raw under their own (lower-cased)
      // names; mailprune_mime decodes them.
      {"rfc2231-continuations-kept-raw",
       "* 5 FETCH (BODYSTRUCTURE (\"application\" \"pdf\" (\"name*0*\" "
       "\"utf-8''%E2%82%AC%20rates\" \"name*1\" \".pdf\") NIL NIL \"base64\" 1000 NIL "
       "(\"attachment\" (\"FILENAME*0*\" \"utf-8''%E2%82%AC%20rates\" \"FILENAME*1\" \".pdf\")) NIL "
       "NIL))\r\n",
       [](const Response& r) {
         const auto& root = part(r, "");
         EXPECT_EQ(param(root.content_type_params, "name*0*"), "utf-8''%E2%82%AC%20rates");
         EXPECT_EQ(param(root.disposition_params, "filename*1"), ".pdf");
       }},
      // RFC 3516 + RFC 8474 + Dovecot X-GUID: exact decoded sizes and identity hints.
      {"dovecot-binary-size-identity",
       "* 3 FETCH (UID 7 X-GUID 3b1f0b2e6c0f5a4e9f2a0000b1c2d3e4 BINARY.SIZE[2] 1048576 "
       "BINARY.SIZE[3.1] 20 EMAILID (M6d99ac3275bb4e) THREADID NIL)\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         EXPECT_EQ(f.x_guid, "3b1f0b2e6c0f5a4e9f2a0000b1c2d3e4");
         EXPECT_EQ(f.binary_size("2"), 1048576u);
         EXPECT_EQ(f.binary_size("3.1"), 20u);
         EXPECT_FALSE(f.binary_size("4"));
         EXPECT_EQ(f.email_id, "M6d99ac3275bb4e");
         EXPECT_FALSE(f.thread_id);
       }},
      // RFC 3516 §4.2: `~{n}` literal8 with NUL bytes; NIL for an empty section.
      {"rfc3516-binary-literal8",
       "* 4 FETCH (UID 9 BINARY[2] ~{6}\r\n" + std::string("\0\1\2abc", 6) + " BINARY[3]<0> NIL)\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         ASSERT_NE(f.binary("2"), nullptr);
         EXPECT_EQ(f.binary("2")->data, std::string("\0\1\2abc", 6));
         EXPECT_TRUE(f.binary("3")->nil);
         EXPECT_EQ(f.binary("3")->origin, 0u);
       }},
      // RFC 3501 §6.4.5: header fields, partial fetch with origin, RFC822.HEADER.
      {"rfc3501-body-sections",
       "* 5 FETCH (UID 10 BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)] " + lit("Message-ID: <a@b>\r\nSubject: hi\r\n\r\n") +
           " BODY[1]<0> \"hello\" RFC822.HEADER " + lit("X: y\r\n\r\n") + ")\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         ASSERT_NE(f.body("HEADER.FIELDS (MESSAGE-ID SUBJECT)"), nullptr);
         EXPECT_EQ(f.body("header.fields (message-id subject)")->size, 34u);
         EXPECT_EQ(f.body("1")->data, "hello");
         EXPECT_EQ(f.body("1")->origin, 0u);
         EXPECT_EQ(f.body("HEADER")->data, "X: y\r\n\r\n");
       }},
      // MailKit #428: an old Courier-IMAP sends `* 0 FETCH` after STORE.
      {"courier-fetch-seq-zero", "* 0 FETCH (UID 16334 FLAGS ())\r\n",
       [](const Response& r) {
         EXPECT_EQ(as<FetchMessage>(r).seq, 0u);
         EXPECT_TRUE(as<FetchMessage>(r).flags->empty());
       }},
      // Items this layer does not know are skipped as one value each, literals included.
      {"unknown-fetch-items-skipped",
       "* 1 FETCH (X-UNKNOWN (a (b \"c)\") " + lit("x)y") + ") UID 3 X-OTHER[1] \"v\" PREVIEW \"some text\")\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         EXPECT_EQ(f.uid, 3u);
         EXPECT_EQ(f.skipped_items, (std::vector<std::string>{"X-UNKNOWN", "X-OTHER[1]", "PREVIEW"}));
       }},
      // swift-nio-imap #757: a BODYSTRUCTURE that cannot be interpreted costs only itself.
      {"broken-bodystructure-keeps-uid",
       "* 1 FETCH (UID 9 BODYSTRUCTURE (\"text\" \"plain\" \"x\" \"y\" \"z\") RFC822.SIZE 5)\r\n",
       [](const Response& r) {
         const auto& f = as<FetchMessage>(r);
         EXPECT_EQ(f.uid, 9u);
         EXPECT_EQ(f.rfc822_size, 5u);
         EXPECT_FALSE(f.body_structure);
         ASSERT_TRUE(f.body_structure_error);
         EXPECT_EQ(f.body_structure_error->offset, 31u);  // the body's `(`
       }},
  };
}

class FetchTable : public ::testing::TestWithParam<Row> {};

TEST_P(FetchTable, Parses) {
  const Row& row = GetParam();
  row.check(grind_one(row.wire));
}

INSTANTIATE_TEST_SUITE_P(Quirks, FetchTable, ::testing::ValuesIn(rows()), row_name);

// A literal above the streaming threshold goes to the sink chunk by chunk, with the response text
// so far, and the parsed FETCH holds a placeholder; ground at every split.
TEST(ImapStreaming, HugeLiteralStreamedToSink) {
  std::string content;
  for (int i = 0; i < 3000; ++i) content.push_back(static_cast<char>('a' + i % 26));
  const std::string wire = "* 12 FETCH (UID 5 BINARY[2] ~{3000}\r\n" + content + " BINARY.SIZE[2] 3000)\r\n";
  FramerLimits limits;
  limits.stream_literals_above = 1024;
  const GrindResult run = grind(wire, limits, true);
  ASSERT_EQ(run.parsed.size(), 1u);
  const auto& f = as<FetchMessage>(run.parsed[0].value());
  ASSERT_NE(f.binary("2"), nullptr);
  EXPECT_TRUE(f.binary("2")->streamed);
  EXPECT_EQ(f.binary("2")->size, 3000u);
  EXPECT_EQ(f.binary("2")->literal_index, 0u);
  EXPECT_TRUE(f.binary("2")->data.empty());
  ASSERT_EQ(run.streams.size(), 1u);
  EXPECT_EQ(run.streams[0],
            "resp#0 lit#0 size=3000 after=\"* 12 FETCH (UID 5 BINARY[2] ~{3000}\" bytes=" + content + "<end>");
}

// 100 MiB through the framer in 64 KiB reads: never buffered, all of it seen by the sink.
TEST(ImapStreaming, HundredMegabytesNeverBuffered) {
  const std::uint64_t size = 100u << 20;
  std::uint64_t seen = 0;
  std::uint64_t checksum = 0;
  std::string first_text;
  FramerLimits limits;
  limits.max_buffered_literal = 1u << 20;
  Framer framer(limits, [&](const LiteralChunk& chunk) {
    if (chunk.offset == 0) first_text = std::string(chunk.response_so_far);
    seen += chunk.bytes.size();
    for (char c : chunk.bytes) checksum += static_cast<unsigned char>(c);
  });
  const std::string head = "* 3 FETCH (UID 17 BINARY[2] ~{" + std::to_string(size) + "}\r\n";
  ASSERT_EQ(framer.feed(head).status, FrameStatus::need_more);
  const std::string block(64u << 10, 'x');
  for (std::uint64_t sent = 0; sent < size; sent += block.size()) {
    const FeedResult result = framer.feed(block);
    ASSERT_EQ(result.status, FrameStatus::need_more);
    ASSERT_EQ(result.consumed, block.size());
  }
  ASSERT_EQ(framer.feed(")\r\n").status, FrameStatus::complete);
  const FramedResponse framed = framer.take();
  EXPECT_EQ(seen, size);
  EXPECT_EQ(checksum, size * static_cast<unsigned char>('x'));
  EXPECT_EQ(first_text, "* 3 FETCH (UID 17 BINARY[2] ~{104857600}");
  EXPECT_LT(framed.text.size() + framed.literals.at(0).data.capacity(), 1024u);
  const auto parsed = parse_response(framed);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(std::get<FetchMessage>(parsed.value()).binary("2")->size, size);
}

}  // namespace
}  // namespace mailprune::imap::test
