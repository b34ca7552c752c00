// crawl.hpp: a crawl run over the configured sources and mailboxes in scope.
//
// For every source in scope: its source/team/mailbox rows are synced from the configuration and a
// crawl_run is started; then all sources are crawled at once, each with `max_connections` worker
// threads, a worker taking one mailbox at a time: it opens its own MailboxSession (Connector::open)
// and its own PostgreSQL connection, lists the folders and crawls each into one MailboxCrawl
// transaction (inventory_store.hpp). Incremental by default (each folder gets the state stored by
// the last complete crawl); `full` passes nullopt so every folder is rescanned.
//
// Failures: a retriable ConnectorError (connection, protocol) fails the attempt (its transaction is
// rolled back) and the mailbox is tried again on a fresh session, at most `max_attempts` times,
// waiting retry_backoff, 2x, 4x, ... between attempts. A non-retriable one (authentication,
// not_found, refused), the last failed attempt, or a database error is recorded in crawl_error and
// the run goes on with the other mailboxes. A folder that vanished (not_found from crawl_folder)
// is recorded and dropped, the mailbox goes on. Item errors reported by the connector are recorded
// after the mailbox's transaction ends, committed or not.
//
// Then duplicate hashing (duplicate_hashing.hpp) over the sources in scope (all their configured
// mailboxes, not only those given with `mailboxes`: duplicates are found across the whole source),
// and the crawl_run rows are finished with their totals.
//
// Threads: run() blocks; observer callbacks come from worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "interface/connector.hpp"
#include "inventory/duplicate_hashing.hpp"
#include "inventory/worker_pool.hpp"

namespace mailprune::inventory {

// Makes the connector of a source (main: inventory/connectors.hpp make_connector; tests: a fake).
// May throw: the source is then recorded as failed and the run goes on with the others.
using ConnectorFactory = std::function<std::unique_ptr<connector::Connector>(const config::SourceConfig&)>;

struct CrawlOptions {
  std::string source;                  // "" every source
  std::vector<std::string> mailboxes;  // empty: every mailbox of the sources in scope
  bool full = false;                   // rescan every folder
  bool hash_all = false;               // hash every attachment (audit), see HashingOptions
  int max_attempts = 3;                // per mailbox, counting the first
  std::chrono::milliseconds retry_backoff{1000};
  HashingOptions hashing;  // hash_all above overrides hashing.hash_all
};

struct CrawlSummary {
  std::size_t mailboxes_total = 0;
  std::size_t mailboxes_done = 0;  // committed
  std::size_t mailboxes_failed = 0;
  std::uint64_t folders = 0;         // crawled this run
  std::uint64_t messages = 0;        // message records received this run
  std::uint64_t message_bytes = 0;   // their sizes
  std::uint64_t attachments = 0;     // attachment records received this run
  std::uint64_t bytes_received = 0;  // all connector traffic from servers (crawl and hashing)
  std::uint64_t round_trips = 0;     // crawl sessions' waits for the server (not hashing, not logins)
  std::uint64_t bytes_hashed = 0;    // attachment content fetched for hashing (TrafficStats)
  HashingStats hashing;
  std::uint64_t duplicate_groups = 0;  // in scope, after hashing
  std::uint64_t errors = 0;            // recorded in crawl_error
  std::chrono::milliseconds elapsed{0};
};

// Receives progress; every method may be called from any worker thread.
class CrawlObserver {
 public:
  virtual ~CrawlObserver() = default;
  virtual void crawl_started(std::size_t /*mailboxes*/) {}
  virtual void message_staged(std::uint64_t /*bytes*/) {}
  virtual void mailbox_finished(bool /*committed*/) {}
  virtual void hashing(std::uint64_t /*reads*/, std::uint64_t /*bytes*/) {}
};

// An unknown --source or --mailbox (a usage error: exit code 2).
class ScopeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Crawler {
 public:
  Crawler(const config::Config& config, ConnectionFactory connections, ConnectorFactory connectors);

  // Throws ScopeError before touching anything when the scope names an unknown source or
  // mailbox, or database errors from the bookkeeping; everything else is recorded and counted.
  CrawlSummary run(const CrawlOptions& options, CrawlObserver* observer = nullptr);

 private:
  config::Config config_;
  ConnectionFactory connections_;
  ConnectorFactory connectors_;
};

}  // namespace mailprune::inventory
