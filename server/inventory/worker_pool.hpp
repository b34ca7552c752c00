// worker_pool.hpp: the threads of a crawl or hashing pass: `threads` workers per source, all
// sources at once, each worker with its own PostgreSQL connection (libpqxx: one connection per
// thread), opened on first use and kept for all the items it takes.
#pragma once

#include <pqxx/pqxx>

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace mailprune::inventory {

// Opens a new connection. Called from worker threads: must be thread-safe.
using ConnectionFactory = std::function<std::unique_ptr<pqxx::connection>()>;

class Worker {
 public:
  explicit Worker(ConnectionFactory factory) : factory_(std::move(factory)) {}
  // This worker's connection (opened on first use, or again after drop_db()).
  pqxx::connection& db();
  // Forgets the connection, e.g. after an error left it unusable.
  void drop_db() { connection_.reset(); }

 private:
  ConnectionFactory factory_;
  std::unique_ptr<pqxx::connection> connection_;
};

struct SourceWork {
  std::size_t items = 0;  // e.g. mailboxes
  int threads = 1;        // at most this many at once for this source (max_connections)
};

// Calls job(worker, source_index, item_index) once for every item of every source; items of a
// source are taken in order by min(threads, items) threads of that source. Returns when all are
// done. A job should handle its own errors; if one throws, the remaining items are skipped and the
// first exception is rethrown once every thread has stopped.
void run_workers(const ConnectionFactory& factory, const std::vector<SourceWork>& sources,
                 const std::function<void(Worker&, std::size_t source, std::size_t item)>& job);

}  // namespace mailprune::inventory
