// The progress page without a database: rendering (French and English, escaping, no personal data),
// the JSON snapshot and its version, the language choice, the framing headers, the cache (one load
// per interval however many requests), the event stream's framing (an event only on change),
// and the embedded assets.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "config/loader.hpp"
#include "progress/assets.hpp"
#include "progress/cache.hpp"
#include "progress/handlers.hpp"
#include "progress/page.hpp"
#include "progress/snapshot.hpp"

namespace mailprune::progress {
namespace {

using namespace std::chrono_literals;

ProgressSnapshot sample() {
  ProgressSnapshot s;
  s.campaign_id = 7;
  s.campaign = "Grand ménage 2026";
  s.state = "applying";
  s.target_bytes = 1000LL * 1000 * 1000 * 1000;
  s.deadline = "2026-12-18T22:59:59Z";
  s.proposed = 1200;
  s.approved = 700;
  s.refused = 100;
  s.pending = 400;
  s.applied = 300;
  s.proposed_bytes = 900LL * 1000 * 1000 * 1000;
  s.approved_bytes = 600LL * 1000 * 1000 * 1000;
  s.freed_estimated = 412LL * 1000 * 1000 * 1000;
  s.freed_measured = 405LL * 1000 * 1000 * 1000;
  s.agents = 450;
  TeamStanding a;
  a.team = "Voirie";
  a.agents = 30;
  a.freed_bytes = 200LL * 1000 * 1000 * 1000;
  a.approved_bytes = 250LL * 1000 * 1000 * 1000;
  a.proposed = 100;
  a.decided = 90;
  TeamStanding b;
  b.team = "<script>alert(1)</script>";
  b.agents = 3;
  b.freed_bytes = 1000;
  TeamStanding none;
  none.agents = 2;
  s.teams = {a, b, none};
  TimelinePoint p1;
  p1.at = 1795000000;
  p1.freed_bytes = 100LL * 1000 * 1000 * 1000;
  TimelinePoint p2;
  p2.at = 1795003600;
  p2.freed_bytes = 412LL * 1000 * 1000 * 1000;
  s.timeline = {p1, p2};
  Breakdown detach;
  detach.key = "detach";
  detach.proposals = 1000;
  detach.proposed_bytes = 800LL * 1000 * 1000 * 1000;
  Breakdown pdf;
  pdf.key = "pdf";
  pdf.proposals = 500;
  pdf.proposed_bytes = 500LL * 1000 * 1000 * 1000;
  s.by_action = {detach};
  s.by_type = {pdf};
  s.computed_at = "2026-11-29T12:40:05Z";
  return s;
}

PageLinks links() {
  PageLinks l;
  l.self = "/progress/k";
  l.events = "/progress/k/events";
  l.snapshot = "/progress/k/snapshot.json";
  return l;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ProgressPage, FrenchByDefaultWithEveryFigureAndNoScriptNeeded) {
  std::string html = render_page(sample(), Language::fr, links());
  EXPECT_TRUE(has(html, "<html lang=\"fr\">"));
  EXPECT_TRUE(has(html, "Grand ménage 2026"));
  EXPECT_TRUE(has(html, "405\u00a0Go")) << "measured freed bytes, French units";
  EXPECT_TRUE(has(html, "1\u00a0000\u00a0Go") || has(html, "1\u00a0To")) << html;
  EXPECT_TRUE(has(html, "Classement des équipes"));
  EXPECT_TRUE(has(html, "Voirie"));
  EXPECT_TRUE(has(html, "(sans équipe)"));
  EXPECT_TRUE(has(html, "nettoyage en cours"));
  EXPECT_TRUE(has(html, "<progress class=\"freed\""));
  EXPECT_TRUE(has(html, "<svg class=\"fallback\"")) << "the timeline is drawn without scripts";
  EXPECT_TRUE(has(html, "Pièces jointes détachées"));
  EXPECT_TRUE(has(html, "data-events=\"/progress/k/events?lang=fr\""));
  EXPECT_TRUE(has(html, asset_url("progress.js")));
  EXPECT_TRUE(has(html, asset_url("uPlot.iife.min.js")));
  // No inline script or style: the strict CSP holds.
  EXPECT_FALSE(has(html, "<script>"));
  EXPECT_FALSE(has(html, "style="));
  EXPECT_FALSE(has(html, "<style"));
}

TEST(ProgressPage, EnglishAndTeamNamesEscaped) {
  std::string html = render_page(sample(), Language::en, links());
  EXPECT_TRUE(has(html, "<html lang=\"en\">"));
  EXPECT_TRUE(has(html, "Team leaderboard"));
  EXPECT_TRUE(has(html, "data-events=\"/progress/k/events?lang=en\"")) << "live updates in the page's language";
  EXPECT_TRUE(has(html, "405\u00a0GB") || has(html, "405 GB"));
  EXPECT_TRUE(has(html, "clean-up in progress"));
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_FALSE(has(html, "<script>alert(1)"));
  // The leaderboard is in the snapshot's order, the first team first.
  EXPECT_LT(html.find("Voirie"), html.find("&lt;script&gt;"));
}

TEST(ProgressPage, EmptyCampaignSaysSo) {
  ProgressSnapshot s;
  s.campaign = "vide";
  s.state = "draft";
  std::string fr = render_page(s, Language::fr, links());
  EXPECT_TRUE(has(fr, "Rien n’a encore été libéré."));
  EXPECT_TRUE(has(fr, "Aucune équipe pour l’instant."));
  EXPECT_TRUE(has(fr, "pas d’objectif fixé"));
  std::string en = render_page(s, Language::en, links());
  EXPECT_TRUE(has(en, "Nothing has been freed yet."));
}

TEST(ProgressSnapshotJson, FieldsAndVersion) {
  ProgressSnapshot s = sample();
  auto j = nlohmann::json::parse(snapshot_json(s));
  EXPECT_EQ(j["campaign"], "Grand ménage 2026");
  EXPECT_EQ(j["bytes"]["freed"], 405LL * 1000 * 1000 * 1000);
  EXPECT_EQ(j["bytes"]["freed_estimated"], 412LL * 1000 * 1000 * 1000);
  EXPECT_EQ(j["target_bytes"], 1000LL * 1000 * 1000 * 1000);
  EXPECT_EQ(j["teams"].size(), 3u);
  EXPECT_EQ(j["teams"][0]["team"], "Voirie");
  EXPECT_EQ(j["timeline"][1][1], 412LL * 1000 * 1000 * 1000);
  EXPECT_EQ(j["by_type"][0]["key"], "pdf");
  EXPECT_EQ(j["version"], snapshot_version(s));
  // The version ignores the computation time, follows every figure.
  ProgressSnapshot later = s;
  later.computed_at = "2026-11-29T12:40:07Z";
  EXPECT_EQ(snapshot_version(later), snapshot_version(s));
  later.freed_estimated += 1;
  EXPECT_NE(snapshot_version(later), snapshot_version(s));
  // No measurement: freed is the estimate, and freed_measured is null.
  ProgressSnapshot unmeasured = s;
  unmeasured.freed_measured.reset();
  auto u = nlohmann::json::parse(snapshot_json(unmeasured));
  EXPECT_TRUE(u["bytes"]["freed_measured"].is_null());
  EXPECT_EQ(u["bytes"]["freed"], 412LL * 1000 * 1000 * 1000);
}

TEST(ProgressLanguage, QueryThenAcceptLanguageThenFrench) {
  EXPECT_EQ(choose_language("", ""), Language::fr);
  EXPECT_EQ(choose_language("en", "fr-FR"), Language::en);
  EXPECT_EQ(choose_language("fr", "en"), Language::fr);
  EXPECT_EQ(choose_language("", "en-GB,en;q=0.9"), Language::en);
  EXPECT_EQ(choose_language("", "de-DE, en;q=0.5, fr;q=0.8"), Language::fr);
  EXPECT_EQ(choose_language("", "de-DE, fr;q=0.2, en-US;q=0.7"), Language::en);
  EXPECT_EQ(choose_language("xx", "de"), Language::fr);
  EXPECT_EQ(choose_language("", "en;q=0"), Language::fr);
}

TEST(ProgressFraming, HeadersFollowConfiguration) {
  EXPECT_TRUE(has(page_csp({}), "frame-ancestors 'none'"));
  EXPECT_EQ(page_x_frame_options({}), "DENY");
  EXPECT_TRUE(has(page_csp({"'self'"}), "frame-ancestors 'self'"));
  EXPECT_EQ(page_x_frame_options({"'self'"}), "SAMEORIGIN");
  std::string csp = page_csp({"https://intranet.example.org", "https://*.example.org"});
  EXPECT_TRUE(has(csp, "frame-ancestors https://intranet.example.org https://*.example.org"));
  EXPECT_FALSE(has(csp, "frame-ancestors 'none'"));
  EXPECT_TRUE(has(csp, "script-src 'self'")) << "the rest of the strict policy stays";
  EXPECT_EQ(page_x_frame_options({"https://intranet.example.org"}), "");
}

// A loader over a snapshot the test changes, counting its calls, with a clock the test moves.
struct Fixture {
  std::atomic<int> loads{0};
  std::mutex mutex;
  std::optional<ProgressSnapshot> current = sample();
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  std::shared_ptr<SnapshotCache> cache;

