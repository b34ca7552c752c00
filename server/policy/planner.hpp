// planner.hpp: from the inventory and a campaign's rules, the proposals that reach its target.
//
// plan_campaign() runs inside the caller's transaction (commit it to keep the plan; abort it for a
// what-if: everything it writes, temporary tables included, goes with the transaction). It is
// set-based SQL only, whatever the inventory's size:
//   1. mirrors the configuration's [[hold]] into the hold table (origin 'config');
//   2. keeps proposals already decided (approved, refused, or approved automatically) and those an
//      apply journal took up untouched, and proposes nothing again that they cover;
//   3. matches the rules in one pass per kind (policy/rule_sql.hpp): the attachments once for every
//      detach rule, the messages once for every archive/delete rule; each target row carries the
//      rule that takes it (highest priority among unprotected matches, ties to the rule listed
//      first) and the protection that keeps it out (hold, parse_error, damaged, flagged, signed,
//      encrypted, calendar, tnef, retention) under the highest-priority rule it stopped;
//   4. writes plan_skip: one row per protected target;
//   5. resolves conflicts between kinds: one action per message; an archive/delete rule takes the
//      whole message (and no attachment of it is detached) when its priority is at least that of
//      every detach rule taking one of the message's attachments;
//   6. with a target, a running sum (window function) over priority (higher first) then bytes
//      (larger first) selects proposals until the target, less the bytes of proposals already
//      approved, is reached. Proposals freeing 0 bytes (archive, unless archive_frees_space) are
//      always selected. Only the selected proposals are written (with their snapshot of the target);
//      auto rules' start 'approved'. The unselected ones are counted, by mailbox and rule, in
//      plan_unselected (what the projection needs), not written one by one. The campaign's pending
//      proposals are then replaced: a pending proposal the new plan repeats exactly (same target,
//      rule and snapshot) stays with its id, the others are deleted, and only new or changed
//      proposals are inserted;
//   7. stamps campaign.planned_at and moves a draft campaign to 'proposing'.
// Bytes: detach counts the attachment's decoded size (the server stores it base64-encoded, about
// 4/3 of that, so the real gain is larger); delete counts the message size (freed when the
// quarantine is purged); archive counts 0 unless archive_frees_space.
// Not thread-safe per transaction (one pqxx transaction, one thread); concurrent plans of one
// campaign are serialised by a row lock on the campaign.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/policy_config.hpp"
#include "policy/campaign.hpp"

namespace mailprune::policy {

struct PlanStats {
  std::int64_t matched = 0;     // rule matches, protected ones included
  std::int64_t proposals = 0;   // proposals written by this plan (new, or replacing a changed pending one)
  std::int64_t unchanged = 0;   // pending proposals the plan repeats exactly, left as they are (same id)
  std::int64_t unselected = 0;  // proposals the target left unselected (counted in plan_unselected, not written)
  std::int64_t skipped = 0;     // plan_skip rows written
  std::int64_t kept = 0;        // decided proposals kept from earlier plans
  // Wall time of each step, in order ("holds and scope", "match", "skips", "proposals", ...).
  std::vector<std::pair<std::string, double>> step_seconds;
};

// Plans `campaign` (its rules, scope and target as stored) with the configuration's protections,
// folders and holds. Throws PlanError for a campaign that cannot be planned (notifying or
// collecting: its agents have been e-mailed the pending proposals; applying or closed; no rules;
// unknown scope names) and pqxx exceptions for database failures.
PlanStats plan_campaign(pqxx::transaction_base& tx, const Campaign& campaign, const config::PolicyConfig& policy);

}  // namespace mailprune::policy
