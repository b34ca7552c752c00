#include "campaign/notification_queue.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <thread>

#include "campaign/agents.hpp"
#include "inventory/copy_stage.hpp"

namespace mailprune::campaign {
namespace {

// First key of the two-int advisory locks on notifications ("mp" 0006); the second is the id.
constexpr int kNotificationLockClass = 0x6D700006;

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

bool try_lock(pqxx::connection& connection, std::int64_t id) {
  pqxx::nontransaction tx(connection);
  return tx.exec_params1("SELECT pg_try_advisory_lock($1, $2::int)", kNotificationLockClass, id)[0].as<bool>();
}

void unlock(pqxx::connection& connection, std::int64_t id) {
  pqxx::nontransaction tx(connection);
  tx.exec_params("SELECT pg_advisory_unlock($1, $2::int)", kNotificationLockClass, id);
}

// Unlocks when leaving the scope, unless the connection is broken (its locks went with it).
class NotificationLock {
 public:
  NotificationLock(pqxx::connection& connection, std::int64_t id) : connection_(connection), id_(id) {
    held_ = try_lock(connection, id);
  }
  ~NotificationLock() {
    if (!held_) return;
    try {
      if (connection_.is_open()) unlock(connection_, id_);
    } catch (const std::exception&) {
      // The session's locks end with it; nothing else to do.
    }
  }
  NotificationLock(const NotificationLock&) = delete;
  NotificationLock& operator=(const NotificationLock&) = delete;
  bool held() const { return held_; }

 private:
  pqxx::connection& connection_;
  std::int64_t id_;
  bool held_ = false;
};

}  // namespace

QueueResult queue_review_notifications(pqxx::transaction_base& tx, int campaign_id) {
  QueueResult result;
  auto ids = tx.exec_params1(
                   "SELECT coalesce(array_agg(DISTINCT mailbox_id), '{}')::text FROM proposal"
                   " WHERE campaign_id = $1 AND selected",
                   campaign_id)[0]
                 .as<std::string>();
  result.agents_created = ensure_agents(tx, ids);
  auto agents = tx.exec_params1(
                      "SELECT count(DISTINCT ag.id) FROM proposal p JOIN mailbox mb ON mb.id = p.mailbox_id"
                      " JOIN agent ag ON ag.address = lower(mb.address) WHERE p.campaign_id = $1 AND p.selected",
                      campaign_id)[0]
                    .as<int>();
  result.queued = static_cast<int>(
      tx.exec_params0("INSERT INTO notification (campaign_id, agent_id, kind, round, recipient, language)"
                      " SELECT DISTINCT $1::int, ag.id, 'review', 0, ag.address, ag.language"
                      " FROM proposal p JOIN mailbox mb ON mb.id = p.mailbox_id"
                      " JOIN agent ag ON ag.address = lower(mb.address)"
                      " WHERE p.campaign_id = $1 AND p.selected"
                      " ON CONFLICT (campaign_id, agent_id, kind, round) DO NOTHING",
                      campaign_id)
          .affected_rows());
  result.already = agents - result.queued;
  return result;
}

QueueResult queue_reminders(pqxx::transaction_base& tx, int campaign_id, int round) {
  if (round < 1) throw std::invalid_argument("reminder rounds start at 1");
  QueueResult result;
  auto candidates = tx.exec_params1(
                          "SELECT count(DISTINCT n.agent_id) FROM notification n JOIN agent ag ON ag.id = n.agent_id"
                          " WHERE n.campaign_id = $1 AND n.kind = 'review' AND n.status = 'sent'"
                          " AND EXISTS (SELECT 1 FROM proposal p JOIN mailbox mb ON mb.id = p.mailbox_id"
                          "   WHERE p.campaign_id = $1 AND p.selected AND p.decision = 'pending'"
                          "   AND p.approval <> 'auto' AND lower(mb.address) = ag.address)",
                          campaign_id)[0]
                        .as<int>();
  result.queued = static_cast<int>(
      tx.exec_params0("INSERT INTO notification (campaign_id, agent_id, kind, round, recipient, language)"
                      " SELECT DISTINCT $1::int, ag.id, 'reminder', $2::int, ag.address, ag.language"
                      " FROM notification n JOIN agent ag ON ag.id = n.agent_id"
                      " WHERE n.campaign_id = $1 AND n.kind = 'review' AND n.status = 'sent'"
                      " AND EXISTS (SELECT 1 FROM proposal p JOIN mailbox mb ON mb.id = p.mailbox_id"
                      "   WHERE p.campaign_id = $1 AND p.selected AND p.decision = 'pending'"
                      "   AND p.approval <> 'auto' AND lower(mb.address) = ag.address)"
                      " ON CONFLICT (campaign_id, agent_id, kind, round) DO NOTHING",
                      campaign_id, round)
          .affected_rows());
  result.already = candidates - result.queued;
  return result;
}

int due_count(pqxx::connection& connection, int campaign_id) {
  pqxx::read_transaction tx(connection);
  return tx
      .exec_params1(
          "SELECT count(*) FROM notification WHERE campaign_id = $1 AND status = 'pending' AND next_attempt_at <= "
          "now()",
          campaign_id)[0]
      .as<int>();
}

SendSummary send_due(pqxx::connection& connection, int campaign_id, const PrepareFunction& prepare,
                     const SendFunction& send, const SendOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto now = options.now ? options.now : [] { return Clock::now(); };
  auto sleep = options.sleep ? options.sleep : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  SendSummary summary;

  std::vector<std::int64_t> candidates;
  std::deque<Clock::time_point> window;  // attempts of the last minute (every process's at the start)
  {
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec_params(
             "SELECT id FROM notification WHERE campaign_id = $1 AND status = 'pending' AND next_attempt_at <= now()"
             " ORDER BY next_attempt_at, id",
             campaign_id)) {
      candidates.push_back(row[0].as<std::int64_t>());
    }
    auto start = now();
    for (const auto& row : tx.exec("SELECT (extract(epoch FROM now() - at) * 1000)::bigint FROM notification_attempt"
                                   " WHERE at > now() - interval '60 seconds' ORDER BY at")) {
      window.push_back(start - std::chrono::milliseconds(row[0].as<std::int64_t>()));
    }
  }

