// The notification queue: one e-mail per agent and round, idempotent queueing, a failure for one
// agent retried later without stopping the others, permanent failures, a round stopped by a
// server-wide failure, the rate limit (with a clock of our own), two senders never sending the
// same e-mail, reminders, and notify's state changes.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "campaign/agents.hpp"
#include "campaign/launch.hpp"
#include "campaign/notification_queue.hpp"
#include "campaign_test_support.hpp"

namespace mailprune::test {
namespace {

using namespace std::chrono_literals;

class Notifications : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = db_.mailbox("alice@example.org", "sales");
    bob_ = db_.mailbox("bob@example.org", "sales");
    carol_ = db_.mailbox("carol@example.org", "support");
    db_.mailbox("dave@example.org", "support");  // nothing proposed: never written to
    campaign::import_agents(db_.connection(), {{"alice@example.org", "Alice", "sales", "fr"},
                                               {"bob@example.org", "Bob", "sales", "en"},
                                               {"carol@example.org", "Carol", "support", "fr"}});
    campaign_ = db_.campaign("spring", "2030-01-31").id;
    db_.set_state(campaign_, "proposing");
    db_.proposal(campaign_, alice_, {});
    db_.proposal(campaign_, alice_, {});
    db_.proposal(campaign_, bob_, {});
    CampaignDb::Proposal decided;
    decided.decision = "approved";
    db_.proposal(campaign_, carol_, decided);
  }

  campaign::QueueResult queue() {
    pqxx::work tx(db_.connection());
    auto result = campaign::queue_review_notifications(tx, campaign_);
    tx.commit();
    return result;
  }

  // Options whose clock only moves when the queue sleeps.
  campaign::SendOptions fake_time() {
    campaign::SendOptions options;
    options.rate_per_minute = 0;
    options.now = [this] { return std::chrono::steady_clock::time_point(offset_); };
    options.sleep = [this](std::chrono::milliseconds d) {
      offset_ += d;
      sleeps_.push_back(d);
    };
    return options;
  }

