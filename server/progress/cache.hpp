// cache.hpp: each progress page computed at most once per interval, shared by every viewer.
//
// The cache maps a page key (the <key> of /progress/<key>: a campaign name or a link token) to
// what every request for it needs, rendered once per refresh: the snapshot, its JSON, the full
// page in French and English, and the Server-Sent Event that carries it. A request finds the
// entry fresh (younger than the interval: no query at all), or stale: then one thread reloads it
// (the loader runs the queries) while the others keep answering from the stale entry; only when
// there is nothing yet do they wait for the first load. So N viewers cost one load per key and
// interval, whatever N. A key that opens no page (off, unknown) is cached as such too, so
// hammering a wrong URL costs no more; at most `max_keys` keys are kept (beyond, the cache starts
// again empty).
//
// A failed load (database down) keeps serving the previous entry, if any, and is retried after
// another interval; with nothing to serve the loader's exception propagates.
//
// Threads: get() is safe from every thread at once; the loader is called without any lock held,
// at most once at a time per key.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "notify/text_format.hpp"
#include "progress/snapshot.hpp"

namespace mailprune::progress {

// Everything a request for one key needs, immutable once built.
struct CachedPage {
  std::optional<ProgressSnapshot> snapshot;  // nullopt: the key opens no page (404)
  std::string version;                       // snapshot_version()
  std::string json;                          // snapshot_json()
  std::string page_fr, page_en;              // render_page()
  std::string event_fr, event_en;            // one complete SSE event ("event: snapshot\nid: ...\ndata: ...\n\n")
};

// The SSE event for a snapshot in one language: `id` is the version; `data` one line of JSON with
// the version, the page's sections re-rendered (page.hpp PageSections), the timeline as uPlot
// wants it ([[unix seconds...], [cumulative bytes...]]) and the target.
std::string sse_snapshot_event(const ProgressSnapshot& snapshot, notify::Language language);

class SnapshotCache {
 public:
  // The snapshot of the page `key` opens, nullopt when it opens none. Called at most once per
  // interval and key.
  using Loader = std::function<std::optional<ProgressSnapshot>(const std::string& key)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  SnapshotCache(Loader loader, std::chrono::milliseconds interval, Clock clock = {}, std::size_t max_keys = 1024);

  // Never null. May call the loader (see above).
  std::shared_ptr<const CachedPage> get(const std::string& key);

  std::chrono::milliseconds interval() const { return interval_; }
  // How many times the loader was called (for tests and metrics).
  std::size_t loads() const;

 private:
  struct Entry {
    std::mutex mutex;
    std::condition_variable loaded;
    std::shared_ptr<const CachedPage> value;
    std::chrono::steady_clock::time_point loaded_at;
    bool loading = false;
  };
  std::shared_ptr<const CachedPage> build(const std::string& key);

  Loader loader_;
  std::chrono::milliseconds interval_;
  Clock clock_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;  // guards entries_ and loads_
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  std::size_t loads_ = 0;
};

}  // namespace mailprune::progress
