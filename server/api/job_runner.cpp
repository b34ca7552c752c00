#include "api/job_runner.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "api/api_support.hpp"

namespace mailprune::api {
namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

}  // namespace

const char* const kJobSelect =
    "SELECT j.id, j.kind, j.campaign_id, j.params::text, j.state, j.created_by,"
    " to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(j.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(j.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " j.progress_total, j.progress_done, j.progress_skipped, j.progress_failed, j.result::text, j.error"
    " FROM api_job j";

nlohmann::json job_from_row(const pqxx::row& row) {
  const auto id = row[0].as<std::int64_t>();
  nlohmann::json job = {
      {"id", id},
      {"kind", row[1].as<std::string>()},
      {"campaign_id", row[2].as<int>()},
      {"params", nlohmann::json::parse(row[3].as<std::string>())},
      {"state", row[4].as<std::string>()},
      {"created_by", row[5].as<std::string>()},
      {"created_at", row[6].as<std::string>()},
      {"started_at", nullable_text(row[7])},
      {"finished_at", nullable_text(row[8])},
      {"progress",
       {{"total", row[9].as<std::int64_t>()},
        {"done", row[10].as<std::int64_t>()},
        {"skipped", row[11].as<std::int64_t>()},
        {"failed", row[12].as<std::int64_t>()}}},
      {"result", row[13].is_null() ? nlohmann::json(nullptr) : nlohmann::json::parse(row[13].as<std::string>())},
      {"error", nullable_text(row[14])},
      {"url", "/api/v1/jobs/" + std::to_string(id)},
  };
  return job;
}

void JobContext::progress(std::int64_t total, std::int64_t done, std::int64_t skipped, std::int64_t failed,
                          bool force) {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  try {
    write_(total, done, skipped, failed);
  } catch (const std::exception& e) {
    spdlog::warn("job {}: progress not recorded: {}", job_.id, e.what());
  }
}

JobRunner::JobRunner(std::function<std::unique_ptr<pqxx::connection>()> connect,
                     std::map<std::string, JobExecutor> executors)
    : connect_(std::move(connect)), executors_(std::move(executors)) {}

JobRunner::~JobRunner() {
  stop();
  // A worker detached by stop(wait) still uses this object: wait for its loop to return.
  std::unique_lock lock(mutex_);
  if (started_) wake_.wait(lock, [this] { return finished_; });
}

void JobRunner::start() {
  auto connection = connect_();
  pqxx::work tx(*connection);
  auto rows = tx.exec(
      "UPDATE api_job SET state = 'interrupted', finished_at = now(),"
      " error = coalesce(error, 'mailprune serve stopped before the job ended') "
      "WHERE state IN ('queued', 'running') RETURNING id");
  tx.commit();
  if (!rows.empty()) spdlog::warn("{} API job(s) left by a previous serve marked interrupted", rows.size());
  std::lock_guard lock(mutex_);
  started_ = true;
  thread_ = std::thread([this] { loop(); });
}

bool JobRunner::stop(std::optional<std::chrono::milliseconds> wait) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  if (!thread_.joinable()) return true;
  wake_.notify_all();
  auto ended = [this] { return finished_; };
  bool done = true;
  if (wait) {
    done = wake_.wait_for(lock, *wait, ended);
  } else {
    wake_.wait(lock, ended);
  }
  if (done) {
    lock.unlock();
    thread_.join();
    return true;
  }
  std::optional<std::int64_t> job = running_job_;
  lock.unlock();
  if (job) {
    spdlog::warn("API job {} still running: marked interrupted, left to the end of the process", *job);
    try {
      auto connection = connect_();
      pqxx::work tx(*connection);
      tx.exec_params0(
          "UPDATE api_job SET state = 'interrupted', finished_at = now(), error = 'mailprune serve stopped while it "
          "ran' WHERE id = $1 AND state = 'running'",
          *job);
      tx.commit();
    } catch (const std::exception& e) {
      spdlog::warn("API job {}: not marked interrupted: {}", *job, e.what());
    }
  }
  thread_.detach();
  return false;
}

void JobRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

bool JobRunner::wait_idle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto connection = connect_();
  while (std::chrono::steady_clock::now() < deadline) {
    {
      pqxx::read_transaction tx(*connection);
      if (tx.exec1("SELECT count(*) FROM api_job WHERE state IN ('queued', 'running')")[0].as<int>() == 0 &&
          !busy_.load()) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void JobRunner::loop() {
  std::unique_ptr<pqxx::connection> connection;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (stopping_) break;
    }
    bool ran = false;
    try {
      if (!connection || !connection->is_open()) connection = connect_();
      ran = run_one(*connection);
    } catch (const std::exception& e) {
      spdlog::error("API job runner: {}", e.what());
      connection.reset();
    }
    if (ran) continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_ || woken_; });
    woken_ = false;
  }
  try {
    if (!connection || !connection->is_open()) connection = connect_();
    pqxx::work tx(*connection);
    tx.exec0(
        "UPDATE api_job SET state = 'interrupted', finished_at = now(), error = 'mailprune serve stopped' "
        "WHERE state = 'queued'");
    tx.commit();
  } catch (const std::exception& e) {
    spdlog::warn("API job runner: queued jobs not marked interrupted: {}", e.what());
  }
  std::lock_guard lock(mutex_);
  finished_ = true;
  wake_.notify_all();
}