  explicit Fixture(std::chrono::milliseconds interval = 2s) {
    cache = std::make_shared<SnapshotCache>(
        [this](const std::string& key) -> std::optional<ProgressSnapshot> {
          ++loads;
          std::lock_guard lock(mutex);
          if (key != "k") return std::nullopt;
          return current;
        },
        interval,
        [this] {
          std::lock_guard lock(mutex);
          return now;
        });
  }
  void advance(std::chrono::milliseconds by) {
    std::lock_guard lock(mutex);
    now += by;
  }
  void set(std::optional<ProgressSnapshot> snapshot) {
    std::lock_guard lock(mutex);
    current = std::move(snapshot);
  }
};

http::Request get(const std::string& path, const std::string& lang = "") {
  http::Request request;
  request.method = "GET";
  request.path = path;
  request.target = path;
  if (!lang.empty()) request.query.add("lang", lang);
  return request;
}

TEST(ProgressCache, ManyRequestsOneLoadPerInterval) {
  Fixture f;
  ProgressHttpOptions options;
  for (int i = 0; i < 1000; ++i) {
    auto response = handle_progress(f.cache, options, get(i % 3 == 0 ? "/progress/k/snapshot.json" : "/progress/k"));
    ASSERT_EQ(response.status, 200);
  }
  EXPECT_EQ(f.loads, 1);
  EXPECT_EQ(f.cache->loads(), 1u);
  f.advance(1999ms);
  handle_progress(f.cache, options, get("/progress/k"));
  EXPECT_EQ(f.loads, 1);
  f.advance(1ms);
  for (int i = 0; i < 100; ++i) handle_progress(f.cache, options, get("/progress/k"));
  EXPECT_EQ(f.loads, 2);
  // Unknown keys are cached too: hammering a wrong link costs one load per interval.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(handle_progress(f.cache, options, get("/progress/nope")).status, 404);
  EXPECT_EQ(f.loads, 3);
}

TEST(ProgressCache, ConcurrentViewersShareOneLoad) {
  std::atomic<int> loads{0};
  auto cache = std::make_shared<SnapshotCache>(
      [&](const std::string&) -> std::optional<ProgressSnapshot> {
        ++loads;
        std::this_thread::sleep_for(50ms);  // a slow query: everyone else waits for it, once
        return sample();
      },
      10s);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(cache->get("k")->snapshot.has_value());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(loads, 1);
}

TEST(ProgressCache, FailedReloadServesTheLastSnapshot) {
  std::atomic<int> loads{0};
  std::atomic<bool> fail{false};
  auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  auto cache = std::make_shared<SnapshotCache>(
      [&](const std::string&) -> std::optional<ProgressSnapshot> {
        ++loads;
        if (fail) throw std::runtime_error("database down");
        return sample();
      },
      2s, [&] { return now; });
  EXPECT_TRUE(cache->get("k")->snapshot);
  fail = true;
  now += 3s;
  EXPECT_TRUE(cache->get("k")->snapshot) << "stale, but served";
  EXPECT_TRUE(cache->get("k")->snapshot);
  EXPECT_EQ(loads, 2) << "retried next interval, not on every request";
  EXPECT_THROW(cache->get("other"), std::runtime_error) << "nothing to fall back on";
}

TEST(ProgressHttp, PageHeadersLanguageAndNotFound) {
  Fixture f;
  ProgressHttpOptions options;
  options.frame_ancestors = {"https://intranet.example.org"};
  auto page = handle_progress(f.cache, options, get("/progress/k"));
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(has(page.headers.get("Content-Type").value_or(""), "text/html"));
  EXPECT_TRUE(
      has(page.headers.get("Content-Security-Policy").value_or(""), "frame-ancestors https://intranet.example.org"));
  EXPECT_FALSE(page.headers.contains("X-Frame-Options"));
  EXPECT_TRUE(has(page.body, "lang=\"fr\""));
  auto en = handle_progress(f.cache, options, get("/progress/k", "en"));
  EXPECT_TRUE(has(en.body, "lang=\"en\""));
  auto accept = get("/progress/k");
  accept.headers.set("Accept-Language", "en-US,en;q=0.9");
  EXPECT_TRUE(has(handle_progress(f.cache, options, accept).body, "lang=\"en\""));

  auto missing = handle_progress(f.cache, ProgressHttpOptions{}, get("/progress/unknown", "en"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(has(missing.body, "Page not found"));
  EXPECT_EQ(missing.headers.get("X-Frame-Options").value_or(""), "DENY");
  EXPECT_EQ(handle_progress(f.cache, options, get("/progress/unknown/events")).status, 404);
  EXPECT_EQ(handle_progress(f.cache, options, get("/progress/unknown/snapshot.json")).status, 404);
  EXPECT_EQ(handle_progress(f.cache, options, get("/progress/")).status, 404);
  EXPECT_EQ(handle_progress(f.cache, options, get("/progress/k/other")).status, 404);
}

TEST(ProgressHttp, KeyIsTheDecodedSegmentOfTheRawTarget) {
  std::vector<std::string> keys;
  auto cache = std::make_shared<SnapshotCache>(
      [&](const std::string& key) -> std::optional<ProgressSnapshot> {
        keys.push_back(key);
        return sample();
      },
      2s);
  http::Request request = get("/progress/a/b");  // what the server decodes /progress/a%2Fb%20c into
  request.target = "/progress/a%2Fb%20c?lang=en";
  EXPECT_EQ(handle_progress(cache, {}, request).status, 200);
  request.target = "http://intranet.example.org/progress/a%2Fb%20c/snapshot.json";
  EXPECT_EQ(handle_progress(cache, {}, request).status, 200);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0], "a/b c");
  request.target = "/progress/%zz";
  EXPECT_EQ(handle_progress(cache, {}, request).status, 404);
}

TEST(ProgressConfig, RefreshAndFrameAncestorsAreChecked) {
  config::Config defaults = config::parse_config("", "t.toml");
  EXPECT_EQ(defaults.progress.refresh_seconds, 2);
  EXPECT_TRUE(defaults.progress.frame_ancestors.empty());
  config::Config set = config::parse_config(
      "[progress]\nrefresh_seconds = 5\nframe_ancestors = [\"'self'\", \"https://*.example.org\", "
      "\"https://intranet.example.org:8443\"]\n",
      "t.toml");
  EXPECT_EQ(set.progress.refresh_seconds, 5);
  EXPECT_EQ(set.progress.frame_ancestors.size(), 3u);
  for (const char* bad : {"\"https://a.example.org; script-src *\"", "\"intranet.example.org\"",
                          "\"https://a.example.org/path\"", "\"'none' https://x.org\"", "\"'unsafe-inline'\""}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(config::parse_config(std::string("[progress]\nframe_ancestors = [") + bad + "]\n", "t.toml"),
                 config::ConfigException);
  }
  EXPECT_THROW(config::parse_config("[progress]\nrefresh_seconds = 0\n", "t.toml"), config::ConfigException);
  EXPECT_THROW(config::parse_config("[progress]\nunknown = 1\n", "t.toml"), config::ConfigException);
}

TEST(ProgressHttp, SnapshotJsonWithEtag) {
  Fixture f;
  auto response = handle_progress(f.cache, {}, get("/progress/k/snapshot.json"));
  ASSERT_EQ(response.status, 200);
  auto etag = response.headers.get("ETag").value_or("");
  EXPECT_EQ(etag, "\"" + snapshot_version(sample()) + "\"");
  EXPECT_EQ(nlohmann::json::parse(response.body)["campaign"], "Grand ménage 2026");
  auto again = get("/progress/k/snapshot.json");
  again.headers.set("If-None-Match", etag);
  auto not_modified = handle_progress(f.cache, {}, again);
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
}

// Splits an SSE stream's text into events (blocks ending with a blank line).
std::vector<std::string> events_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (auto end = text.find("\n\n", at); end != std::string::npos; end = text.find("\n\n", at)) {
    out.push_back(text.substr(at, end - at));
    at = end + 2;
  }
  EXPECT_EQ(at, text.size()) << "every event ends with a blank line";
  return out;
}

TEST(ProgressEvents, FramingAndOnlyOnChange) {
  Fixture f(2s);
  ProgressHttpOptions options;
  options.keepalive = std::chrono::hours(1);
  auto response = handle_progress(f.cache, options, get("/progress/k/events", "en"));
  ASSERT_EQ(response.status, 200);
  ASSERT_TRUE(response.producer);
  EXPECT_EQ(response.headers.get("Content-Type").value_or(""), "text/event-stream; charset=utf-8");
  EXPECT_EQ(response.headers.get("Cache-Control").value_or(""), "no-cache");

  http::Chunk first = response.producer();
  EXPECT_FALSE(first.last);
  auto events = events_of(first.data);
  ASSERT_EQ(events.size(), 2u) << first.data;
  EXPECT_EQ(events[0], "retry: 5000");
  const std::string version = snapshot_version(sample());
  ASSERT_EQ(events[1].rfind("event: snapshot\nid: " + version + "\ndata: ", 0), 0u) << events[1];
  std::string data = events[1].substr(events[1].find("data: ") + 6);
  EXPECT_EQ(data.find('\n'), std::string::npos) << "one data line";
  auto j = nlohmann::json::parse(data);
  EXPECT_EQ(j["version"], version);
  EXPECT_TRUE(has(j["sections"]["teams"].get<std::string>(), "Team") ||
              has(j["sections"]["teams"].get<std::string>(), "Voirie"));
  EXPECT_TRUE(has(j["sections"]["summary"].get<std::string>(), "405\u00a0GB") ||
              has(j["sections"]["summary"].get<std::string>(), "405 GB"))
      << "in the stream's language";
  EXPECT_EQ(j["timeline"][0].size(), 2u);

  // Nothing changed: nothing sent, however often it is asked, and across refreshes.
  for (int i = 0; i < 5; ++i) {
    http::Chunk idle = response.producer();
    EXPECT_TRUE(idle.data.empty());
    EXPECT_FALSE(idle.last);
    EXPECT_GT(idle.retry_after.count(), 0);
    f.advance(3s);
  }
  EXPECT_TRUE(response.producer().data.empty()) << "reloaded, unchanged: still nothing";
  EXPECT_EQ(f.loads, 6);
  // A change reaches the stream at the next refresh, once.
  ProgressSnapshot changed = sample();
  changed.freed_measured = 500LL * 1000 * 1000 * 1000;
  f.set(changed);
  EXPECT_TRUE(response.producer().data.empty()) << "the cached snapshot is still fresh";
  f.advance(2s);
  http::Chunk update = response.producer();
  auto update_events = events_of(update.data);
  ASSERT_EQ(update_events.size(), 1u);
  EXPECT_TRUE(has(update_events[0], "id: " + snapshot_version(changed)));
  EXPECT_TRUE(has(update_events[0], "500\u00a0GB") || has(update_events[0], "500 GB"));
  EXPECT_TRUE(response.producer().data.empty());

  // Switched off: the stream says so and ends.
  f.set(std::nullopt);
  f.advance(2s);
  http::Chunk gone = response.producer();
  EXPECT_TRUE(gone.last);
  EXPECT_EQ(gone.data, "event: gone\ndata: {}\n\n");
}

TEST(ProgressEvents, KeepaliveCommentWhenIdle) {
  Fixture f;
  ProgressHttpOptions options;
  options.keepalive = 0ms;
  auto response = handle_progress(f.cache, options, get("/progress/k/events"));
  response.producer();
  http::Chunk keepalive = response.producer();
  EXPECT_EQ(keepalive.data, ": keepalive\n\n");
}

TEST(ProgressAssets, EmbeddedWithLongCacheAndEtag) {
  for (const char* name : {"progress.js", "progress.css", "uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE"}) {
    SCOPED_TRACE(name);
    const Asset* asset = find_asset(name);
    ASSERT_NE(asset, nullptr);
    EXPECT_GT(asset->body.size(), 100u);
    auto response = handle_asset(get(std::string("/assets/") + name));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Cache-Control").value_or(""), "public, max-age=31536000, immutable");
    EXPECT_EQ(response.headers.get("ETag").value_or(""), asset->etag);
    EXPECT_EQ(response.body.size(), asset->body.size());
    auto conditional = get(std::string("/assets/") + name);
    conditional.headers.set("If-None-Match", "W/" + asset->etag);
    EXPECT_EQ(handle_asset(conditional).status, 304);
  }
  EXPECT_TRUE(has(std::string(find_asset("uPlot.LICENSE")->body), "MIT"));
  EXPECT_TRUE(has(find_asset("uPlot.iife.min.js")->content_type, "javascript"));
  EXPECT_TRUE(has(find_asset("uPlot.min.css")->content_type, "text/css"));
  EXPECT_EQ(handle_asset(get("/assets/nothing.js")).status, 404);
  EXPECT_TRUE(has(asset_url("progress.js"), "/assets/progress.js?v="));
}

}  // namespace
}  // namespace mailprune::progress
