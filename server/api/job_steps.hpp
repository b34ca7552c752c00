// job_steps.hpp: the production executors of the API's background jobs (job_runner.hpp), one per
// kind, doing what the CLI commands do:
//   launch  campaign::launch_campaign (crawl the scope, then plan); params crawl, full
//   notify  campaign::notify_campaign with the review links and SMTP of the configuration; params
//           reminder, limit
//   apply   apply::run in apply mode; params dry_run, limit, retry_failed, mailboxes
//   undo    apply::run in undo mode; params mailbox or action
//   retry   one failed action put back to the step it had reached (as apply --retry-failed does,
//           for that action only), then apply::run for it; params action
// Each opens its own db::Database from `config` (the runner's thread owns it); results are the
// steps' summaries as JSON; progress counts mailboxes (launch) or actions (apply, undo, retry).
#pragma once

#include <map>
#include <string>

#include "api/job_runner.hpp"
#include "config/config.hpp"

namespace mailprune::api {

// `config` must outlive the executors.
std::map<std::string, JobExecutor> production_executors(const config::Config& config);

}  // namespace mailprune::api
