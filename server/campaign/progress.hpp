// progress.hpp: where a campaign stands against its target (`mailprune campaign show`).
//
// Counted over the campaign's selected proposals (those the plan picked; schema/002_policy.sql),
// joined to the apply journal (schema/004_journal.sql: a proposal is applied when the action that
// carries it is done, or purged for a delete), in one set-based query grouped by team, by agent
// and in total (GROUPING SETS):
//   proposed          selected proposals, and the bytes they would free (estimated);
//   approved/refused/pending   by the proposal's decision (auto rules start approved);
//   applied           proposals whose action is done or purged (not undone), freed_estimated
//                     their bytes;
//   freed_measured    what the servers measured: the sum over the campaign's apply/undo/purge
//                     runs of (bytes_before - bytes_after) per mailbox (apply_measure), nullopt
//                     when nothing was measured (servers that report no size).
// An agent is the person owning the mailbox (agent row by address; the mailbox's own name and
// team when none was imported); teams are the agents' teams ("" none).
// Plus the notifications by status and the campaign's event history. Read-only.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "campaign/campaign_store.hpp"

namespace mailprune::campaign {

struct ProgressCounts {
  std::int64_t proposed = 0, proposed_bytes = 0;
  std::int64_t approved = 0, approved_bytes = 0;
  std::int64_t refused = 0, refused_bytes = 0;
  std::int64_t pending = 0, pending_bytes = 0;
  std::int64_t applied = 0, freed_estimated = 0;
  std::optional<std::int64_t> freed_measured;
};

struct TeamProgress {
  std::string team;  // "" for mailboxes without a team
  int agents = 0;
  ProgressCounts counts;
};

struct AgentProgress {
  std::string address;  // lower-cased
  std::string display_name;
  std::string team;
  ProgressCounts counts;
};

struct NotificationCounts {
  int pending = 0, sent = 0, failed = 0, cancelled = 0;
  int agents_notified = 0;  // agents whose review e-mail (round 0) was sent
};

struct CampaignProgress {
  CampaignRow campaign;
  ProgressCounts total;
  std::vector<TeamProgress> teams;    // by team name
  std::vector<AgentProgress> agents;  // by address
  NotificationCounts notifications;
  std::vector<CampaignEvent> history;
};

// Throws CampaignError when there is no such campaign. One read-only transaction.
CampaignProgress campaign_progress(pqxx::connection& connection, const std::string& name_or_id);

// `campaign show` output: "table" (a header, totals against the target, then per team and per
// agent), "json" (one object, integers exact) or "csv" (one line per agent).
std::string render_progress(const CampaignProgress& progress, const std::string& format);

// `campaign list` output (table, json or csv).
std::string render_campaign_list(const std::vector<CampaignRow>& campaigns, const std::string& format);

}  // namespace mailprune::campaign
