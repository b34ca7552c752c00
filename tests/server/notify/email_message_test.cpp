// build_message(): what it writes is read back by Python's email package (an independent
// implementation): headers decoded to what was given (French accents, emoji, quoted names),
// multipart/alternative with both bodies decoded byte for byte, no defects, short lines; and the
// building blocks (quoted-printable, encoded words, dates, addresses) on their own.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <set>

#include "notify/email_message.hpp"
#include "python_email.hpp"

namespace mailprune::notify {
namespace {

using test::header_of;
using test::part_of;
using test::read_with_python;

// A quoted-printable decoder written for the test, from RFC 2045 6.7, to check round trips
// without the code under test.
std::string qp_decode(const std::string& encoded) {
  std::string out;
  auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '=') {
      out += encoded[i];
    } else if (encoded.compare(i, 3, "=\r\n") == 0) {
      i += 2;
    } else {
      out += static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
      i += 2;
    }
  }
  return out;
}

EmailMessage french_message() {
  EmailMessage m;
  m.from = {"Direction du numérique", "dsi@departement.example"};
  m.to = {{"Élodie Dupré", "elodie.dupre@example.org"}};
  m.reply_to = Mailbox{"Support, DSI", "support@departement.example"};
  m.subject = "Grand ménage 2026\u00a0: 42 éléments à vérifier avant le 12 décembre 2026";
  m.text =
      "Bonjour Élodie,\n\nVotre boîte aux lettres occupe 3,2\u00a0Go. Voici une très longue ligne qui dépasse "
      "largement les soixante-seize caractères permis par ligne en quoted-printable, avec des accents éàüç.\n"
      ".Une ligne qui commence par un point\nFrom the start of a line\nespaces en fin de ligne   \n"
      "tab\tinside\n"
      "https://mailprune.departement.example/review/eyJjYW1wYWlnbiI6MTIsImFnZW50Ijo0Mn0.c2lnbmF0dXJl?lang=fr&x=1\n";
  m.html =
      "<!DOCTYPE html>\n<html lang=\"fr\"><body><p>Bonjour Élodie,</p><p><a "
      "href=\"https://mailprune.departement.example/review/abc?lang=fr&amp;x=1\">Vérifier</a></p></body></html>\n";
  m.date = 1797067800;  // 2026-12-12 09:30:00 UTC
  m.message_id = "1797067800.0123abcd@departement.example";
  m.extra_headers = {{"X-Mailprune-Campaign", "Grand ménage 2026"}};
  return m;
}

