// GET and POST /review/<token> against a real PostgreSQL: GET never changes anything (every table
// compared before and after), a POST without the right anti-forgery token changes nothing,
// decisions are recorded with their audit row, and every stale or forged link gets its page.
#include <gtest/gtest.h>

#include "campaign/agents.hpp"
#include "campaign/review_store.hpp"
#include "campaign_test_support.hpp"
#include "http/encoding.hpp"
#include "review/review_handlers.hpp"
#include "review/review_page.hpp"
#include "review/token.hpp"

namespace mailprune::test {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::int64_t kNow = 1900000000;  // 2030-03-17; the campaign's deadline is later

class ReviewHandlers : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<std::uint8_t>(i * 37 + 11);
    alice_mailbox_ = db_.mailbox("alice@example.org", "sales", 80000000);
    bob_mailbox_ = db_.mailbox("bob@example.org", "sales");
    campaign::import_agents(db_.connection(), {{"alice@example.org", "Alice Martin", "sales", "fr"},
                                               {"bob@example.org", "Bob Durand", "sales", "en"}});
    alice_ = static_cast<int>(db_.scalar("SELECT id FROM agent WHERE address = 'alice@example.org'"));
    bob_ = static_cast<int>(db_.scalar("SELECT id FROM agent WHERE address = 'bob@example.org'"));
    campaign_ = db_.campaign("spring", "2030-06-30").id;
    db_.set_state(campaign_, "collecting");

    CampaignDb::Proposal p;
    p.subject = "<script>alert('x')</script>";
    p.file_name = "<img src=x>.pdf";
    opt_out_ = db_.proposal(campaign_, alice_mailbox_, p);
    p = {};
    p.rule = "old-mail";
    p.action = "delete";
    p.approval = "opt-in";
    opt_in_ = db_.proposal(campaign_, alice_mailbox_, p);
    p = {};
    p.rule = "duplicates";
    p.approval = "auto";
    p.decision = "approved";
    automatic_ = db_.proposal(campaign_, alice_mailbox_, p);
    bobs_ = db_.proposal(campaign_, bob_mailbox_, {});

    alice_token_ = issue(alice_, kNow - 3600, 0);
    bob_token_ = issue(bob_, kNow - 3600, 0);

    context_.with_connection = [url = db_.url()](const std::function<void(pqxx::connection&)>& work) {
      pqxx::connection connection(url);
      work(connection);
    };
    context_.key = key_;
    context_.now = [] { return kNow; };
    review::add_review_routes(router_, context_);
  }

  // A token issued and recorded as notify does.
  std::string issue(int agent, std::int64_t issued_at, std::int64_t expires_at, bool store = true) {
    auto issued = review::issue_token(campaign_, agent, issued_at, expires_at, key_);
    if (store) {
      pqxx::work tx(db_.connection());
      campaign::store_review_token(tx, campaign_, agent, issued.token, "");
      tx.commit();
    }
    return issued.token;
  }

  http::Request get(const std::string& token, const std::string& accept_language = "") {
    http::Request request;
    request.method = "GET";
    request.path = std::string(review::kReviewPrefix) + token;
    request.remote_address = "192.0.2.10";
    if (!accept_language.empty()) request.headers.set("Accept-Language", accept_language);
    return request;
  }

  http::Request post(const std::string& token, const std::string& body) {
    http::Request request = get(token);
    request.method = "POST";
    request.headers.set("Content-Type", "application/x-www-form-urlencoded");
    request.headers.set("User-Agent", "Mozilla/5.0 (test phone)");
    request.body = body;
    return request;
  }

  std::string csrf(const std::string& token) { return review::csrf_token(review::token_sha256(token), key_); }

  std::string form(const std::string& token, const std::string& rest) {
    return "csrf=" + http::percent_encode(csrf(token)) + "&" + rest;
  }

  std::string decision(std::int64_t proposal) {
    return db_.text("SELECT decision FROM proposal WHERE id = " + std::to_string(proposal));
  }

  CampaignDb db_;
  security::Key key_{};
  review::ReviewHandlerContext context_;
  http::Router router_;
  int alice_mailbox_ = 0, bob_mailbox_ = 0, alice_ = 0, bob_ = 0, campaign_ = 0;
  std::int64_t opt_out_ = 0, opt_in_ = 0, automatic_ = 0, bobs_ = 0;
  std::string alice_token_, bob_token_;
};

