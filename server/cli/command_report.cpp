// report: what the inventory says.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "db/database.hpp"
#include "report/report.hpp"

namespace mailprune::cli {

int command_report(const Context& context, const ReportArgs& args) {
  report::ReportFilter filter{args.team, args.mailbox, args.top};
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  try {
    fmt::print("{}", report::run_report(*connection, report::parse_kind(args.kind), report::parse_format(args.format),
                                        filter));
  } catch (const report::ReportFilterError& e) {
    throw UsageError{e.what()};
  }
  return 0;
}

}  // namespace mailprune::cli
