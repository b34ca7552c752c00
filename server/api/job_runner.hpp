// job_runner.hpp: background jobs of the API (table api_job, schema/010_api.sql).
//
// POST handlers call enqueue_job() inside their transaction (with the audit row) and wake() the
// runner after the commit. The runner has ONE worker thread: it takes the oldest queued job, marks
// it running, holds the campaign's session advisory lock (kJobLockClass, campaign id) for as long
// as it runs so that no two processes work on one campaign's job at once, calls the executor for
// the job's kind, and records done with the executor's JSON result, or failed with the exception's
// message. At most one job per campaign is queued or running (a unique partial index): a second
// enqueue throws ApiError 409.
//
// Jobs do not survive the process: start() marks every job still queued or running as
// interrupted (one `serve` per database is assumed), and stop() marks the queued ones interrupted;
// a job still running when stop()'s wait is over is marked interrupted too and left to the process's
// exit (the apply journal is safe against that, like a kill -9: docs/apply.md).
//
// Progress: executors call JobContext::progress() from any thread (the apply engine's workers);
// it is written at most once a second, and once more at the end.
//
// Threads: enqueue_job() and job_json() run in the caller's transaction; wake() and stop() are
// thread-safe. The runner opens its own database connections through `connect` (called from the
// worker thread only).
#pragma once

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace mailprune::api {

inline constexpr int kJobLockClass = 0x6d70a1;  // advisory lock namespace: (class, campaign id)

struct JobRow {
  std::int64_t id = 0;
  std::string kind;
  int campaign_id = 0;
  nlohmann::json params = nlohmann::json::object();
  std::string created_by;
};

class JobContext {
 public:
  JobContext(JobRow job, std::function<void(std::int64_t, std::int64_t, std::int64_t, std::int64_t)> write)
      : job_(std::move(job)), write_(std::move(write)) {}
  const JobRow& job() const { return job_; }
  // Counters so far (absolute values); rate-limited to one database write per second.
  void progress(std::int64_t total, std::int64_t done, std::int64_t skipped, std::int64_t failed, bool force = false);

 private:
  JobRow job_;
  std::function<void(std::int64_t, std::int64_t, std::int64_t, std::int64_t)> write_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
};

// Runs one job; its return value is stored as the job's result. Throwing fails the job with the
// exception's message (std::exception::what(); no stack).
using JobExecutor = std::function<nlohmann::json(JobContext&)>;

class JobRunner {
 public:
  JobRunner(std::function<std::unique_ptr<pqxx::connection>()> connect, std::map<std::string, JobExecutor> executors);
  // stop(), then waits for a worker that stop(wait) detached.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Marks leftovers interrupted, then starts the worker thread.
  void start();
  // Marks the queued jobs interrupted and lets the running one finish, waiting at most `wait`
  // (forever when omitted). True when the worker ended; false when a job still runs: it is then
  // marked interrupted and the thread detached, and the caller should end the process soon (the
  // executors use objects it owns).
  bool stop(std::optional<std::chrono::milliseconds> wait = std::nullopt);
  // Something was queued: look now rather than at the next poll (every 2 s).
  void wake();
  // Tests: waits until no job is queued or running (true), or the timeout passes (false).
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void loop();
  bool run_one(pqxx::connection& connection);

  std::function<std::unique_ptr<pqxx::connection>()> connect_;
  std::map<std::string, JobExecutor> executors_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  bool started_ = false;
  bool finished_ = false;  // the worker's loop has returned
  std::optional<std::int64_t> running_job_;
  std::atomic<bool> busy_{false};
  std::thread thread_;
};

// Queues a job (state queued) in the caller's transaction; returns its id. Throws ApiError 409
// when the campaign already has a job queued or running (the transaction is then unusable: the
// caller lets the error propagate).
std::int64_t enqueue_job(pqxx::transaction_base& tx, const std::string& kind, int campaign_id,
                         const nlohmann::json& params, const std::string& created_by);

// The job as the API shows it (docs/openapi.json, Job); nullopt when there is none.
std::optional<nlohmann::json> job_json(pqxx::transaction_base& tx, std::int64_t job_id);
// The campaign's queued or running job, if any.
std::optional<nlohmann::json> active_job_json(pqxx::transaction_base& tx, int campaign_id);
// SELECT list and FROM of a job, for listings (columns as job_from_row expects).
extern const char* const kJobSelect;
nlohmann::json job_from_row(const pqxx::row& row);

}  // namespace mailprune::api
