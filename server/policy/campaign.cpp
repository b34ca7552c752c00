#include "policy/campaign.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "config/loader.hpp"
#include "policy/rule_json.hpp"
#include "policy/sql_text.hpp"

namespace mailprune::policy {
namespace {

nlohmann::json scope_to_json(const CampaignScope& scope) {
  nlohmann::json out = nlohmann::json::object();
  out["sources"] = scope.sources;
  out["teams"] = scope.teams;
  out["mailboxes"] = scope.mailboxes;
  return out;
}

CampaignScope scope_from_json(const nlohmann::json& json) {
  CampaignScope scope;
  auto list = [&](const char* key, std::vector<std::string>& out) {
    if (!json.is_object() || !json.contains(key)) return;
    const auto& value = json.at(key);
    if (!value.is_array()) throw PlanError(fmt::format("campaign scope: \"{}\" must be an array of names", key));
    for (const auto& item : value) {
      if (!item.is_string()) throw PlanError(fmt::format("campaign scope: \"{}\" must hold names (strings)", key));
      out.push_back(item.get<std::string>());
    }
  };
  list("sources", scope.sources);
  list("teams", scope.teams);
  list("mailboxes", scope.mailboxes);
  return scope;
}

// A nullable bigint parameter (libpqxx 6 has no std::optional parameters): nullptr is NULL.
struct NullableInteger {
  explicit NullableInteger(std::optional<std::int64_t> value) : text(value ? std::to_string(*value) : "") {
    if (value) pointer = text.c_str();
  }
  NullableInteger(const NullableInteger&) = delete;
  NullableInteger& operator=(const NullableInteger&) = delete;
  std::string text;
  const char* pointer = nullptr;
};

}  // namespace

std::optional<Campaign> find_campaign(pqxx::transaction_base& tx, const std::string& name) {
  auto rows = tx.exec_params(
      "SELECT id, name, target_bytes, rules::text, scope::text, state, grace_days FROM campaign WHERE name = $1", name);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  Campaign campaign;
  campaign.id = r[0].as<int>();
  campaign.name = r[1].as<std::string>();
  if (!r[2].is_null()) campaign.target_bytes = r[2].as<std::int64_t>();
  try {
    campaign.rules = rules_from_json(nlohmann::json::parse(r[3].as<std::string>()), "campaign '" + name + "' rules");
  } catch (const config::ConfigException& e) {
    throw PlanError(fmt::format("the rules stored with campaign '{}' are not valid:\n{}", name, e.what()));
  }
  campaign.scope = scope_from_json(nlohmann::json::parse(r[4].as<std::string>()));
  campaign.state = r[5].as<std::string>();
  campaign.grace_days = r[6].as<int>();
  return campaign;
}

Campaign create_campaign(pqxx::transaction_base& tx, const std::string& name, const std::vector<config::Rule>& rules,
                         const CampaignScope& scope, std::optional<std::int64_t> target_bytes, int grace_days) {
  NullableInteger target(target_bytes);
  auto row = tx.exec_params1(
      "INSERT INTO campaign (name, target_bytes, rules, scope, grace_days) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)"
      " RETURNING id, state",
      name, target.pointer, rules_to_json(rules).dump(), scope_to_json(scope).dump(), grace_days);
  Campaign campaign;
  campaign.id = row[0].as<int>();
  campaign.name = name;
  campaign.target_bytes = target_bytes;
  campaign.rules = rules;
  campaign.scope = scope;
  campaign.state = row[1].as<std::string>();
  campaign.grace_days = grace_days;
  return campaign;
}

void set_campaign_target(pqxx::transaction_base& tx, int campaign_id, std::optional<std::int64_t> target_bytes) {
  NullableInteger target(target_bytes);
  tx.exec_params0("UPDATE campaign SET target_bytes = $2::bigint WHERE id = $1", campaign_id, target.pointer);
}

std::string scope_mailbox_ids(pqxx::transaction_base& tx, const CampaignScope& scope) {
  std::string sources = pg_text_array(scope.sources);
  std::string teams = pg_text_array(scope.teams);
  std::string mailboxes = pg_text_array(scope.mailboxes);
  auto unknown = tx.exec_params1(
      "SELECT (SELECT string_agg(n, ', ') FROM unnest($1::text[]) n WHERE n NOT IN (SELECT name FROM source)),"
      " (SELECT string_agg(n, ', ') FROM unnest($2::text[]) n WHERE n NOT IN (SELECT name FROM team)),"
      " (SELECT string_agg(n, ', ') FROM unnest($3::text[]) n"
      "   WHERE lower(n) NOT IN (SELECT lower(address) FROM mailbox))",
      sources, teams, mailboxes);
  std::string problems;
  const char* what[] = {"source", "team", "mailbox"};
  for (int i = 0; i < 3; ++i) {
    if (!unknown[i].is_null()) {
      problems += fmt::format("{}no {} named {} in the inventory", problems.empty() ? "" : "; ", what[i],
                              unknown[i].as<std::string>());
    }
  }
  if (!problems.empty()) throw PlanError("campaign scope: " + problems);
  return tx
      .exec_params1(
          "SELECT coalesce(array_agg(mb.id ORDER BY mb.id), '{}')::text FROM mailbox mb"
          " JOIN source s ON s.id = mb.source_id LEFT JOIN team t ON t.id = mb.team_id"
          " WHERE (cardinality($1::text[]) = 0 OR s.name = ANY($1::text[]))"
          " AND (cardinality($2::text[]) = 0 OR t.name = ANY($2::text[]))"
          " AND (cardinality($3::text[]) = 0 OR lower(mb.address) IN (SELECT lower(n) FROM unnest($3::text[]) n))",
          sources, teams, mailboxes)[0]
      .as<std::string>();
}

}  // namespace mailprune::policy
