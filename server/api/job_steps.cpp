#include "api/job_steps.hpp"

#include <atomic>
#include <memory>
#include <mutex>

#include "apply/engine.hpp"
#include "apply/wiring.hpp"
#include "campaign/launch.hpp"
#include "campaign/notify_email.hpp"
#include "db/database.hpp"
#include "inventory/connectors.hpp"
#include "security/keys.hpp"

namespace mailprune::api {
namespace {

class CrawlCounter : public inventory::CrawlObserver {
 public:
  explicit CrawlCounter(JobContext& job) : job_(job) {}
  void crawl_started(std::size_t mailboxes) override {
    total_ += static_cast<std::int64_t>(mailboxes);
    report(true);
  }
  void mailbox_finished(bool committed) override {
    (committed ? done_ : failed_) += 1;
    report(false);
  }
  // `force` writes even within the progress rate limit (the first and the last figures).
  void report(bool force) { job_.progress(total_, done_, 0, failed_, force); }

 private:
  JobContext& job_;
  std::atomic<std::int64_t> total_{0}, done_{0}, failed_{0};
};

class ActionCounter : public apply::RunObserver {
 public:
  explicit ActionCounter(JobContext& job) : job_(job) {}
  void started(std::size_t, std::size_t actions) override {
    total_ = static_cast<std::int64_t>(actions);
    report(true);
  }
  void action_finished(apply::Step outcome, std::uint64_t) override {
    if (outcome == apply::Step::failed) {
      ++failed_;
    } else if (outcome == apply::Step::skipped) {
      ++skipped_;
    } else {
      ++done_;
    }
    report(false);
  }
  void report(bool force) { job_.progress(total_, done_, skipped_, failed_, force); }

