// [policy], [[rule]] and [[hold]]: units, ages, globs, validation errors with file, line and key,
// and rules through JSON (what a campaign stores) and back.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "policy/glob.hpp"
#include "policy/rule_json.hpp"

namespace mailprune::test {
namespace {

using config::ConfigError;
using config::ConfigException;
using config::parse_config;

std::vector<ConfigError> errors_of(const std::string& toml) {
  try {
    parse_config(toml, "policy.toml");
  } catch (const ConfigException& e) {
    return e.errors();
  }
  return {};
}

TEST(PolicyConfig, SizesCountDecimalAndBinaryUnits) {
  EXPECT_EQ(config::parse_size("5MB"), 5000000);
  EXPECT_EQ(config::parse_size("5 MiB"), 5242880);
  EXPECT_EQ(config::parse_size("5mib"), 5242880);
  EXPECT_EQ(config::parse_size("1.5GB"), 1500000000);
  EXPECT_EQ(config::parse_size("1000GB"), 1000000000000);
  EXPECT_EQ(config::parse_size("2 TiB"), 2199023255552);
  EXPECT_EQ(config::parse_size("12345"), 12345);
  EXPECT_EQ(config::parse_size("10 kB"), 10000);
  EXPECT_EQ(config::parse_size("1.5"), std::nullopt) << "no fraction of a byte";
  EXPECT_EQ(config::parse_size("5 MBs"), std::nullopt);
  EXPECT_EQ(config::parse_size("-5MB"), std::nullopt);
  EXPECT_EQ(config::parse_size("99999999999 TB"), std::nullopt) << "beyond int64";
  EXPECT_EQ(config::parse_size(""), std::nullopt);
}

TEST(PolicyConfig, Ages) {
  EXPECT_EQ(config::parse_age("2y")->to_sql_interval(), "2 years");
  EXPECT_EQ(config::parse_age("18m")->to_sql_interval(), "18 months");
  EXPECT_EQ(config::parse_age("90 days")->to_string(), "90d");
  EXPECT_EQ(config::parse_age("6W")->to_sql_interval(), "6 weeks");
  EXPECT_EQ(config::parse_age("2"), std::nullopt);
  EXPECT_EQ(config::parse_age("2h"), std::nullopt);
}

TEST(PolicyConfig, GlobsBecomeAnchoredEscapedRegexes) {
  using policy::GlobKind;
  EXPECT_EQ(policy::glob_to_regex("*.pdf", GlobKind::text), "^(?:.*\\.pdf)$");
  EXPECT_EQ(policy::glob_to_regex("image/*", GlobKind::text), "^(?:image\\/.*)$");
  EXPECT_EQ(policy::glob_to_regex("a?(b)[c]$^|+", GlobKind::text), "^(?:a.\\(b\\)\\[c\\]\\$\\^\\|\\+)$");
  EXPECT_EQ(policy::glob_to_regex("Projets/*", GlobKind::folder), "^(?:Projets\\/[^/]*)$");
  EXPECT_EQ(policy::glob_to_regex("Projets/**", GlobKind::folder), "^(?:Projets(?:/.*)?)$");
  EXPECT_EQ(policy::glob_to_regex("a/**/b", GlobKind::folder), "^(?:a\\/.*\\/b)$");
  EXPECT_EQ(policy::glob_to_regex("inbox/Réunions", GlobKind::folder), "^(?:[Ii][Nn][Bb][Oo][Xx]\\/Réunions)$");
  EXPECT_EQ(policy::globs_to_regex({"*.pdf", "*.doc"}, GlobKind::text), "^(?:.*\\.pdf|.*\\.doc)$");
  EXPECT_EQ(policy::globs_to_regex({}, GlobKind::text), "");
}

TEST(PolicyConfig, DefaultsAndAFullRule) {
  auto config = parse_config(R"(
[policy]
grace_days = 45
[[rule]]
name = "large-old"
action = "detach"
approval = "opt-out"
priority = 3
min_attachment_size = "5 MiB"
max_attachment_size = 1000000000
content_types = ["application/*"]
file_names = ["*.pdf"]
duplicates_only = true
inline = false
min_message_size = "6MB"
older_than = "18m"
newer_than = "10y"
folders = ["INBOX/**"]
exclude_folders = ["INBOX/Keep"]
senders = ["*@example.org"]
seen = true
min_retention_years = 1
[[hold]]
mailbox = "dupont@example.org"
date_from = 2020-01-01
date_to = 2020-12-31T18:00:00+01:00
reason = "case 17"
)",
                             "policy.toml");
  const auto& policy = config.policy;
  EXPECT_EQ(policy.grace_days, 45);
  EXPECT_EQ(policy.quarantine_folder, "mailprune/Quarantine");
  EXPECT_EQ(policy.archive_folder, "Archives/{year}");
  EXPECT_TRUE(policy.protect_flagged && policy.protect_signed && policy.protect_encrypted && policy.protect_calendar &&
              policy.protect_tnef);
  ASSERT_EQ(policy.rules.size(), 1u);
  const auto& rule = policy.rules[0];
  EXPECT_EQ(rule.approval, config::Approval::opt_out);
  EXPECT_EQ(rule.min_attachment_size, 5242880);
  EXPECT_EQ(rule.min_message_size, 6000000);
  EXPECT_EQ(rule.older_than->to_string(), "18m");
  EXPECT_EQ(rule.is_inline, false);
  ASSERT_EQ(policy.holds.size(), 1u);
  EXPECT_EQ(policy.holds[0].date_from, "2020-01-01");
  EXPECT_EQ(policy.holds[0].date_to, "2020-12-31T18:00:00+01:00");

