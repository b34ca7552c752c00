#include "progress/cache.hpp"

#include <nlohmann/json.hpp>

#include "http/encoding.hpp"
#include "progress/page.hpp"

namespace mailprune::progress {

std::string sse_snapshot_event(const ProgressSnapshot& snapshot, notify::Language language) {
  const PageSections sections = render_sections(snapshot, language);
  nlohmann::json data;
  data["version"] = snapshot_version(snapshot);
  data["sections"] = {{"summary", sections.summary},
                      {"teams", sections.teams},
                      {"breakdown", sections.breakdown},
                      {"timeline", sections.timeline},
                      {"updated", sections.updated}};
  nlohmann::json times = nlohmann::json::array(), values = nlohmann::json::array();
  for (const auto& point : snapshot.timeline) {
    times.push_back(point.at);
    values.push_back(point.freed_bytes);
  }
  data["timeline"] = {times, values};
  data["target_bytes"] = snapshot.target_bytes ? nlohmann::json(*snapshot.target_bytes) : nlohmann::json(nullptr);
  // dump() escapes control characters, so the JSON is one line: one `data:` field.
  return "event: snapshot\nid: " + snapshot_version(snapshot) + "\ndata: " + data.dump() + "\n\n";
}

SnapshotCache::SnapshotCache(Loader loader, std::chrono::milliseconds interval, Clock clock, std::size_t max_keys)
    : loader_(std::move(loader)),
      interval_(interval),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      max_keys_(max_keys == 0 ? 1 : max_keys) {}

std::size_t SnapshotCache::loads() const {
  std::lock_guard lock(mutex_);
  return loads_;
}

std::shared_ptr<const CachedPage> SnapshotCache::build(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    ++loads_;
  }
  auto page = std::make_shared<CachedPage>();
  page->snapshot = loader_(key);
  if (page->snapshot) {
    const ProgressSnapshot& s = *page->snapshot;
    page->version = snapshot_version(s);
    page->json = snapshot_json(s);
    PageLinks links;
    links.self = "/progress/" + http::percent_encode(key);
    links.events = links.self + "/events";
    links.snapshot = links.self + "/snapshot.json";
    page->page_fr = render_page(s, Language::fr, links);
    page->page_en = render_page(s, Language::en, links);
    page->event_fr = sse_snapshot_event(s, Language::fr);
    page->event_en = sse_snapshot_event(s, Language::en);
  }
  return page;
}

std::shared_ptr<const CachedPage> SnapshotCache::get(const std::string& key) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) {
      if (entries_.size() >= max_keys_) entries_.clear();  // holders keep their entries alive
      found = entries_.emplace(key, std::make_shared<Entry>()).first;
    }
    entry = found->second;
  }
  std::unique_lock lock(entry->mutex);
  for (;;) {
    if (entry->value && clock_() - entry->loaded_at < interval_) return entry->value;
    if (!entry->loading) break;
    if (entry->value) return entry->value;  // stale, while another thread reloads it
    entry->loaded.wait(lock);
  }
  entry->loading = true;
  const auto started = clock_();
  lock.unlock();
  std::shared_ptr<const CachedPage> fresh;
  try {
    fresh = build(key);
  } catch (...) {
    lock.lock();
    entry->loading = false;
    entry->loaded.notify_all();
    if (entry->value) {
      entry->loaded_at = started;  // retried next interval, not by every request meanwhile
      return entry->value;
    }
    throw;
  }
  lock.lock();
  entry->value = fresh;
  entry->loaded_at = started;
  entry->loading = false;
  entry->loaded.notify_all();
  return fresh;
}

}  // namespace mailprune::progress
