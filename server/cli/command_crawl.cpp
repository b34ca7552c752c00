// crawl: inventory the mailboxes in scope, then hash what may be duplicated.
#include <fmt/format.h>

#include <mutex>

#include "cli/commands.hpp"
#include "db/database.hpp"
#include "inventory/connectors.hpp"
#include "inventory/crawl.hpp"
#include "inventory/progress.hpp"

namespace mailprune::cli {

int command_crawl(const Context& context, const CrawlArgs& args) {
  if (context.config.sources.empty()) {
    throw UsageError{"no [[source]] is configured: nothing to crawl (see docs/configuration.md)"};
  }
  db::Database database(context.config);
  database.connect_migrated();  // starts the embedded cluster and brings the schema up to date
  std::mutex database_mutex;    // Database is not thread-safe; workers open their connections through it
  inventory::ConnectionFactory connections = [&] {
    std::lock_guard lock(database_mutex);
    return database.connect();
  };

  inventory::CrawlOptions options;
  options.source = args.source;
  options.mailboxes = args.mailboxes;
  options.full = args.full;
  options.hash_all = args.hash_all;

  inventory::Crawler crawler(context.config, connections, inventory::make_connector);
  inventory::CrawlProgress progress(inventory::progress_wanted());
  inventory::CrawlSummary summary;
  try {
    summary = crawler.run(options, &progress);
  } catch (const inventory::ScopeError& e) {
    throw UsageError{e.what()};
  }
  progress.finish();
  fmt::print("{}\n", inventory::summary_line(summary));
  if (summary.mailboxes_total > 0 && summary.mailboxes_done == 0) return 1;
  return 0;
}

}  // namespace mailprune::cli