TEST_F(ReviewHandlers, GetShowsTheAgentsPageAndChangesNothing) {
  const auto before = db_.dump_all();
  // Links are stored hashed only: no table holds the token's text, the row holds its SHA-256.
  EXPECT_FALSE(contains(before, alice_token_));
  EXPECT_FALSE(contains(before, alice_token_.substr(0, alice_token_.size() / 2)));
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM review_token WHERE agent_id = " + std::to_string(alice_) +
                       " AND token_sha256 = sha256(convert_to('" + alice_token_ + "', 'UTF8'))"),
            1);
  auto response = router_.dispatch(get(alice_token_));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(response.headers.get("Content-Security-Policy").value_or(""), review::review_csp());
  EXPECT_TRUE(contains(response.body, "<html lang=\"fr\">"));
  EXPECT_TRUE(contains(response.body, "Bonjour Alice Martin,"));
  EXPECT_TRUE(contains(response.body, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") ||
              contains(response.body, "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"))
      << response.body;
  EXPECT_FALSE(contains(response.body, "<script"));
  EXPECT_FALSE(contains(response.body, "<img"));
  EXPECT_TRUE(contains(response.body, "name=\"p" + std::to_string(opt_out_) + "\""));
  EXPECT_FALSE(contains(response.body, "name=\"p" + std::to_string(bobs_) + "\""));  // not hers
  EXPECT_TRUE(contains(response.body, "value=\"" + csrf(alice_token_) + "\""));
  // HEAD too, and a second GET: still nothing written anywhere.
  auto head = get(alice_token_);
  head.method = "HEAD";
  EXPECT_EQ(router_.dispatch(head).status, 200);
  router_.dispatch(get(alice_token_));
  EXPECT_EQ(db_.dump_all(), before);

  auto english = router_.dispatch(get(bob_token_));
  EXPECT_EQ(english.status, 200);
  EXPECT_TRUE(contains(english.body, "<html lang=\"en\">"));
  EXPECT_TRUE(contains(english.body, "Hello Bob Durand,"));
}

TEST_F(ReviewHandlers, APostWithoutTheRightAntiForgeryTokenChangesNothing) {
  const auto before = db_.dump_all();
  const std::string choice = "all=items&p" + std::to_string(opt_out_) + "=refused";
  for (const auto& body : {choice,                                                           // missing
                           "csrf=&" + choice,                                                // empty
                           "csrf=" + http::percent_encode(csrf(bob_token_)) + "&" + choice,  // another link's
                           "csrf=" + http::percent_encode(csrf(alice_token_) + "x") + "&" + choice}) {
    auto response = router_.dispatch(post(alice_token_, body));
    EXPECT_EQ(response.status, 403) << body;
    EXPECT_TRUE(contains(response.body, "Rien n'a été modifié.")) << body;
  }
  auto wrong_type = post(alice_token_, form(alice_token_, choice));
  wrong_type.headers.set("Content-Type", "text/plain");
  EXPECT_EQ(router_.dispatch(wrong_type).status, 403);
  EXPECT_EQ(db_.dump_all(), before);
}

TEST_F(ReviewHandlers, DecisionsAreRecordedWithAnAuditRow) {
  auto response = router_.dispatch(post(
      alice_token_, form(alice_token_, "all=items&p" + std::to_string(opt_out_) + "=refused&p" +
                                           std::to_string(opt_in_) + "=approved&p" + std::to_string(bobs_) +
                                           "=approved&p" + std::to_string(automatic_) + "=refused&p999999=maybe")));
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(contains(response.body, "role=\"status\""));
  EXPECT_TRUE(contains(response.body, "Vos choix sont enregistrés (2")) << response.body;
  EXPECT_TRUE(contains(response.body, "n'ont pas pu être modifiés")) << response.body;
  EXPECT_EQ(decision(opt_out_), "refused");
  EXPECT_EQ(decision(opt_in_), "approved");
  EXPECT_EQ(decision(bobs_), "pending");        // another agent's proposal
  EXPECT_EQ(decision(automatic_), "approved");  // automatic: no choice
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM proposal WHERE decided_at IS NOT NULL"), 2);
  EXPECT_EQ(db_.text("SELECT string_agg(proposal_id || ':' || previous_decision || '>' || decision || ':' || origin ||"
                     " ':' || ip || ':' || user_agent || ':' || (agent_id = " +
                     std::to_string(alice_) +
                     ") || ':' || (review_token_id IS NOT NULL) || ':' || (at IS NOT NULL), ',' ORDER BY proposal_id)"
                     " FROM decision_audit"),
            std::to_string(opt_out_) + ":pending>refused:review:192.0.2.10:Mozilla/5.0 (test phone):true:true:true," +
                std::to_string(opt_in_) +
                ":pending>approved:review:192.0.2.10:Mozilla/5.0 (test phone):true:true:true");
  // The page shows what was recorded: the refused item checked as refused.
  EXPECT_TRUE(contains(response.body, "name=\"p" + std::to_string(opt_out_) + "\" value=\"refused\" checked"));

  // "Approve all": only what changes gets an audit row.
  response = router_.dispatch(post(alice_token_, form(alice_token_, "all=approved")));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(decision(opt_out_), "approved");
  EXPECT_EQ(decision(opt_in_), "approved");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM decision_audit"), 3);
  // The same again: nothing changes.
  response = router_.dispatch(post(alice_token_, form(alice_token_, "all=approved")));
  EXPECT_TRUE(contains(response.body, "Aucun changement"));
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM decision_audit"), 3);
}

