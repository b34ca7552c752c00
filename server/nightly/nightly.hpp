// nightly.hpp: `mailprune nightly`, what runs every night for each campaign being decided (issue 6
// item 7), also run by `serve` on the [nightly] schedule.
//
// Campaigns: every campaign in state notifying, collecting or applying (agents have been written
// to), or only those named. Draft, crawling and proposing campaigns are the admin's to launch and
// notify; closed ones are over: a named campaign in those states is reported skipped.
//
// For each campaign, in this order, each step's failure recorded and reported, the run going on
// with the next step and the next campaign:
//   crawl     incremental crawl of the campaign's scope (campaign/launch.hpp crawl_campaign_scope);
//             failed when some mailbox could not be crawled. Skipped without [[source]].
//   deadline  once the approval deadline has passed, opt-out proposals still pending become
//             approved (campaign/review_store.hpp approve_opt_out_after_deadline), one transaction.
//   apply     when approved proposals wait or actions are unfinished: collecting|applying ->
//             applying, apply (apply/engine.hpp, journaled), then applying -> collecting, even when
//             apply failed (a killed run leaves the campaign applying; the next run takes it up and
//             brings it back). While applying, review pages show the campaign as being applied.
//             A campaign still notifying (review e-mails being retried) is not applied yet.
//   purge     quarantined messages past their grace period removed for good (apply/engine.hpp).
//   notify    notifying|collecting only: one reminder round (campaign/launch.hpp notify_campaign)
//             once the deadline is [nightly] reminder_days_before days away or less and not passed,
//             unless a reminder was queued within that window already (so once per campaign); else
//             the e-mails due for a retry are sent.
//   report    the progress e-mail to the campaign's admins (campaign_admin), each in their
//             language, at most once per campaign and day (a step 'report' ok today: skipped).
//
// Safety: a campaign is worked on under a PostgreSQL session advisory lock (pg_try_advisory_lock):
// a second run at the same time skips it (step 'lock', skipped; that is not a failure), and the
// lock dies with the connection, kill -9 included. Killed at any point, a rerun completes the work:
// decisions and approvals are single transactions, apply and purge are journaled, the e-mail queue
// never sends a notification twice (a reminder round is queued once); only an admin report sent
// just before the kill may be sent again.
//
// Record (schema/009_nightly.sql): a nightly_run row per run and a nightly_step row per campaign and
// step; a run killed stays 'running' until the next run finds its lock free and marks it
// 'interrupted'. A dry run writes nothing, takes no lock and contacts no server: it says what each
// step would do.
//
// Threads: run_nightly() blocks; it opens its own connections through `database`, which it uses
// from its own thread only (crawl and apply workers go through a serialised factory). Progress
// goes to the log (spdlog, info) as the steps end.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "db/database.hpp"

namespace mailprune::nightly {

// The campaign lock: pg_try_advisory_lock(kCampaignLockClass, campaign id), a session lock held by
// the run working on the campaign ("nght").
constexpr int kCampaignLockClass = 0x6e676874;

struct NightlyOptions {
  std::vector<std::string> campaigns;  // names (or ids); empty: every campaign being decided
  bool dry_run = false;
  std::string origin = "command";  // command | serve (nightly_run.origin)
};

struct StepResult {
  std::string campaign;
  std::string step;     // lock | crawl | deadline | apply | purge | notify | report
  std::string outcome;  // ok | failed | skipped
  std::string detail;
};

struct NightlyReport {
  std::int64_t run_id = 0;  // nightly_run.id; 0 for a dry run
  int campaigns = 0;        // campaigns worked on (locked and stepped through)
  int failed = 0;           // steps failed
  int locked_out = 0;       // campaigns skipped because another run held them
  std::vector<StepResult> steps;
};

// A --campaign that does not exist (exit 2); thrown before anything is done.
class NightlyUsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs the night. Throws NightlyUsageError, or database errors of the bookkeeping (the database
// unreachable); everything about a step is recorded in the report instead.
NightlyReport run_nightly(const config::Config& config, db::Database& database, const NightlyOptions& options);

// "nightly: 2 campaign(s), 11 step(s) ok, 1 failed, 3 skipped" (+ "; 1 campaign(s) held by another run").
std::string summary_line(const NightlyReport& report);

}  // namespace mailprune::nightly
