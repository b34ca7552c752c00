#include "cli/cli.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "db/embedded_postgres.hpp"
#include "db/migrations.hpp"
#include "log/logging.hpp"

namespace mailprune::cli {
namespace {

constexpr const char* kFooter = R"(Exit codes:
  0  done
  1  runtime failure (a server unreachable, a database error, ...)
  2  usage or configuration error

Configuration is read from --config, $MAILPRUNE_CONFIG, ./mailprune.toml,
/etc/mailprune/mailprune.toml, in that order; without any, built-in defaults apply
(an embedded PostgreSQL under the data directory). See docs/configuration.md.)";

config::LogFormat parse_format(const std::string& text) {
  if (text == "text") return config::LogFormat::text;
  if (text == "json") return config::LogFormat::json;
  return config::LogFormat::automatic;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"mailprune: find where the gigabytes of mailboxes are, and clean them up safely.", "mailprune"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the command: `mailprune db migrate --log-level debug`
  app.set_version_flag("--version", "mailprune " MAILPRUNE_VERSION);

  Context context;
  app.add_option("-c,--config", context.options.config_path, "configuration file (TOML)")->type_name("FILE");
  app.add_option("--log-level", context.options.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->type_name("LEVEL");
  app.add_option("--log-format", context.options.log_format,
                 "auto (text on a terminal, JSON lines otherwise), text or json")
      ->check(CLI::IsMember({"auto", "text", "json"}))
      ->type_name("FORMAT");

  std::function<int(const Context&)> action;

  auto* version = app.add_subcommand("version", "print the version and the schema version this binary carries");
  version->callback([&] { action = command_version; });

  auto* config_group = app.add_subcommand("config", "configuration tools");
  config_group->require_subcommand(1);
  config_group->add_subcommand("check", "validate the configuration and print it in effect, secrets masked")
      ->callback([&] { action = command_config_check; });

  auto* db = app.add_subcommand("db", "database schema");
  db->require_subcommand(1);
  db->add_subcommand("migrate", "create or upgrade the database schema (idempotent)")->callback([&] {
    action = command_db_migrate;
  });
  db->add_subcommand("status", "list the schema migrations and whether each is applied")->callback([&] {
    action = command_db_status;
  });

  CrawlArgs crawl_args;
  auto* crawl = app.add_subcommand(
      "crawl",
      "inventory the configured mailboxes (folders, messages, attachments) into the database, then find\n"
      "duplicate attachments downloading as few bytes as possible");
  crawl->footer(R"(By default the crawl is incremental: each folder is brought up to date from what the last
complete crawl stored (a folder whose UIDVALIDITY changed is rescanned). Each mailbox is written
as one transaction: an interrupted crawl leaves its previous complete inventory.
Duplicates: attachments are grouped by decoded size over every mailbox of the sources crawled;
one alone in its size is never downloaded, size collisions get a 64 KiB prefix hashed, and only
prefix collisions are downloaded in full. Hashes are kept for the next runs.
Exit codes: 0 the run completed (mailboxes or messages that failed are recorded and counted in
the summary line), 1 no mailbox could be crawled, 2 unknown source or mailbox.)");
  crawl->add_option("--source", crawl_args.source, "crawl only this [[source]] (by name)")->type_name("NAME");
  crawl->add_option("--mailbox", crawl_args.mailboxes, "crawl only this mailbox (repeatable)")
      ->type_name("ADDR")
      ->allow_extra_args(false);
  crawl->add_flag("--full", crawl_args.full, "rescan every folder instead of an incremental crawl");
  crawl->add_flag("--hash-all", crawl_args.hash_all,
                  "hash every attachment in full, not only possible duplicates (audits; downloads everything)");
  crawl->callback([&] { action = [&](const Context& c) { return command_crawl(c, crawl_args); }; });

  ReportArgs report_args;
  auto* report = app.add_subcommand("report", "what the inventory says: sizes, folders, attachments, duplicates");
  report->footer(R"(Kinds:
  summary      mailboxes, folders, messages, message_bytes, attachments, attachment_bytes,
               duplicate_groups, duplicate_attachments, reclaimable_bytes
  mailboxes    one line per mailbox, largest attachment bytes first
  folders      one line per folder, largest first
  attachments  one line per attachment, largest first (top 100 unless --top; --top 0: all)
  duplicates   groups of identical attachments (same SHA-256), largest reclaimable bytes first
               (top 100 unless --top; --top 0: all), with every copy
--team and --mailbox restrict the mailboxes counted, also for duplicates (copies elsewhere are
then not counted). JSON integers are exact; tables show sizes as "12.3 MB"; CSV has raw integers.)");
  report->add_option("kind", report_args.kind, "summary, mailboxes, folders, attachments or duplicates")
      ->check(CLI::IsMember({"summary", "mailboxes", "folders", "attachments", "duplicates"}))
      ->required();
  report->add_option("--format", report_args.format, "table (default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->type_name("FORMAT");
  report->add_option("--top", report_args.top, "at most N lines (groups for duplicates); 0: all")->type_name("N");
  report->add_option("--team", report_args.team, "only the mailboxes of this team")->type_name("T");
  report->add_option("--mailbox", report_args.mailbox, "only this mailbox")->type_name("A");
  report->callback([&] { action = [&](const Context& c) { return command_report(c, report_args); }; });

  add_plan_command(app, action);
  add_hold_command(app, action);
  add_apply_commands(app, action);
  add_serve_command(app, action);
  add_campaign_commands(app, action);
  add_admin_commands(app, action);
  add_nightly_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kDone : kUsage;
  }

  // Logging first with what the command line says, so configuration problems are reported too.
  try {
    log::setup_logging(context.options.log_level.empty() ? "info" : context.options.log_level,
                       parse_format(context.options.log_format));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mailprune: %s\n", e.what());
    return kUsage;
  }

  try {
    std::string path = config::locate_config_file(context.options.config_path);
    context.config = config::load_config(path);
  } catch (const config::ConfigException& e) {
    for (const auto& error : e.errors()) std::fprintf(stderr, "mailprune: %s\n", error.to_string().c_str());
    std::fprintf(stderr, "mailprune: configuration error%s; see docs/configuration.md\n",
                 e.errors().size() > 1 ? "s" : "");
    return kUsage;
  }
  log::setup_logging(
      context.options.log_level.empty() ? context.config.log.level : context.options.log_level,
      context.options.log_format.empty() ? context.config.log.format : parse_format(context.options.log_format));

  try {
    return action(context);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mailprune: %s\n", e.message.c_str());
    return kUsage;
  } catch (const db::PostgresNotInstalled& e) {
    spdlog::error("{}", e.what());
    return kFailure;
  } catch (const db::SchemaTooNew& e) {
    spdlog::error("{}", e.what());
    return kFailure;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kFailure;
  }
}

}  // namespace mailprune::cli