  CampaignDb db_;
  int alice_ = 0, bob_ = 0, carol_ = 0, campaign_ = 0;
  std::chrono::milliseconds offset_{0};
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(Notifications, QueueingIsOnePerAgentAndIdempotent) {
  auto first = queue();
  EXPECT_EQ(first.queued, 3);
  EXPECT_EQ(first.already, 0);
  auto second = queue();
  EXPECT_EQ(second.queued, 0);
  EXPECT_EQ(second.already, 3);
  EXPECT_EQ(db_.text("SELECT string_agg(recipient || ':' || language, ',' ORDER BY recipient) FROM notification"),
            "alice@example.org:fr,bob@example.org:en,carol@example.org:fr");
}

TEST_F(Notifications, OneAgentFailingIsRetriedLaterAndDoesNotStopTheOthers) {
  queue();
  std::vector<std::string> sent_to;
  int prepared = 0;
  auto prepare = [&](pqxx::work& tx, campaign::OutgoingNotification& n) {
    ++prepared;
    n.review_url = "https://review.example.org/review/" + std::to_string(n.agent_id);
    tx.exec("SELECT 1");  // runs in the queue's transaction
  };
  bool bob_down = true;
  auto send = [&](const campaign::OutgoingNotification& n) {
    campaign::SendOutcome outcome;
    EXPECT_FALSE(n.review_url.empty());
    if (n.recipient == "bob@example.org" && bob_down) {
      outcome.detail = "451 4.3.0 mailbox temporarily unavailable";
      return outcome;
    }
    sent_to.push_back(n.recipient);
    outcome.ok = true;
    outcome.detail = "250 2.0.0 Ok";
    outcome.message_id = "id-" + n.recipient;
    return outcome;
  };
  auto summary = campaign::send_due(db_.connection(), campaign_, prepare, send, fake_time());
  EXPECT_EQ(summary.sent, 2);
  EXPECT_EQ(summary.retry_later, 1);
  EXPECT_EQ(summary.failed, 0);
  EXPECT_EQ(prepared, 3);
  EXPECT_EQ(sent_to, (std::vector<std::string>{"alice@example.org", "carol@example.org"}));
  EXPECT_EQ(db_.text("SELECT status || '|' || attempts || '|' || (next_attempt_at > now() + interval '4 minutes') ||"
                     " '|' || last_error FROM notification WHERE recipient = 'bob@example.org'"),
            "pending|1|true|451 4.3.0 mailbox temporarily unavailable");
  EXPECT_EQ(db_.text("SELECT smtp_message_id FROM notification WHERE recipient = 'alice@example.org'"),
            "id-alice@example.org");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM notification_attempt"), 3);
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM notification_attempt WHERE NOT ok"), 1);

  // Nothing is due before bob's retry time; sent ones are never sent again.
  EXPECT_EQ(campaign::send_due(db_.connection(), campaign_, prepare, send, fake_time()).sent, 0);
  EXPECT_EQ(campaign::due_count(db_.connection(), campaign_), 0);

  // Later: bob's server is back.
  db_.exec("UPDATE notification SET next_attempt_at = now() WHERE status = 'pending'");
  bob_down = false;
  summary = campaign::send_due(db_.connection(), campaign_, prepare, send, fake_time());
  EXPECT_EQ(summary.sent, 1);
  EXPECT_EQ(db_.text("SELECT status || '|' || attempts FROM notification WHERE recipient = 'bob@example.org'"),
            "sent|2");
  EXPECT_EQ(sent_to.size(), 3u);
}

TEST_F(Notifications, PermanentFailuresAndTheLastAttemptGiveUp) {
  queue();
  auto options = fake_time();
  options.max_attempts = 2;
  auto send = [](const campaign::OutgoingNotification& n) -> campaign::SendOutcome {
    if (n.recipient == "carol@example.org") throw std::runtime_error("connection reset");
    campaign::SendOutcome outcome;
    outcome.permanent = n.recipient == "alice@example.org";
    outcome.detail = outcome.permanent ? "550 5.1.1 user unknown" : "421 try later";
    return outcome;
  };
  auto summary = campaign::send_due(db_.connection(), campaign_, {}, send, options);
  EXPECT_EQ(summary.failed, 1);  // alice: permanent
  EXPECT_EQ(summary.retry_later, 2);
  db_.exec("UPDATE notification SET next_attempt_at = now() WHERE status = 'pending'");
  summary = campaign::send_due(db_.connection(), campaign_, {}, send, options);
  EXPECT_EQ(summary.failed, 2);  // second and last attempt
  EXPECT_EQ(db_.text("SELECT string_agg(recipient || ':' || status || ':' || attempts || ':' || last_error, ','"
                     " ORDER BY recipient) FROM notification"),
            "alice@example.org:failed:1:550 5.1.1 user unknown,bob@example.org:failed:2:421 try later,"
            "carol@example.org:failed:2:connection reset");
}

TEST_F(Notifications, AServerWideFailureStopsTheRoundWithoutSpendingOthersAttempts) {
  queue();
  int calls = 0;
  auto send = [&](const campaign::OutgoingNotification&) {
    ++calls;
    campaign::SendOutcome outcome;
    outcome.permanent = true;
    outcome.stop_round = true;
    outcome.detail = "authentication refused";
    return outcome;
  };
  auto options = fake_time();
  options.max_attempts = 1;
  auto summary = campaign::send_due(db_.connection(), campaign_, {}, send, options);
  EXPECT_TRUE(summary.stopped);
  EXPECT_EQ(summary.stop_reason, "authentication refused");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM notification WHERE status = 'pending'"), 3);
  EXPECT_EQ(db_.scalar("SELECT sum(attempts) FROM notification"), 1);
}

TEST_F(Notifications, TheRateLimitSpacesSendsOverMinutes) {
  // Two more agents, five e-mails at two per minute: 2 now, 2 after a minute, 1 after two.
  for (const char* address : {"erin@example.org", "fred@example.org"}) {
    db_.proposal(campaign_, db_.mailbox(address), {});
  }
  EXPECT_EQ(queue().queued, 5);
  auto options = fake_time();
  options.rate_per_minute = 2;
  std::vector<std::chrono::milliseconds> sent_at;
  auto send = [&](const campaign::OutgoingNotification&) {
    sent_at.push_back(offset_);
    campaign::SendOutcome outcome;
    outcome.ok = true;
    return outcome;
  };
  auto summary = campaign::send_due(db_.connection(), campaign_, {}, send, options);
  EXPECT_EQ(summary.sent, 5);
  EXPECT_EQ(sent_at, (std::vector<std::chrono::milliseconds>{0ms, 0ms, 60000ms, 60000ms, 120000ms}));
  EXPECT_EQ(summary.waited, 120000ms);
  // A limit per run.
  db_.exec("UPDATE notification SET status = 'pending', attempts = 0");
  db_.exec("DELETE FROM notification_attempt");
  options.limit = 2;
  options.rate_per_minute = 0;
  EXPECT_EQ(campaign::send_due(db_.connection(), campaign_, {}, send, options).sent, 2);
}

TEST_F(Notifications, TwoSendersNeverSendTheSameEmail) {
  queue();
  // Another process holds bob's notification.
  auto other = db_.connect();
  auto bob_notification = db_.scalar("SELECT id FROM notification WHERE recipient = 'bob@example.org'");
  {
    pqxx::nontransaction tx(*other);
    EXPECT_TRUE(
        tx.exec_params1("SELECT pg_try_advisory_lock($1, $2::int)", 0x6D700006, bob_notification)[0].as<bool>());
  }
  std::set<std::string> sent;
  auto send = [&](const campaign::OutgoingNotification& n) {
    sent.insert(n.recipient);
    campaign::SendOutcome outcome;
    outcome.ok = true;
    return outcome;
  };
  auto summary = campaign::send_due(db_.connection(), campaign_, {}, send, fake_time());
  EXPECT_EQ(summary.sent, 2);
  EXPECT_EQ(summary.busy, 1);
  EXPECT_EQ(sent.count("bob@example.org"), 0u);
  other.reset();  // the other process ends: its lock goes with it...
  // ...once the server has seen the connection close, which it does asynchronously.
  const std::string held =
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = " + std::to_string(0x6D700006) +
      " AND objid = " + std::to_string(bob_notification);
  for (int i = 0; i < 200 && db_.scalar(held) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(db_.scalar(held), 0) << "the closed connection's lock was never released";
  summary = campaign::send_due(db_.connection(), campaign_, {}, send, fake_time());
  EXPECT_EQ(summary.sent, 1);
  EXPECT_EQ(sent.count("bob@example.org"), 1u);
}

TEST_F(Notifications, NotifyMovesToCollectingAndRemindersGoToUndecidedAgents) {
  std::vector<std::string> sent;
  auto send = [&](const campaign::OutgoingNotification& n) {
    sent.push_back(n.kind + ":" + std::to_string(n.round) + ":" + n.recipient);
    campaign::SendOutcome outcome;
    outcome.ok = true;
    return outcome;
  };
  campaign::NotifyOptions options;
  options.send = fake_time();
  auto result = campaign::notify_campaign(db_.connection(), "spring", {}, send, options);
  EXPECT_EQ(result.queued.queued, 3);
  EXPECT_EQ(result.sent.sent, 3);
  EXPECT_EQ(result.state, "collecting");
  // Again: nothing new to send, still collecting.
  result = campaign::notify_campaign(db_.connection(), "spring", {}, send, options);
  EXPECT_EQ(result.queued.queued, 0);
  EXPECT_EQ(result.sent.sent, 0);
  EXPECT_EQ(result.state, "collecting");

  // Carol decided everything; alice and bob still have pending opt-out items.
  options.reminder = true;
  result = campaign::notify_campaign(db_.connection(), "spring", {}, send, options);
  EXPECT_EQ(result.round, 1);
  EXPECT_EQ(result.queued.queued, 2);
  EXPECT_EQ(sent, (std::vector<std::string>{"review:0:alice@example.org", "review:0:bob@example.org",
                                            "review:0:carol@example.org", "reminder:1:alice@example.org",
                                            "reminder:1:bob@example.org"}));
  EXPECT_EQ(
      db_.text("SELECT string_agg(step || '>' || to_state, ' ' ORDER BY id) FROM campaign_event"
               " WHERE step IN ('notify', 'remind')"),
      "notify>notifying notify>collecting notify>collecting notify>collecting remind>collecting remind>collecting");
}

}  // namespace
}  // namespace mailprune::test
