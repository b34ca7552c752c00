// nightly: what runs every night for each campaign being decided (server/nightly/nightly.hpp).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "db/database.hpp"
#include "nightly/nightly.hpp"

namespace mailprune::cli {
namespace {

constexpr const char* kNightlyFooter =
    R"(For each campaign being decided (notifying, collecting or applying; or only the --campaign
ones), in this order, each step's failure reported while the run goes on:
  crawl     incremental crawl of the campaign's scope
  deadline  after the approval deadline, opt-out proposals nobody refused become approved
  apply     approved proposals carried out, journaled (collecting -> applying -> collecting)
  purge     quarantined messages past their grace period removed for good
  notify    one reminder round once the deadline is [nightly] reminder_days_before days away
            (once per campaign), and e-mails due for a retry
  report    the progress e-mail to the campaign's admins (once a day)
Two runs at once are safe: each campaign is locked (PostgreSQL advisory lock) and a second run
skips the campaigns the first is working on (exit 0). Killed at any moment (kill -9 included), a
rerun completes the work and does nothing twice. Each run and step is recorded (nightly_run,
nightly_step). Run it from the systemd timer config/systemd/mailprune-nightly.timer, or let
`mailprune serve` run it ([nightly] schedule). See docs/guide-admin.md, "Nightly run".

Examples:
  mailprune nightly --dry-run                 # what each step would do; writes nothing
  mailprune nightly --campaign printemps-2026

Exit codes: 0 every step ok or skipped (a campaign held by another run included), 1 some step
failed (see the lines above the summary, and nightly_step) or the database cannot be used,
2 unknown campaign or usage error.)";

struct NightlyArgs {
  std::vector<std::string> campaigns;
  bool dry_run = false;
};

int command_nightly(const Context& context, const NightlyArgs& args) {
  db::Database database(context.config);
  nightly::NightlyOptions options;
  options.campaigns = args.campaigns;
  options.dry_run = args.dry_run;
  nightly::NightlyReport report;
  try {
    report = nightly::run_nightly(context.config, database, options);
  } catch (const nightly::NightlyUsageError& e) {
    throw UsageError{e.what()};
  }
  for (const auto& step : report.steps) {
    fmt::print("{}: {} {}{}{}\n", step.campaign, step.step, step.outcome, step.detail.empty() ? "" : ": ", step.detail);
  }
  if (report.steps.empty()) fmt::print("no campaign is being decided (notifying, collecting or applying)\n");
  fmt::print("{}\n", nightly::summary_line(report));
  return report.failed > 0 ? kFailure : kDone;
}

}  // namespace

void add_nightly_command(CLI::App& app, std::function<int(const Context&)>& action) {
  auto args = std::make_shared<NightlyArgs>();
  auto* nightly = app.add_subcommand(
      "nightly", "the nightly run: crawl, deadline, apply, purge, reminders and admins' report, per campaign");
  nightly->footer(kNightlyFooter);
  nightly
      ->add_option("--campaign", args->campaigns, "only this campaign (repeatable; default: every one being decided)")
      ->type_name("C")
      ->allow_extra_args(false);
  nightly->add_flag("--dry-run", args->dry_run, "say what each step would do; write nothing, contact no server");
  nightly->callback([&action, args] { action = [args](const Context& c) { return command_nightly(c, *args); }; });
}

}  // namespace mailprune::cli