TEST(EmailMessage, PythonReadsBackEveryHeaderAndBothAlternatives) {
  const EmailMessage m = french_message();
  const std::string raw = build_message(m);
  const auto parsed = read_with_python(raw);
  EXPECT_TRUE(parsed.at("defects").empty()) << parsed.at("defects").dump();
  EXPECT_FALSE(parsed.at("bare_lf").get<bool>());
  EXPECT_LE(parsed.at("max_header_line").get<int>(), 78);
  EXPECT_LE(parsed.at("max_body_line").get<int>(), 76);

  EXPECT_EQ(header_of(parsed, "Subject"), m.subject);
  EXPECT_EQ(header_of(parsed, "Date"), "Sat, 12 Dec 2026 09:30:00 +0000");
  EXPECT_EQ(header_of(parsed, "Message-ID"), "<" + m.message_id + ">");
  EXPECT_EQ(header_of(parsed, "MIME-Version"), "1.0");
  EXPECT_EQ(header_of(parsed, "Auto-Submitted"), "auto-generated");
  EXPECT_EQ(header_of(parsed, "X-Auto-Response-Suppress"), "OOF, AutoReply");
  EXPECT_EQ(header_of(parsed, "X-Mailprune-Campaign"), "Grand ménage 2026");
  EXPECT_EQ(parsed.at("from"), nlohmann::json::parse(R"([["Direction du numérique", "dsi@departement.example"]])"));
  EXPECT_EQ(parsed.at("to"), nlohmann::json::parse(R"([["Élodie Dupré", "elodie.dupre@example.org"]])"));
  EXPECT_EQ(parsed.at("reply_to"), nlohmann::json::parse(R"([["Support, DSI", "support@departement.example"]])"));

  const auto& parts = parsed.at("parts");
  ASSERT_EQ(parts.size(), 2u) << parsed.dump(2);
  EXPECT_EQ(parts[0].at("content_type"), "text/plain");
  EXPECT_EQ(parts[1].at("content_type"), "text/html");
  for (const auto& part : parts) {
    EXPECT_EQ(part.at("charset"), "utf-8");
    EXPECT_EQ(part.at("cte"), "quoted-printable");
  }
  EXPECT_EQ(part_of(parsed, "text/plain"), m.text);
  EXPECT_EQ(part_of(parsed, "text/html"), m.html);
  EXPECT_NE(raw.find("Content-Type: multipart/alternative; boundary=\"=_mp_"), std::string::npos);
  // Encoded in the raw bytes: nothing 8-bit, no line starting with '.' or "From ".
  EXPECT_TRUE(std::all_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  EXPECT_EQ(raw.find("\r\n."), std::string::npos);
  EXPECT_EQ(raw.find("\r\nFrom "), std::string::npos);
}

TEST(EmailMessage, HeaderTextCannotInjectHeaders) {
  EmailMessage m = french_message();
  m.subject = "Bonjour\r\nBcc: victim@example.net";
  m.to = {{"Eve\r\nCc: other@example.net", "eve@example.org"}};
  const auto parsed = read_with_python(build_message(m));
  EXPECT_EQ(header_of(parsed, "Bcc"), "");
  EXPECT_EQ(header_of(parsed, "Cc"), "");
  EXPECT_EQ(header_of(parsed, "Subject"), "Bonjour  Bcc: victim@example.net");
  EXPECT_EQ(parsed.at("to").at(0).at(1), "eve@example.org");
}

// Subjects: plain, long (folded), looking like an encoded word, non-Latin and 4-byte characters
// (encoded words must not split a character), empty.
TEST(EmailMessage, SubjectsDecodeToWhatWasGiven) {
  const std::vector<std::string> subjects = {
      "Hello",
      "A rather long plain ASCII subject that certainly needs folding once it goes past the limit of one line",
      "=?UTF-8?Q?not_an_encoded_word?=",
      "Réunion de service : compte rendu détaillé, pièces jointes volumineuses, à archiver avant vendredi",
      "日本語の件名とても長い件名です日本語の件名とても長い件名です日本語の件名",
      "Photos 📷🎉 de l’été « à partager » – très lourdes",
      "",
      "spaces  inside",
  };
  for (const auto& subject : subjects) {
    EmailMessage m = french_message();
    m.subject = subject;
    const std::string raw = build_message(m);
    const auto parsed = read_with_python(raw);
    EXPECT_EQ(header_of(parsed, "Subject"), subject) << raw.substr(0, raw.find("Message-ID"));
    EXPECT_LE(parsed.at("max_header_line").get<int>(), 78) << subject;
    EXPECT_TRUE(parsed.at("defects").empty()) << subject << parsed.at("defects").dump();
    static const std::regex word(R"(=\?UTF-8\?Q\?[^? ]*\?=)");
    for (auto it = std::sregex_iterator(raw.begin(), raw.end(), word); it != std::sregex_iterator(); ++it) {
      EXPECT_LE(it->length(), 75) << it->str();
    }
  }
}

TEST(EmailMessage, DisplayNamesAndSeveralRecipients) {
  EmailMessage m = french_message();
  m.to = {{"", "a@example.org"},
          {"Jean \"JJ\" Dupont", "jj@example.org"},
          {"O'Brien, Pat", "pat@example.org"},
          {"Zoë", "zoe@example.org"},
          {"=?UTF-8?Q?looks_encoded?=", "x@example.org"}};
  const auto parsed = read_with_python(build_message(m));
  EXPECT_EQ(parsed.at("to"), nlohmann::json::parse(R"([["", "a@example.org"], ["Jean \"JJ\" Dupont", "jj@example.org"],
      ["O'Brien, Pat", "pat@example.org"], ["Zoë", "zoe@example.org"], ["=?UTF-8?Q?looks_encoded?=", "x@example.org"]])"));
  EXPECT_TRUE(parsed.at("defects").empty()) << parsed.at("defects").dump();
}

