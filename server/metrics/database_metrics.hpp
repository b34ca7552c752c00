// database_metrics.hpp: metrics read from the database at scrape time: the inventory, crawl runs,
// open campaigns' proposals, actions and notification queue.
//
// Families (all gauges unless said; "source" and "campaign" labels are names):
//   mailprune_mailboxes{source}                     mailboxes known
//   mailprune_mailboxes_crawled{source}             of which crawled at least once
//   mailprune_inventory_folders{source}             totals of the last complete crawls, from the
//   mailprune_inventory_messages{source}            denormalised mailbox rows (a read of the
//   mailprune_inventory_message_bytes{source}       small `mailbox` table, never of message or
//   mailprune_inventory_attachments{source}         attachment)
//   mailprune_inventory_attachment_bytes{source}
//   mailprune_crawl_messages_total{source}          counters over finished crawl runs (one row
//   mailprune_crawl_received_bytes_total{source}    per run: cheap); rate() of them is the crawl
//   mailprune_crawl_hashed_bytes_total{source}      rate
//   mailprune_crawl_errors_total{source}
//   mailprune_crawl_runs_running{source}
//   mailprune_crawl_last_success_timestamp_seconds{source}
//   mailprune_campaign_target_bytes{campaign}       campaigns not closed only (below too)
//   mailprune_campaign_info{campaign,state}         1
//   mailprune_proposals{campaign,decision}          selected proposals (within the target)
//   mailprune_proposal_bytes{campaign,decision}     their estimated bytes
//   mailprune_actions{campaign,kind,step}           the apply journal (table `action`), when present
//   mailprune_action_bytes{campaign,kind,step}      estimated bytes of those actions
//   mailprune_apply_runs_running
//   mailprune_notifications{campaign,status}        the e-mail queue (table `notification`), when present
// Proposals and actions are counted per open campaign with a GROUP BY over that campaign's rows
// (millions for a large campaign): that is why database_collector() caches the result.
//
// Threads: collect_database_metrics() uses the caller's transaction (one thread). The collector is
// thread-safe: concurrent scrapes wait for one query round and share its result.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <functional>
#include <vector>

#include "metrics/registry.hpp"

namespace mailprune::metrics {

// Runs the queries above in `tx` (read-only is enough). Throws pqxx errors.
std::vector<FamilySnapshot> collect_database_metrics(pqxx::transaction_base& tx);

// Calls `work` with a connection that only the calling thread uses meanwhile (as `serve` lends
// them); must be thread-safe.
using WithConnection = std::function<void(const std::function<void(pqxx::connection&)>& work)>;

struct DatabaseCollectorOptions {
  WithConnection with_connection;
  // A result is reused for this long: scrapes closer together than this do not query again.
  std::chrono::milliseconds cache_for{std::chrono::seconds(15)};
};

// A Registry collector (registry.hpp) with the families above, plus
//   mailprune_database_metrics_up                1 when the last query round worked, else 0
//   mailprune_database_metrics_duration_seconds  how long it took
// When the database fails, only these two are given (a scrape never fails because of it).
Collector database_collector(DatabaseCollectorOptions options);

}  // namespace mailprune::metrics
