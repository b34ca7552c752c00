// apply, undo, purge: carry out a campaign's approved proposals, take them back, purge the quarantine.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "apply/engine.hpp"
#include "apply/progress.hpp"
#include "apply/wiring.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/operator_audit.hpp"
#include "db/database.hpp"
#include "inventory/progress.hpp"

namespace mailprune::cli {
namespace {

constexpr const char* kApplyFooter =
    R"(Every approved and selected proposal of the campaign not yet taken up becomes an action in the
journal (one per message: a message's attachments to detach go together), then each action is
carried out step by step, every step committed before the next call to the mail server:
  detach   each attachment is streamed into the archive store and its SHA-256 checked (stored),
           the message rebuilt with a notice and a signed link in its place is uploaded and
           checked (uploaded, verified), then the original is removed (original_removed, done);
  archive  the message is moved to the rule's archive_folder ([policy] archive_folder; {year}
           and {month} from the message date);
  delete   the message is moved to [policy] quarantine_folder; `mailprune purge` removes it for
           good once the campaign's grace period is over.
A message someone changed since the crawl (flags, a new version) is skipped ('changed'), never
overwritten. Killed at any moment, apply resumes where the journal says on the next run and does
nothing twice. Two apply runs at once never work on the same action.
The summary gives the bytes freed as estimated by the plan and as measured by the mail server
(quota or folder sizes) before and after, per mailbox ("not measured" when the server says nothing).

Examples:
  mailprune apply --campaign cleanup-2026 --dry-run     # what would be done; writes nothing
  mailprune apply --campaign cleanup-2026 --limit 100   # a first batch
  mailprune apply --campaign cleanup-2026               # the rest (and anything interrupted)

Exit codes: 0 every action taken up is done or skipped, 1 some failed or a mailbox could not be
reached (the summary and the journal say which; rerun to resume, --retry-failed to take failed
actions up again), 2 unknown campaign or mailbox. See docs/apply.md.)";

constexpr const char* kUndoFooter =
    R"(Undo takes back what apply did, while the campaign's grace period lasts (grace_days after each
action was done) and, for deleted messages, as long as they were not purged:
  detach   the attachments are put back from the archive store (content checked against its
           SHA-256) with their original MIME headers: decoded bytes identical to before;
  archive / delete   the message is moved back to its original folder.
A message changed since it was detached or moved is left as it is (counted as skipped).
Every undo is journaled (step 'undone', and undo:* steps in the history).

Examples:
  mailprune undo --action 1234
  mailprune undo --campaign cleanup-2026 --mailbox alice@example.org
  mailprune undo --campaign cleanup-2026

Exit codes: 0 done (refusals are counted in the summary), 1 some undo failed or a mailbox could
not be reached, 2 unknown campaign, mailbox or action.)";

constexpr const char* kPurgeFooter =
    R"(Messages that apply moved to the quarantine folder ('delete' rules) are removed for good once
their grace period is over (purge_after in the journal). A quarantined message that someone changed
(flagged it, say) is left for a person to decide. Journaled: step 'purged'.
Exit codes: 0 done, 1 some purge failed or a mailbox could not be reached, 2 unknown campaign.)";

struct ApplyArgs {
  std::string campaign;
  bool dry_run = false;
  std::optional<std::size_t> limit;
  std::vector<std::string> mailboxes;
  bool retry_failed = false;
  std::optional<std::int64_t> action;
};

void print_dry_run(const apply::RunSummary& summary) {
  std::string mailbox;
  for (const auto& line : summary.planned) {
    if (line.mailbox != mailbox) {
      mailbox = line.mailbox;
      fmt::print("{}\n", mailbox);
    }
    fmt::print("  {}{}\n", line.text,
               line.bytes ? fmt::format(" ({})", inventory::human_bytes(line.bytes)) : std::string());
  }
}

// One audit row when apply, undo or purge starts changing things (RunOptions::on_start: after the
// engine's own checks, never for a dry run), with its options, as the API's apply and undo jobs
// are audited when queued (campaign.apply, campaign.undo; purge has no API: campaign.purge). In a
// transaction of its own: the engine commits step by step.
void audit_run_start(pqxx::connection& connection, const apply::RunOptions& options, int campaign_id) {
  nlohmann::json details = nlohmann::json::object();
  const char* action = "campaign.purge";
  if (options.mode == apply::Mode::apply) {
    action = "campaign.apply";
    details = {{"dry_run", false}, {"retry_failed", options.retry_failed}, {"mailboxes", options.mailboxes}};
    if (options.limit) details["limit"] = *options.limit;
  } else if (options.mode == apply::Mode::undo) {
    action = "campaign.undo";
    if (options.action) details["action"] = *options.action;
    if (options.mailboxes.size() == 1) details["mailbox"] = options.mailboxes.front();
    if (options.mailboxes.size() > 1) details["mailboxes"] = options.mailboxes;
  }
  audit_operator(connection, action, {"campaign", std::to_string(campaign_id)}, details);
}

