// notification_queue.hpp: the campaign's e-mail queue (schema/006_campaigns.sql `notification`,
// `notification_attempt`): one e-mail per agent, campaign and round (round 0: the review
// invitation; 1, 2, ...: reminders), each attempt recorded.
//
// Queueing is set-based and idempotent (a row that exists is left alone), so `campaign notify`
// can be run again: it queues only who is missing and sends only what is due.
//
// Sending (send_due) goes through a caller-given function (the SMTP sender and the e-mail
// rendering live in server/notify; tests give their own), one notification at a time:
//   1. the notification is claimed with a session advisory lock (two processes never send the
//      same one; a lock dies with its connection, kill -9 included) and re-read: still pending,
//      still due;
//   2. `prepare` runs in its own committed transaction (it issues and stores the review link's
//      token, so the link is valid before any e-mail carries it);
//   3. `send` is called with no transaction open;
//   4. the outcome is committed: sent (with the Message-ID), or pending again at
//      now + retry_delay * 2^(attempts-1) (capped at max_retry_delay), or failed after
//      max_attempts or a permanent refusal. One agent's failure never stops the others.
// A process killed between 3 and 4 leaves the notification pending: it is sent again by the next
// run (at least once; both links work). The pace is at most rate_per_minute sends in any 60
// seconds, counting every process's attempts recorded in the last minute.
//
// Not thread-safe: one connection, one thread.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mailprune::campaign {

struct QueueResult {
  int queued = 0;          // rows created now
  int already = 0;         // agents who already had this round queued (any status)
  int agents_created = 0;  // agents derived from mailbox rows (ensure_agents)
};

// Round 0 for every agent owning a selected proposal of the campaign (agents are derived from
// mailboxes where none was imported). Runs in the caller's transaction.
QueueResult queue_review_notifications(pqxx::transaction_base& tx, int campaign_id);

// Reminder `round` (>= 1) for every agent whose review e-mail was sent and who still has pending
// proposals that are not automatic. Runs in the caller's transaction.
QueueResult queue_reminders(pqxx::transaction_base& tx, int campaign_id, int round);

// What the send function gets (plain data read from the database).
struct OutgoingNotification {
  std::int64_t id = 0;
  int campaign_id = 0;
  std::string campaign_name;
  int agent_id = 0;
  std::string recipient;  // e-mail address
  std::string display_name;
  std::string language;  // fr | en
  std::string kind;      // review | reminder
  int round = 0;
  int attempts = 0;                             // before this one
  std::optional<std::int64_t> review_token_id;  // set by prepare
  std::string review_url;                       // set by prepare
};

struct SendOutcome {
  bool ok = false;
  bool permanent = false;  // a refusal that retrying cannot change (SMTP 5xx for the recipient)
  std::string detail;      // SMTP reply or error, for the attempt log
  std::string message_id;  // of the e-mail sent
  // The failure is about the server or the configuration, not this agent (no connection,
  // authentication, TLS): the attempt is recorded and retried like any other, and the run stops
  // there, leaving the rest pending, instead of failing every agent in turn.
  bool stop_round = false;
};

struct SendOptions {
  int rate_per_minute = 60;  // 0: no limit
  int max_attempts = 5;
  std::chrono::seconds retry_delay{300};
  std::chrono::seconds max_retry_delay{6 * 3600};
  std::optional<int> limit;  // send at most this many this run
  // Time and waiting, replaceable in tests (defaults: steady clock, sleep_for); `sleep` must let
  // `now` advance by the time asked.
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct SendSummary {
  int sent = 0;
  int retry_later = 0;   // failed this time, pending again
  int failed = 0;        // gave up (max attempts or permanent)
  int busy = 0;          // claimed by another process meanwhile
  bool stopped = false;  // a failure said stop_round: the rest stays pending
  std::string stop_reason;
  std::chrono::milliseconds waited{0};  // for the rate limit
};

// Runs in the caller's transaction (committed by send_due before `send`): may set
// notification.review_token_id and fill `n.review_token_id`.
using PrepareFunction = std::function<void(pqxx::work& tx, OutgoingNotification& n)>;
// May throw: an exception is a failed, retriable attempt with its message as detail.
using SendFunction = std::function<SendOutcome(const OutgoingNotification& n)>;

// Sends the campaign's due pending notifications (oldest first). `connection` must be idle.
SendSummary send_due(pqxx::connection& connection, int campaign_id, const PrepareFunction& prepare,
                     const SendFunction& send, const SendOptions& options);

// Pending notifications of the campaign whose next attempt is due (for messages and tests).
int due_count(pqxx::connection& connection, int campaign_id);

}  // namespace mailprune::campaign
