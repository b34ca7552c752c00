// commands.hpp: one function per command; each returns an exit code and may throw
// std::exception (reported as a runtime failure, exit 1) or UsageError (exit 2).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"

namespace CLI {
class App;
}

namespace mailprune::cli {

int command_version(const Context& context);
int command_config_check(const Context& context);
int command_db_migrate(const Context& context);
int command_db_status(const Context& context);

struct CrawlArgs {
  std::string source;                  // --source
  std::vector<std::string> mailboxes;  // --mailbox (repeatable)
  bool full = false;                   // --full
  bool hash_all = false;               // --hash-all
};
// Exit 0 when the run completed (per-item and per-mailbox errors are recorded and counted in the
// summary line), 1 when no mailbox could be crawled, 2 for an unknown source or mailbox.
int command_crawl(const Context& context, const CrawlArgs& args);

struct ReportArgs {
  std::string kind = "summary";  // summary | mailboxes | folders | attachments | duplicates
  std::string format = "table";  // table | json | csv
  std::optional<std::size_t> top;
  std::string team;
  std::string mailbox;
};
int command_report(const Context& context, const ReportArgs& args);

// `plan` and `hold` (add | list | remove) register their own subcommands, options and help on
// `app`; the one chosen on the command line stores its runner into `action` (which must outlive
// the parse). Exit 2 for usage problems (no rules configured, bad sizes or dates, unknown scope
// names, a hold from the configuration given to `hold remove`).
void add_plan_command(CLI::App& app, std::function<int(const Context&)>& action);
void add_hold_command(CLI::App& app, std::function<int(const Context&)>& action);

// `apply`, `undo` and `purge` (server/apply): exit 0 when every action taken up ended done or
// skipped, 1 when some failed or a mailbox could not be reached, 2 for an unknown campaign,
// mailbox or action.
void add_apply_commands(CLI::App& app, std::function<int(const Context&)>& action);

// `agents import|list` and `campaign create|list|show|launch|notify|close` (server/campaign): exit 2
// for an unknown campaign, a step refused in the campaign's state, bad dates, sizes or scope names,
// an invalid agents file; notify exits 1 when an e-mail was given up or sending stopped.
void add_campaign_commands(CLI::App& app, std::function<int(const Context&)>& action);

// `serve` (server/http): runs until SIGTERM/SIGINT, then exits 0; 1 when the database or a
// listen address cannot be used, 2 for a bad --listen or unreadable TLS files.
void add_serve_command(CLI::App& app, std::function<int(const Context&)>& action);

// `admin add|passwd|remove|disable|enable|list|audit` and `admin token create|list|revoke`
// (server/auth): exit 2 for an unknown login or token, an existing login, an invalid login, role
// or name, a password that is too short or given twice differently, or no way to read one.
void add_admin_commands(CLI::App& app, std::function<int(const Context&)>& action);

// `nightly [--campaign C]... [--dry-run]` (server/nightly): exit 0 when every step was ok or
// skipped (campaigns held by another run included), 1 when some step failed, 2 for an unknown
// campaign.
void add_nightly_command(CLI::App& app, std::function<int(const Context&)>& action);

}  // namespace mailprune::cli