TEST(EmailMessage, TheBoundaryCannotOccurInABody) {
  EmailMessage m = french_message();
  const std::string boundary_like = "--=_mp_" + std::string(16, '0') + "--\n--=_mp_deadbeefdeadbeef\n";
  m.text = boundary_like + m.text;
  m.html = boundary_like + m.html;
  const auto parsed = read_with_python(build_message(m));
  ASSERT_EQ(parsed.at("parts").size(), 2u);
  EXPECT_EQ(part_of(parsed, "text/plain"), m.text);
  EXPECT_EQ(part_of(parsed, "text/html"), m.html);
}

TEST(EmailMessage, RefusesWhatCannotBeSentSafely) {
  EmailMessage m = french_message();
  m.to.clear();
  EXPECT_THROW(build_message(m), std::invalid_argument);
  m = french_message();
  m.to = {{"", "élodie@example.org"}};  // no SMTPUTF8
  EXPECT_THROW(build_message(m), std::invalid_argument);
  m = french_message();
  m.from.address = "not an address";
  EXPECT_THROW(build_message(m), std::invalid_argument);
  m = french_message();
  m.message_id = "no-at-sign";
  EXPECT_THROW(build_message(m), std::invalid_argument);
  m = french_message();
  m.extra_headers = {{"Bcc", "x@example.org"}};
  EXPECT_THROW(build_message(m), std::invalid_argument);
  m.extra_headers = {{"X-Bad Name", "x"}};
  EXPECT_THROW(build_message(m), std::invalid_argument);
}

TEST(EmailMessage, ParseMailbox) {
  struct Case {
    const char* text;
    bool ok;
    const char* name;
    const char* address;
  };
  const Case cases[] = {
      {"mailprune <mailprune@localhost>", true, "mailprune", "mailprune@localhost"},
      {"\"Dupont, Jean\" <jean@example.org>", true, "Dupont, Jean", "jean@example.org"},
      {"\"Say \\\"hi\\\"\" <hi@example.org>", true, "Say \"hi\"", "hi@example.org"},
      {"Équipe DSI <dsi@example.org>", true, "Équipe DSI", "dsi@example.org"},
      {"<bare@example.org>", true, "", "bare@example.org"},
      {"  plain@example.org  ", true, "", "plain@example.org"},
      {"nobody", false, "", ""},
      {"a b@example.org", false, "", ""},
      {"Name <a@example.org", false, "", ""},
      {"Name <a@example.org> trailing", false, "", ""},
      {"@example.org", false, "", ""},
      {"a@", false, "", ""},
      {"élodie@example.org", false, "", ""},
  };
  for (const auto& c : cases) {
    auto parsed = parse_mailbox(c.text);
    ASSERT_EQ(parsed.has_value(), c.ok) << c.text;
    if (!c.ok) continue;
    EXPECT_EQ(parsed->display_name, c.name) << c.text;
    EXPECT_EQ(parsed->address, c.address) << c.text;
  }
  EXPECT_EQ(format_mailbox({"Support, DSI", "s@example.org"}), "\"Support, DSI\" <s@example.org>");
  EXPECT_EQ(format_mailbox({"Jean Dupont", "j@example.org"}), "Jean Dupont <j@example.org>");
  EXPECT_EQ(format_mailbox({"", "j@example.org"}), "j@example.org");
  EXPECT_EQ(format_mailbox({"Zoë", "z@example.org"}), "=?UTF-8?Q?Zo=C3=AB?= <z@example.org>");
  EXPECT_EQ(domain_of("a@b.example"), "b.example");
}

