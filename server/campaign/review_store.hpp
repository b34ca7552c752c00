// review_store.hpp: what an agent's review page shows and what it records
// (schema/002_policy.sql `proposal`, schema/006_campaigns.sql `review_token`, `decision_audit`).
//
// Review links: the token text itself is never stored, only its SHA-256, so a copy of the
// database gives no working link; a link is known to the database (and so can be revoked) from
// the moment store_review_token() commits, before any e-mail carries it.
//
// Decisions: an agent decides on the selected proposals of their own mailboxes only (mailboxes
// whose address is the agent's), never on automatic ones (approval 'auto') and never on one that
// apply has already taken up (in action_proposal): those are shown but locked. Each decision that
// changes something is one UPDATE of the proposal (decision, decided_at) and one decision_audit
// row, in the caller's transaction, set-based. Race-free against apply taking proposals into the
// journal at the same moment (apply/journal.hpp enqueue_approved): either the decision commits
// first and apply sees it, or apply does and the decision is refused (the caller's transaction
// must be READ COMMITTED, pqxx::work's default).
//
// Functions run in the caller's transaction and never commit. Not thread-safe.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailprune::campaign {

// SHA-256 of a token's text, as stored in review_token.token_sha256 (32 raw bytes).
std::string token_digest(const std::string& token);

// Records a token issued for (campaign, agent); returns its review_token id. `expires_at` is the
// expiry signed into the token (ISO 8601 or any timestamptz text; "" none).
std::int64_t store_review_token(pqxx::transaction_base& tx, int campaign_id, int agent_id, const std::string& token,
                                const std::string& expires_at);

struct StoredToken {
  std::int64_t id = 0;
  int campaign_id = 0;
  int agent_id = 0;
  bool revoked = false;
  std::string revoked_reason;
};
// The row of a token (by its digest); nullopt when the database never issued it.
std::optional<StoredToken> find_review_token(pqxx::transaction_base& tx, const std::string& token);

// Revokes the tokens of a campaign (every agent's when agent_id is nullopt). Returns how many.
int revoke_review_tokens(pqxx::transaction_base& tx, int campaign_id, std::optional<int> agent_id,
                         const std::string& reason);

struct ReviewItem {
  std::int64_t proposal_id = 0;
  std::string rule_name;
  int rule_priority = 0;
  std::string action;    // detach | archive | delete
  std::string approval;  // auto | opt-out | opt-in
  std::string decision;  // pending | approved | refused
  // Taken up by apply: the journal step ("approved", ..., "done", "undone"); "" when not.
  std::string apply_step;
  bool locked = false;  // automatic, or taken up by apply: no choice offered
  std::string mailbox;  // the mailbox's address (an agent may have several)
  std::string folder;
  std::optional<std::string> date;  // message date, "YYYY-MM-DD" (UTC)
  std::string from;
  std::string subject;
  std::string file_name;    // detach: the attachment's name; "" for whole messages
  std::string destination;  // archive/delete: the folder the message goes to; "" for detach
  std::int64_t size = 0;    // detach: attachment bytes; archive/delete: the message's size
  std::int64_t bytes = 0;   // estimated bytes freed
};

struct ReviewData {
  int campaign_id = 0;
  std::string campaign_name;
  std::string campaign_state;
  std::optional<std::string> deadline;  // ISO 8601 UTC
  bool deadline_passed = false;
  int grace_days = 30;
  int agent_id = 0;
  std::string agent_address;
  std::string agent_name;
  std::string language;            // the agent's: fr | en
  std::int64_t mailbox_bytes = 0;  // what the agent's mailboxes hold (last crawl)
  std::vector<ReviewItem> items;   // by rule (priority, then name), then largest first
  // Decisions are accepted: the campaign is notifying or collecting and the deadline has not passed.
  bool accepting = false;
};

// The agent's view of the campaign; nullopt when the campaign or the agent does not exist.
std::optional<ReviewData> load_review(pqxx::transaction_base& tx, int campaign_id, int agent_id);

struct DecisionInput {
  std::int64_t proposal_id = 0;
  std::string decision;  // approved | refused
};

struct DecisionContext {
  std::optional<std::int64_t> review_token_id;
  std::string origin = "review";  // review | admin
  std::string ip;
  std::string user_agent;
};

struct DecisionResult {
  int changed = 0;    // proposals whose decision changed (one audit row each)
  int unchanged = 0;  // already so
  int refused = 0;    // not the agent's, automatic, locked by apply, or not selected: ignored
};

// Applies `decisions` for the agent (see the rules above). Throws std::invalid_argument for a
// decision other than approved/refused.
DecisionResult record_decisions(pqxx::transaction_base& tx, int campaign_id, int agent_id,
                                const std::vector<DecisionInput>& decisions, const DecisionContext& context);

// The deadline rule (for the nightly run): once the campaign's deadline has passed, its selected
// opt-out proposals still pending become approved, each with a decision_audit row of origin
// 'deadline'; proposals apply has taken up are left alone. A no-op before the deadline or
// without one. Returns how many changed. Idempotent.
int approve_opt_out_after_deadline(pqxx::transaction_base& tx, int campaign_id);

}  // namespace mailprune::campaign