bool JobRunner::run_one(pqxx::connection& connection) {
  JobRow job;
  busy_ = true;
  struct Idle {
    std::atomic<bool>& busy;
    ~Idle() { busy = false; }
  } idle{busy_};
  {
    pqxx::work tx(connection);
    auto rows = tx.exec_params(
        "UPDATE api_job SET state = 'running', started_at = now(), host = $1, pid = $2 WHERE id = ("
        " SELECT id FROM api_job WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, kind, campaign_id, params::text, created_by",
        host_name(), static_cast<int>(getpid()));
    tx.commit();
    if (rows.empty()) return false;
    job.id = rows[0][0].as<std::int64_t>();
    job.kind = rows[0][1].as<std::string>();
    job.campaign_id = rows[0][2].as<int>();
    job.params = nlohmann::json::parse(rows[0][3].as<std::string>());
    job.created_by = rows[0][4].as<std::string>();
  }
  {
    std::lock_guard lock(mutex_);
    running_job_ = job.id;
  }
  struct Forget {
    JobRunner& runner;
    ~Forget() {
      std::lock_guard lock(runner.mutex_);
      runner.running_job_.reset();
    }
  } forget{*this};
  auto finish = [&](const std::string& state, const nlohmann::json& result, const std::string& error) {
    pqxx::work tx(connection);
    tx.exec_params0(
        "UPDATE api_job SET state = $2, finished_at = now(), result = $3::jsonb, error = nullif($4, '') WHERE id = $1"
        " AND state = 'running'",
        job.id, state, result.is_null() ? std::optional<std::string>() : std::optional<std::string>(result.dump()),
        error);
    tx.commit();
  };
  {
    pqxx::nontransaction tx(connection);
    if (!tx.exec_params1("SELECT pg_try_advisory_lock($1, $2)", kJobLockClass, job.campaign_id)[0].as<bool>()) {
      finish("failed", nullptr, "another process is running a job of this campaign");
      return true;
    }
  }
  spdlog::info("API job {} ({}, campaign {}) started by {}", job.id, job.kind, job.campaign_id, job.created_by);
  // Progress goes through a connection of its own: executors call it from their worker threads
  // while this connection waits.
  std::unique_ptr<pqxx::connection> progress_connection;
  JobContext context(job, [&](std::int64_t total, std::int64_t done, std::int64_t skipped, std::int64_t failed) {
    if (!progress_connection) progress_connection = connect_();
    pqxx::work tx(*progress_connection);
    tx.exec_params0(
        "UPDATE api_job SET progress_total = $2, progress_done = $3, progress_skipped = $4, progress_failed = $5 "
        "WHERE id = $1",
        job.id, total, done, skipped, failed);
    tx.commit();
  });
  try {
    auto executor = executors_.find(job.kind);
    if (executor == executors_.end()) throw std::runtime_error("no executor for jobs of kind " + job.kind);
    nlohmann::json result = executor->second(context);
    finish("done", result, "");
    spdlog::info("API job {} done", job.id);
  } catch (const std::exception& e) {
    spdlog::warn("API job {} failed: {}", job.id, e.what());
    try {
      finish("failed", nullptr, e.what());
    } catch (const std::exception& again) {
      spdlog::error("API job {}: failure not recorded: {}", job.id, again.what());
    }
  }
  pqxx::nontransaction tx(connection);
  tx.exec_params("SELECT pg_advisory_unlock($1, $2)", kJobLockClass, job.campaign_id);
  return true;
}

std::int64_t enqueue_job(pqxx::transaction_base& tx, const std::string& kind, int campaign_id,
                         const nlohmann::json& params, const std::string& created_by) {
  try {
    return tx
        .exec_params1(
            "INSERT INTO api_job (kind, campaign_id, params, created_by) VALUES ($1, $2, $3::jsonb, $4) "
            "RETURNING id",
            kind, campaign_id, params.dump(), created_by)[0]
        .as<std::int64_t>();
  } catch (const pqxx::unique_violation&) {
    throw conflict("campaign " + std::to_string(campaign_id) +
                   " already has a job queued or running: wait for it (GET /api/v1/jobs?campaign=" +
                   std::to_string(campaign_id) + ")");
  }
}

std::optional<nlohmann::json> job_json(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto rows = tx.exec_params(std::string(kJobSelect) + " WHERE j.id = $1", job_id);
  if (rows.empty()) return std::nullopt;
  return job_from_row(rows[0]);
}

std::optional<nlohmann::json> active_job_json(pqxx::transaction_base& tx, int campaign_id) {
  auto rows = tx.exec_params(std::string(kJobSelect) + " WHERE j.campaign_id = $1 AND j.state IN ('queued', 'running')",
                             campaign_id);
  if (rows.empty()) return std::nullopt;
  return job_from_row(rows[0]);
}

}  // namespace mailprune::api