  int attempted = 0;
  for (std::int64_t id : candidates) {
    if (options.limit && attempted >= *options.limit) break;
    if (options.rate_per_minute > 0) {
      // Wait until fewer than rate_per_minute attempts fall within the last minute.
      for (;;) {
        auto t = now();
        while (!window.empty() && t - window.front() >= std::chrono::minutes(1)) window.pop_front();
        if (static_cast<int>(window.size()) < options.rate_per_minute) break;
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(window.front() + std::chrono::minutes(1) - t);
        wait = std::max(wait, std::chrono::milliseconds(1));
        sleep(wait);
        summary.waited += wait;
      }
    }

    NotificationLock lock(connection, id);
    if (!lock.held()) {
      ++summary.busy;
      continue;
    }
    OutgoingNotification n;
    {
      pqxx::work tx(connection);
      auto rows = tx.exec_params(
          "SELECT n.id, n.campaign_id, c.name, n.agent_id, n.recipient, ag.display_name, n.language, n.kind, n.round,"
          " n.attempts FROM notification n JOIN campaign c ON c.id = n.campaign_id JOIN agent ag ON ag.id = n.agent_id"
          " WHERE n.id = $1 AND n.status = 'pending' AND n.next_attempt_at <= now() AND c.state <> 'closed'",
          id);
      if (rows.empty()) {  // sent or rescheduled by another process meanwhile
        ++summary.busy;
        continue;
      }
      const auto& r = rows[0];
      n.id = r[0].as<std::int64_t>();
      n.campaign_id = r[1].as<int>();
      n.campaign_name = r[2].as<std::string>();
      n.agent_id = r[3].as<int>();
      n.recipient = r[4].as<std::string>();
      n.display_name = r[5].as<std::string>();
      n.language = r[6].as<std::string>();
      n.kind = r[7].as<std::string>();
      n.round = r[8].as<int>();
      n.attempts = r[9].as<int>();
      if (prepare) prepare(tx, n);
      tx.commit();
    }

    SendOutcome outcome;
    try {
      outcome = send(n);
    } catch (const std::exception& e) {
      outcome.ok = false;
      outcome.detail = e.what();
    }
    ++attempted;
    window.push_back(now());

    const int attempts = n.attempts + 1;
    std::string status = "sent";
    std::int64_t delay_seconds = 0;
    if (!outcome.ok) {
      // A failure that is not this agent's (stop_round) never uses up their attempts.
      if (!outcome.stop_round && (outcome.permanent || attempts >= options.max_attempts)) {
        status = "failed";
      } else {
        status = "pending";
        std::int64_t delay = options.retry_delay.count();
        for (int i = 1; i < attempts && delay < options.max_retry_delay.count(); ++i) delay *= 2;
        delay_seconds = std::min<std::int64_t>(delay, options.max_retry_delay.count());
      }
    }
    pqxx::work tx(connection);
    std::string detail = inventory::clean_text(outcome.detail.substr(0, 2000));
    tx.exec_params0(
        "INSERT INTO notification_attempt (notification_id, ok, detail, host, pid) VALUES ($1, $2, $3, $4, $5)", n.id,
        outcome.ok, detail, host_name(), static_cast<int>(::getpid()));
    tx.exec_params0(
        "UPDATE notification SET status = $2, attempts = $3, last_attempt_at = now(),"
        " last_error = CASE WHEN $4 THEN NULL ELSE $5 END,"
        " sent_at = CASE WHEN $4 THEN now() ELSE sent_at END,"
        " smtp_message_id = CASE WHEN $4 THEN NULLIF($6, '') ELSE smtp_message_id END,"
        " next_attempt_at = now() + make_interval(secs => $7::bigint)"
        " WHERE id = $1",
        n.id, status, attempts, outcome.ok, detail, inventory::clean_text(outcome.message_id), delay_seconds);
    tx.commit();
    if (status == "sent") ++summary.sent;
    if (status == "pending") ++summary.retry_later;
    if (status == "failed") ++summary.failed;
    if (!outcome.ok && outcome.stop_round) {
      summary.stopped = true;
      summary.stop_reason = detail;
      break;
    }
  }
  return summary;
}

}  // namespace mailprune::campaign
