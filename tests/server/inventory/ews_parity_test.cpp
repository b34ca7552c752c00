// Issue 4, "Done when": the same generated mailboxes served over IMAP (a real Dovecot) and over EWS
// (tests/ews_server, over TLS, a service account impersonating each mailbox with Basic auth) give
// the same `report summary --format json` figures and the same duplicate groups, and both equal
// tests/tools/inventory_truth.py (../shared/INVENTORY.md applied independently to the same files).
//
// Each server is crawled by the real `mailprune` binary into its own database. Duplicate groups
// are compared by what must be equal on both sides: (sha256, size, count) and, per group, the
// multiset of (mailbox, folder) of its copies. UIDs and ItemIds differ by nature, and an
// attachment's name may too (a forwarded message's name comes from its Subject, which the two
// servers need not decode alike), so neither is compared.
//
// Then an incremental round: one new message (a copy of an existing one, so its attachments are
// duplicates) is delivered to both servers, one existing message is deleted on both, both are
// crawled again without --full, and the figures are compared again, with a truth computed from a
// copy of the set with the same change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_crawl.hpp"
#include "ews_server/ews_test_server.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/maildir.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;

constexpr const char* kServiceAccount = "svc-mailprune";
constexpr const char* kServicePassword = "svc-parity-secret";

// (sha256, size, count) -> the (mailbox, folder) of every copy.
using GroupKey = std::tuple<std::string, std::int64_t, std::int64_t>;
using Copies = std::multiset<std::pair<std::string, std::string>>;
using Groups = std::map<GroupKey, Copies>;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// From `report duplicates --format json --top 0`.
Groups report_groups(const json& duplicates) {
  Groups groups;
  for (const auto& group : duplicates) {
    const GroupKey key{group.at("sha256").get<std::string>(), group.at("size").get<std::int64_t>(),
                       group.at("count").get<std::int64_t>()};
    Copies copies;
    for (const auto& copy : group.at("copies")) {
      copies.emplace(lower(copy.at("mailbox").get<std::string>()), copy.at("folder").get<std::string>());
    }
    EXPECT_EQ(static_cast<std::int64_t>(copies.size()), std::get<2>(key)) << "group " << std::get<0>(key);
    groups[key] = std::move(copies);
  }
  return groups;
}

// From inventory_truth(dir, true).
Groups truth_groups(const json& truth) {
  Groups groups;
  for (const auto& group : truth.at("groups")) {
    const GroupKey key{group.at("sha256").get<std::string>(), group.at("size").get<std::int64_t>(),
                       group.at("count").get<std::int64_t>()};
    Copies copies;
    for (const auto& copy : group.at("copies")) {
      copies.emplace(lower(copy.at("user").get<std::string>()), copy.at("folder").get<std::string>());
    }
    groups[key] = std::move(copies);
  }
  return groups;
}

std::string describe(const Copies& copies) {
  std::string out;
  for (const auto& [mailbox, folder] : copies) out += " " + mailbox + ":" + folder;
  return out;
}

// Every group that is not the same on both sides, or "" when they agree.
std::string group_differences(const Groups& a, const std::string& a_name, const Groups& b, const std::string& b_name) {
  std::ostringstream out;
  for (const auto& [key, copies] : a) {
    const auto it = b.find(key);
    if (it == b.end()) {
      out << "  only in " << a_name << ": " << std::get<0>(key) << " size " << std::get<1>(key) << " count "
          << std::get<2>(key) << ":" << describe(copies) << "\n";
    } else if (it->second != copies) {
      out << "  copies differ for " << std::get<0>(key) << " size " << std::get<1>(key) << ": " << a_name << ":"
          << describe(copies) << "; " << b_name << ":" << describe(it->second) << "\n";
    }
  }
  for (const auto& [key, copies] : b) {
    if (a.find(key) == a.end()) {
      out << "  only in " << b_name << ": " << std::get<0>(key) << " size " << std::get<1>(key) << " count "
          << std::get<2>(key) << ":" << describe(copies) << "\n";
    }
  }
  return out.str();
}

// "mailbox folder" of every folder in the inventory.
std::set<std::string> folder_names(const MailpruneCli& cli) {
  std::set<std::string> names;
  for (const auto& row : cli.strings("SELECT lower(m.address) || ' ' || f.name FROM folder f"
                                     " JOIN mailbox m ON m.id = f.mailbox_id")) {
    names.insert(row);
  }
  return names;
}