int run_engine(const Context& context, apply::RunOptions options) {
  if (context.config.sources.empty() && !options.dry_run) {
    throw UsageError{"no [[source]] is configured: no mailbox to act on (see docs/configuration.md)"};
  }
  db::Database database(context.config);
  database.connect_migrated();
  options.on_start = [&options](pqxx::connection& connection, int campaign_id) {
    audit_run_start(connection, options, campaign_id);
  };
  apply::EngineWiring wiring(context.config, database, options.dry_run);
  const apply::EngineContext& engine = wiring.context();

  apply::RunProgress progress(inventory::progress_wanted() && !options.dry_run, options.mode);
  apply::RunSummary summary;
  try {
    summary = apply::run(engine, options, &progress);
  } catch (const apply::RunUsageError& e) {
    throw UsageError{e.what()};
  }
  progress.finish();
  if (options.dry_run) print_dry_run(summary);
  for (const auto& error : summary.errors) std::fprintf(stderr, "mailprune: %s\n", error.c_str());
  fmt::print("{}\n", apply::summary_line(summary));
  return summary.failed > 0 || summary.mailboxes_failed > 0 ? kFailure : kDone;
}

}  // namespace

void add_apply_commands(CLI::App& app, std::function<int(const Context&)>& action) {
  auto args = std::make_shared<ApplyArgs>();

  auto* apply = app.add_subcommand("apply", "carry out a campaign's approved proposals, journaled step by step");
  apply->footer(kApplyFooter);
  apply->add_option("--campaign", args->campaign, "the campaign (by name)")->type_name("C")->required();
  apply->add_flag("--dry-run", args->dry_run, "print what would be done; write nothing, contact no mail server");
  apply->add_option("--limit", args->limit, "take up at most N actions in this run")->type_name("N");
  apply->add_option("--mailbox", args->mailboxes, "only this mailbox (repeatable)")
      ->type_name("A")
      ->allow_extra_args(false);
  apply->add_flag("--retry-failed", args->retry_failed, "take failed actions up again, from the step each had reached");
  apply->callback([&action, args] {
    action = [args](const Context& context) {
      apply::RunOptions options;
      options.mode = apply::Mode::apply;
      options.campaign = args->campaign;
      options.dry_run = args->dry_run;
      options.limit = args->limit;
      options.mailboxes = args->mailboxes;
      options.retry_failed = args->retry_failed;
      return run_engine(context, options);
    };
  });

  auto* undo = app.add_subcommand("undo", "take back what apply did (while the grace period lasts)");
  undo->footer(kUndoFooter);
  auto* undo_action =
      undo->add_option("--action", args->action, "only this action (its id in the journal)")->type_name("ID");
  auto* undo_campaign = undo->add_option("--campaign", args->campaign, "every action of this campaign")->type_name("C");
  undo->add_option("--mailbox", args->mailboxes, "with --campaign: only this mailbox (repeatable)")
      ->type_name("A")
      ->allow_extra_args(false)
      ->needs(undo_campaign);
  undo_action->excludes(undo_campaign);
  undo->callback([&action, args, undo_action, undo_campaign] {
    action = [args, undo_action, undo_campaign](const Context& context) {
      if (undo_action->count() == 0 && undo_campaign->count() == 0) {
        throw UsageError{"undo: say what to take back: --action ID or --campaign C [--mailbox A]"};
      }
      apply::RunOptions options;
      options.mode = apply::Mode::undo;
      options.campaign = args->campaign;
      options.action = args->action;
      options.mailboxes = args->mailboxes;
      return run_engine(context, options);
    };
  });

  auto* purge = app.add_subcommand("purge", "remove for good quarantined messages whose grace period is over");
  purge->footer(kPurgeFooter);
  purge->add_option("--campaign", args->campaign, "only this campaign (default: every campaign)")->type_name("C");
  purge->callback([&action, args] {
    action = [args](const Context& context) -> int {
      std::vector<std::string> campaigns;
      if (!args->campaign.empty()) {
        campaigns.push_back(args->campaign);
      } else {
        db::Database database(context.config);
        auto connection = database.connect_migrated();
        campaigns = apply::campaigns_with(*connection, apply::Selection::purgeable);
        if (campaigns.empty()) {
          fmt::print("purge: nothing is past its grace period\n");
          return kDone;
        }
      }
      int code = kDone;
      for (const auto& campaign : campaigns) {
        apply::RunOptions options;
        options.mode = apply::Mode::purge;
        options.campaign = campaign;
        code = std::max(code, run_engine(context, options));
      }
      return code;
    };
  });
}

}  // namespace mailprune::cli
