// The progress page over a real PostgreSQL: the snapshot's figures from proposals and the apply
// journal, no personal data anywhere in what is served, the access modes (off, public, link) and
// the cache costing one load per interval.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "campaign/campaign_test_support.hpp"
#include "progress/access.hpp"
#include "progress/cache.hpp"
#include "progress/handlers.hpp"
#include "progress/page.hpp"
#include "progress/snapshot.hpp"

namespace mailprune::progress {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t MB = 1000 * 1000;

class ProgressDb : public ::testing::Test {
 protected:
  void SetUp() override {
    campaign_id = db.campaign("menage", "", 10 * MB).id;
    int a = db.mailbox("amelie.secret@example.org", "Voirie");
    int b = db.mailbox("bruno.prive@example.org", "Culture");
    int c = db.mailbox("claire.cachee@example.org");
    db.exec(
        "INSERT INTO agent (address, display_name, team_id) VALUES"
        " ('amelie.secret@example.org', 'Amélie Dupont-Secret', (SELECT id FROM team WHERE name = 'Voirie'))");
    test::CampaignDb::Proposal pdf;
    pdf.decision = "approved";
    pdf.subject = "Dossier médical confidentiel";
    pdf.file_name = "bulletin-de-salaire.pdf";
    pdf.from = "rh.secret@example.org";
    std::int64_t p1 = db.proposal(campaign_id, a, pdf);
    test::CampaignDb::Proposal image = pdf;
    image.bytes = 3 * MB;
    std::int64_t p2 = db.proposal(campaign_id, a, image);
    db.exec("UPDATE proposal SET content_type = 'image/png' WHERE id = " + std::to_string(p2));
    test::CampaignDb::Proposal archive = pdf;
    archive.action = "archive";
    archive.bytes = 1 * MB;
    db.proposal(campaign_id, b, archive);
    test::CampaignDb::Proposal remove = pdf;
    remove.action = "delete";
    remove.decision = "pending";
    remove.bytes = 4 * MB;
    db.proposal(campaign_id, c, remove);
    mailbox_a = a;
    proposal_pdf = p1;
    proposal_image = p2;
  }

  // An action done `minutes_ago` carrying `proposal`, as apply leaves it.
  void apply_done(std::int64_t proposal, std::int64_t bytes, int minutes_ago) {
    db.exec(
        fmt::format("WITH a AS (INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uidvalidity, uid, step,"
                    " bytes_estimated, done_at) VALUES ({0}, 'detach', {1}, 'INBOX', 1, {2}, 'done', {3},"
                    " now() - interval '{4} minutes') RETURNING id)"
                    " INSERT INTO action_proposal (proposal_id, action_id) SELECT {2}, id FROM a",
                    campaign_id, mailbox_a, proposal, bytes, minutes_ago));
  }

