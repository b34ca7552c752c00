// The real crawl path (Crawler + make_connector + the IMAP connector + PostgreSQL + report) against
// real Dovecot and real Cyrus loaded with generated mail, checked against tests/tools/inventory_truth.py.
//
// Damaged messages (MailgenOptions.damaged: bad base64, missing closing boundary, truncated) are
// loaded too. What they contribute: they are messages like any other, so `mailboxes`, `folders`,
// `messages` and `message_bytes` of the summary must equal the truth computed WITH them
// (inventory_truth.py --include-damaged: those figures do not depend on decoding). Their
// attachments depend on how leniently a decoder reads broken MIME (the truth tool says so itself),
// so the attachment and duplicate figures are compared over the well-formed messages only: the same
// figures computed in SQL without the damaged messages' attachments must equal the truth WITHOUT
// them. Each damaged message must be in the inventory (the crawl went on).
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "db/database.hpp"
#include "harness/cyrus_server.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/maildir.hpp"
#include "harness/postgres_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"
#include "inventory/connectors.hpp"
#include "inventory/crawl.hpp"
#include "report/report.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;

const char* const kFields[] = {"mailboxes",        "folders",          "messages",         "message_bytes",
                               "attachments",      "attachment_bytes", "duplicate_groups", "duplicate_attachments",
                               "reclaimable_bytes"};

// Per-session traffic of the crawl sessions (those that listed folders), collected when they close.
struct TrafficLog {
  std::mutex mutex;
  std::vector<connector::TrafficStats> crawl_sessions;
  void clear() {
    std::lock_guard lock(mutex);
    crawl_sessions.clear();
  }
};

class CountingSession : public connector::MailboxSession {
 public:
  CountingSession(std::unique_ptr<connector::MailboxSession> inner, TrafficLog& log)
      : inner_(std::move(inner)), log_(log) {}
  ~CountingSession() override {
    if (!listed_) return;
    std::lock_guard lock(log_.mutex);
    log_.crawl_sessions.push_back(inner_->traffic());
  }
  std::vector<connector::FolderState> list_folders() override {
    listed_ = true;
    return inner_->list_folders();
  }
  connector::FolderState crawl_folder(const connector::FolderState& current,
                                      const std::optional<connector::FolderState>& previous,
                                      connector::FolderSink& sink) override {
    return inner_->crawl_folder(current, previous, sink);
  }
  bool read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                       const std::string& section, std::uint64_t limit, const connector::ContentSink& sink) override {
    return inner_->read_attachment(folder, message, section, limit, sink);
  }
  connector::TrafficStats traffic() const override { return inner_->traffic(); }

 private:
  std::unique_ptr<connector::MailboxSession> inner_;
  TrafficLog& log_;
  bool listed_ = false;
};

class CountingConnector : public connector::Connector {
 public:
  CountingConnector(std::unique_ptr<connector::Connector> inner, TrafficLog& log)
      : inner_(std::move(inner)), log_(log) {}
  std::string kind() const override { return inner_->kind(); }
  std::unique_ptr<connector::MailboxSession> open(const std::string& mailbox) override {
    return std::make_unique<CountingSession>(inner_->open(mailbox), log_);
  }

 private:
  std::unique_ptr<connector::Connector> inner_;
  TrafficLog& log_;
};

json run_truth(const std::string& dir, bool include_damaged) {
  std::string command =
      "python3 " + test_tools_dir() + "/inventory_truth.py " + dir + (include_damaged ? " --include-damaged" : "");
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error(command + " failed");
  return json::parse(out);
}

std::string message_id_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::smatch match;
  const std::string raw = text.str();
  if (std::regex_search(raw, match, std::regex("\r\nMessage-ID:[ \t]*(<[^>\r\n]*>)", std::regex::icase))) {
    return match[1].str();
  }
  return {};
}

struct Target {
  config::SourceConfig source;
  std::function<void(const std::string& user, const std::string& folder, const std::string& raw)> deliver;
  std::function<ImapTestClient(const std::string& user)> connect;
  std::function<std::string(const std::string& folder)> mailbox_name;
};

class ImapCrawl {
 public:
  ImapCrawl(const Target& target, const SampleMailSet& set) : target_(target), set_(set) {}

  struct Db {
    config::Config config;
    std::string url;
  };

  Db database() const {
    Db db;
    db.url = PostgresServer::shared().create_database();
    db.config.database.url = db.url;
    db.config.database.password = config::Secret(PostgresServer::shared().password(), "the test server");
    config::SourceConfig source = target_.source;
    for (const auto& user : set_.users) source.mailboxes.push_back({user, user, "team", "fr"});
    db.config.sources.push_back(source);
    ::mailprune::db::Database(db.config).connect_migrated();
    return db;
  }