TEST(EmailMessage, QuotedPrintableRules) {
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
  EXPECT_EQ(quoted_printable("trailing \nspace"), "trailing=20\r\nspace");
  EXPECT_EQ(quoted_printable("tab\t"), "tab=09");
  EXPECT_EQ(quoted_printable(".dot\nFrom me\nFromage"), "=2Edot\r\n=46rom me\r\nFromage");
  EXPECT_EQ(quoted_printable("é"), "=C3=A9");
  EXPECT_EQ(quoted_printable("crlf\r\nkept\n"), "crlf\r\nkept\r\n");
  EXPECT_EQ(quoted_printable(""), "");
  const std::string long_line(200, 'x');
  const std::string encoded = quoted_printable(long_line);
  EXPECT_EQ(qp_decode(encoded), long_line);
  EXPECT_NE(encoded.find("=\r\n"), std::string::npos);
}

// Property: any text (random bytes of every kind, all lengths) encodes to lines of at most 76
// characters that decode back to the text with its line ends as CRLF.
TEST(EmailMessage, QuotedPrintableRoundTripsAnyText) {
  std::mt19937 random(20261212);
  const std::string alphabet = std::string("aZ09 .=\t\n\r-_?F") + "\xc3\xa9\xe2\x80\xaf\xf0\x9f\x93\xb7\xff";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const std::size_t length = random() % 300;
    for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    const std::string encoded = quoted_printable(text);
    std::size_t start = 0;
    for (std::size_t end; (end = encoded.find("\r\n", start)) != std::string::npos; start = end + 2) {
      ASSERT_LE(end - start, 76u) << encoded;
    }
    ASSERT_LE(encoded.size() - start, 76u);
    // The expected decoding: every lone LF (and a CR before it) is a CRLF line break.
    std::string expected;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
      expected += text[i] == '\n' ? std::string("\r\n") : std::string(1, text[i]);
    }
    ASSERT_EQ(qp_decode(encoded), expected) << encoded;
    for (char c : encoded) ASSERT_TRUE(static_cast<unsigned char>(c) < 0x80);
  }
}

TEST(EmailMessage, EncodedWordsNeverSplitACharacter) {
  const std::string text = "éééééééééééééééééééééééééé📷📷📷📷";
  const std::string encoded = encode_words(text, 24);
  std::string decoded;
  static const std::regex word(R"(=\?UTF-8\?Q\?([^? ]*)\?=)");
  for (auto it = std::sregex_iterator(encoded.begin(), encoded.end(), word); it != std::sregex_iterator(); ++it) {
    EXPECT_LE(it->length(), 24);
    const std::string piece = qp_decode((*it)[1].str());
    // Each word alone is valid UTF-8: it starts on a lead byte and ends on a complete character.
    ASSERT_FALSE(piece.empty());
    EXPECT_NE(static_cast<unsigned char>(piece[0]) & 0xC0, 0x80) << piece;
    decoded += piece;
  }
  EXPECT_EQ(decoded, text);
  EXPECT_EQ(encode_words("a b_c"), "=?UTF-8?Q?a_b=5Fc?=");
}

TEST(EmailMessage, DatesAndMessageIds) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1797067800), "Sat, 12 Dec 2026 09:30:00 +0000");
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(make_message_id("departement.example"));
  EXPECT_EQ(ids.size(), 100u);
  for (const auto& id : ids) EXPECT_TRUE(id.size() > 20 && id.substr(id.find('@')) == "@departement.example") << id;
  EmailMessage m = french_message();
  m.message_id = *ids.begin();
  EXPECT_NO_THROW(build_message(m));
  EXPECT_EQ(make_message_id("").substr(make_message_id("").find('@')), "@localhost");
}

}  // namespace
}  // namespace mailprune::notify
