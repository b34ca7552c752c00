#include "progress/handlers.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <string_view>

#include "http/encoding.hpp"
#include "http/server.hpp"
#include "progress/access.hpp"
#include "progress/assets.hpp"
#include "progress/page.hpp"

namespace mailprune::progress {
namespace {

constexpr std::string_view kPrefix = "/progress/";

enum class Resource { page, snapshot, events };

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Language request_language(const http::Request& request) {
  return choose_language(request.query.get("lang").value_or(""), request.headers.get("Accept-Language").value_or(""));
}

void frame_headers(http::Response& response, const ProgressHttpOptions& options) {
  response.headers.set("Content-Security-Policy", page_csp(options.frame_ancestors));
  if (auto xfo = page_x_frame_options(options.frame_ancestors); !xfo.empty()) {
    response.headers.set("X-Frame-Options", xfo);
  }
}

http::Response not_found(const ProgressHttpOptions& options, Resource resource, Language language) {
  http::Response response;
  if (resource == Resource::page) {
    response = http::html_response(404, render_not_found(language));
    frame_headers(response, options);
  } else {
    response = http::status_response(404);
  }
  response.headers.set("Cache-Control", "no-store");
  return response;
}

// The state of one event stream, owned by its producer.
struct EventStream {
  std::shared_ptr<SnapshotCache> cache;
  std::string key;
  Language language = Language::fr;
  std::string last_version;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  bool started = false;
  std::chrono::milliseconds keepalive{15000};
  std::chrono::milliseconds poll{500};

  http::Chunk next() {
    http::Chunk chunk;
    if (!started) {
      started = true;
      chunk.data = "retry: 5000\n\n";  // reconnect after 5 s when the stream breaks
    }
    auto page = cache->get(key);
    if (!page->snapshot) {
      chunk.data += "event: gone\ndata: {}\n\n";
      chunk.last = true;
      return chunk;
    }
    if (page->version != last_version) {
      last_version = page->version;
      chunk.data += language == Language::en ? page->event_en : page->event_fr;
    } else if (std::chrono::steady_clock::now() - last_write >= keepalive) {
      chunk.data += ": keepalive\n\n";
    }
    if (chunk.data.empty()) {
      chunk.retry_after = poll;
    } else {
      last_write = std::chrono::steady_clock::now();
    }
    return chunk;
  }
};

}  // namespace

std::string page_csp(const std::vector<std::string>& frame_ancestors) {
  std::string csp = http::kDefaultHtmlCsp;
  const std::string_view directive = "frame-ancestors 'none'";
  auto at = csp.find(directive);
  std::string sources;
  for (const auto& source : frame_ancestors) sources += (sources.empty() ? "" : " ") + source;
  if (sources.empty()) sources = "'none'";
  if (at != std::string::npos) csp.replace(at, directive.size(), "frame-ancestors " + sources);
  return csp;
}

std::string page_x_frame_options(const std::vector<std::string>& frame_ancestors) {
  if (frame_ancestors.empty()) return "DENY";
  if (frame_ancestors.size() == 1 && frame_ancestors.front() == "'self'") return "SAMEORIGIN";
  return "";
}

http::Response handle_progress(const std::shared_ptr<SnapshotCache>& cache, const ProgressHttpOptions& options,
                               const http::Request& request) {
  // From the raw target: a campaign name may hold an encoded '/' (page_path() encodes it), which
  // the decoded path would split.
  std::string_view rest = request.target;
  if (rest.rfind("http://", 0) == 0 || rest.rfind("https://", 0) == 0) {
    auto slash = rest.find('/', rest.find("://") + 3);
    rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  }
  rest = rest.substr(0, rest.find('?'));
  if (rest.rfind(kPrefix, 0) == 0) rest.remove_prefix(kPrefix.size());
  Resource resource = Resource::page;
  if (ends_with(rest, "/events")) {
    resource = Resource::events;
    rest.remove_suffix(std::string_view("/events").size());
  } else if (ends_with(rest, "/snapshot.json")) {
    resource = Resource::snapshot;
    rest.remove_suffix(std::string_view("/snapshot.json").size());
  }
  const Language language = request_language(request);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return not_found(options, resource, language);
  const auto decoded = http::percent_decode(rest);
  if (!decoded || decoded->empty()) return not_found(options, resource, language);
  const std::string& key = *decoded;
  auto cached = cache->get(key);
  if (!cached->snapshot) return not_found(options, resource, language);

  const auto seconds =
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(cache->interval()).count());
  http::Response response;
  switch (resource) {
    case Resource::page:
      response = http::html_response(200, language == Language::en ? cached->page_en : cached->page_fr);
      frame_headers(response, options);
      response.headers.set("Cache-Control", "max-age=" + std::to_string(seconds));
      response.headers.set("Vary", "Accept-Language");
      response.headers.set("X-Robots-Tag", "noindex");
      return response;
    case Resource::snapshot: {
      const std::string etag = "\"" + cached->version + "\"";
      response.headers.set("ETag", etag);
      response.headers.set("Cache-Control", "max-age=" + std::to_string(seconds));
      if (request.headers.get("If-None-Match").value_or("") == etag) {
        response.status = 304;
        return response;
      }
      response.status = 200;
      response.body = cached->json;
      response.headers.set("Content-Type", "application/json");
      return response;
    }
    case Resource::events:
      break;
  }
  auto stream = std::make_shared<EventStream>();
  stream->cache = cache;
  stream->key = key;
  stream->language = language;
  stream->keepalive = options.keepalive;
  stream->poll = options.poll.count() > 0
                     ? options.poll
                     : std::clamp<std::chrono::milliseconds>(cache->interval() / 2, std::chrono::milliseconds(50),
                                                             std::chrono::milliseconds(1000));
  response.status = 200;
  response.headers.set("Content-Type", "text/event-stream; charset=utf-8");
  response.headers.set("Cache-Control", "no-cache");
  response.headers.set("X-Accel-Buffering", "no");  // a proxy in front must not buffer the stream
  response.producer = [stream] { return stream->next(); };
  return response;
}

void add_progress_routes(http::Router& router, std::shared_ptr<SnapshotCache> cache, ProgressHttpOptions options) {
  auto shared_options = std::make_shared<const ProgressHttpOptions>(std::move(options));
  router.add_prefix("GET", std::string(kPrefix), [cache, shared_options](const http::Request& request) {
    return handle_progress(cache, *shared_options, request);
  });
  add_asset_routes(router);
}

SnapshotCache::Loader database_loader(WithConnection with_connection) {
  return [with_connection](const std::string& key) {
    std::optional<ProgressSnapshot> snapshot;
    with_connection([&](pqxx::connection& connection) {
      std::optional<int> campaign_id;
      {
        pqxx::read_transaction tx(connection);
        campaign_id = resolve_page_key(tx, key);
      }
      if (campaign_id) snapshot = compute_snapshot(connection, *campaign_id);
    });
    return snapshot;
  };
}

}  // namespace mailprune::progress