// Nothing was recorded as lost by the crawl: its output and the first crawl_error rows otherwise.
void expect_clean_crawl(const MailpruneCli& cli, const platform::RunResult& crawl, const std::string& label) {
  EXPECT_EQ(crawl.exit_code, 0) << label << "\n" << crawl.output;
  std::string recorded;
  for (const auto& line : cli.strings("SELECT coalesce(folder_name, '') || ' ' || coalesce(uid::text, '') || ': ' ||"
                                      " message FROM crawl_error ORDER BY id LIMIT 10")) {
    recorded += "  crawl_error: " + line + "\n";
  }
  EXPECT_EQ(recorded, "") << label << "\n" << crawl.output;
}

// Both summaries field by field against each other and against the truth, and both duplicate
// reports against each other and against the truth's groups.
void expect_parity(const MailpruneCli& imap, const MailpruneCli& ews, const json& truth, const std::string& label) {
  const json imap_summary = imap.summary();
  const json ews_summary = ews.summary();
  for (const auto& field : summary_fields()) {
    EXPECT_EQ(imap_summary.value(field, json()), ews_summary.value(field, json()))
        << label << ": " << field << " differs between IMAP and EWS";
    EXPECT_EQ(imap_summary.value(field, json()), truth.at(field)) << label << ": IMAP " << field << " vs truth";
    EXPECT_EQ(ews_summary.value(field, json()), truth.at(field)) << label << ": EWS " << field << " vs truth";
  }
  const auto imap_folders = folder_names(imap);
  const auto ews_folders = folder_names(ews);
  std::string folder_differences;
  for (const auto& name : imap_folders) {
    if (!ews_folders.count(name)) folder_differences += "  only over IMAP: " + name + "\n";
  }
  for (const auto& name : ews_folders) {
    if (!imap_folders.count(name)) folder_differences += "  only over EWS: " + name + "\n";
  }
  EXPECT_EQ(folder_differences, "") << label << ": the folders crawled";
  const Groups imap_groups = report_groups(imap.duplicates());
  const Groups ews_groups = report_groups(ews.duplicates());
  const Groups expected = truth_groups(truth);
  EXPECT_EQ(imap_groups.size(), expected.size()) << label;
  EXPECT_EQ(group_differences(imap_groups, "IMAP", ews_groups, "EWS"), "") << label;
  EXPECT_EQ(group_differences(imap_groups, "IMAP", expected, "truth"), "") << label;
  EXPECT_EQ(group_differences(ews_groups, "EWS", expected, "truth"), "") << label;
}

void expect_schema_valid(const ews_test::EwsTestServer& server) {
  for (const auto& violation : server.schema_violations()) {
    ADD_FAILURE() << "schema violation, " << violation.direction << " " << violation.operation << ": "
                  << violation.message;
  }
}

// `raw` with a Message-ID of its own: the same content (so the same attachments) as a new
// message, as a second delivery or a forward would be.
std::string as_new_message(std::string raw) {
  const auto header_end = raw.find("\r\n\r\n");
  const std::string head = "\r\n" + lower(raw.substr(0, header_end));  // head[i + 2] is raw[i]
  const auto at = head.find("\r\nmessage-id:");
  const auto open = at == std::string::npos ? std::string::npos : raw.find('<', at);
  if (open != std::string::npos && open < header_end) {
    raw.insert(open + 1, "parity-new.");
  } else {
    raw.insert(0, "Message-ID: <parity-new@example.org>\r\n");
  }
  return raw;
}

// Every Exchange mailbox has a Deleted Items folder: a well-known folder that cannot be removed,
// which the test server creates with each mailbox (DeleteItem's MoveToDeletedItems needs it). The
// generated set has none, so an EWS crawl rightly counts one empty folder more per mailbox than an
// IMAP crawl of the same set. For both servers to serve the same mailboxes, the folder is added
// (empty) to the set's manifest: Dovecot then creates it too, and the truth counts it.
SampleMailSet with_exchange_default_folders(const SampleMailSet& set) {
  json manifest = json::parse(read_file(set.dir + "/manifest.json"));
  for (const auto& user : set.users) manifest.at("folders").push_back({{"user", user}, {"folder", "Deleted Items"}});
  write_file(set.dir + "/manifest.json", manifest.dump(1));
  return read_sample_mail(set.dir);
}

