// rule_json.hpp: rules as JSON, for campaign.rules (a campaign snapshots the configured rules
// when it is created, so a later change of configuration does not change a running campaign).
//
// The JSON keys are those of [[rule]] in the configuration; sizes are written as integers (bytes),
// ages as strings ("18m"), unset conditions are left out. Reading converts the JSON to a TOML
// table and validates it with the configuration's own reader, so a campaign's rules obey exactly
// the configuration's rules and errors name the rule and key ("rule[1].action").
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/policy_config.hpp"

namespace mailprune::policy {

nlohmann::json rule_to_json(const config::Rule& rule);
nlohmann::json rules_to_json(const std::vector<config::Rule>& rules);

// Throws config::ConfigException (every problem, `display_name` in place of the file name).
std::vector<config::Rule> rules_from_json(const nlohmann::json& rules, const std::string& display_name);

}  // namespace mailprune::policy
