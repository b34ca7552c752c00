// hold add | list | remove: the hold registry (legal holds, retention) that no rule may override.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <memory>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/operator_audit.hpp"
#include "db/database.hpp"
#include "policy/holds.hpp"
#include "report/report.hpp"

namespace mailprune::cli {
namespace {

constexpr const char* kHoldFooter =
    R"(A hold keeps mail out of every plan: a message is held when it matches every criterion the hold
has. Criteria: --mailbox (address glob, case-insensitive), --folder (folder glob, case-sensitive,
'/' separator, ** crosses folders), --sender (From address glob, case-insensitive, "*@domain"),
--from/--to (the message date, inclusive; YYYY-MM-DD is a whole day in UTC, or give a date-time
such as 2021-03-01T00:00:00+01:00). A message without a date is held by any hold with dates.
Plans record what a hold kept out as skips with reason hold:<ID>. Holds of the configuration
([[hold]], origin config) are mirrored here at every plan and hold command, and removed from the
configuration, not with `hold remove`.

Examples:
  mailprune hold add --mailbox dupont@example.org --reason "litigation 2024-117"
  mailprune hold add --sender "*@cour-des-comptes.fr" --reason "audit correspondence"
  mailprune hold add --folder "Marchés publics/**" --from 2019-01-01 --to 2023-12-31 --reason "retention 10 years"
  mailprune hold list --format json
  mailprune hold remove 3)";

struct HoldArgs {
  config::HoldConfig hold;
  std::string format = "table";
  int id = 0;
};

// "2021-03-01 00:00:00.000000+00" as a start or "... 23:59:59.999999+00" as an end: the day alone.
std::string shown_date(const std::string& bound) {
  if (bound.size() > 10 && (bound.substr(10) == " 00:00:00.000000+00" || bound.substr(10) == " 23:59:59.999999+00")) {
    return bound.substr(0, 10);
  }
  return bound;
}

std::unique_ptr<pqxx::connection> connect(const Context& context, db::Database& database) {
  auto connection = database.connect_migrated();
  pqxx::work tx(*connection);
  policy::sync_config_holds(tx, context.config.policy.holds);
  tx.commit();
  return connection;
}

int hold_add(const Context& context, const HoldArgs& args) {
  db::Database database(context.config);
  auto connection = connect(context, database);
  pqxx::work tx(*connection);
  int id = 0;
  try {
    id = policy::add_hold(tx, args.hold, auth::cli_user());
  } catch (const policy::HoldError& e) {
    throw UsageError{e.what()};
  }
  // Audited like the API's POST /holds, in the same transaction.
  audit_operator(tx, "hold.create", {"hold", std::to_string(id)}, {{"reason", args.hold.reason}});
  tx.commit();
  fmt::print("hold {} added\n", id);
  return kDone;
}

int hold_list(const Context& context, const HoldArgs& args) {
  db::Database database(context.config);
  auto connection = connect(context, database);
  pqxx::read_transaction tx(*connection);
  auto holds = policy::list_holds(tx);
  if (args.format == "json") {
    nlohmann::json array = nlohmann::json::array();
    auto text = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    for (const auto& h : holds) {
      array.push_back({{"id", h.id},
                       {"origin", h.origin},
                       {"mailbox", text(h.mailbox)},
                       {"folder", text(h.folder)},
                       {"sender", text(h.sender)},
                       {"date_from", text(h.date_from)},
                       {"date_to", text(h.date_to)},
                       {"reason", h.reason},
                       {"created_by", h.created_by},
                       {"created_at", h.created_at}});
    }
    fmt::print("{}\n", array.dump(2));
    return kDone;
  }
  report::Table table{{"id", "origin", "mailbox", "folder", "sender", "from", "to", "reason", "created_by"}, {}};
  for (const auto& h : holds) {
    table.rows.push_back({report::Value::of_integer(h.id), report::Value::of_text(h.origin),
                          report::Value::of_text(h.mailbox), report::Value::of_text(h.folder),
                          report::Value::of_text(h.sender), report::Value::of_text(shown_date(h.date_from)),
                          report::Value::of_text(shown_date(h.date_to)), report::Value::of_text(h.reason),
                          report::Value::of_text(h.created_by)});
  }
  fmt::print("{}", report::render_table(table, report::ReportFormat::table));
  return kDone;
}

int hold_remove(const Context& context, const HoldArgs& args) {
  db::Database database(context.config);
  auto connection = connect(context, database);
  pqxx::work tx(*connection);
  switch (policy::remove_hold(tx, args.id)) {
    case policy::RemoveHoldResult::not_found:
      throw UsageError{fmt::format("no hold {} (see `mailprune hold list`)", args.id)};
    case policy::RemoveHoldResult::from_config:
      throw UsageError{fmt::format("hold {} comes from the configuration's [[hold]] list: remove it there", args.id)};
    case policy::RemoveHoldResult::removed:
      break;
  }
  audit_operator(tx, "hold.remove", {"hold", std::to_string(args.id)}, nlohmann::json::object());
  tx.commit();
  fmt::print("hold {} removed\n", args.id);
  return kDone;
}

}  // namespace

void add_hold_command(CLI::App& app, std::function<int(const Context&)>& action) {
  auto args = std::make_shared<HoldArgs>();
  auto* hold = app.add_subcommand("hold", "legal holds and retention: mail that no rule may touch");
  hold->footer(kHoldFooter);
  hold->require_subcommand(1);

  auto* add = hold->add_subcommand("add", "add a hold (at least one criterion, and a reason)");
  add->add_option("--mailbox", args->hold.mailbox, "mailbox address glob")->type_name("GLOB");
  add->add_option("--folder", args->hold.folder, "folder glob ('/' separator, ** crosses folders)")->type_name("GLOB");
  add->add_option("--sender", args->hold.sender, "From address glob, e.g. \"*@example.org\"")->type_name("GLOB");
  add->add_option("--from", args->hold.date_from, "messages dated from this day (inclusive)")->type_name("DATE");
  add->add_option("--to", args->hold.date_to, "messages dated up to this day (inclusive)")->type_name("DATE");
  add->add_option("--reason", args->hold.reason, "why: shown with every skip it causes")->type_name("TEXT")->required();
  add->footer(kHoldFooter);
  add->callback([&action, args] { action = [args](const Context& c) { return hold_add(c, *args); }; });

  auto* list = hold->add_subcommand("list", "list every hold (CLI and configuration)");
  list->add_option("--format", args->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT");
  list->callback([&action, args] { action = [args](const Context& c) { return hold_list(c, *args); }; });

  auto* remove = hold->add_subcommand("remove", "remove a hold added with `hold add`");
  remove->add_option("id", args->id, "the hold's id (from `hold list`)")->required()->type_name("ID");
  remove->callback([&action, args] { action = [args](const Context& c) { return hold_remove(c, *args); }; });
}

}  // namespace mailprune::cli
