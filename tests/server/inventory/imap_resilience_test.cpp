// Failure paths of a real crawl (STYLE.md "Tests"): the `mailprune` binary crawls a real Dovecot
// through tests/harness/fault_proxy, which cuts a connection in the middle of a FETCH literal,
// answers garbage, stalls until the read timeout, or refuses every connection. A broken
// connection must cost a retry, not the run: the crawl exits 0 and `report summary` equals
// tests/tools/inventory_truth.py. A source that cannot be reached at all fails its own mailboxes
// (recorded in crawl_error) and nothing else.
//
// Where a retried failure is recorded: a mailbox attempt that fails and then succeeds on a fresh
// session is logged as a warning ("mailbox X: attempt 1 failed (...); retrying"), not written to
// crawl_error (crawl.hpp: only the last failed attempt is an error; tests/server/inventory
// crawl_test.cpp pins that). These tests check the warning in the binary's output.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_crawl.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/fault_proxy.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A message whose Subject and attachment name are raw UTF-8 (as many real mailers send them):
// Dovecot must send those strings as literals, so the crawl's FETCH responses carry `{n}` literals
// inside ENVELOPE and BODYSTRUCTURE, and a cut can land inside one.
std::string eight_bit_message(const std::string& user, int n) {
  std::string content;
  for (int i = 0; i < 3000; ++i) content += static_cast<char>('A' + (i * 7 + n) % 26);
  const std::string subject =
      "Réunion d'été n°" + std::to_string(n) + " — ordre du jour, budget prévisionnel et questions diverses";
  // base64 of `content`, 76 columns.
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < content.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(content[i]) << 16;
    if (i + 1 < content.size()) v |= static_cast<unsigned char>(content[i + 1]) << 8;
    if (i + 2 < content.size()) v |= static_cast<unsigned char>(content[i + 2]);
    encoded += alphabet[(v >> 18) & 63];
    encoded += alphabet[(v >> 12) & 63];
    encoded += i + 1 < content.size() ? alphabet[(v >> 6) & 63] : '=';
    encoded += i + 2 < content.size() ? alphabet[v & 63] : '=';
  }
  std::string wrapped;
  for (std::size_t i = 0; i < encoded.size(); i += 76) wrapped += encoded.substr(i, 76) + "\r\n";
  return "From: François Lefèvre <francois@example.org>\r\nTo: " + user + "\r\nSubject: " + subject +
         "\r\nDate: Tue, 02 Mar 2021 10:00:00 +0000\r\nMessage-ID: <eight-bit-" + std::to_string(n) +
         "@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b8\"\r\n\r\n"
         "--b8\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
         "Bonjour à tous, voici l'ordre du jour.\r\n"
         "--b8\r\nContent-Type: application/pdf; name=\"ordre du jour été " +
         std::to_string(n) +
         ".pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"ordre du jour été " +
         std::to_string(n) +
         ".pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrapped + "--b8--\r\n";
}

// Adds one message to a generated set (its file and its manifest entry), so the truth counts it.
void add_to_set(const std::string& dir, const std::string& user, const std::string& raw, int n) {
  const std::string file = user + "/INBOX/eight-bit-" + std::to_string(n) + ".eml";
  write_file(dir + "/" + file, raw);
  json manifest = json::parse(read_file(dir + "/manifest.json"));
  const std::int64_t epoch = 1614679200 + n;
  manifest["messages"].push_back({{"user", user},
                                  {"folder", "INBOX"},
                                  {"file", file},
                                  {"flags", json::array()},
                                  {"internal_date", "2021-03-02T10:00:00Z"},
                                  {"internal_date_epoch", epoch},
                                  {"size", raw.size()}});
  write_file(dir + "/manifest.json", manifest.dump(1));
}

// The proxy must see IMAP, not a deflate stream, to find its trigger texts: the crawl turns
// COMPRESS=DEFLATE on whenever the server offers it.
DovecotOptions uncompressed() {
  DovecotOptions options;
  options.compress = false;
  return options;
}

// A small generated set, with one 8-bit message per user, loaded into its own Dovecot (compression
// offered or not).
struct LoadedDovecot {
  explicit LoadedDovecot(int seed, int users = 2, DovecotOptions dovecot = uncompressed())
      : dir("imap-resilience"), server(std::move(dovecot)) {
    MailgenOptions options;
    options.users = users;
    options.messages = 12;
    options.size_scale = 0.05;
    options.seed = seed;
    SampleMailSet generated = generate_sample_mail(dir / "mail", options);
    int n = seed * 100;
    for (const auto& user : generated.users) {
      ++n;
      add_to_set(generated.dir, user, eight_bit_message(user, n), n);
    }
    set = read_sample_mail(generated.dir);
    server.load(set);
    truth = inventory_truth(set.dir);
  }