  inventory::CrawlSummary crawl(const Db& db, bool full = false) {
    traffic.clear();
    inventory::CrawlOptions options;
    options.full = full;
    options.retry_backoff = std::chrono::milliseconds(10);
    inventory::Crawler crawler(
        db.config, [url = db.url] { return std::make_unique<pqxx::connection>(url); },
        [this](const config::SourceConfig& source) {
          return std::unique_ptr<connector::Connector>(
              std::make_unique<CountingConnector>(inventory::make_connector(source), traffic));
        });
    return crawler.run(options);
  }

  static json summary(const Db& db) {
    pqxx::connection connection(db.url);
    return json::parse(report::render_summary(report::query_summary(connection, {}), report::ReportFormat::json));
  }

  // The summary's attachment and duplicate figures over the messages whose Message-ID is not in
  // `excluded`.
  static json attachment_figures(const Db& db, const std::set<std::string>& excluded) {
    pqxx::connection connection(db.url);
    pqxx::read_transaction tx(connection);
    std::string array = "{";
    for (const auto& id : excluded) array += (array.size() > 1 ? ",\"" : "\"") + id + "\"";
    array += "}";
    const std::string good =
        "SELECT a.size, a.sha256 FROM attachment a JOIN message m ON m.id = a.message_id "
        "WHERE NOT (m.message_id = ANY($1::text[]))";
    auto totals = tx.exec_params1("SELECT count(*), coalesce(sum(size), 0) FROM (" + good + ") g", array);
    auto groups = tx.exec_params1(
        "SELECT count(*), coalesce(sum(c), 0), coalesce(sum((c - 1) * s), 0) FROM (SELECT sha256, count(*) c,"
        " min(size) s FROM (" +
            good + ") g WHERE sha256 IS NOT NULL GROUP BY sha256 HAVING count(*) > 1) d",
        array);
    return {{"attachments", totals[0].as<std::int64_t>()},
            {"attachment_bytes", totals[1].as<std::int64_t>()},
            {"duplicate_groups", groups[0].as<std::int64_t>()},
            {"duplicate_attachments", groups[1].as<std::int64_t>()},
            {"reclaimable_bytes", groups[2].as<std::int64_t>()}};
  }

  // Every message and attachment, canonically (hashes left out: which ones get hashed depends on
  // history), for comparing two inventories.
  static std::vector<std::string> dump(const Db& db) {
    pqxx::connection connection(db.url);
    pqxx::read_transaction tx(connection);
    std::vector<std::string> rows;
    for (const auto& row :
         tx.exec("SELECT b.address || '|' || f.name || '|' || f.uidvalidity || '|' || m.uid || '|' || m.size || '|' ||"
                 " array_to_string(m.flags, ' ') || '|' || m.subject || '|' || coalesce(string_agg(a.section || ':' ||"
                 " a.size || ':' || a.size_exact || ':' || a.name || ':' || a.damaged, ',' ORDER BY a.section), '')"
                 " FROM message m JOIN folder f ON f.id = m.folder_id JOIN mailbox b ON b.id = m.mailbox_id"
                 " LEFT JOIN attachment a ON a.message_id = m.id"
                 " GROUP BY b.address, f.name, f.uidvalidity, m.uid, m.size, m.flags, m.subject ORDER BY 1")) {
      rows.push_back(row[0].as<std::string>());
    }
    return rows;
  }

