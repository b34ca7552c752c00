#include "inventory/worker_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace mailprune::inventory {

pqxx::connection& Worker::db() {
  if (!connection_ || !connection_->is_open()) connection_ = factory_();
  return *connection_;
}

void run_workers(const ConnectionFactory& factory, const std::vector<SourceWork>& sources,
                 const std::function<void(Worker&, std::size_t, std::size_t)>& job) {
  std::vector<std::unique_ptr<std::atomic<std::size_t>>> next;
  for (std::size_t i = 0; i < sources.size(); ++i) next.push_back(std::make_unique<std::atomic<std::size_t>>(0));
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;

  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const std::size_t count = std::min<std::size_t>(std::max(sources[s].threads, 1), sources[s].items);
    for (std::size_t t = 0; t < count; ++t) {
      threads.emplace_back([&, s] {
        Worker worker(factory);
        while (!stop) {
          const std::size_t item = next[s]->fetch_add(1);
          if (item >= sources[s].items) break;
          try {
            job(worker, s, item);
          } catch (...) {
            std::lock_guard lock(error_mutex);
            if (!first_error) first_error = std::current_exception();
            stop = true;
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace mailprune::inventory