  // A campaign's snapshot: the same rule back from JSON, and the same JSON again.
  auto json = policy::rules_to_json(policy.rules);
  EXPECT_EQ(json[0]["min_attachment_size"], 5242880);
  EXPECT_EQ(json[0]["older_than"], "18m");
  auto back = policy::rules_from_json(json, "campaign");
  EXPECT_EQ(policy::rules_to_json(back), json);
  EXPECT_NE(config::render_effective_config(config).find("min_attachment_size = 5242880"), std::string::npos);

  // An omitted approval is opt-in, an omitted priority 0.
  auto minimal = parse_config("[[rule]]\nname = \"m\"\naction = \"delete\"\nolder_than = \"3y\"\n", "m.toml");
  EXPECT_EQ(minimal.policy.rules[0].approval, config::Approval::opt_in);
  EXPECT_EQ(minimal.policy.rules[0].priority, 0);
}

TEST(PolicyConfig, ErrorsNameFileLineAndKey) {
  auto errors = errors_of(R"(
[[rule]]
name = "a"
action = "delete"
min_attachment_size = "5MB"
older_than = "2y"

[[rule]]
name = "a"
action = "detach"
min_attachment_size = "5 parsecs"

[[rule]]
name = "c"
action = "shred"
older_than = "soon"
archive_folder = "X"

[[rule]]
name = "d"
action = "archive"
seen = true
archive_folder = "Archives/{day}"
min_attachment_size = 10
max_attachment_size = 5

[[rule]]
name = "e"
action = "detach"

[[hold]]
folder = "Legal/**"
date_from = "yesterday"
)");
  std::vector<std::string> lines;
  for (const auto& e : errors) lines.push_back(e.to_string());
  auto has = [&](const std::string& text) {
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("policy.toml:5: key 'rule[0].min_attachment_size': is an attachment condition")) << lines.size();
  EXPECT_TRUE(has("policy.toml:9: key 'rule[1].name': another [[rule]] is already named \"a\""));
  EXPECT_TRUE(has("policy.toml:11: key 'rule[1].min_attachment_size': \"5 parsecs\" is not a size"));
  EXPECT_TRUE(has("policy.toml:15: key 'rule[2].action': \"shred\" is not one of"));
  EXPECT_TRUE(has("policy.toml:16: key 'rule[2].older_than': \"soon\" is not an age"));
  EXPECT_TRUE(has("policy.toml:17: key 'rule[2].archive_folder': only archive rules"));
  EXPECT_TRUE(has("policy.toml:23: key 'rule[3].archive_folder': has an unknown placeholder"));
  EXPECT_TRUE(has("policy.toml:24: key 'rule[3].min_attachment_size': is an attachment condition"));
  EXPECT_TRUE(has("policy.toml:28: key 'rule[4].name': rule \"e\" has no condition"));
  EXPECT_TRUE(has("policy.toml:33: key 'hold[0].date_from': \"yesterday\" is not a date"));
  EXPECT_TRUE(has("key 'hold[0].reason': is required"));
  for (const auto& line : lines) EXPECT_EQ(line.rfind("policy.toml:", 0), 0u) << line;

  auto json_errors = [] {
    try {
      policy::rules_from_json(nlohmann::json::parse(R"([{"name": "x", "action": "delete", "file_names": ["*.pdf"]}])"),
                              "campaign 'c' rules");
    } catch (const ConfigException& e) {
      return e.errors();
    }
    return std::vector<ConfigError>{};
  }();
  ASSERT_EQ(json_errors.size(), 1u);
  EXPECT_EQ(json_errors[0].key, "rule[0].file_names");
  EXPECT_EQ(json_errors[0].file, "campaign 'c' rules");
}

TEST(PolicyConfig, PolicyKeysAreChecked) {
  auto errors = errors_of("[policy]\ngrace_days = -1\nquarantine_folder = \"/Trash/\"\nprotect_flaged = false\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].key, "policy.grace_days");
  EXPECT_EQ(errors[1].key, "policy.quarantine_folder");
  EXPECT_EQ(errors[2].key, "policy.protect_flaged");
  EXPECT_NE(errors[2].message.find("did you mean 'policy.protect_flagged'"), std::string::npos);
}

}  // namespace
}  // namespace mailprune::test
