// End to end over EWS: the `mailprune` binary crawls the in-memory Exchange (tests/ews_server, every
// request and response checked against Microsoft's schemas), plans, applies (detach, archive,
// delete), then undoes; the server's own model (not mailprune's code) is read before and after.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <map>
#include <set>
#include <tuple>

#include "apply_scene.hpp"
#include "ews_server/ews_test_server.hpp"

namespace mailprune::test {
namespace {

constexpr const char* kService = "svc-mailprune@example.org";
constexpr const char* kServicePassword = "service-password";

// Per mailbox, every item as (folder, subject, its attachments as name/type/size), sorted.
using Inventory = std::multiset<std::tuple<std::string, std::string, std::string, std::string>>;

std::string attachments_of(const ews_test::ItemView& item, bool notices) {
  std::multiset<std::string> out;
  for (const auto& a : item.attachments) {
    const bool notice = a.name.size() > 15 && a.name.rfind(" (archivé).html") == a.name.size() - 16;
    if (notice != notices) continue;
    out.insert(a.name + "|" + a.content_type + "|" + std::to_string(a.size));
  }
  std::string text;
  for (const auto& a : out) text += a + ";";
  return text;
}

Inventory inventory(const ews_test::EwsTestServer& ews, const std::vector<std::string>& users) {
  Inventory out;
  for (const auto& user : users) {
    for (const auto& folder : ews.folders(user)) {
      if (folder.path.empty()) continue;
      for (const auto& item : ews.items(user, folder.path)) {
        out.emplace(user, folder.path, item.subject, attachments_of(item, false) + "#" + attachments_of(item, true));
      }
    }
  }
  return out;
}

std::size_t notices(const ews_test::EwsTestServer& ews, const std::vector<std::string>& users) {
  std::size_t n = 0;
  for (const auto& user : users) {
    for (const auto& folder : ews.folders(user)) {
      if (folder.path.empty()) continue;
      for (const auto& item : ews.items(user, folder.path)) {
        for (const auto& a : item.attachments) n += a.name.find(" (archivé).html") != std::string::npos;
      }
    }
  }
  return n;
}

TEST(ApplyEws, DetachArchiveDeleteThenUndoOverEws) {
  TempDir dir("apply-ews");
  auto set = generate_sample_mail(dir / "set", {.users = 2, .messages = 16, .seed = 21, .size_scale = 0.05});
  ews_test::EwsTestServer ews;
  ews.load(set);
  ews.add_service_account(kService, kServicePassword, true);
  ews.start();

  CliSource source = ews_source(ews.url(), kService, kServicePassword);
  source.mailboxes = set.users;
  ApplyScene scene(
      source,
      "[policy]\nquarantine_folder = \"mailprune/Quarantine\"\n\n"
      "[[rule]]\nname = \"large\"\naction = \"detach\"\napproval = \"auto\"\n"
      "min_attachment_size = \"2kB\"\n\n"
      "[[rule]]\nname = \"newsletters\"\naction = \"archive\"\napproval = \"auto\"\n"
      "folders = [\"Newsletters\"]\narchive_folder = \"Old/{year}\"\n\n"
      "[[rule]]\nname = \"archives\"\naction = \"delete\"\napproval = \"auto\"\nfolders = [\"Archives\"]\n",
      CheckLogin{});
  auto& cli = scene.cli();
  ASSERT_EQ(scene.run({"crawl"}).exit_code, 0);
  auto plan = scene.run({"plan", "--campaign", "c"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const auto before = inventory(ews, set.users);
  const std::int64_t detached = cli.scalar(
      "SELECT count(*) FROM proposal p WHERE p.action = 'detach' AND p.decision = 'approved' AND NOT EXISTS "
      "(SELECT 1 FROM proposal q WHERE q.message_row_id = p.message_row_id AND q.action <> 'detach' "
      "AND q.decision = 'approved')");
  ASSERT_GT(detached, 3);
  const std::int64_t moved =
      cli.scalar("SELECT count(*) FROM proposal WHERE action <> 'detach' AND decision = 'approved'");
  ASSERT_GT(moved, 0);

  auto applied = scene.run({"apply", "--campaign", "c"});
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_TRUE(applied.output.find(" 0 failed") != std::string::npos) << applied.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step NOT IN ('done', 'skipped')"), 0);
  // One notice per detached attachment, each attachment in the store with the inventory's hash.
  EXPECT_EQ(static_cast<std::int64_t>(notices(ews, set.users)), detached);
  // (The file's own hash is checked against its name, and its size against the inventory's.)
  const auto stored = cli.strings(
      "SELECT encode(r.sha256, 'hex') || ' ' || p.bytes FROM proposal p JOIN action_proposal ap "
      "ON ap.proposal_id = p.id JOIN action a ON a.id = ap.action_id JOIN action_part t ON t.action_id = a.id "
      "AND t.proposal_id = p.id JOIN archive_reference r ON r.id = t.archive_reference_id "
      "WHERE a.kind = 'detach' AND a.step = 'done'");
  EXPECT_EQ(static_cast<std::int64_t>(stored.size()), detached);
  for (const auto& row : stored) {
    const std::string hex = row.substr(0, 64);
    const std::string path = scene.archive_dir() + "/objects/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
    const std::string content = read_file(path);
    EXPECT_EQ(std::to_string(content.size()), row.substr(65)) << path;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest);
    std::string digest_hex;
    for (unsigned char byte : digest)
      digest_hex += "0123456789abcdef"[byte >> 4], digest_hex += "0123456789abcdef"[byte & 15];
    EXPECT_EQ(digest_hex, hex) << path;
  }
  // Moved items are in their target folders.
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE kind <> 'detach' AND step = 'done' AND new_folder_name IN "
                       "(target_folder)"),
            moved);

  auto undone = scene.run({"undo", "--campaign", "c"});
  ASSERT_EQ(undone.exit_code, 0) << undone.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'done'"), 0);
  EXPECT_EQ(notices(ews, set.users), 0u);
  const auto after_undo = inventory(ews, set.users);
  // Every item back in its folder with its attachments (name, type, size) as before.
  EXPECT_EQ(after_undo, before);
  EXPECT_TRUE(ews.schema_violations().empty());
}

}  // namespace
}  // namespace mailprune::test
