// campaign.hpp: the campaign rows the planner works for (schema/002_policy.sql).
//
// A campaign is created with a snapshot of the configured rules (campaign.rules, JSON), a scope
// (names of sources, teams and mailboxes; empty lists mean all) and an optional volume target.
// Functions run inside the caller's transaction and never commit.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/policy_config.hpp"

namespace mailprune::policy {

struct CampaignScope {
  std::vector<std::string> sources;    // source names
  std::vector<std::string> teams;      // team names
  std::vector<std::string> mailboxes;  // addresses (case-insensitive)
  bool everything() const { return sources.empty() && teams.empty() && mailboxes.empty(); }
};

struct Campaign {
  int id = 0;
  std::string name;
  std::optional<std::int64_t> target_bytes;
  std::vector<config::Rule> rules;  // campaign.rules, validated
  CampaignScope scope;
  std::string state;  // draft | crawling | proposing | ... | closed
  int grace_days = 30;
};

// A campaign that cannot be planned as asked (unknown scope names, a closed campaign, invalid
// stored rules): the user's to fix, not a failure of mailprune.
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The campaign named `name`, or nullopt. Throws PlanError when its stored rules are invalid.
std::optional<Campaign> find_campaign(pqxx::transaction_base& tx, const std::string& name);

// Creates a draft campaign with these rules (snapshotted as JSON), scope, target and grace period.
Campaign create_campaign(pqxx::transaction_base& tx, const std::string& name, const std::vector<config::Rule>& rules,
                         const CampaignScope& scope, std::optional<std::int64_t> target_bytes, int grace_days);

// Sets campaign.target_bytes (nullopt clears it).
void set_campaign_target(pqxx::transaction_base& tx, int campaign_id, std::optional<std::int64_t> target_bytes);

// The ids of the mailboxes in scope, as a PostgreSQL array literal ("{1,2,3}"). Throws PlanError
// naming every source, team or mailbox of the scope that the inventory does not know.
std::string scope_mailbox_ids(pqxx::transaction_base& tx, const CampaignScope& scope);

}  // namespace mailprune::policy