TEST_F(ReviewHandlers, ItemsTakenUpByApplyAreLocked) {
  db_.exec(
      fmt::format("INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uidvalidity, uid, step)"
                  " VALUES ({}, 'detach', {}, 'INBOX', 1, 5, 'uploaded');"
                  "INSERT INTO action_proposal (proposal_id, action_id) SELECT {}, id FROM action;",
                  campaign_, alice_mailbox_, opt_out_));
  auto page = router_.dispatch(get(alice_token_));
  EXPECT_FALSE(contains(page.body, "name=\"p" + std::to_string(opt_out_) + "\""));
  EXPECT_TRUE(contains(page.body, "En cours de traitement."));
  router_.dispatch(post(alice_token_, form(alice_token_, "all=refused")));
  EXPECT_EQ(decision(opt_out_), "pending");
  EXPECT_EQ(decision(opt_in_), "refused");
}

TEST_F(ReviewHandlers, ForgedStaleAndClosedLinksGetTheirPageAndChangeNothing) {
  const std::string body = form(alice_token_, "all=approved");
  const auto before_forged = db_.dump_all();

  // Tampered: one character changed; the agent is unknown, so Accept-Language decides.
  std::string tampered = alice_token_;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  auto response = router_.dispatch(get(tampered, "en-US,en;q=0.9"));
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(contains(response.body, "This link is not valid"));
  EXPECT_EQ(router_.dispatch(get(tampered)).status, 404);
  EXPECT_TRUE(contains(router_.dispatch(get(tampered)).body, "Ce lien n'est pas valide"));
  EXPECT_EQ(router_.dispatch(post(tampered, body)).status, 404);
  EXPECT_EQ(router_.dispatch(get("not-a-token")).status, 404);
  EXPECT_EQ(router_.dispatch(get("")).status, 404);

  // Signed with another key.
  security::Key other_key = key_;
  other_key[0] ^= 1;
  auto foreign = review::issue_token(campaign_, alice_, kNow - 10, 0, other_key);
  EXPECT_EQ(router_.dispatch(get(foreign.token)).status, 404);
  EXPECT_EQ(router_.dispatch(post(foreign.token, form(foreign.token, "all=approved"))).status, 404);
  EXPECT_EQ(db_.dump_all(), before_forged);

  // Wrong agent: genuinely signed for Alice but recorded as Bob's link (the signed claims and the
  // stored row must agree): neither page is shown and its POST changes nothing.
  {
    auto for_alice = review::issue_token(campaign_, alice_, kNow - 10, 0, key_);
    pqxx::work tx(db_.connection());
    campaign::store_review_token(tx, campaign_, bob_, for_alice.token, "");
    tx.commit();
    const auto before_mismatch = db_.dump_all();
    response = router_.dispatch(get(for_alice.token));
    EXPECT_EQ(response.status, 404);
    EXPECT_TRUE(contains(response.body, "Ce lien n'est pas valide")) << response.body;
    EXPECT_FALSE(contains(response.body, "Alice Martin"));
    EXPECT_FALSE(contains(response.body, "Bob Durand"));
    EXPECT_EQ(router_.dispatch(post(for_alice.token, form(for_alice.token, "all=refused"))).status, 404);
    EXPECT_EQ(db_.dump_all(), before_mismatch);
  }

  // Genuine but never recorded (or its row deleted): no longer valid.
  auto unknown = issue(alice_, kNow - 10, 0, false);
  response = router_.dispatch(get(unknown));
  EXPECT_EQ(response.status, 410);
  EXPECT_TRUE(contains(response.body, "Ce lien n'est plus valide"));

  // Expired: in the agent's language (bob reads English).
  auto expired = issue(bob_, kNow - 7200, kNow - 60);
  const auto before_expired = db_.dump_all();
  response = router_.dispatch(get(expired));
  EXPECT_EQ(response.status, 410);
  EXPECT_TRUE(contains(response.body, "This link has expired")) << response.body;
  EXPECT_EQ(router_.dispatch(post(expired, form(expired, "all=approved"))).status, 410);
  EXPECT_EQ(db_.dump_all(), before_expired);

  // Revoked.
  {
    pqxx::work tx(db_.connection());
    EXPECT_EQ(campaign::revoke_review_tokens(tx, campaign_, alice_, "test"), 1);
    tx.commit();
  }
  const auto before_revoked = db_.dump_all();
  response = router_.dispatch(get(alice_token_));
  EXPECT_EQ(response.status, 410);
  EXPECT_TRUE(contains(response.body, "Ce lien n'est plus valide"));
  EXPECT_EQ(router_.dispatch(post(alice_token_, body)).status, 410);
  EXPECT_EQ(db_.dump_all(), before_revoked);

  // Campaign closed.
  campaign::close_campaign(db_.connection(), campaign_);
  const auto before_closed = db_.dump_all();
  response = router_.dispatch(get(bob_token_));
  EXPECT_EQ(response.status, 410);
  EXPECT_TRUE(contains(response.body, "This campaign is over"));
  EXPECT_EQ(router_.dispatch(post(bob_token_, form(bob_token_, "all=approved"))).status, 410);
  EXPECT_EQ(db_.dump_all(), before_closed);
  EXPECT_EQ(decision(bobs_), "pending");
}

