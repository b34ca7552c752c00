// agents (import | list) and campaign (create | list | show | launch | notify | close).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

#include "campaign/agents.hpp"
#include "campaign/campaign_store.hpp"
#include "campaign/launch.hpp"
#include "campaign/notify_email.hpp"
#include "campaign/progress.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/operator_audit.hpp"
#include "config/agents_csv.hpp"
#include "config/policy_config.hpp"
#include "db/database.hpp"
#include "inventory/connectors.hpp"
#include "inventory/progress.hpp"
#include "progress/access.hpp"
#include "report/report.hpp"
#include "security/keys.hpp"

namespace mailprune::cli {
namespace {

struct AgentsArgs {
  std::string file;
  std::string team;
  std::string format = "table";
};

struct CampaignArgs {
  std::string campaign;
  std::string format = "table";
  // create
  std::string target;
  std::vector<std::string> sources, teams, mailboxes, rules, admins;
  std::string starts, deadline, language = "fr";
  int grace_days = -1;
  // launch
  bool no_crawl = false;
  bool full = false;
  // notify
  bool reminder = false;
  std::optional<int> limit;
  // progress-page
  std::string page_mode;  // "public", "link", "off"; "" shows the current setting
};

std::string list_of(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

int agents_import(const Context& context, const AgentsArgs& args) {
  std::vector<config::ConfigError> errors;
  auto agents = config::read_agents_csv(args.file, errors);
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e.to_string();
    throw UsageError{message + "\nnothing was imported"};
  }
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  // The import and its audit row (as the API's POST /agents writes it) commit together.
  pqxx::work tx(*connection);
  campaign::AgentImportReport report;
  try {
    report = campaign::import_agents(tx, agents);
  } catch (const std::invalid_argument& e) {
    throw UsageError{fmt::format("{}: {}; nothing was imported", args.file, e.what())};
  }
  audit_operator(tx, "agents.import", {"agent", ""},
                 {{"agents", agents.size()},
                  {"added", report.added.size()},
                  {"updated", report.updated.size()},
                  {"new_teams", report.new_teams}});
  tx.commit();
  fmt::print("{} agents in {}: {} added, {} updated, {} unchanged", agents.size(), args.file, report.added.size(),
             report.updated.size(), report.unchanged.size());
  if (!report.new_teams.empty()) fmt::print("; new teams: {}", list_of(report.new_teams));
  fmt::print("; {} mailbox row(s) now follow their agent\n", report.mailboxes_updated);
  if (!report.missing.empty()) {
    fmt::print("{} agent(s) imported before are not in this file and were kept (their decisions are history):\n",
               report.missing.size());
    for (const auto& address : report.missing) fmt::print("  {}\n", address);
  }
  return kDone;
}

int agents_list(const Context& context, const AgentsArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  report::Table table;
  table.columns = {"address", "display_name", "team", "language", "origin", "mailboxes", "last_imported_at"};
  for (const auto& a : campaign::list_agents(*connection, args.team)) {
    table.rows.push_back({report::Value::of_text(a.address), report::Value::of_text(a.display_name),
                          report::Value::of_text(a.team), report::Value::of_text(a.language),
                          report::Value::of_text(a.origin), report::Value::of_integer(a.mailboxes),
                          a.last_imported_at ? report::Value::of_text(*a.last_imported_at) : report::Value::null()});
  }
  if (args.format == "table" && table.rows.empty()) {
    fmt::print("No agent yet: mailprune agents import agents.csv\n");
    return kDone;
  }
  fmt::print("{}", report::render_table(table, report::parse_format(args.format)));
  return kDone;
}

// A long step (launch, notify) is audited when the command starts it, in a transaction of its own
// (the step commits its own), as the API audits queuing its job: `action` with the step's options.
// Only when the campaign is in a state the step runs from: otherwise the step refuses it, and
// nothing was changed.
void audit_step_start(pqxx::connection& connection, const std::string& name_or_id, const std::vector<std::string>& from,
                      std::string_view action, const nlohmann::json& details) {
  pqxx::work tx(connection);
  auto row = campaign::require_campaign(tx, name_or_id);
  if (std::find(from.begin(), from.end(), row.state) == from.end()) return;
  audit_operator(tx, action, {"campaign", std::to_string(row.id)}, details);
  tx.commit();
}

int campaign_create(const Context& context, const CampaignArgs& args) {
  campaign::CampaignSpec spec;
  spec.name = args.campaign;
  if (!args.target.empty()) {
    auto size = config::parse_size(args.target);
    if (!size) throw UsageError{fmt::format("--target '{}' is not a size (e.g. 1000GB, 500GiB)", args.target)};
    spec.target_bytes = *size;
  }
  if (args.rules.empty()) {
    spec.rules = context.config.policy.rules;
  } else {
    for (const auto& name : args.rules) {
      auto found = std::find_if(context.config.policy.rules.begin(), context.config.policy.rules.end(),
                                [&](const config::Rule& r) { return r.name == name; });
      if (found == context.config.policy.rules.end()) {
        throw UsageError{fmt::format("--rule '{}': no [[rule]] with that name in the configuration", name)};
      }
      spec.rules.push_back(*found);
    }
  }
  spec.scope.sources = args.sources;
  spec.scope.teams = args.teams;
  spec.scope.mailboxes = args.mailboxes;
  spec.grace_days = args.grace_days >= 0 ? args.grace_days : context.config.policy.grace_days;
  spec.language = args.language;
  spec.starts_at = args.starts;
  spec.deadline = args.deadline;
  for (const auto& address : args.admins) {
    campaign::Admin admin;
    admin.address = address;
    admin.language = args.language;
    spec.admins.push_back(admin);
  }
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  // The campaign and its audit row (as the API's POST /campaigns writes it) commit together.
  pqxx::work tx(*connection);
  auto created = campaign::create_campaign(tx, context.config, spec);
  audit_operator(tx, "campaign.create", {"campaign", std::to_string(created.id)},
                 {{"name", created.name}, {"rules", created.rules.size()}});
  tx.commit();
  fmt::print("campaign '{}' created (id {}, draft) with {} rule(s){}; next: mailprune campaign launch '{}'\n",
             created.name, created.id, created.rules.size(),
             created.target_bytes
                 ? ", target " + inventory::human_bytes(static_cast<std::uint64_t>(*created.target_bytes))
                 : std::string(),
             created.name);
  return kDone;
}

int campaign_launch(const Context& context, const CampaignArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  std::mutex database_mutex;  // Database is not thread-safe; crawl workers open connections through it
  campaign::LaunchDependencies dependencies;
  dependencies.connections = [&] {
    std::lock_guard lock(database_mutex);
    return database.connect();
  };
  dependencies.connectors = inventory::make_connector;
  inventory::CrawlProgress progress(inventory::progress_wanted());
  dependencies.observer = &progress;
  campaign::LaunchOptions options;
  options.crawl = !args.no_crawl;
  options.full = args.full;
  audit_step_start(*connection, args.campaign, campaign::kLaunchFrom, "campaign.launch",
                   {{"crawl", options.crawl}, {"full", options.full}});
  campaign::LaunchResult result;
  try {
    result = campaign::launch_campaign(*connection, context.config, args.campaign, dependencies, options);
  } catch (const inventory::ScopeError& e) {
    throw UsageError{e.what()};
  }
  progress.finish();
  for (std::size_t i = 0; i < result.crawls.size(); ++i) {
    fmt::print("crawl {}: {}\n", result.sources_crawled[i], inventory::summary_line(result.crawls[i]));
  }
  fmt::print(
      "plan: {} proposal(s) written, {} unchanged, {} decided kept, {} kept out by protections; campaign is {}\n",
      result.plan.proposals, result.plan.unchanged, result.plan.kept, result.plan.skipped, result.state);
  fmt::print("next: mailprune campaign show '{}', then mailprune campaign notify '{}'\n", args.campaign, args.campaign);
  return kDone;
}

int campaign_notify(const Context& context, const CampaignArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  {
    pqxx::read_transaction tx(*connection);
    auto row = campaign::require_campaign(tx, args.campaign);
    if (!row.deadline) {
      throw UsageError{fmt::format(
          "campaign '{}' has no approval deadline, which the e-mails state; it is set at creation (--deadline)",
          row.name)};
    }
  }
  nlohmann::json audited = {{"reminder", args.reminder}};
  if (args.limit) audited["limit"] = *args.limit;
  audit_step_start(*connection, args.campaign, campaign::kNotifyFrom, "campaign.notify", audited);
  campaign::EmailSettings settings;
  settings.review_key = security::load_or_create_key(context.config, "review", config::Secret());
  settings.public_url = context.config.archive.public_url;
  // A second connection: the sender reads the agent's proposals between the queue's transactions.
  auto reader = database.connect();
  campaign::NotifyOptions options;
  options.reminder = args.reminder;
  options.send.rate_per_minute = context.config.smtp.rate_per_minute;
  options.send.limit = args.limit;
  auto result =
      campaign::notify_campaign(*connection, args.campaign, campaign::review_link_preparer(settings),
                                campaign::smtp_notification_sender(*reader, context.config.smtp, settings), options);
  if (args.reminder) {
    fmt::print("reminders: round {} queued for {} agent(s)\n", result.round, result.queued.queued);
  } else {
    fmt::print("review e-mails: {} queued now, {} queued before{}\n", result.queued.queued, result.queued.already,
               result.queued.agents_created
                   ? fmt::format(" ({} agent(s) taken from the inventory)", result.queued.agents_created)
                   : std::string());
  }
  fmt::print("sent {}, to retry later {}, given up {}; {} still pending; campaign is {}\n", result.sent.sent,
             result.sent.retry_later, result.sent.failed, result.still_pending, result.state);
  if (result.sent.stopped) {
    fmt::print(stderr, "mailprune: sending stopped: {}\n", result.sent.stop_reason);
    return kFailure;
  }
  return result.sent.failed > 0 ? kFailure : kDone;
}

int campaign_close(const Context& context, const CampaignArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  // The close and its audit row (as the API's POST /close writes it) commit together; closing a
  // closed campaign changes nothing and writes no row.
  pqxx::work tx(*connection);
  int id = campaign::require_campaign(tx, args.campaign).id;
  auto result = campaign::close_campaign(tx, id, "closed from the command line");
  if (result.previous_state != "closed") {
    audit_operator(
        tx, "campaign.close", {"campaign", std::to_string(id)},
        {{"previous_state", result.previous_state}, {"notifications_cancelled", result.notifications_cancelled}});
  }
  tx.commit();
  if (result.previous_state == "closed") {
    fmt::print("campaign '{}' was already closed\n", args.campaign);
  } else {
    fmt::print("campaign '{}' closed (was {}); {} pending e-mail(s) cancelled; its review links now say it is over\n",
               args.campaign, result.previous_state, result.notifications_cancelled);
  }
  return kDone;
}

// progress-page: sets (or shows) who may see the campaign's live progress page.
int campaign_progress_page(const Context& context, const CampaignArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  campaign::CampaignRow row;
  progress::PageAccess current;
  {
    pqxx::read_transaction tx(*connection);
    row = campaign::require_campaign(tx, args.campaign);
    current = progress::page_access(tx, row.id);
  }
  const std::string& base = context.config.archive.public_url;
  if (args.page_mode.empty()) {
    fmt::print("campaign '{}': progress page {}", row.name, progress::mode_name(current.mode));
    if (current.mode == progress::PageMode::public_page) {
      fmt::print(" at {}{}", base, progress::page_path(current.mode, row.name, ""));
    } else if (current.mode == progress::PageMode::link) {
      fmt::print(" (the link was shown when issued; --link issues a new one)");
    }
    fmt::print("{}\n", current.changed_at.empty() ? "" : " since " + current.changed_at);
    return kDone;
  }
  // Audited like the API's switch (campaign.progress_page, never the token), in the same transaction.
  pqxx::work tx(*connection);
  auto result = progress::set_page_access(tx, row.id, *progress::parse_mode(args.page_mode));
  audit_operator(tx, "campaign.progress_page", {"campaign", std::to_string(row.id)},
                 {{"mode", progress::mode_name(result.mode)}, {"previous", progress::mode_name(result.previous)}});
  tx.commit();
  switch (result.mode) {
    case progress::PageMode::public_page:
      fmt::print("campaign '{}': progress page public, no login:\n  {}{}\n", row.name, base,
                 progress::page_path(result.mode, row.name, ""));
      break;
    case progress::PageMode::link:
      fmt::print("campaign '{}': progress page behind this link{} (shown only now: copy it):\n  {}{}\n", row.name,
                 result.previous == progress::PageMode::link ? ", which replaces the previous one" : "", base,
                 progress::page_path(result.mode, row.name, result.token));
      break;
    case progress::PageMode::off:
      fmt::print("campaign '{}': progress page off\n", row.name);
      break;
  }
  return kDone;
}

// Runs `run`, turning the campaign layer's user errors into usage errors (exit 2).
std::function<int(const Context&)> guarded(std::function<int(const Context&, const CampaignArgs&)> run,
                                           std::shared_ptr<CampaignArgs> args) {
  return [run, args](const Context& context) {
    try {
      return run(context, *args);
    } catch (const campaign::CampaignError& e) {
      throw UsageError{e.what()};
    }
  };
}

constexpr const char* kCampaignFooter = R"(A campaign goes through explicit steps; each can be run again:
  create   draft: rules copied from the configuration's [[rule]], a scope, a target, dates
  launch   crawl the mailboxes in scope (incremental), then plan: proposals reaching the target
           (draft|crawling|proposing -> proposing)
  show     progress against the target: proposed, approved, refused, applied, freed (estimated
           and measured by the servers), per team and per agent
  notify   one e-mail per agent with a link to their review page (proposing -> notifying ->
           collecting); --reminder sends a reminder round to agents with undecided items
  close    closed: pending e-mails cancelled, review links answer "campaign over"
  progress-page   the live progress page for the intranet: off, public or behind a secret link
Agents decide on their review page (mailprune serve). Each night `mailprune nightly` carries out
what was approved (collecting -> applying -> collecting), approves opt-out items left undecided
after the deadline, purges the quarantine, sends reminders and the admins' report;
`mailprune apply --campaign` does the apply step by hand. See docs/guide-admin.md.)";

}  // namespace