  CliSource source(const std::string& name, std::uint16_t port, const std::string& tls) const {
    CliSource s = dovecot_source(server, set.users, tls);
    s.name = name;
    s.port = port;  // the proxy's, or the server's own
    s.max_connections = 1;
    return s;
  }

  TempDir dir;
  SampleMailSet set;
  DovecotServer server;
  json truth;
};

void expect_summary_is_truth(const MailpruneCli& cli, const json& truth, const std::string& label) {
  const json summary = cli.summary();
  for (const auto& field : summary_fields()) {
    EXPECT_EQ(summary.value(field, json()), truth.at(field)) << label << ": " << field;
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The crawl went through, every mailbox committed and nothing was recorded as lost.
void expect_complete(const MailpruneCli& cli, const platform::RunResult& crawl, const LoadedDovecot& mail,
                     const std::string& label) {
  std::string recorded;
  for (const auto& line : cli.strings("SELECT coalesce(folder_name, '') || ' ' || coalesce(uid::text, '') || ': ' ||"
                                      " message FROM crawl_error ORDER BY id LIMIT 5")) {
    recorded += "  crawl_error: " + line + "\n";
  }
  SCOPED_TRACE(recorded);
  EXPECT_EQ(crawl.exit_code, 0) << label << "\n" << crawl.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM crawl_error WHERE message LIKE 'mailbox not crawled%'"), 0)
      << label << "\n"
      << crawl.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM crawl_error WHERE message LIKE '%not hashed%'"), 0) << label << "\n"
                                                                                                 << crawl.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM mailbox WHERE last_crawled_at IS NOT NULL"),
            static_cast<std::int64_t>(mail.set.users.size()))
      << label;
  expect_summary_is_truth(cli, mail.truth, label);
}

TEST(ImapResilience, CutInsideAFetchLiteralCostsARetry) {
  LoadedDovecot mail(21);
  FaultProxy proxy(mail.server.host(), mail.server.imap_port());
  // Once, on whichever connection first sends a literal inside an ENVELOPE: 5 bytes into it.
  proxy.set_default_fault(Fault::cut(5).after_text("ENVELOPE (").after_text("}\r\n"), 1);
  MailpruneCli cli({mail.source("proxied", proxy.port(), "none")});

  platform::RunResult crawl = cli.crawl();
  EXPECT_EQ(proxy.faults_fired(), 1u) << "no literal inside an ENVELOPE: the cut never happened\n" << crawl.output;
  EXPECT_TRUE(contains(crawl.output, "attempt 1 failed")) << crawl.output;
  EXPECT_TRUE(contains(crawl.output, "retrying")) << crawl.output;
  expect_complete(cli, crawl, mail, "cut in literal");
}

TEST(ImapResilience, CutWhileHashingAnAttachmentCostsARetry) {
  LoadedDovecot mail(22);
  FaultProxy proxy(mail.server.host(), mail.server.imap_port());
  // The first attachment content fetched for hashing (BINARY.PEEK, or BODY.PEEK without BINARY),
  // cut 40 bytes into its literal.
  proxy.set_default_fault(Fault::cut(40).after_text("BINARY[").after_text("}\r\n"), 1);
  MailpruneCli cli({mail.source("proxied", proxy.port(), "none")});

  platform::RunResult crawl = cli.crawl();
  EXPECT_EQ(proxy.faults_fired(), 1u) << "no attachment content was fetched: nothing to cut\n" << crawl.output;
  expect_complete(cli, crawl, mail, "cut while hashing");
}

TEST(ImapResilience, GarbageInAResponseCostsARetry) {
  LoadedDovecot mail(23);
  FaultProxy proxy(mail.server.host(), mail.server.imap_port());
  // Right after the first "* n FETCH (": unbalanced parentheses and control bytes, then the rest of
  // the real response as if it were the next line.
  proxy.set_default_fault(Fault::garbage(0, std::string("\x01\x7f )))( ((\"unterminated \r\n")).after_text(" FETCH ("),
                          1);
  MailpruneCli cli({mail.source("proxied", proxy.port(), "none")});

  platform::RunResult crawl = cli.crawl();
  EXPECT_EQ(proxy.faults_fired(), 1u) << crawl.output;
  EXPECT_TRUE(contains(crawl.output, "attempt 1 failed")) << crawl.output;
  expect_complete(cli, crawl, mail, "garbage");
}

TEST(ImapResilience, StalledConnectionHitsTheTimeoutAndIsRetried) {
  LoadedDovecot mail(24);
  FaultProxy proxy(mail.server.host(), mail.server.imap_port());
  proxy.set_default_fault(Fault::stall(0).after_text(" FETCH ("), 1);
  CliSource source = mail.source("proxied", proxy.port(), "none");
  source.timeout_seconds = 2;
  MailpruneCli cli({source});

  const auto started = std::chrono::steady_clock::now();
  platform::RunResult crawl = cli.crawl();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(proxy.faults_fired(), 1u) << crawl.output;
  EXPECT_TRUE(contains(crawl.output, "attempt 1 failed")) << crawl.output;
  EXPECT_GE(elapsed, 2s) << "the stall was not waited for";
  EXPECT_LT(elapsed, 60s) << "the timeout of 2 s was not applied";
  expect_complete(cli, crawl, mail, "stall");
}

// Over implicit TLS the proxy sees only ciphertext: it cuts (or stalls) at a byte count, half way
// into what the server sent on the same mailbox's first connection in an unfaulted crawl.
TEST(ImapResilience, CutAndStallInsideTlsCostARetry) {
  DovecotOptions compressed;  // ciphertext anyway; and the cut lands inside the deflate stream
  compressed.compress = true;
  LoadedDovecot mail(25, 1, compressed);
  std::uint64_t first_connection_bytes = 0;
  {
    FaultProxy clean(mail.server.host(), mail.server.imaps_port());
    MailpruneCli baseline({mail.source("tls", clean.port(), "implicit")});
    platform::RunResult crawl = baseline.crawl();
    ASSERT_EQ(crawl.exit_code, 0) << crawl.output;
    clean.stop();
    first_connection_bytes = clean.bytes_to_client_of(1);
    ASSERT_GT(first_connection_bytes, 4000u) << "the crawl session sent less than a handshake";
  }
  for (const bool stall : {false, true}) {
    const std::string label = stall ? "TLS stall" : "TLS cut";
    FaultProxy proxy(mail.server.host(), mail.server.imaps_port());
    proxy.set_fault(1, stall ? Fault::stall(first_connection_bytes / 2) : Fault::cut(first_connection_bytes / 2));
    CliSource source = mail.source("tls", proxy.port(), "implicit");
    source.timeout_seconds = 2;
    MailpruneCli cli({source});
    platform::RunResult crawl = cli.crawl();
    EXPECT_EQ(proxy.faults_fired(), 1u) << label << "\n" << crawl.output;
    EXPECT_TRUE(contains(crawl.output, "attempt 1 failed")) << label << "\n" << crawl.output;
    expect_complete(cli, crawl, mail, label);
  }
}

TEST(ImapResilience, RefusedSourceFailsItsMailboxesTheOtherSourceIsCrawled) {
  LoadedDovecot unreachable(26);
  LoadedDovecot reachable(27);
  FaultProxy proxy(unreachable.server.host(), unreachable.server.imap_port());
  proxy.set_default_fault(Fault::refuse());
  CliSource refused = unreachable.source("refused", proxy.port(), "none");
  refused.max_connections = 2;
  CliSource direct = reachable.source("direct", reachable.server.imaps_port(), "implicit");
  direct.max_connections = 2;
  MailpruneCli cli({refused, direct});

  platform::RunResult crawl = cli.crawl();
  EXPECT_EQ(crawl.exit_code, 0) << "some mailboxes were crawled: not a failed run\n" << crawl.output;
  // Every attempt of every refused mailbox reached the proxy: retried, then given up.
  EXPECT_EQ(proxy.connections_accepted(), 3 * unreachable.set.users.size()) << crawl.output;
  EXPECT_EQ(proxy.target_connect_failures(), 0u);
  for (const auto& user : unreachable.set.users) {
    EXPECT_EQ(
        cli.scalar("SELECT count(*) FROM crawl_error e JOIN mailbox m ON m.id = e.mailbox_id WHERE m.address = '" +
                   user + "' AND e.message LIKE 'mailbox not crawled (attempt 3)%'"),
        1)
        << user << "\n"
        << crawl.output;
  }
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM mailbox m JOIN source s ON s.id = m.source_id"
                       " WHERE s.name = 'refused' AND m.last_crawled_at IS NOT NULL"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM crawl_error e JOIN mailbox m ON m.id = e.mailbox_id"
                       " JOIN source s ON s.id = m.source_id WHERE s.name = 'direct'"),
            0)
      << crawl.output;
  // The summary is the reachable server's truth, complete.
  expect_summary_is_truth(cli, reachable.truth, "direct source");
}

}  // namespace
}  // namespace mailprune::test