  void check(const std::string& label) {
    const json with_damaged = run_truth(set_.dir, true);
    const json well_formed = run_truth(set_.dir, false);
    std::set<std::string> damaged_ids;
    for (const auto& message : set_.messages) {
      if (message.damaged) damaged_ids.insert(message_id_of(message.path));
    }

    // First crawl.
    Db db = database();
    inventory::CrawlSummary first = crawl(db);
    EXPECT_EQ(first.mailboxes_failed, 0u) << label;
    const json summary = ImapCrawl::summary(db);
    for (const char* field : {"mailboxes", "folders", "messages", "message_bytes"}) {
      EXPECT_EQ(summary.at(field), with_damaged.at(field)) << label << ": " << field;
    }
    const json figures = attachment_figures(db, damaged_ids);
    for (const char* field :
         {"attachments", "attachment_bytes", "duplicate_groups", "duplicate_attachments", "reclaimable_bytes"}) {
      EXPECT_EQ(figures.at(field), well_formed.at(field)) << label << ": " << field;
    }
    if (const char* debug = std::getenv("IMAP_CRAWL_DUMP")) {
      pqxx::connection connection(db.url);
      pqxx::read_transaction tx(connection);
      std::ofstream out(std::string(debug) + "." + label);
      for (const auto& row : tx.exec("SELECT m.message_id, a.section, a.content_type, a.size, a.size_exact, a.damaged "
                                     "FROM attachment a JOIN message m ON m.id = a.message_id ORDER BY 1, 2")) {
        out << row[0].c_str() << " " << row[1].c_str() << " " << row[2].c_str() << " " << row[3].c_str() << " "
            << row[4].c_str() << " " << row[5].c_str() << "\n";
      }
      for (const auto& row :
           tx.exec("SELECT coalesce(folder_name, ''), coalesce(uid::text, ''), message FROM crawl_error")) {
        out << "error " << row[0].c_str() << " " << row[1].c_str() << " " << row[2].c_str() << "\n";
      }
    }
    {
      pqxx::connection connection(db.url);
      pqxx::read_transaction tx(connection);
      for (const auto& id : damaged_ids) {
        EXPECT_EQ(tx.exec1("SELECT count(*) FROM message WHERE message_id = " + tx.quote(id))[0].as<int>(), 1)
            << label << ": damaged message " << id << " not inventoried";
      }
      std::cout << label << ": crawl errors recorded: " << tx.exec1("SELECT count(*) FROM crawl_error")[0].as<int>()
                << ", damaged attachments: " << tx.exec1("SELECT count(*) FROM attachment WHERE damaged")[0].as<int>()
                << ", messages with parse_error: "
                << tx.exec1("SELECT count(*) FROM message WHERE parse_error IS NOT NULL")[0].as<int>() << "\n";
    }
    std::uint64_t crawl_bytes = 0, crawl_round_trips = 0;
    for (const auto& t : traffic.crawl_sessions) {
      crawl_bytes += t.bytes_received;
      crawl_round_trips += t.round_trips;
    }
    std::cout << label << ": first crawl: " << with_damaged.at("message_bytes") << " mailbox bytes, "
              << first.bytes_received << " bytes received (" << crawl_bytes << " by the crawl sessions, "
              << first.bytes_hashed << " for hashing), " << crawl_round_trips << " round trips in "
              << traffic.crawl_sessions.size() << " crawl sessions, " << first.elapsed.count() << " ms\n";

    // Nothing changed: at most one round trip per mailbox, and at most 1% of the first crawl's bytes
    // once the fixed cost of logging in (greeting, CAPABILITY, TLS/STARTTLS, AUTHENTICATE, ENABLE, ID:
    // the same for an empty mailbox as for a huge one) is set apart; both figures are printed.
    std::uint64_t login_bytes = 0;
    {
      auto probe = inventory::make_connector(db.config.sources.front())->open(set_.users.front());
      login_bytes = probe->traffic().bytes_received;
    }
    inventory::CrawlSummary repeat = crawl(db);
    EXPECT_EQ(ImapCrawl::summary(db), summary) << label;
    ASSERT_EQ(traffic.crawl_sessions.size(), set_.users.size()) << label;
    std::uint64_t repeat_bytes = 0, repeat_round_trips = 0;
    for (const auto& t : traffic.crawl_sessions) {
      EXPECT_LE(t.round_trips, 1u) << label;
      repeat_round_trips += t.round_trips;
      repeat_bytes += t.bytes_received;
    }
    EXPECT_EQ(repeat.bytes_received, repeat_bytes) << label << ": nothing should be read for hashing";
    const std::uint64_t work_bytes = repeat_bytes - std::min(repeat_bytes, login_bytes * set_.users.size());
    EXPECT_LE(work_bytes * 100, first.bytes_received) << label;
    std::cout << label << ": repeat crawl: " << repeat.bytes_received << " bytes received ("
              << (100.0 * static_cast<double>(repeat.bytes_received) / static_cast<double>(first.bytes_received))
              << "% of the first), of which " << login_bytes << " per login; without logins " << work_bytes
              << " bytes (" << (100.0 * static_cast<double>(work_bytes) / static_cast<double>(first.bytes_received))
              << "%); " << repeat_round_trips << " round trips for " << set_.users.size() << " mailboxes, "
              << repeat.elapsed.count() << " ms\n";

    // Add, delete, move, flag; then incremental == a fresh full crawl.
    mutate();
    crawl(db);
    Db fresh = database();
    crawl(fresh, true);
    EXPECT_EQ(ImapCrawl::summary(db), ImapCrawl::summary(fresh)) << label;
    EXPECT_EQ(dump(db), dump(fresh)) << label;
    EXPECT_NE(ImapCrawl::summary(db), summary) << label << ": the changes were not seen";
  }

