// plan: turn a campaign's rules into proposals that reach its target, and print the projection.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "db/database.hpp"
#include "policy/planner.hpp"
#include "policy/projection.hpp"
#include "policy/rule_json.hpp"

namespace mailprune::cli {
namespace {

constexpr const char* kPlanFooter =
    R"(The campaign is created when it does not exist yet: a draft whose rules are a snapshot of the
configuration's [[rule]] blocks (later changes of the configuration do not change it), with the
scope given by --source/--team/--mailbox (none: every mailbox) and the target of --target.
Planning replaces the campaign's undecided proposals; proposals already approved or refused are
kept as they are. Protections ([policy] protect_*, [[hold]] and `mailprune hold`) are applied at
every plan, and what they keep out is counted by reason.
With a target, proposals are chosen least disruptive first (higher rule priority first, then the
largest bytes per item) until the target is reached; the projection says how far short all
proposals together fall otherwise. Bytes: detach counts the attachment's decoded size, delete the
message size (freed once the quarantine is purged), archive 0 (a folder of the same mailbox
frees nothing, unless [policy] archive_frees_space). See docs/policy.md.

Examples:
  mailprune plan --campaign cleanup-2026 --target 1000GB --what-if   # try, write nothing
  mailprune plan --campaign cleanup-2026 --target 1000GB              # create and plan
  mailprune plan --campaign cleanup-2026 --format json                # re-plan, as JSON
  mailprune plan --campaign pilot --team finance --target 50GiB --what-if

Sizes: an integer count of bytes, or a number with a unit: kB, MB, GB, TB (powers of 1000) or
KiB, MiB, GiB, TiB (powers of 1024), e.g. 1000GB, 1.5TB, 500 MiB.
Exit codes: 0 planned (target reached or not: see the projection), 1 runtime failure, 2 usage
error (no rules configured, a bad size, unknown scope names, a campaign being applied or closed).)";

struct PlanArgs {
  std::string campaign;
  std::string target;
  bool what_if = false;
  std::string format = "table";
  std::vector<std::string> sources, teams, mailboxes;
};

int command_plan(const Context& context, const PlanArgs& args) {
  std::optional<std::int64_t> target;
  if (!args.target.empty()) {
    target = config::parse_size(args.target);
    if (!target || *target <= 0) {
      throw UsageError{fmt::format("--target \"{}\" is not a size (e.g. 1000GB, 1.5TB, 500MiB)", args.target)};
    }
  }
  const config::PolicyConfig& policy = context.config.policy;
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  pqxx::work tx(*connection);

  auto campaign = policy::find_campaign(tx, args.campaign);
  bool created = false;
  if (!campaign) {
    if (policy.rules.empty()) {
      throw UsageError{fmt::format(
          "campaign '{}' does not exist and no [[rule]] is configured to create it with.\n"
          "hint: add rules to the configuration ({}), e.g.\n"
          "  [[rule]]\n  name = \"large-attachments\"\n  action = \"detach\"\n  min_attachment_size = \"10MB\"\n"
          "  older_than = \"1y\"\nthen check them with `mailprune config check` (see docs/policy.md)",
          args.campaign, context.config.source_path.empty() ? "no file is in use" : context.config.source_path)};
    }
    policy::CampaignScope scope;
    scope.sources = args.sources;
    scope.teams = args.teams;
    scope.mailboxes = args.mailboxes;
    campaign = policy::create_campaign(tx, args.campaign, policy.rules, scope, target, policy.grace_days);
    created = true;
  } else {
    if (!args.sources.empty() || !args.teams.empty() || !args.mailboxes.empty()) {
      throw UsageError{
          fmt::format("campaign '{}' exists: its scope was fixed when it was created (drop --source/--team/--mailbox)",
                      args.campaign)};
    }
    if (target) {
      policy::set_campaign_target(tx, campaign->id, target);
      campaign->target_bytes = target;
    }
    if (!policy.rules.empty() && policy::rules_to_json(policy.rules) != policy::rules_to_json(campaign->rules)) {
      std::fprintf(stderr,
                   "note: campaign '%s' keeps the rules it was created with; the configured rules differ "
                   "(a new campaign takes them)\n",
                   args.campaign.c_str());
    }
  }

  policy::PlanStats stats = policy::plan_campaign(tx, *campaign, policy);
  policy::Projection projection = policy::query_projection(tx, *campaign);
  projection.what_if = args.what_if;
  if (args.what_if) {
    tx.abort();
  } else {
    tx.commit();
  }
  spdlog::info("plan of campaign '{}': {} rule matches, {} proposals, {} skipped, {} decided kept", args.campaign,
               stats.matched, stats.proposals, stats.skipped, stats.kept);
  if (created && !args.what_if) std::fprintf(stderr, "campaign '%s' created\n", args.campaign.c_str());
  fmt::print("{}", policy::render_projection(
                       projection, &stats,
                       args.format == "json" ? policy::ProjectionFormat::json : policy::ProjectionFormat::table));
  return kDone;
}

}  // namespace

void add_plan_command(CLI::App& app, std::function<int(const Context&)>& action) {
  auto args = std::make_shared<PlanArgs>();
  auto* plan = app.add_subcommand(
      "plan", "turn a campaign's rules into proposals that reach a volume target, and print the projection");
  plan->footer(kPlanFooter);
  plan->add_option("--campaign", args->campaign, "the campaign (created if it does not exist)")
      ->type_name("NAME")
      ->required();
  plan->add_option("--target", args->target, "bytes to free, e.g. 1000GB (kept with the campaign)")->type_name("SIZE");
  plan->add_flag("--what-if", args->what_if, "compute the projection and write nothing (not even a new campaign)");
  plan->add_option("--format", args->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT");
  plan->add_option("--source", args->sources, "new campaign: only this source's mailboxes (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  plan->add_option("--team", args->teams, "new campaign: only this team's mailboxes (repeatable)")
      ->type_name("T")
      ->allow_extra_args(false);
  plan->add_option("--mailbox", args->mailboxes, "new campaign: only this mailbox (repeatable)")
      ->type_name("ADDR")
      ->allow_extra_args(false);
  plan->callback([&action, args] {
    action = [args](const Context& context) {
      try {
        return command_plan(context, *args);
      } catch (const policy::PlanError& e) {
        throw UsageError{e.what()};
      }
    };
  });
}

}  // namespace mailprune::cli