const SampleMessage& message_of(const SampleMailSet& set, const std::string& file) {
  for (const auto& message : set.messages) {
    const std::string& path = message.path;
    if (path.size() > file.size() && path.compare(path.size() - file.size(), file.size(), file) == 0 &&
        path[path.size() - file.size() - 1] == '/') {
      return message;
    }
  }
  throw std::runtime_error("no message " + file + " in the set");
}

std::size_t messages_of_size(const SampleMailSet& set, const std::string& user, const std::string& folder,
                             std::uint64_t size) {
  return static_cast<std::size_t>(std::count_if(set.messages.begin(), set.messages.end(), [&](const SampleMessage& m) {
    return m.user == user && m.folder == folder && m.size == size;
  }));
}

// Expunges the one message of `size` bytes in `folder` through Dovecot's own IMAP (master login),
// independently of connectors/imap.
void delete_on_dovecot(const DovecotServer& dovecot, const std::string& user, const std::string& folder,
                       std::uint64_t size) {
  ImapTestClient client = ImapTestClient::connect_plain(dovecot.imap_port());
  client.login(dovecot.master_login(user), dovecot.master_password());
  ASSERT_TRUE(client.command("SELECT " + ImapTestClient::quote(encode_modified_utf7(folder))).ok());
  const auto search =
      client.command("UID SEARCH LARGER " + std::to_string(size - 1) + " SMALLER " + std::to_string(size + 1));
  ASSERT_TRUE(search.ok()) << search.tagged;
  std::istringstream words(search.find("SEARCH"));
  std::vector<std::string> uids;
  for (std::string word; words >> word;) {
    if (word != "*" && word != "SEARCH") uids.push_back(word);
  }
  ASSERT_EQ(uids.size(), 1u) << search.find("SEARCH");
  ASSERT_TRUE(client.command("UID STORE " + uids[0] + " +FLAGS.SILENT (\\Deleted)").ok());
  ASSERT_TRUE(client.command("UID EXPUNGE " + uids[0]).ok());
  client.command("LOGOUT");
}

// Deletes the one item of `size` bytes in `folder` from the EWS test server's model.
void delete_on_ews(ews_test::EwsTestServer& server, const std::string& user, const std::string& folder,
                   std::uint64_t size) {
  std::vector<std::string> ids;
  for (const auto& item : server.items(user, folder)) {
    if (item.size == static_cast<std::int64_t>(size)) ids.push_back(item.item_id);
  }
  ASSERT_EQ(ids.size(), 1u) << user << " " << folder << " size " << size;
  ASSERT_TRUE(server.delete_message(ids[0]));
}