  void mutate() {
    const std::string& user = set_.users.front();
    std::string other_folder;
    for (const auto& f : set_.folders) {
      if (f.user == user && f.folder != "INBOX") {
        other_folder = f.folder;
        break;
      }
    }
    ASSERT_FALSE(other_folder.empty());
    // Two new messages, one a copy of an existing attachment-bearing message (a new duplicate).
    std::string copy;
    for (const auto& m : set_.messages) {
      if (!m.damaged && m.user == user && m.size > 3000) {
        std::ifstream in(m.path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        copy = text.str();
        break;
      }
    }
    target_.deliver(user, "INBOX", copy);
    target_.deliver(
        user, other_folder,
        "From: x@example.org\r\nTo: " + user +
            "\r\nSubject: new\r\nMessage-ID: <new@x>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream; name=x.bin\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n--b--\r\n");
    ImapTestClient client = target_.connect(user);
    ASSERT_TRUE(client.command("SELECT " + ImapTestClient::quote(target_.mailbox_name("INBOX"))).ok());
    ASSERT_TRUE(client.command("UID STORE 1 +FLAGS.SILENT (\\Deleted)").ok());
    ASSERT_TRUE(client.command("UID EXPUNGE 1").ok());
    ASSERT_TRUE(client.command("UID MOVE 2 " + ImapTestClient::quote(target_.mailbox_name(other_folder))).ok());
    ASSERT_TRUE(client.command("UID STORE 3 +FLAGS.SILENT (\\Flagged)").ok());
    client.command("LOGOUT");
  }

  TrafficLog traffic;

 private:
  const Target& target_;
  const SampleMailSet& set_;
};

// The connector's settings for each harness server: Dovecot's master user on the implicit-TLS port,
// Cyrus's admin as SASL authorization identity after STARTTLS; both trust the server's CA.
config::SourceConfig dovecot_config(const DovecotServer& server) {
  config::SourceConfig source;
  source.name = "dovecot";
  source.kind = "imap";
  source.host = "127.0.0.1";
  source.port = server.imaps_port();
  source.tls = config::TlsMode::implicit;
  source.ca_file = server.ca_path();
  source.user = server.master_user();
  source.password = config::Secret(server.master_password(), "test");
  source.login_as = config::LoginAs::master;
  source.timeout_seconds = 20;
  return source;
}

config::SourceConfig cyrus_config(const CyrusServer& server) {
  config::SourceConfig source;
  source.name = "cyrus";
  source.kind = "imap";
  source.host = "127.0.0.1";
  source.port = server.imap_port();
  source.tls = config::TlsMode::starttls;
  source.ca_file = server.ca_path();
  source.user = server.admin_user();
  source.password = config::Secret(server.admin_password(), "test");
  source.login_as = config::LoginAs::authzid;
  source.timeout_seconds = 20;
  return source;
}

MailgenOptions small_set() {
  MailgenOptions options;
  options.users = 4;
  options.messages = 40;
  options.size_scale = 0.05;
  options.damaged = 3;
  options.seed = 7;
  return options;
}

TEST(ImapCrawl, DovecotMatchesTruthIncrementalEqualsFullRepeatIsCheap) {
  TempDir dir("imap-crawl-dovecot");
  SampleMailSet set = generate_sample_mail(dir.path() + "/mail", small_set());
  DovecotServer server;
  server.load(set);

  Target target;
  target.source = dovecot_config(server);
  target.source.max_connections = 2;
  target.deliver = [&](const std::string& user, const std::string& folder, const std::string& raw) {
    server.deliver(user, folder, raw);
  };
  target.connect = [&](const std::string& user) {
    ImapTestClient client = ImapTestClient::connect_plain(server.imap_port());
    client.login(server.master_login(user), server.master_password());
    return client;
  };
  target.mailbox_name = [](const std::string& folder) { return encode_modified_utf7(folder); };
  ImapCrawl crawl(target, set);
  crawl.check("dovecot");
}

TEST(ImapCrawl, CyrusMatchesTruthIncrementalEqualsFullRepeatIsCheap) {
  TempDir dir("imap-crawl-cyrus");
  SampleMailSet set = generate_sample_mail(dir.path() + "/mail", small_set());
  CyrusServer server;
  server.load(set);

  Target target;
  target.source = cyrus_config(server);
  target.source.max_connections = 2;
  target.deliver = [&](const std::string& user, const std::string& folder, const std::string& raw) {
    server.deliver(user, folder, raw);
  };
  target.connect = [&](const std::string& user) { return server.connect_as(user); };
  target.mailbox_name = [&](const std::string& folder) { return server.mailbox_name(folder); };
  ImapCrawl crawl(target, set);
  crawl.check("cyrus");
}

// Range reads for hashing (MailboxSession::read_attachment_from) against the real server: a prefix
// read and a range read give the whole content, and only the rest travels; a range at or past the
// end is empty. Section 2: a 200 KiB base64 attachment (BINARY partial); section 3: a forwarded
// message (message/rfc822, BODY.PEEK partial of its raw bytes).
void check_range_reads(const config::SourceConfig& source, const std::string& user,
                       const std::function<void(const std::string& raw)>& deliver) {
  std::string content(200 * 1024 + 17, '\0');
  std::uint32_t state = 12345;
  for (auto& c : content) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 24);
  }
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string base64;
  for (std::size_t i = 0; i < content.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(content[i]) << 16;
    if (i + 1 < content.size()) n |= static_cast<std::uint8_t>(content[i + 1]) << 8;
    if (i + 2 < content.size()) n |= static_cast<std::uint8_t>(content[i + 2]);
    base64 += kAlphabet[(n >> 18) & 63];
    base64 += kAlphabet[(n >> 12) & 63];
    base64 += i + 1 < content.size() ? kAlphabet[(n >> 6) & 63] : '=';
    base64 += i + 2 < content.size() ? kAlphabet[n & 63] : '=';
    if (base64.size() % 78 == 76) base64 += "\r\n";
  }
  std::string forwarded = "From: y@example.org\r\nSubject: inner\r\n\r\n";
  while (forwarded.size() < 3000)
    forwarded += "a line of the forwarded message " + std::to_string(forwarded.size()) + "\r\n";
  deliver("From: x@example.org\r\nTo: " + user +
          "\r\nSubject: range\r\nMessage-ID: <range@x>\r\nMIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
          "Content-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
          base64 + "\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" + forwarded + "\r\n--b--\r\n");

  auto mailbox = inventory::make_connector(source)->open(user);
  connector::FolderState inbox;
  for (const auto& folder : mailbox->list_folders()) {
    if (folder.name == "INBOX") inbox = folder;
  }
  ASSERT_EQ(inbox.name, "INBOX");
  connector::MessageRef message;
  message.uid = 1;
  auto into = [](std::string& out) {
    return [&out](std::string_view bytes) {
      out += bytes;
      return true;
    };
  };
  for (const auto& [section, whole, prefix_bytes] :
       {std::tuple<std::string, std::string, std::uint64_t>{"2", content, 65536}, {"3", forwarded, 1000}}) {
    std::string full, prefix, rest, past;
    EXPECT_TRUE(mailbox->read_attachment(inbox, message, section, 0, into(full))) << section;
    EXPECT_EQ(full, whole) << section;
    EXPECT_TRUE(mailbox->read_attachment(inbox, message, section, prefix_bytes, into(prefix))) << section;
    EXPECT_EQ(prefix.size(), prefix_bytes) << section;
    const std::uint64_t before = mailbox->traffic().bytes_for_content;
    EXPECT_TRUE(mailbox->read_attachment_from(inbox, message, section, prefix_bytes, into(rest))) << section;
    EXPECT_EQ(mailbox->traffic().bytes_for_content - before, whole.size() - prefix_bytes) << section;
    EXPECT_TRUE(prefix + rest == full) << section;
    EXPECT_TRUE(mailbox->read_attachment_from(inbox, message, section, whole.size(), into(past))) << section;
    EXPECT_TRUE(mailbox->read_attachment_from(inbox, message, section, whole.size() + 10, into(past))) << section;
    EXPECT_EQ(past, "") << section;
  }
}

TEST(ImapCrawl, DovecotRangeReadsFinishAPrefix) {
  DovecotServer server;
  server.add_user("range@example.org", "pw");
  check_range_reads(dovecot_config(server), "range@example.org",
                    [&](const std::string& raw) { server.deliver("range@example.org", "INBOX", raw); });
}

TEST(ImapCrawl, CyrusRangeReadsFinishAPrefix) {
  CyrusServer server;
  server.add_user("range@example.org", "pw");
  check_range_reads(cyrus_config(server), "range@example.org",
                    [&](const std::string& raw) { server.deliver("range@example.org", "INBOX", raw); });
}

}  // namespace
}  // namespace mailprune::test
