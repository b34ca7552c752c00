// console_routes.hpp: the admin console's files, compiled into the binary and served under
// /console/ (issue 7). The console itself is a static single page (index.html, ES modules, CSS,
// the French/English dictionary) that talks to the JSON API under /api/v1 from the browser: these
// routes hold no state, need no login and read no database; every decision about who may do what
// is the API's.
//
// Routes (GET, and so HEAD):
//   /console           308 to /console/ (relative links in the page need the trailing slash)
//   /console/          index.html
//   /console/<file>    an embedded asset (console_assets()), 404 for any other name
//
// Every answer carries the console's Content-Security-Policy (kConsoleCsp: this server's own
// scripts, styles, images and API only; no inline script or style, no framing) and
// `Cache-Control: no-cache` with a strong ETag, so browsers revalidate and get 304 when the binary
// did not change (a new release never runs with a stale app.js).
//
// Threads: the handlers only read static data; safe on every I/O thread at once.
#pragma once

#include <span>
#include <string_view>

#include "http/router.hpp"

namespace mailprune::console {

inline constexpr const char* kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// One embedded file of the console.
struct ConsoleAsset {
  std::string_view path;  // relative to /console/ ("app.js")
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // quoted
};

// Every file compiled in (server/console/CMakeLists.txt lists them), in that order.
std::span<const ConsoleAsset> console_assets();

// The answer to GET `path` (a request path starting with /console), honouring `if_none_match`
// (the request's If-None-Match, "" when absent) with 304. Pure, for tests.
http::Response console_response(std::string_view path, std::string_view if_none_match);

// Registers the routes above.
void add_console_routes(http::Router& router);

}  // namespace mailprune::console
