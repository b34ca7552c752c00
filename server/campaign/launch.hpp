// launch.hpp: the campaign steps that drive other layers: `launch` (crawl the scope, then plan)
// and `notify` (queue one e-mail per agent, then send what is due). Each is explicit and may be run
// again (campaign_store.hpp has the state machine):
//
// launch: draft|crawling|proposing -> crawling; crawl the sources of the scope (only the
//   mailboxes of its teams / mailboxes when it names some; incremental unless `full`); a crawl
//   where no mailbox could be crawled stops here (state stays crawling, rerun launch); then
//   crawling -> proposing and policy::plan_campaign in one transaction (pending proposals are
//   replaced, decided ones kept). `crawl = false` plans on the inventory as it is.
// notify: proposing|notifying|collecting -> notifying; queue the review e-mails (one per agent
//   with selected proposals) or, with `reminder`, a new reminder round for agents with pending
//   choices; send what is due (notification_queue.hpp); when no review e-mail is left pending,
//   notifying -> collecting.
//
// Not thread-safe: one connection, one thread (the crawl opens its own connections through the
// factory).
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>

#include "campaign/campaign_store.hpp"
#include "campaign/notification_queue.hpp"
#include "config/config.hpp"
#include "inventory/crawl.hpp"
#include "policy/planner.hpp"

namespace mailprune::campaign {

struct LaunchOptions {
  bool crawl = true;
  bool full = false;  // crawl every folder again instead of incrementally
  std::chrono::milliseconds retry_backoff{1000};
};

struct LaunchDependencies {
  inventory::ConnectionFactory connections;      // for the crawl's workers
  inventory::ConnectorFactory connectors;        // inventory::make_connector, or a test's
  inventory::CrawlObserver* observer = nullptr;  // progress display; may be null
};

struct LaunchResult {
  std::vector<inventory::CrawlSummary> crawls;  // one per source crawled
  std::vector<std::string> sources_crawled;
  policy::PlanStats plan;
  std::string state;  // after the step
};

// Throws CampaignError (unknown campaign, refused state, nothing could be crawled, the plan
// refused the campaign), inventory::ScopeError for an unknown source or mailbox, pqxx errors.
LaunchResult launch_campaign(pqxx::connection& connection, const config::Config& config, const std::string& name_or_id,
                             const LaunchDependencies& dependencies, const LaunchOptions& options);

struct ScopeCrawl {
  std::vector<inventory::CrawlSummary> crawls;  // one per source crawled
  std::vector<std::string> sources;
  std::size_t mailboxes_total = 0;
  std::size_t mailboxes_done = 0;
};

// The crawl half of launch on its own, with no state change (the nightly run uses it): crawls the
// sources of the campaign's scope (incremental unless options.full), recording each source's
// summary as a "crawl" event. Per-mailbox failures are counted in the summaries, not thrown.
// Throws CampaignError when no configured [[source]] mailbox is in the scope.
ScopeCrawl crawl_campaign_scope(pqxx::connection& connection, const config::Config& config, const CampaignRow& campaign,
                                const LaunchDependencies& dependencies, const LaunchOptions& options);

struct NotifyOptions {
  bool reminder = false;  // queue a new reminder round instead of the review e-mails
  SendOptions send;
};

struct NotifyResult {
  QueueResult queued;
  int round = 0;  // 0 review e-mails; n reminder round queued (0 when nothing was queued)
  SendSummary sent;
  int still_pending = 0;  // notifications of the campaign left pending (retries, rate limit)
  std::string state;
};

NotifyResult notify_campaign(pqxx::connection& connection, const std::string& name_or_id,
                             const PrepareFunction& prepare, const SendFunction& send, const NotifyOptions& options);

}  // namespace mailprune::campaign