TEST(EwsParity, DovecotAndEwsServingTheSameMailGiveTheSameInventory) {
  TempDir dir("ews-parity");
  MailgenOptions options;
  options.users = 4;
  options.messages = 40;
  options.size_scale = 0.05;
  options.seed = 404;
  // No damaged messages: how much of a broken part there is (bad base64, a missing closing
  // boundary, a truncated message) is a judgement of each MIME parser, and Dovecot's and the
  // test server's (GMime) may judge differently. Parity is asked of well-formed mail; damaged
  // input has its own tests per connector.
  options.damaged = 0;
  const SampleMailSet set = with_exchange_default_folders(generate_sample_mail(dir / "mail", options));
  ASSERT_TRUE(std::none_of(set.messages.begin(), set.messages.end(), [](const auto& m) { return m.damaged; }));
  const json truth = inventory_truth(set.dir, true);
  ASSERT_GT(truth.at("duplicate_groups").get<std::int64_t>(), 0) << "a set without duplicates proves little";

  DovecotServer dovecot;
  dovecot.load(set);

  ews_test::EwsTestServerOptions ews_options;
  ews_options.tls = true;
  ews_options.certificate_dir = dir.make_subdir("ews-certificate", false);
  ews_test::EwsTestServer ews(ews_options);
  ews.load(set);
  ews.add_service_account(kServiceAccount, kServicePassword, true);
  ews.start();
  for (const auto& user : set.users) {  // the test server added no folder of its own
    std::set<std::string> model, generated;
    for (const auto& folder : ews.folders(user)) {
      if (!folder.path.empty()) model.insert(folder.path);
    }
    for (const auto& folder : set.folders) {
      if (folder.user == user) generated.insert(folder.folder);
    }
    ASSERT_EQ(model, generated) << user;
  }

  CliSource imap_source = dovecot_source(dovecot, {}, "implicit");
  imap_source.mailboxes_file = set.dir + "/agents.csv";
  MailpruneCli imap({imap_source});

  CliSource exchange_source = ews_source(ews.url(), kServiceAccount, kServicePassword);
  exchange_source.ca_file = ews.ca_path();
  exchange_source.mailboxes_file = set.dir + "/agents.csv";
  MailpruneCli exchange({exchange_source});

  expect_clean_crawl(imap, imap.crawl(), "IMAP crawl");
  expect_clean_crawl(exchange, exchange.crawl(), "EWS crawl");
  expect_parity(imap, exchange, truth, "first crawl");
  expect_schema_valid(ews);
  EXPECT_GT(ews.request_count("SyncFolderItems") + ews.request_count("FindItem"), 0u);

  // The incremental round. Deleted: the first copy's message of a two-copy group (whose size is
  // unique in its folder, so both servers find it by size). Added: a copy of the other copy's
  // message, delivered to another mailbox's INBOX, so the group lives on with other copies.
  const SampleMessage* deleted = nullptr;
  const SampleMessage* copied = nullptr;
  std::string deleted_file;  // as the manifest names it
  for (const auto& group : truth.at("groups")) {
    if (group.at("count") != 2) continue;
    const auto& first = message_of(set, group.at("copies")[0].at("file").get<std::string>());
    const auto& second = message_of(set, group.at("copies")[1].at("file").get<std::string>());
    if (first.path == second.path) continue;
    if (messages_of_size(set, first.user, first.folder, first.size) != 1) continue;
    deleted = &first;
    copied = &second;
    deleted_file = group.at("copies")[0].at("file").get<std::string>();
    break;
  }
  ASSERT_NE(deleted, nullptr) << "no two-copy group in two messages to change";
  std::string recipient;
  for (const auto& user : set.users) {
    if (user != copied->user) recipient = user;
  }
  const std::string raw = as_new_message(read_file(copied->path));
  const std::time_t delivered_at = 1700000000;

  // The truth after the change: a copy of the set with the same change in its manifest.
  const std::string after_dir = dir / "mail-after";
  std::filesystem::copy(set.dir, after_dir, std::filesystem::copy_options::recursive);
  {
    json manifest = json::parse(read_file(after_dir + "/manifest.json"));
    auto& messages = manifest.at("messages");
    const auto before = messages.size();
    json kept = json::array();
    for (const auto& message : messages) {
      if (message.at("file").get<std::string>() != deleted_file) kept.push_back(message);
    }
    messages = std::move(kept);
    ASSERT_EQ(messages.size(), before - 1) << deleted_file;
    const std::string file = recipient + "/INBOX/parity-new.eml";
    write_file(after_dir + "/" + file, raw);
    messages.push_back({{"user", recipient},
                        {"folder", "INBOX"},
                        {"file", file},
                        {"flags", json::array()},
                        {"internal_date", "2023-11-14T22:13:20Z"},
                        {"internal_date_epoch", delivered_at},
                        {"size", raw.size()}});
    write_file(after_dir + "/manifest.json", manifest.dump(1));
  }
  const json truth_after = inventory_truth(after_dir, true);
  ASSERT_NE(truth_groups(truth_after), truth_groups(truth)) << "the change must show in the duplicate groups";

  dovecot.deliver(recipient, "INBOX", raw, {}, delivered_at);
  ews.add_message(recipient, "INBOX", raw, {}, delivered_at);
  delete_on_dovecot(dovecot, deleted->user, deleted->folder, deleted->size);
  delete_on_ews(ews, deleted->user, deleted->folder, deleted->size);
  ASSERT_FALSE(testing::Test::HasFatalFailure());

  expect_clean_crawl(imap, imap.crawl(), "IMAP incremental crawl");
  expect_clean_crawl(exchange, exchange.crawl(), "EWS incremental crawl");
  expect_parity(imap, exchange, truth_after, "incremental crawl");
  expect_schema_valid(ews);
  EXPECT_GT(ews.request_count("SyncFolderItems"), 0u);
}

}  // namespace
}  // namespace mailprune::test
