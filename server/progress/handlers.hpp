// handlers.hpp: the progress pages' routes (pure request -> response handlers, http/router.hpp).
//
//   GET /progress/<key>                the page (HTML; ?lang=fr|en, else Accept-Language, else fr)
//   GET /progress/<key>/snapshot.json  the figures as JSON (snapshot.hpp), ETag = version
//   GET /progress/<key>/events         Server-Sent Events: an `event: snapshot` at once, then one
//                                      each time the snapshot changes (never a repeat), a comment
//                                      line every keepalive; `event: gone` then the end when the
//                                      page is switched off
//   GET /assets/<name>                 the embedded scripts and styles (assets.hpp)
// <key> is a public campaign's name or a link token (access.hpp), one percent-decoded segment of
// the raw request target (so a name may hold '/', encoded); anything else gets 404 (the
// same answer for "off", "unknown" and "revoked", in the page's language). Every answer comes from
// the SnapshotCache: no request runs a query of its own.
//
// Framing: the page's Content-Security-Policy is the server's strict default with frame-ancestors
// from [progress] frame_ancestors ('none' when empty), and X-Frame-Options DENY (empty list),
// SAMEORIGIN (exactly 'self'), or none (other origins: only CSP can list them).
//
// Threads: handlers run on the HTTP server's I/O threads at once; the cache is thread-safe; each
// event stream's state belongs to its producer (called one at a time).
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"
#include "progress/cache.hpp"

namespace mailprune::progress {

struct ProgressHttpOptions {
  std::vector<std::string> frame_ancestors;  // [progress] frame_ancestors
  // An SSE comment line after this long without an event (keeps proxies from closing the stream).
  std::chrono::milliseconds keepalive{std::chrono::seconds(15)};
  // How often an event stream looks at the cache for a new snapshot (0: half the cache interval,
  // at most 1 s).
  std::chrono::milliseconds poll{0};
};

// The Content-Security-Policy and X-Frame-Options of progress pages (X-Frame-Options "" = none).
std::string page_csp(const std::vector<std::string>& frame_ancestors);
std::string page_x_frame_options(const std::vector<std::string>& frame_ancestors);

http::Response handle_progress(const std::shared_ptr<SnapshotCache>& cache, const ProgressHttpOptions& options,
                               const http::Request& request);

// Registers /progress/ (the access log shows "/progress/…": the key may be a link token) and
// /assets/. The cache is shared by the routes and must outlive the server.
void add_progress_routes(http::Router& router, std::shared_ptr<SnapshotCache> cache, ProgressHttpOptions options);

// A loader over the database: resolves the key (access.hpp) and computes the snapshot, on a
// connection `with_connection` lends to the calling thread.
using WithConnection = std::function<void(const std::function<void(pqxx::connection&)>& work)>;
SnapshotCache::Loader database_loader(WithConnection with_connection);

}  // namespace mailprune::progress