 private:
  JobContext& job_;
  std::atomic<std::int64_t> total_{0}, done_{0}, skipped_{0}, failed_{0};
};

// The campaign's name: the layers below find campaigns by name first, then by id, so the name is
// the unambiguous way to name it (a campaign may be called "12").
std::string campaign_name(pqxx::connection& connection, int campaign_id) {
  pqxx::read_transaction tx(connection);
  return tx.exec_params1("SELECT name FROM campaign WHERE id = $1", campaign_id)[0].as<std::string>();
}

std::string campaign_name(const config::Config& config, int campaign_id) {
  db::Database database(config);
  auto connection = database.connect_migrated();
  return campaign_name(*connection, campaign_id);
}

nlohmann::json run_summary_json(const apply::RunSummary& s) {
  return {{"run_id", s.run_id},
          {"enqueued", s.enqueued},
          {"actions", s.actions},
          {"done", s.done},
          {"skipped", s.skipped},
          {"skipped_by_reason", s.skipped_by_reason},
          {"failed", s.failed},
          {"left", s.left},
          {"bytes_estimated", s.bytes_estimated},
          {"mailboxes", s.mailboxes},
          {"mailboxes_failed", s.mailboxes_failed},
          {"bytes_measured", s.bytes_measured},
          {"errors", s.errors},
          {"planned", s.planned.size()},
          {"summary", apply::summary_line(s)}};
}

nlohmann::json run_engine(const config::Config& config, JobContext& job, apply::RunOptions options) {
  db::Database database(config);
  database.connect_migrated();
  apply::EngineWiring wiring(config, database, options.dry_run);
  ActionCounter counter(job);
  apply::RunSummary summary;
  try {
    summary = apply::run(wiring.context(), options, &counter);
  } catch (const apply::RunUsageError& e) {
    throw std::runtime_error(e.what());
  }
  counter.report(true);
  return run_summary_json(summary);
}

nlohmann::json launch(const config::Config& config, JobContext& job) {
  const auto& params = job.job().params;
  db::Database database(config);
  auto connection = database.connect_migrated();
  std::mutex database_mutex;
  campaign::LaunchDependencies dependencies;
  dependencies.connections = [&] {
    std::lock_guard lock(database_mutex);
    return database.connect();
  };
  dependencies.connectors = inventory::make_connector;
  CrawlCounter counter(job);
  dependencies.observer = &counter;
  campaign::LaunchOptions options;
  options.crawl = params.value("crawl", true);
  options.full = params.value("full", false);
  auto result = campaign::launch_campaign(*connection, config, campaign_name(*connection, job.job().campaign_id),
                                          dependencies, options);
  counter.report(true);  // the last mailbox may have finished within the rate limit of the one before
  nlohmann::json crawls = nlohmann::json::array();
  for (std::size_t i = 0; i < result.crawls.size(); ++i) {
    const auto& c = result.crawls[i];
    crawls.push_back({{"source", result.sources_crawled[i]},
                      {"mailboxes", c.mailboxes_total},
                      {"mailboxes_done", c.mailboxes_done},
                      {"mailboxes_failed", c.mailboxes_failed},
                      {"messages", c.messages},
                      {"attachments", c.attachments}});
  }
  return {{"state", result.state},
          {"crawls", crawls},
          {"plan",
           {{"matched", result.plan.matched},
            {"proposals", result.plan.proposals},
            {"unchanged", result.plan.unchanged},
            {"skipped", result.plan.skipped},
            {"kept", result.plan.kept}}}};
}

nlohmann::json notify(const config::Config& config, JobContext& job) {
  const auto& params = job.job().params;
  db::Database database(config);
  auto connection = database.connect_migrated();
  campaign::EmailSettings settings;
  settings.review_key = security::load_or_create_key(config, "review", config::Secret());
  settings.public_url = config.archive.public_url;
  auto reader = database.connect();
  campaign::NotifyOptions options;
  options.reminder = params.value("reminder", false);
  options.send.rate_per_minute = config.smtp.rate_per_minute;
  if (params.contains("limit")) options.send.limit = params["limit"].get<int>();
  auto result = campaign::notify_campaign(*connection, campaign_name(*connection, job.job().campaign_id),
                                          campaign::review_link_preparer(settings),
                                          campaign::smtp_notification_sender(*reader, config.smtp, settings), options);
  job.progress(result.queued.queued + result.queued.already, result.sent.sent, 0, result.sent.failed, true);
  nlohmann::json answer = {{"state", result.state},
                           {"queued", result.queued.queued},
                           {"already_queued", result.queued.already},
                           {"round", result.round},
                           {"sent", result.sent.sent},
                           {"retry_later", result.sent.retry_later},
                           {"failed", result.sent.failed},
                           {"still_pending", result.still_pending}};
  if (result.sent.stopped) throw std::runtime_error("sending stopped: " + result.sent.stop_reason);
  return answer;
}

}  // namespace

std::map<std::string, JobExecutor> production_executors(const config::Config& config) {
  const config::Config* c = &config;
  std::map<std::string, JobExecutor> out;
  out["launch"] = [c](JobContext& job) { return launch(*c, job); };
  out["notify"] = [c](JobContext& job) { return notify(*c, job); };
  out["apply"] = [c](JobContext& job) {
    const auto& params = job.job().params;
    apply::RunOptions options;
    options.mode = apply::Mode::apply;
    options.campaign = campaign_name(*c, job.job().campaign_id);
    options.dry_run = params.value("dry_run", false);
    options.retry_failed = params.value("retry_failed", false);
    if (params.contains("limit")) options.limit = params["limit"].get<std::size_t>();
    if (params.contains("mailboxes")) options.mailboxes = params["mailboxes"].get<std::vector<std::string>>();
    return run_engine(*c, job, options);
  };
  out["undo"] = [c](JobContext& job) {
    const auto& params = job.job().params;
    apply::RunOptions options;
    options.mode = apply::Mode::undo;
    options.campaign = campaign_name(*c, job.job().campaign_id);
    if (params.contains("mailbox")) options.mailboxes = {params["mailbox"].get<std::string>()};
    if (params.contains("action")) options.action = params["action"].get<std::int64_t>();
    return run_engine(*c, job, options);
  };
  out["retry"] = [c](JobContext& job) {
    const std::int64_t action = job.job().params.at("action").get<std::int64_t>();
    {
      db::Database database(*c);
      auto connection = database.connect_migrated();
      pqxx::work tx(*connection);
      auto rows = tx.exec_params(
          "UPDATE action SET step = coalesce(failed_step, 'approved'), failed_step = NULL, reason = NULL,"
          " attempts = 0, updated_at = now() WHERE id = $1 AND step = 'failed' RETURNING step",
          action);
      if (rows.empty()) throw std::runtime_error("action " + std::to_string(action) + " is no longer failed");
      tx.exec_params0("INSERT INTO action_step (action_id, step, detail) VALUES ($1, $2, $3)", action,
                      rows[0][0].as<std::string>(), "retry of a failed action (API)");
      tx.commit();
    }
    apply::RunOptions options;
    options.mode = apply::Mode::apply;
    options.campaign = campaign_name(*c, job.job().campaign_id);
    options.action = action;
    return run_engine(*c, job, options);
  };
  return out;
}

}  // namespace mailprune::api