// A captured POST sent again, byte for byte: while the link is valid it records nothing new (the
// decision is already there); once the link is revoked, or the campaign closed, it is refused and
// changes nothing.
TEST_F(ReviewHandlers, AReplayedPostRecordsNothingNewAndIsRefusedOnceTheLinkIsStale) {
  const auto captured = post(alice_token_, form(alice_token_, "all=items&p" + std::to_string(opt_out_) + "=refused"));
  ASSERT_EQ(router_.dispatch(captured).status, 200);
  ASSERT_EQ(decision(opt_out_), "refused");
  ASSERT_EQ(db_.scalar("SELECT count(*) FROM decision_audit"), 1);
  // The agent changes their mind; then the old request is replayed.
  ASSERT_EQ(router_.dispatch(post(alice_token_, form(alice_token_, "all=approved"))).status, 200);
  ASSERT_EQ(decision(opt_out_), "approved");
  const auto after_change = db_.scalar("SELECT count(*) FROM decision_audit");

  auto replayed = router_.dispatch(captured);
  EXPECT_EQ(replayed.status, 200);  // still the agent's own valid link: their last word counts
  EXPECT_EQ(decision(opt_out_), "refused");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM decision_audit"), after_change + 1);
  const auto before_again = db_.dump_all();
  EXPECT_TRUE(contains(router_.dispatch(captured).body, "Aucun changement"));
  EXPECT_EQ(db_.dump_all(), before_again);

  {
    pqxx::work tx(db_.connection());
    campaign::revoke_review_tokens(tx, campaign_, alice_, "test");
    tx.commit();
  }
  const auto before_revoked = db_.dump_all();
  for (int i = 0; i < 2; ++i) {
    auto response = router_.dispatch(captured);
    EXPECT_EQ(response.status, 410);
    EXPECT_TRUE(contains(response.body, "Rien n'a été modifié."));
  }
  EXPECT_EQ(db_.dump_all(), before_revoked);
}

TEST_F(ReviewHandlers, AfterTheDeadlineThePageIsReadOnlyAndPostsRecordNothing) {
  db_.exec("UPDATE campaign SET deadline = now() - interval '1 hour'");
  auto page = router_.dispatch(get(alice_token_));
  EXPECT_EQ(page.status, 200);
  EXPECT_FALSE(contains(page.body, "<form"));
  EXPECT_TRUE(contains(page.body, "L'échéance est passée"));
  const auto before = db_.dump_all();
  auto response = router_.dispatch(post(alice_token_, form(alice_token_, "all=refused")));
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(db_.dump_all(), before);
}

}  // namespace
}  // namespace mailprune::test
