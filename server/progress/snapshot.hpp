// snapshot.hpp: what a campaign's live progress page shows, computed in one go.
//
// A ProgressSnapshot holds aggregates only: totals, team names with their figures, a timeline of
// bytes freed, the breakdown by action and by file type. Never an agent's name or address, a
// mailbox, a subject or a file name: the page is public or behind a shareable link (access.hpp).
//
// compute_snapshot() reads campaign::campaign_progress (totals and teams) and runs three
// set-based queries of its own over proposal and action (schema/002, 004):
//   timeline   actions done or purged (not undone), by their done_at, summed per time bucket
//              (buckets of at least a minute, at most ~500 of them over the campaign) and made
//              cumulative: the bytes freed (estimated from the proposals) as the apply went;
//   by action  detach / archive / delete: selected proposals, approved and applied bytes;
//   by type    the same by file type family of the proposal's content type ("pdf", "images",
//              "documents", "spreadsheets", "presentations", "archives", "media",
//              "attached_messages", "other"; "messages" for whole messages archived or deleted).
//
// snapshot_json() is the page's JSON snapshot (language-neutral, integers exact); its FNV-1a hash,
// snapshot_version(), changes exactly when what the page shows changes (the computation time is
// not part of it), which is what live updates compare.
//
// Threads: compute_snapshot() uses the caller's connection; the rest are pure functions.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailprune::progress {

struct TeamStanding {
  std::string team;  // "" for mailboxes without a team
  int agents = 0;
  std::int64_t proposed_bytes = 0;
  std::int64_t approved_bytes = 0;
  std::int64_t freed_bytes = 0;  // estimated from the applied proposals
  std::optional<std::int64_t> freed_measured;
  std::int64_t proposed = 0, decided = 0;  // proposals, and those approved or refused
};

struct TimelinePoint {
  std::int64_t at = 0;           // Unix seconds: the start of the bucket
  std::int64_t freed_bytes = 0;  // cumulative up to the end of the bucket
};

struct Breakdown {
  std::string key;  // "detach" | "archive" | "delete", or a file type family (see above)
  std::int64_t proposals = 0;
  std::int64_t proposed_bytes = 0;
  std::int64_t approved_bytes = 0;
  std::int64_t freed_bytes = 0;
};

struct ProgressSnapshot {
  int campaign_id = 0;
  std::string campaign;  // its name
  std::string state;     // draft, crawling, ..., applying, closed
  std::optional<std::int64_t> target_bytes;
  std::optional<std::string> deadline;  // ISO 8601 UTC
  std::int64_t proposed = 0, approved = 0, refused = 0, pending = 0, applied = 0;
  std::int64_t proposed_bytes = 0, approved_bytes = 0, pending_bytes = 0, refused_bytes = 0;
  std::int64_t freed_estimated = 0;
  std::optional<std::int64_t> freed_measured;  // nullopt: the servers measured nothing
  int agents = 0;
  std::vector<TeamStanding> teams;  // the leaderboard: most freed first, then most approved, then name
  std::vector<TimelinePoint> timeline;
  std::vector<Breakdown> by_action;  // detach, archive, delete (those with proposals)
  std::vector<Breakdown> by_type;    // most proposed bytes first
  std::string computed_at;           // ISO 8601 UTC (not part of the version)

  // What the headline shows as freed: measured when the servers measured something, else the
  // estimate.
  std::int64_t freed() const { return freed_measured.value_or(freed_estimated); }
};

// Throws campaign::CampaignError for an unknown campaign id.
ProgressSnapshot compute_snapshot(pqxx::connection& connection, int campaign_id);

std::string snapshot_json(const ProgressSnapshot& snapshot);
// 16 hex digits; equal for snapshots that differ only in computed_at.
std::string snapshot_version(const ProgressSnapshot& snapshot);

}  // namespace mailprune::progress
