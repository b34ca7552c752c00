// Shared by the inventory and report tests: a fresh database per test (the harness's throwaway
// PostgreSQL), a configuration for a fake source, crawling it, the truth computed from the fake's
// data by plain C++ (grouping attachment contents, no hashing, no SQL), and a canonical dump of
// the stored inventory for comparisons.
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "fake_connector.hpp"
#include "harness/postgres_server.hpp"
#include "inventory/crawl.hpp"

namespace mailprune::test {

struct TestDb {
  std::string url;
  config::Config config;

  explicit TestDb(std::vector<config::Agent> agents, int max_connections = 2) {
    url = PostgresServer::shared().create_database();
    config.database.url = url;
    config.database.password = config::Secret(PostgresServer::shared().password(), "the test server");
    config::SourceConfig source;
    source.name = "fake";
    source.kind = "imap";
    source.max_connections = max_connections;
    source.mailboxes = std::move(agents);
    config.sources.push_back(source);
    db::Database database(config);
    database.connect_migrated();
  }
  std::unique_ptr<pqxx::connection> connect() const { return std::make_unique<pqxx::connection>(url); }
  inventory::ConnectionFactory factory() const {
    std::string u = url;
    return [u] { return std::make_unique<pqxx::connection>(u); };
  }
  // Runs a crawl with the fake as the source's connector (not owned: a forwarding wrapper).
  inventory::CrawlSummary crawl(FakeConnector& fake, inventory::CrawlOptions options = {}) const {
    options.retry_backoff = std::chrono::milliseconds(1);
    inventory::Crawler crawler(config, factory(), [&fake](const config::SourceConfig&) {
      return std::unique_ptr<connector::Connector>(std::make_unique<Forward>(fake));
    });
    return crawler.run(options);
  }
  std::int64_t scalar(const std::string& sql) const {
    auto c = connect();
    pqxx::read_transaction tx(*c);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }

 private:
  struct Forward : connector::Connector {
    explicit Forward(FakeConnector& f) : fake(f) {}
    std::string kind() const override { return fake.kind(); }
    std::unique_ptr<connector::MailboxSession> open(const std::string& m) override { return fake.open(m); }
    FakeConnector& fake;
  };
};

inline std::vector<config::Agent> agents(const std::vector<std::pair<std::string, std::string>>& address_team) {
  std::vector<config::Agent> out;
  for (const auto& [address, team] : address_team) out.push_back({address, "Agent " + address, team, "fr"});
  return out;
}

struct Truth {
  std::int64_t mailboxes = 0, folders = 0, messages = 0, message_bytes = 0, attachments = 0, attachment_bytes = 0,
               duplicate_groups = 0, duplicate_attachments = 0, reclaimable_bytes = 0;
};

// `only`: restrict to these mailboxes (empty: all).
inline Truth truth_of(const FakeConnector& fake, const std::set<std::string>& only = {}) {
  Truth t;
  std::map<std::string, std::int64_t> copies;  // content -> count
  for (const auto& [address, mailbox] : fake.snapshot()) {
    if (!only.empty() && !only.count(address)) continue;
    ++t.mailboxes;
    for (const auto& [name, folder] : mailbox.folders) {
      ++t.folders;
      for (const auto& [uid, m] : folder.messages) {
        ++t.messages;
        t.message_bytes += static_cast<std::int64_t>(m.size);
        for (const auto& a : m.attachments) {
          ++t.attachments;
          t.attachment_bytes += static_cast<std::int64_t>(a.content.size());
          ++copies[a.content];
        }
      }
    }
  }
  for (const auto& [content, n] : copies) {
    if (n < 2) continue;
    ++t.duplicate_groups;
    t.duplicate_attachments += n;
    t.reclaimable_bytes += (n - 1) * static_cast<std::int64_t>(content.size());
  }
  return t;
}

// Everything stored about messages and attachments, in a canonical order, ids left out.
inline std::string dump(const TestDb& db) {
  auto c = db.connect();
  pqxx::read_transaction tx(*c);
  std::string out;
  for (const auto& r :
       tx.exec("SELECT mb.address, f.name, f.uidvalidity, f.message_count, f.message_bytes, f.attachment_count,"
               " f.attachment_bytes FROM folder f JOIN mailbox mb ON mb.id = f.mailbox_id ORDER BY 1, 2")) {
    for (const auto& field : r) out += (field.is_null() ? "-" : field.c_str()) + std::string("|");
    out += "\n";
  }
  for (const auto& r :
       tx.exec("SELECT mb.address, f.name, m.uid, m.size, m.flags::text, m.seen, m.subject,"
               " coalesce(string_agg(a.section || ':' || a.size || ':' || a.size_exact || ':' ||"
               "   coalesce(encode(a.sha256, 'hex'), '-'), ',' ORDER BY a.section), '')"
               " FROM message m JOIN folder f ON f.id = m.folder_id JOIN mailbox mb ON mb.id = m.mailbox_id"
               " LEFT JOIN attachment a ON a.message_id = m.id GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3")) {
    for (const auto& field : r) out += (field.is_null() ? "-" : field.c_str()) + std::string("|");
    out += "\n";
  }
  for (const auto& r :
       tx.exec("SELECT address, folder_count, message_count, message_bytes, attachment_count, attachment_bytes"
               " FROM mailbox ORDER BY address")) {
    for (const auto& field : r) out += field.c_str() + std::string("|");
    out += "\n";
  }
  return out;
}

// Deterministic content of `size` bytes; `seed` changes every byte, `tail_seed` only the bytes
// after the first 64 KiB (same prefix, different content).
inline std::string content(std::size_t size, unsigned seed, unsigned tail_seed = 0) {
  std::string s(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    if (i == 65536) x ^= tail_seed * 40503u;
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

inline FakeAttachment attachment(const std::string& section, const std::string& name, std::string data,
                                 std::optional<std::uint64_t> estimate = std::nullopt) {
  return FakeAttachment{section, name, std::move(data), "application/octet-stream", estimate};
}

}  // namespace mailprune::test

namespace mailprune::test {

// Three mailboxes; duplicates across mailboxes, folders and within one message; a unique size;
// same sizes with different prefixes; same prefix with different tails. See hashing_test.cpp for
// the reads this must cost.
struct Sample {
  std::string d1 = content(150000, 1);        // 3 copies, > 64 KiB
  std::string d2 = content(3000, 2);          // 3 copies, <= 64 KiB
  std::string d3 = content(100000, 3);        // 2 copies
  std::map<std::string, std::uint64_t> uids;  // "m1" -> UID
};

inline Sample populate(FakeConnector& fake) {
  Sample s;
  auto msg = [](std::string subject, std::vector<FakeAttachment> attachments) {
    FakeMessage m;
    m.subject = std::move(subject);
    m.attachments = std::move(attachments);
    return m;
  };
  s.uids["m1"] = fake.add("alice@example.org", "INBOX",
                          msg("m1", {attachment("2", "report.pdf", s.d1), attachment("3", "logo.png", s.d2)}));
  s.uids["m2"] = fake.add("alice@example.org", "INBOX", msg("m2", {attachment("2", "unique.bin", content(12345, 10))}));
  s.uids["m3"] = fake.add("alice@example.org", "INBOX", msg("m3", {}));
  s.uids["m4"] = fake.add("alice@example.org", "Sent", msg("m4", {attachment("2", "report-copy.pdf", s.d1)}));
  s.uids["m5"] = fake.add("bob@example.org", "INBOX", msg("m5", {attachment("2", "report.pdf", s.d1)}));
  s.uids["m6"] =
      fake.add("bob@example.org", "INBOX",
               msg("m6", {attachment("2", "data.csv", s.d3), attachment("3", "other.bin", content(100000, 4))}));
  s.uids["m7"] =
      fake.add("bob@example.org", "INBOX", msg("m7", {attachment("2", "almost.csv", content(100000, 3, 7))}));
  s.uids["m8"] = fake.add("carol@example.org", "INBOX",
                          msg("m8", {attachment("2", "logo.png", s.d2), attachment("3", "logo2.png", s.d2)}));
  s.uids["m9"] = fake.add("carol@example.org", "Archive/2023", msg("m9", {attachment("2", "data.csv", s.d3)}));
  fake.add_folder("carol@example.org", "Trash");
  return s;
}

inline std::vector<config::Agent> sample_agents() {
  return agents({{"alice@example.org", "sales"}, {"bob@example.org", "sales"}, {"carol@example.org", "support"}});
}

}  // namespace mailprune::test
