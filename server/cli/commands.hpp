// commands.hpp: one function per command; each returns an exit code and may throw
// std::exception (reported as a runtime failure, exit 1) or UsageError (exit 2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"

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

}  // namespace mailprune::cli
