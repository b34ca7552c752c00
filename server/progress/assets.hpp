// assets.hpp: the progress page's web assets built into the binary (cmake/embed_assets.cmake), served under
// /assets/<name> with long cache lifetimes: the progress page's own script and style
// (server/progress/assets/) and uPlot 1.6.32 (MIT; its licence is served as uPlot.LICENSE).
//
// Pages refer to them by asset_url(), which carries a version in the query string, so a new
// binary's assets are fetched again although browsers keep each URL for a year.
//
// Threads: read-only data built on first use; safe from every thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"

namespace mailprune::progress {

struct Asset {
  std::string name;          // "progress.js", "uPlot.iife.min.js", ...
  std::string content_type;  // from the name's extension
  std::string_view body;     // static storage
  std::string etag;          // "\"<16 hex digits>\"" (of the body's SHA-256)
};

const std::vector<Asset>& assets();
const Asset* find_asset(std::string_view name);
// "/assets/<name>?v=<8 hex digits of its ETag>"; the bare path for an unknown name.
std::string asset_url(std::string_view name);

// GET /assets/<name>: 200 with Cache-Control "public, max-age=31536000, immutable" and ETag, 304
// when If-None-Match names it, 404 for an unknown name.
http::Response handle_asset(const http::Request& request);
void add_asset_routes(http::Router& router);

}  // namespace mailprune::progress
