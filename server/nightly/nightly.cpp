#include "nightly/nightly.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "apply/engine.hpp"
#include "apply/journal.hpp"
#include "apply/wiring.hpp"
#include "campaign/campaign_store.hpp"
#include "campaign/launch.hpp"
#include "campaign/notify_email.hpp"
#include "campaign/review_store.hpp"
#include "inventory/connectors.hpp"
#include "inventory/progress.hpp"
#include "nightly/admin_report.hpp"
#include "security/keys.hpp"

namespace mailprune::nightly {
namespace {

// A run's advisory lock key (one bigint: this base + the run's id); campaigns: kCampaignLockClass.
constexpr std::int64_t kRunLockBase = 0x6e67'0000'0000'0000LL;

const std::vector<std::string> kNightlyStates = {"notifying", "collecting", "applying"};

bool among(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

// What a step ends with.
struct Outcome {
  std::string outcome = "ok";
  std::string detail;
  nlohmann::json counts = nlohmann::json::object();

  static Outcome skipped(std::string why) {
    Outcome o;
    o.outcome = "skipped";
    o.detail = std::move(why);
    return o;
  }
};

// One night's work on one campaign: the steps share the campaign row and what the report tells.
class CampaignNight {
 public:
  CampaignNight(const config::Config& config, db::Database& database, pqxx::connection& connection,
                const apply::EngineContext& engine, const NightlyOptions& options, std::int64_t run_id,
                NightlyReport& report, campaign::CampaignRow campaign)
      : config_(config),
        database_(database),
        connection_(connection),
        engine_(engine),
        options_(options),
        run_id_(run_id),
        report_(report),
        campaign_(std::move(campaign)) {}

  void run() {
    step("crawl", [this] { return crawl(); });
    step("deadline", [this] { return deadline(); });
    step("apply", [this] { return apply(); });
    step("purge", [this] { return purge(); });
    step("notify", [this] { return notify(); });
    step("report", [this] { return admin_report(); });
  }

 private:
  // Runs one step: its failure (an exception included) is recorded, never thrown on.
  void step(const std::string& name, const std::function<Outcome()>& work) {
    std::string started;
    if (!options_.dry_run) {
      pqxx::read_transaction tx(connection_);
      started = tx.exec1("SELECT now()::text")[0].as<std::string>();
    }
    Outcome outcome;
    try {
      refresh();
      outcome = work();
    } catch (const std::exception& e) {
      outcome.outcome = "failed";
      outcome.detail = e.what();
      if (!connection_.is_open()) throw;  // the bookkeeping cannot go on
    }
    record(name, outcome, started);
  }

  void record(const std::string& name, const Outcome& outcome, const std::string& started) {
    StepResult result;
    result.campaign = campaign_.name;
    result.step = name;
    result.outcome = outcome.outcome;
    result.detail = outcome.detail;
    if (outcome.outcome == "failed") ++report_.failed;
    report_.steps.push_back(result);
    const std::string line = fmt::format("nightly: {}: {} {}{}{}", campaign_.name, name, outcome.outcome,
                                         outcome.detail.empty() ? "" : ": ", outcome.detail);
    if (outcome.outcome == "failed") {
      spdlog::warn("{}", line);
    } else {
      spdlog::info("{}", line);
    }
    if (options_.dry_run) return;
    pqxx::work tx(connection_);
    tx.exec_params0(
        "INSERT INTO nightly_step (nightly_run_id, campaign_id, step, outcome, detail, counts, started_at)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::timestamptz)",
        run_id_, campaign_.id, name, outcome.outcome, outcome.detail, outcome.counts.dump(), started);
    tx.commit();
  }

  void refresh() {
    pqxx::read_transaction tx(connection_);
    campaign_ = campaign::campaign_by_id(tx, campaign_.id);
  }

  Outcome crawl() {
    if (config_.sources.empty()) return Outcome::skipped("no [[source]] is configured");
    if (options_.dry_run) return Outcome::skipped("dry run: would crawl the campaign's scope incrementally");
    campaign::LaunchDependencies dependencies;
    dependencies.connections = engine_.connections;
    dependencies.connectors = engine_.connectors;
    auto crawled = campaign::crawl_campaign_scope(connection_, config_, campaign_, dependencies, {});
    Outcome outcome;
    std::size_t failed = 0;
    for (std::size_t i = 0; i < crawled.crawls.size(); ++i) {
      failed += crawled.crawls[i].mailboxes_failed;
      night_.crawl_errors += crawled.crawls[i].errors;
      outcome.detail += (i ? "; " : "") + crawled.sources[i] + ": " + inventory::summary_line(crawled.crawls[i]);
    }
    outcome.counts = {{"mailboxes", crawled.mailboxes_total}, {"crawled", crawled.mailboxes_done}, {"failed", failed}};
    if (failed > 0 || crawled.mailboxes_done < crawled.mailboxes_total) outcome.outcome = "failed";
    return outcome;
  }

  Outcome deadline() {
    if (!campaign_.deadline) return Outcome::skipped("the campaign has no approval deadline");
    if (!campaign_.deadline_passed) return Outcome::skipped("the deadline (" + *campaign_.deadline + ") is ahead");
    pqxx::work tx(connection_);
    if (options_.dry_run) {
      auto would = tx.exec_params1(
                         "SELECT count(*) FROM proposal p WHERE p.campaign_id = $1 AND p.selected AND p.approval = "
                         "'opt-out' AND p.decision = 'pending' AND NOT EXISTS (SELECT 1 FROM action_proposal ap "
                         "WHERE ap.proposal_id = p.id)",
                         campaign_.id)[0]
                       .as<int>();
      return Outcome::skipped(fmt::format("dry run: {} opt-out proposal(s) would become approved", would));
    }
    const int approved = campaign::approve_opt_out_after_deadline(tx, campaign_.id);
    if (approved > 0) {
      campaign::record_event(tx, campaign_.id, "deadline",
                             fmt::format("{} opt-out proposal(s) without a decision approved", approved));
    }
    tx.commit();
    night_.opt_out_approved += static_cast<std::uint64_t>(approved);
    Outcome outcome;
    outcome.detail = fmt::format("{} opt-out proposal(s) without a decision approved", approved);
    outcome.counts = {{"approved", approved}};
    return outcome;
  }

  bool apply_has_work() {
    pqxx::read_transaction tx(connection_);
    return tx
        .exec_params1(
            "SELECT EXISTS (SELECT 1 FROM proposal p WHERE p.campaign_id = $1 AND p.decision = 'approved' AND "
            "p.selected AND NOT EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id))"
            " OR EXISTS (SELECT 1 FROM action a WHERE a.campaign_id = $1 AND a.step IN ('planned', 'approved', "
            "'stored', 'uploaded', 'verified', 'original_removed'))",
            campaign_.id)[0]
        .as<bool>();
  }

  void set_state(const std::vector<std::string>& from, const std::string& to, const std::string& detail) {
    pqxx::work tx(connection_);
    campaign::transition(tx, campaign_.id, from, to, "apply", detail);
    tx.commit();
  }

  Outcome apply() {
    if (campaign_.state == "notifying") {
      return Outcome::skipped("review e-mails are still being sent (notifying): applied once collecting");
    }
    const bool work = apply_has_work();
    if (!work && campaign_.state != "applying") return Outcome::skipped("nothing approved waits to be applied");
    apply::RunOptions run;
    run.mode = apply::Mode::apply;
    run.campaign = campaign_.name;
    if (options_.dry_run) {
      run.dry_run = true;
      auto summary = apply::run(engine_, run);
      return Outcome::skipped(fmt::format("dry run: {} action(s) would be carried out", summary.planned.size()));
    }
    if (campaign_.state != "applying") set_state(campaign::kApplyFrom, "applying", "nightly run");
    apply::RunSummary summary;
    Outcome outcome;
    try {
      summary = apply::run(engine_, run);
    } catch (...) {
      set_state({"applying"}, "collecting", "nightly run: apply stopped");
      throw;
    }
    outcome.detail = apply::summary_line(summary);
    for (const auto& error : summary.errors) outcome.detail += "; " + error;
    set_state({"applying"}, "collecting", apply::summary_line(summary));
    night_.actions_applied += summary.done;
    night_.bytes_applied += summary.bytes_estimated;
    night_.actions_failed += summary.failed;
    outcome.counts = {{"done", summary.done},         {"skipped", summary.skipped},
                      {"failed", summary.failed},     {"left", summary.left},
                      {"enqueued", summary.enqueued}, {"bytes_estimated", summary.bytes_estimated}};
    if (summary.failed > 0 || summary.mailboxes_failed > 0) outcome.outcome = "failed";
    return outcome;
  }

  Outcome purge() {
    auto purgeable = apply::campaigns_with(connection_, apply::Selection::purgeable);
    if (!among(purgeable, campaign_.name)) return Outcome::skipped("nothing in quarantine is past its grace period");
    if (options_.dry_run) return Outcome::skipped("dry run: quarantined messages past their grace period would go");
    apply::RunOptions run;
    run.mode = apply::Mode::purge;
    run.campaign = campaign_.name;
    auto summary = apply::run(engine_, run);
    night_.quarantine_purged += summary.done;
    Outcome outcome;
    outcome.detail = apply::summary_line(summary);
    for (const auto& error : summary.errors) outcome.detail += "; " + error;
    outcome.counts = {{"purged", summary.done}, {"skipped", summary.skipped}, {"failed", summary.failed}};
    if (summary.failed > 0 || summary.mailboxes_failed > 0) outcome.outcome = "failed";
    return outcome;
  }

  bool reminder_due() {
    const int days = config_.nightly.reminder_days_before;
    if (days <= 0 || !campaign_.deadline || campaign_.deadline_passed) return false;
    pqxx::read_transaction tx(connection_);
    return tx
        .exec_params1(
            "SELECT now() >= c.deadline - make_interval(days => $2) AND NOT EXISTS (SELECT 1 FROM notification n"
            " WHERE n.campaign_id = c.id AND n.kind = 'reminder'"
            " AND n.created_at >= c.deadline - make_interval(days => $2)) FROM campaign c WHERE c.id = $1",
            campaign_.id, days)[0]
        .as<bool>();
  }

  Outcome notify() {
    if (campaign_.state != "notifying" && campaign_.state != "collecting") {
      return Outcome::skipped("the campaign is " + campaign_.state);
    }
    const bool reminder = reminder_due();
    if (!reminder && campaign::due_count(connection_, campaign_.id) == 0) {
      return Outcome::skipped("no reminder due and no e-mail to retry");
    }
    if (options_.dry_run) {
      return Outcome::skipped(reminder ? "dry run: a reminder round would be sent"
                                       : "dry run: e-mails due would be sent");
    }
    campaign::EmailSettings settings;
    settings.review_key = security::load_or_create_key(config_, "review", config::Secret());
    settings.public_url = config_.archive.public_url;
    auto reader = database_.connect();  // the sender reads proposals between the queue's transactions
    campaign::NotifyOptions notify_options;
    notify_options.reminder = reminder;
    notify_options.send.rate_per_minute = config_.smtp.rate_per_minute;
    auto result =
        campaign::notify_campaign(connection_, campaign_.name, campaign::review_link_preparer(settings),
                                  campaign::smtp_notification_sender(*reader, config_.smtp, settings), notify_options);
    if (reminder) night_.reminders_sent += static_cast<std::uint64_t>(result.sent.sent);
    night_.emails_failed += static_cast<std::uint64_t>(result.sent.failed);
    Outcome outcome;
    outcome.detail = fmt::format(
        "{}sent {}, to retry later {}, given up {}; {} still pending",
        reminder ? fmt::format("reminder round {} queued for {} agent(s); ", result.round, result.queued.queued)
                 : std::string(),
        result.sent.sent, result.sent.retry_later, result.sent.failed, result.still_pending);
    if (result.sent.stopped) outcome.detail += "; sending stopped: " + result.sent.stop_reason;
    outcome.counts = {{"reminder_round", result.round},
                      {"queued", result.queued.queued},
                      {"sent", result.sent.sent},
                      {"retry_later", result.sent.retry_later},
                      {"failed", result.sent.failed}};
    if (result.sent.failed > 0 || result.sent.stopped) outcome.outcome = "failed";
    return outcome;
  }

  Outcome admin_report() {
    if (campaign_.admins.empty()) return Outcome::skipped("the campaign has no admin address (campaign_admin)");
    {
      pqxx::read_transaction tx(connection_);
      const bool sent_today = tx.exec_params1(
                                    "SELECT EXISTS (SELECT 1 FROM nightly_step WHERE campaign_id = $1 AND step = "
                                    "'report' AND outcome = 'ok' AND finished_at >= date_trunc('day', now()))",
                                    campaign_.id)[0]
                                  .as<bool>();
      if (sent_today) return Outcome::skipped("already sent today");
    }
    if (options_.dry_run) {
      return Outcome::skipped(fmt::format("dry run: would be sent to {} admin(s)", campaign_.admins.size()));
    }
    auto result = send_admin_report(connection_, config_, campaign_.id, campaign_.name, night_);
    Outcome outcome;
    std::string sent;
    for (const auto& address : result.sent) sent += (sent.empty() ? "" : ", ") + address;
    outcome.detail = "sent to " + (sent.empty() ? std::string("nobody") : sent);
    for (const auto& failure : result.failed) outcome.detail += "; not sent to " + failure;
    outcome.counts = {{"sent", result.sent.size()}, {"failed", result.failed.size()}};
    if (!result.failed.empty()) outcome.outcome = "failed";
    return outcome;
  }

  const config::Config& config_;
  db::Database& database_;
  pqxx::connection& connection_;
  const apply::EngineContext& engine_;
  const NightlyOptions& options_;
  std::int64_t run_id_;
  NightlyReport& report_;
  campaign::CampaignRow campaign_;
  notify::NightlySummary night_;
};

// Runs killed earlier (still 'running' with their lock free) become 'interrupted'.
void mark_interrupted(pqxx::connection& connection) {
  std::vector<std::int64_t> running;
  {
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec("SELECT id FROM nightly_run WHERE status = 'running'")) {
      running.push_back(row[0].as<std::int64_t>());
    }
  }
  for (auto id : running) {
    pqxx::work tx(connection);
    if (tx.exec_params1("SELECT pg_try_advisory_lock($1)", kRunLockBase + id)[0].as<bool>()) {
      tx.exec_params0("UPDATE nightly_run SET status = 'interrupted' WHERE id = $1 AND status = 'running'", id);
      tx.exec_params("SELECT pg_advisory_unlock($1)", kRunLockBase + id);
    }
    tx.commit();
  }
}

}  // namespace

NightlyReport run_nightly(const config::Config& config, db::Database& database, const NightlyOptions& options) {
  auto connection = database.connect_migrated();
  // The campaigns: named ones must exist (checked before anything is done).
  std::vector<campaign::CampaignRow> campaigns;
  if (!options.campaigns.empty()) {
    pqxx::read_transaction tx(*connection);
    for (const auto& name : options.campaigns) {
      auto row = campaign::find_campaign(tx, name);
      if (!row) throw NightlyUsageError("no campaign named '" + name + "'");
      campaigns.push_back(*row);
    }
  } else {
    campaigns = campaign::list_campaigns(*connection);
  }

  NightlyReport report;
  if (!options.dry_run) {
    mark_interrupted(*connection);
    pqxx::work tx(*connection);
    report.run_id = tx.exec_params1("INSERT INTO nightly_run (origin, host, pid) VALUES ($1, $2, $3) RETURNING id",
                                    options.origin, host_name(), static_cast<int>(::getpid()))[0]
                        .as<std::int64_t>();
    // A session lock, taken before the row is visible: mark_interrupted() never takes a live run for
    // a dead one.
    tx.exec_params("SELECT pg_advisory_lock($1)", kRunLockBase + report.run_id);
    tx.commit();
  }
  spdlog::info("nightly: run {} started{}", report.run_id, options.dry_run ? " (dry run: nothing is written)" : "");

  apply::EngineWiring wiring(config, database, options.dry_run);
  for (const auto& row : campaigns) {
    if (!among(kNightlyStates, row.state)) {
      if (!options.campaigns.empty()) {
        StepResult skipped;
        skipped.campaign = row.name;
        skipped.step = "lock";
        skipped.outcome = "skipped";
        skipped.detail = "the campaign is " + row.state + " (the nightly run works on notifying, collecting, applying)";
        spdlog::info("nightly: {}: {}", row.name, skipped.detail);
        report.steps.push_back(skipped);
      }
      continue;
    }
    bool locked = true;
    if (!options.dry_run) {
      pqxx::nontransaction tx(*connection);
      locked = tx.exec_params1("SELECT pg_try_advisory_lock($1, $2)", kCampaignLockClass, row.id)[0].as<bool>();
    }
    if (!locked) {
      ++report.locked_out;
      StepResult skipped;
      skipped.campaign = row.name;
      skipped.step = "lock";
      skipped.outcome = "skipped";
      skipped.detail = "another nightly run is working on it";
      spdlog::info("nightly: {}: {}", row.name, skipped.detail);
      report.steps.push_back(skipped);
      pqxx::work tx(*connection);
      tx.exec_params0(
          "INSERT INTO nightly_step (nightly_run_id, campaign_id, step, outcome, detail, started_at)"
          " VALUES ($1, $2, 'lock', 'skipped', $3, now())",
          report.run_id, row.id, skipped.detail);
      tx.commit();
      continue;
    }
    ++report.campaigns;
    spdlog::info("nightly: {}: {} (state {})", row.name, options.dry_run ? "would work on it" : "working on it",
                 row.state);
    CampaignNight night(config, database, *connection, wiring.context(), options, report.run_id, report, row);
    night.run();
    if (!options.dry_run) {
      pqxx::nontransaction tx(*connection);
      tx.exec_params("SELECT pg_advisory_unlock($1, $2)", kCampaignLockClass, row.id);
    }
  }

  if (!options.dry_run) {
    pqxx::work tx(*connection);
    tx.exec_params0(
        "UPDATE nightly_run SET finished_at = now(), status = $2, campaigns = $3, failed_steps = $4 WHERE id = $1",
        report.run_id, report.failed > 0 ? "failed" : "done", report.campaigns, report.failed);
    tx.commit();
  }
  spdlog::info("{}", summary_line(report));
  return report;
}

std::string summary_line(const NightlyReport& report) {
  int ok = 0, skipped = 0;
  for (const auto& step : report.steps) {
    if (step.outcome == "ok") ++ok;
    if (step.outcome == "skipped") ++skipped;
  }
  std::string line = fmt::format("nightly: {} campaign(s), {} step(s) ok, {} failed, {} skipped", report.campaigns, ok,
                                 report.failed, skipped);
  if (report.locked_out > 0) line += fmt::format("; {} campaign(s) held by another run", report.locked_out);
  return line;
}

}  // namespace mailprune::nightly