void add_campaign_commands(CLI::App& app, std::function<int(const Context&)>& action) {
  // agents
  auto agents_args = std::make_shared<AgentsArgs>();
  auto* agents = app.add_subcommand("agents", "the people campaigns write to: import them from CSV, list them");
  agents->require_subcommand(1);
  auto* import =
      agents->add_subcommand("import", "import or update agents from a CSV file (address,display_name,team,language)");
  import->footer(R"(The file is UTF-8 CSV with the header address,display_name,team,language (only address is
required; language fr or en, default fr). Importing again updates names, teams and languages and
keeps every decision already recorded; agents missing from the file are kept and listed. An
imported agent's name, team and language also apply to its mailboxes on every source (they
override the crawl's mailboxes_file for that address). Nothing is written if a line is invalid.)");
  import->add_option("file", agents_args->file, "the CSV file")->required()->type_name("FILE");
  import->callback([&action, agents_args] {
    action = [agents_args](const Context& c) { return agents_import(c, *agents_args);
};
}  // namespace mailprune::cli
);
auto* list = agents->add_subcommand("list", "list the agents with their team, language and mailboxes");
list->add_option("--team", agents_args->team, "only this team's agents")->type_name("T");
list->add_option("--format", agents_args->format, "table (default), json or csv")
    ->check(CLI::IsMember({"table", "json", "csv"}))
    ->type_name("FORMAT");
list->callback([&action, agents_args] {
  action = [agents_args](const Context& c) { return agents_list(c, *agents_args); };
});

// campaign
auto args = std::make_shared<CampaignArgs>();
auto* group = app.add_subcommand("campaign", "run a clean-up campaign: create, launch, notify, follow, close");
group->footer(kCampaignFooter);
group->require_subcommand(1);
auto name_option = [&](CLI::App* command) {
  command->add_option("campaign", args->campaign, "the campaign's name (or id)")->required()->type_name("NAME");
};

auto* create = group->add_subcommand("create", "create a draft campaign from the configured rules");
name_option(create);
create->footer(R"(Dates are YYYY-MM-DD (a deadline date means the end of that day) or RFC 3339 date-times.
Scope options are repeatable and combine (a mailbox must match every kind given); none: every
mailbox. The rules are copied into the campaign: later changes of the configuration do not
change it. Example:
  mailprune campaign create printemps-2025 --target 1000GB --deadline 2025-04-11 --admin dsi@example.org)");
create->add_option("--target", args->target, "bytes to free, e.g. 1000GB")->type_name("SIZE");
create->add_option("--source", args->sources, "only this source's mailboxes (repeatable)")
    ->type_name("NAME")
    ->allow_extra_args(false);
create->add_option("--team", args->teams, "only this team's mailboxes (repeatable)")
    ->type_name("T")
    ->allow_extra_args(false);
create->add_option("--mailbox", args->mailboxes, "only this mailbox (repeatable)")
    ->type_name("ADDR")
    ->allow_extra_args(false);
create->add_option("--rule", args->rules, "only this [[rule]] (repeatable; default: every rule)")
    ->type_name("NAME")
    ->allow_extra_args(false);
create->add_option("--starts", args->starts, "start date")->type_name("DATE");
create->add_option("--deadline", args->deadline, "approval deadline (needed to notify)")->type_name("DATE");
create->add_option("--grace-days", args->grace_days, "days before quarantined mail is purged (default: [policy])")
    ->type_name("N")
    ->check(CLI::NonNegativeNumber);
create->add_option("--language", args->language, "fr (default) or en: the campaign's default language")
    ->check(CLI::IsMember({"fr", "en"}))
    ->type_name("LANG");
create->add_option("--admin", args->admins, "an admin's e-mail address for progress reports (repeatable)")
    ->type_name("ADDR")
    ->allow_extra_args(false);
create->callback([&action, args] { action = guarded(campaign_create, args); });

auto* list_campaigns = group->add_subcommand("list", "list the campaigns and their states");
list_campaigns->add_option("--format", args->format, "table (default), json or csv")
    ->check(CLI::IsMember({"table", "json", "csv"}))
    ->type_name("FORMAT");
list_campaigns->callback([&action, args] {
  action = guarded(
      [](const Context& context, const CampaignArgs& a) {
        db::Database database(context.config);
        auto connection = database.connect_migrated();
        fmt::print("{}", campaign::render_campaign_list(campaign::list_campaigns(*connection), a.format));
        return int(kDone);
      },
      args);
});

auto* show = group->add_subcommand("show", "progress against the target, per team and per agent");
name_option(show);
show->add_option("--format", args->format, "table (default), json or csv (one line per agent)")
    ->check(CLI::IsMember({"table", "json", "csv"}))
    ->type_name("FORMAT");
show->callback([&action, args] {
  action = guarded(
      [](const Context& context, const CampaignArgs& a) {
        db::Database database(context.config);
        auto connection = database.connect_migrated();
        fmt::print("{}", campaign::render_progress(campaign::campaign_progress(*connection, a.campaign), a.format));
        return int(kDone);
      },
      args);
});

auto* launch = group->add_subcommand("launch", "crawl the campaign's mailboxes, then plan its proposals");
name_option(launch);
launch->footer(R"(Runs in draft, crawling or proposing state; run it again after an interrupted crawl or to plan
again (pending proposals are replaced, decided ones kept). Refused once agents have been notified.)");
launch->add_flag("--no-crawl", args->no_crawl, "plan on the inventory as it is");
launch->add_flag("--full", args->full, "crawl every folder again instead of incrementally");
launch->callback([&action, args] { action = guarded(campaign_launch, args); });

auto* notify = group->add_subcommand("notify", "e-mail each agent a link to their review page");
name_option(notify);
notify->footer(R"(One e-mail per agent and campaign, in the agent's language, through [smtp] at most
rate_per_minute per minute. A failure for one agent is retried by a later run (after 5 min,
10 min, ...; given up after 5 attempts) and does not stop the others. Run it again to send what
is due; an agent is never e-mailed twice for the same round. Links point at [archive] public_url.
Exit 1 when some e-mail was given up or sending stopped (server unreachable, authentication).)");
notify->add_flag("--reminder", args->reminder, "send a new reminder round to agents with undecided items");
notify->add_option("--limit", args->limit, "send at most N e-mails this run")->type_name("N");
notify->callback([&action, args] { action = guarded(campaign_notify, args); });

auto* close = group->add_subcommand("close", "close the campaign: no more decisions, pending e-mails cancelled");
name_option(close);
close->callback([&action, args] { action = guarded(campaign_close, args); });

auto* page = group->add_subcommand("progress-page", "who may see the campaign's live progress page");
name_option(page);
page->footer(R"(The live progress page (mailprune serve, /progress/...) shows the campaign's progress towards its
target, a leaderboard of teams, bytes freed over time and the breakdown by action and file type,
updated live; never an agent's name or address, nor a subject: team names only (docs/http.md).
  --public  anyone who reaches the server, no login: <public_url>/progress/<campaign name>
  --link    only who has the link: a new random token each time (the previous link stops
            working); it is stored hashed, so it is printed only now
  --off     no page: 404 (the default)
Without an option, shows the current setting. URLs start with [archive] public_url. Changes
reach running servers within [progress] refresh_seconds. Framing in an intranet page:
[progress] frame_ancestors.)");
auto* modes = page->add_option_group("mode", "at most one of");
modes->add_flag_callback(
    "--public", [args] { args->page_mode = "public"; }, "public page, no login");
modes->add_flag_callback(
    "--link", [args] { args->page_mode = "link"; }, "a new shareable link (revokes the previous one)");
modes->add_flag_callback(
    "--off", [args] { args->page_mode = "off"; }, "no page (404)");
modes->require_option(0, 1);
page->callback([&action, args] { action = guarded(campaign_progress_page, args); });
}

}  // namespace mailprune::cli