  test::CampaignDb db;
  int campaign_id = 0;
  int mailbox_a = 0;
  std::int64_t proposal_pdf = 0, proposal_image = 0;
};

TEST_F(ProgressDb, SnapshotFiguresFromProposalsAndJournal) {
  apply_done(proposal_pdf, 2 * MB, 120);
  db.exec(
      fmt::format("WITH r AS (INSERT INTO apply_run (campaign_id, status) VALUES ({}, 'done') RETURNING id)"
                  " INSERT INTO apply_measure (apply_run_id, mailbox_id, bytes_before, bytes_after)"
                  " SELECT id, {}, 9000000, 7100000 FROM r",
                  campaign_id, mailbox_a));
  ProgressSnapshot s = compute_snapshot(db.connection(), campaign_id);
  EXPECT_EQ(s.campaign, "menage");
  EXPECT_EQ(s.target_bytes, 10 * MB);
  EXPECT_EQ(s.proposed, 4);
  EXPECT_EQ(s.approved, 3);
  EXPECT_EQ(s.pending, 1);
  EXPECT_EQ(s.applied, 1);
  EXPECT_EQ(s.proposed_bytes, 10 * MB);
  EXPECT_EQ(s.approved_bytes, 6 * MB);
  EXPECT_EQ(s.freed_estimated, 2 * MB);
  EXPECT_EQ(s.freed_measured, 1900000);
  EXPECT_EQ(s.freed(), 1900000);
  ASSERT_EQ(s.teams.size(), 3u);
  EXPECT_EQ(s.teams[0].team, "Voirie") << "most freed first";
  EXPECT_EQ(s.teams[0].freed_bytes, 2 * MB);
  EXPECT_EQ(s.teams[1].team, "Culture") << "then most approved";
  EXPECT_EQ(s.teams[2].team, "");
  ASSERT_EQ(s.timeline.size(), 1u);
  EXPECT_EQ(s.timeline[0].freed_bytes, 2 * MB);
  ASSERT_EQ(s.by_action.size(), 3u);
  EXPECT_EQ(s.by_action[0].key, "detach");
  EXPECT_EQ(s.by_action[0].proposals, 2);
  EXPECT_EQ(s.by_action[0].proposed_bytes, 5 * MB);
  EXPECT_EQ(s.by_action[0].freed_bytes, 2 * MB);
  EXPECT_EQ(s.by_action[1].key, "archive");
  EXPECT_EQ(s.by_action[2].key, "delete");
  std::map<std::string, std::int64_t> types;
  for (const auto& b : s.by_type) types[b.key] = b.proposed_bytes;
  EXPECT_EQ(types["pdf"], 2 * MB);
  EXPECT_EQ(types["images"], 3 * MB);
  EXPECT_EQ(types["messages"], 5 * MB) << "archive and delete move whole messages";

  // A second action later: the timeline is cumulative, in time order.
  apply_done(proposal_image, 3 * MB, 0);
  ProgressSnapshot later = compute_snapshot(db.connection(), campaign_id);
  ASSERT_EQ(later.timeline.size(), 2u);
  EXPECT_LT(later.timeline[0].at, later.timeline[1].at);
  EXPECT_EQ(later.timeline[0].freed_bytes, 2 * MB);
  EXPECT_EQ(later.timeline[1].freed_bytes, 5 * MB);
  EXPECT_NE(snapshot_version(later), snapshot_version(s));
  // Undone actions no longer count.
  db.exec("UPDATE action SET step = 'undone', undone_at = now() WHERE bytes_estimated = " + std::to_string(3 * MB));
  EXPECT_EQ(compute_snapshot(db.connection(), campaign_id).timeline.size(), 1u);
}

TEST_F(ProgressDb, NothingPersonalInWhatIsServed) {
  apply_done(proposal_pdf, 2 * MB, 5);
  ProgressSnapshot s = compute_snapshot(db.connection(), campaign_id);
  PageLinks links;
  links.self = "/progress/menage";
  std::vector<std::string> served = {snapshot_json(s), render_page(s, Language::fr, links),
                                     render_page(s, Language::en, links), sse_snapshot_event(s, Language::fr),
                                     sse_snapshot_event(s, Language::en)};
  for (const auto& text : served) {
    for (const char* secret : {"amelie", "Amélie", "Dupont", "bruno", "claire", "@example.org", "Mailbox ",
                               "Dossier médical", "bulletin-de-salaire", "rh.secret", "INBOX"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " appears in:\n" << text.substr(0, 400);
    }
  }
  EXPECT_NE(served[1].find("Voirie"), std::string::npos) << "team names are shown";
}

TEST_F(ProgressDb, AccessModes) {
  pqxx::read_transaction check(db.connection());
  EXPECT_EQ(page_access(check, campaign_id).mode, PageMode::off) << "off by default";
  EXPECT_FALSE(resolve_page_key(check, "menage"));
  check.commit();

  auto published = set_page_access(db.connection(), campaign_id, PageMode::public_page);
  EXPECT_EQ(published.previous, PageMode::off);
  EXPECT_TRUE(published.token.empty());
  {
    pqxx::read_transaction tx(db.connection());
    EXPECT_EQ(resolve_page_key(tx, "menage"), campaign_id);
    EXPECT_FALSE(resolve_page_key(tx, "Menage"));
    EXPECT_EQ(page_access(tx, campaign_id).mode, PageMode::public_page);
  }

  auto linked = set_page_access(db.connection(), campaign_id, PageMode::link);
  EXPECT_EQ(linked.previous, PageMode::public_page);
  EXPECT_EQ(linked.token.size(), 43u) << "32 random bytes, base64url";
  {
    pqxx::read_transaction tx(db.connection());
    EXPECT_EQ(resolve_page_key(tx, linked.token), campaign_id);
    EXPECT_FALSE(resolve_page_key(tx, "menage")) << "the name opens nothing in link mode";
    EXPECT_FALSE(resolve_page_key(tx, linked.token.substr(0, 42)));
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM progress_page WHERE position(convert_to('" + linked.token +
                      "', 'UTF8') in link_sha256) > 0"),
            0)
      << "only the hash is stored";

  auto relinked = set_page_access(db.connection(), campaign_id, PageMode::link);
  EXPECT_NE(relinked.token, linked.token);
  {
    pqxx::read_transaction tx(db.connection());
    EXPECT_FALSE(resolve_page_key(tx, linked.token)) << "a new link revokes the old one";
    EXPECT_EQ(resolve_page_key(tx, relinked.token), campaign_id);
  }
  set_page_access(db.connection(), campaign_id, PageMode::off);
  {
    pqxx::read_transaction tx(db.connection());
    EXPECT_FALSE(resolve_page_key(tx, relinked.token));
    EXPECT_FALSE(resolve_page_key(tx, "menage"));
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM campaign_event WHERE step = 'progress-page' AND campaign_id = " +
                      std::to_string(campaign_id)),
            4);
  EXPECT_THROW(set_page_access(db.connection(), 999999, PageMode::public_page), campaign::CampaignError);
  EXPECT_EQ(page_path(PageMode::public_page, "grand ménage", ""), "/progress/grand%20m%C3%A9nage");
  EXPECT_EQ(page_path(PageMode::link, "x", "tok"), "/progress/tok");
  EXPECT_EQ(page_path(PageMode::off, "x", "tok"), "");
}

http::Request get(const std::string& path) {
  http::Request request;
  request.method = "GET";
  request.path = path;
  request.target = path;
  return request;
}

TEST_F(ProgressDb, HandlersOverTheDatabaseWithOneLoadPerInterval) {
  auto connection = db.connect();
  std::mutex mutex;
  WithConnection with_connection = [&](const std::function<void(pqxx::connection&)>& work) {
    std::lock_guard lock(mutex);
    work(*connection);
  };
  std::atomic<int> loads{0};
  auto base = database_loader(with_connection);
  auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  auto cache = std::make_shared<SnapshotCache>(
      [&](const std::string& key) {
        ++loads;
        return base(key);
      },
      2s, [&] { return now; });
  ProgressHttpOptions options;

  EXPECT_EQ(handle_progress(cache, options, get("/progress/menage")).status, 404) << "off";
  set_page_access(db.connection(), campaign_id, PageMode::public_page);
  EXPECT_EQ(handle_progress(cache, options, get("/progress/menage")).status, 404) << "cached until the interval ends";
  now += 2s;
  EXPECT_EQ(handle_progress(cache, options, get("/progress/menage")).status, 200);
  const int before = loads;
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(
        handle_progress(cache, options, get(i % 2 ? "/progress/menage" : "/progress/menage/snapshot.json")).status,
        200);
  }
  EXPECT_EQ(loads, before) << "500 requests within the interval: no query";

  auto link = set_page_access(db.connection(), campaign_id, PageMode::link);
  now += 2s;
  EXPECT_EQ(handle_progress(cache, options, get("/progress/menage")).status, 404);
  EXPECT_EQ(handle_progress(cache, options, get("/progress/" + link.token)).status, 200);
  EXPECT_EQ(handle_progress(cache, options, get("/progress/" + link.token + "x")).status, 404);
  auto json =
      nlohmann::json::parse(handle_progress(cache, options, get("/progress/" + link.token + "/snapshot.json")).body);
  EXPECT_EQ(json["campaign"], "menage");
  EXPECT_EQ(json["bytes"]["approved"], 6 * MB);
}

}  // namespace
}  // namespace mailprune::progress
