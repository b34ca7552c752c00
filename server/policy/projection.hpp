// projection.hpp: what a campaign's plan comes to: proposals and bytes by team, mailbox and rule,
// what protections kept out (by reason), and the target reached or missed by how much.
//
// Read from the campaign's proposal, plan_unselected (the proposals its target left unselected,
// counted by mailbox and rule: pending, not selected) and plan_skip rows (so it shows decided
// proposals kept from earlier plans too), with aggregate SQL over them. "Planned" means selected and not refused:
// what apply would carry out once approved. The target is reached when planned bytes >= target;
// otherwise shortfall_bytes says by how much (every proposal is then selected: all of them
// together fall short).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/campaign.hpp"
#include "policy/planner.hpp"

namespace mailprune::policy {

struct Totals {
  std::int64_t count = 0;          // proposals
  std::int64_t bytes = 0;          // their bytes
  std::int64_t planned_count = 0;  // selected and not refused
  std::int64_t planned_bytes = 0;
};

struct ProjectionLine {
  std::string name;    // team (empty: no team), mailbox address, or rule name
  std::string detail;  // mailbox: its team; rule: its action
  int priority = 0;    // rule lines
  Totals totals;
};

struct SkipLine {
  std::string reason;  // hold:<id>, flagged, signed, encrypted, calendar, tnef, retention, damaged, parse_error
  std::int64_t count = 0;
  std::int64_t bytes = 0;
};

struct Projection {
  std::string campaign;
  std::string state;
  bool what_if = false;
  std::optional<std::int64_t> target_bytes;
  Totals total;
  std::int64_t approved = 0, refused = 0, pending = 0;  // proposals by decision
  std::vector<ProjectionLine> by_rule, by_team, by_mailbox;
  std::vector<SkipLine> skipped;
  bool reached = true;               // no target: true
  std::int64_t shortfall_bytes = 0;  // target - planned bytes when not reached
};

Projection query_projection(pqxx::transaction_base& tx, const Campaign& campaign);

enum class ProjectionFormat { table, json };

// Table: a headline (target reached or short by N), then by rule, by team, the 20 largest
// mailboxes (JSON lists all), and the skips by reason. JSON: one object (exact integers), with the
// plan's statistics when `stats` is given. Both end with a newline.
std::string render_projection(const Projection& projection, const PlanStats* stats, ProjectionFormat format);

}  // namespace mailprune::policy
