#include "inventory/crawl.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

#include "inventory/crawl_records.hpp"
#include "inventory/inventory_store.hpp"

namespace mailprune::inventory {
namespace {

using connector::ConnectorError;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// One source in scope, while the run goes on.
struct SourceRun {
  const config::SourceConfig* config = nullptr;
  std::unique_ptr<connector::Connector> connector;
  SourceRows rows;
  std::vector<MailboxEntry> to_crawl;  // rows.mailboxes filtered by --mailbox
  std::int64_t run_id = 0;
  RunTotals totals;
  std::string failure;  // the connector could not be made
};

// Records errors on the worker's connection; a broken connection is replaced once.
void record(Worker& worker, std::int64_t run_id, std::optional<int> mailbox_id, const std::vector<ItemError>& errors) {
  try {
    record_errors(worker.db(), run_id, mailbox_id, errors);
  } catch (const pqxx::broken_connection&) {
    worker.drop_db();
    record_errors(worker.db(), run_id, mailbox_id, errors);
  }
}

}  // namespace

Crawler::Crawler(const config::Config& config, ConnectionFactory connections, ConnectorFactory connectors)
    : config_(config), connections_(std::move(connections)), connectors_(std::move(connectors)) {}

CrawlSummary Crawler::run(const CrawlOptions& options, CrawlObserver* observer) {
  const auto started = std::chrono::steady_clock::now();
  CrawlSummary summary;

  // Scope first: nothing is touched when it names something unknown.
  std::vector<SourceRun> runs;
  for (const auto& source : config_.sources) {
    if (options.source.empty() || source.name == options.source) {
      SourceRun run;
      run.config = &source;
      runs.push_back(std::move(run));
    }
  }
  if (!options.source.empty() && runs.empty()) throw ScopeError("no [[source]] named '" + options.source + "'");
  for (const auto& wanted : options.mailboxes) {
    bool found = false;
    for (const auto& run : runs) {
      for (const auto& agent : run.config->mailboxes) found = found || lower(agent.address) == lower(wanted);
    }
    if (!found) {
      throw ScopeError("mailbox '" + wanted + "' is not configured" +
                       (options.source.empty() ? std::string() : " in source '" + options.source + "'"));
    }
  }

  {
    auto db = connections_();
    for (auto& run : runs) {
      run.rows = sync_source(*db, *run.config);
      for (const auto& entry : run.rows.mailboxes) {
        bool wanted = options.mailboxes.empty() ||
                      std::any_of(options.mailboxes.begin(), options.mailboxes.end(),
                                  [&](const std::string& m) { return lower(m) == lower(entry.address); });
        if (wanted) run.to_crawl.push_back(entry);
      }
      run.run_id = begin_crawl_run(*db, run.rows.source_id, options.full);
      try {
        run.connector = connectors_(*run.config);
      } catch (const std::exception& e) {
        run.failure = e.what();
      }
      if (!run.connector) {
        if (run.failure.empty()) run.failure = "no connector for kind '" + run.config->kind + "'";
        record_errors(*db, run.run_id, std::nullopt, {{"", std::nullopt, "", run.failure}});
        run.totals.errors = 1;
        summary.mailboxes_failed += run.to_crawl.size();
        summary.errors += 1;
        spdlog::error("source {}: {}", run.config->name, run.failure);
      }
      summary.mailboxes_total += run.to_crawl.size();
    }
  }
  if (observer) observer->crawl_started(summary.mailboxes_total);

  std::mutex mutex;  // guards summary and the runs' totals
  std::vector<SourceWork> work;
  for (const auto& run : runs) {
    work.push_back({run.connector ? run.to_crawl.size() : 0, run.config->max_connections});
  }
  run_workers(connections_, work, [&](Worker& worker, std::size_t s, std::size_t i) {
    SourceRun& run = runs[s];
    const MailboxEntry& mailbox = run.to_crawl[i];
    std::uint64_t received = 0;
    std::uint64_t round_trips = 0;
    for (int attempt = 1;; ++attempt) {
      std::unique_ptr<connector::MailboxSession> session;
      std::unique_ptr<MailboxCrawl> crawl;
      std::vector<ItemError> errors;
      std::string failure;
      bool retry = false;
      try {
        session = run.connector->open(mailbox.address);
        crawl = std::make_unique<MailboxCrawl>(worker.db(), mailbox.mailbox_id);
        if (observer) crawl->set_message_observer([observer](std::uint64_t bytes) { observer->message_staged(bytes); });
        for (const auto& folder : session->list_folders()) {
          auto previous = options.full ? std::nullopt : crawl->previous(folder.name);
          auto& sink = crawl->start_folder(folder);
          try {
            crawl->finish_folder(session->crawl_folder(folder, previous, sink));
          } catch (const ConnectorError& e) {
            if (e.kind() != ConnectorError::Kind::not_found) throw;
            crawl->abandon_folder(e.what());
          }
        }
        MailboxTotals totals = crawl->commit();
        errors = crawl->take_errors();
        received += session->traffic().bytes_received;
        round_trips += session->traffic().round_trips;
        {
          std::lock_guard lock(mutex);
          run.totals.mailboxes += 1;
          run.totals.messages += crawl->messages_staged();
          run.totals.errors += static_cast<int>(errors.size());
          summary.mailboxes_done += 1;
          summary.folders += crawl->folders_staged();
          summary.messages += crawl->messages_staged();
          summary.attachments += crawl->attachments_staged();
          summary.errors += errors.size();
        }
        spdlog::debug("mailbox {}: {} folders, {} messages, {} bytes", mailbox.address, totals.folders, totals.messages,
                      totals.message_bytes);
        crawl.reset();
        record(worker, run.run_id, mailbox.mailbox_id, errors);
        if (observer) observer->mailbox_finished(true);
        break;
      } catch (const ConnectorError& e) {
        failure = e.what();
        retry = e.retriable() && attempt < options.max_attempts;
      } catch (const pqxx::broken_connection& e) {
        failure = std::string("database connection lost: ") + e.what();
        worker.drop_db();
      } catch (const std::exception& e) {
        failure = e.what();
      }
      // The attempt failed: its transaction is rolled back with `crawl`.
      if (crawl) errors = crawl->take_errors();
      crawl.reset();
      if (session) {
        received += session->traffic().bytes_received;
        round_trips += session->traffic().round_trips;
      }
      session.reset();
      if (retry) {
        spdlog::warn("mailbox {}: attempt {} failed ({}); retrying", mailbox.address, attempt, failure);
        std::this_thread::sleep_for(options.retry_backoff * (1 << (attempt - 1)));
        continue;
      }
      spdlog::error("mailbox {}: {}", mailbox.address, failure);
      errors.push_back({"", std::nullopt, "", fmt::format("mailbox not crawled (attempt {}): {}", attempt, failure)});
      try {
        record(worker, run.run_id, mailbox.mailbox_id, errors);
      } catch (const std::exception& e) {
        spdlog::error("mailbox {}: errors not recorded: {}", mailbox.address, e.what());
      }
      {
        std::lock_guard lock(mutex);
        run.totals.errors += static_cast<int>(errors.size());
        summary.mailboxes_failed += 1;
        summary.errors += errors.size();
      }
      if (observer) observer->mailbox_finished(false);
      break;
    }
    std::lock_guard lock(mutex);
    run.totals.bytes_received += received;
    summary.bytes_received += received;
    summary.round_trips += round_trips;
  });

  // Duplicates over every source that has a connector.
  std::vector<HashSource> hash_sources;
  for (auto& run : runs) {
    if (run.connector)
      hash_sources.push_back({run.config, run.connector.get(), run.rows.mailboxes, run.rows.source_id, run.run_id});
  }
  if (!hash_sources.empty()) {
    HashingOptions hashing = options.hashing;
    hashing.hash_all = hashing.hash_all || options.hash_all;
    DuplicateHasher hasher(connections_, hashing);
    if (observer)
      hasher.set_progress([observer](std::uint64_t reads, std::uint64_t bytes) { observer->hashing(reads, bytes); });
    summary.hashing = hasher.run(hash_sources);
    summary.duplicate_groups = summary.hashing.duplicate_groups;
    summary.bytes_hashed = summary.hashing.bytes_for_content;
    summary.bytes_received += summary.hashing.bytes_received;
    summary.errors += summary.hashing.errors;
  }

  auto db = connections_();
  for (auto& run : runs) {
    // Hashing is counted on the first run; its errors are in crawl_error under each source's run.
    if (&run == &runs.front()) {
      run.totals.bytes_hashed = summary.bytes_hashed;
      run.totals.bytes_received += summary.hashing.bytes_received;
    }
    if (!run.failure.empty()) {
      run.totals.status = "failed";
      run.totals.error = run.failure;
    } else if (run.totals.mailboxes == 0 && !run.to_crawl.empty()) {
      run.totals.status = "failed";
      run.totals.error = "no mailbox could be crawled";
    }
    finish_crawl_run(*db, run.run_id, run.totals);
  }
  summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return summary;
}

}  // namespace mailprune::inventory
