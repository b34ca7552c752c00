// serve: the HTTP server (server/http) with its routes: /healthz, the archive links.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "api/job_steps.hpp"
#include "api/routes.hpp"
#include "archive/archive_http.hpp"
#include "archive/archive_records.hpp"
#include "archive/store.hpp"
#include "auth/session.hpp"
#include "cli/commands.hpp"
#include "console/console_routes.hpp"
#include "db/database.hpp"
#include "http/health.hpp"
#include "http/server.hpp"
#include "http/writer_body.hpp"
#include "metrics/database_metrics.hpp"
#include "metrics/metrics_http.hpp"
#include "metrics/registry.hpp"
#include "nightly/nightly.hpp"
#include "nightly/schedule.hpp"
#include "progress/handlers.hpp"
#include "review/review_handlers.hpp"
#include "security/keys.hpp"

namespace mailprune::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> listen;  // --listen (repeatable): replaces [server] listen
};

constexpr const char* kServeFooter = R"(Routes:
  GET /healthz      200 {"status":"ok","version":...,"database":"reachable"}, 503 when the
                    database does not answer (for load balancers and monitoring)
  GET /archive/...  the signed links left in messages in place of detached attachments
  GET|POST /review/<token>
                    the agents' review pages (the link in their e-mail): GET shows the
                    proposals and changes nothing, POST records the decisions
  /api/v1/...       the JSON API (docs/api.md, docs/openapi.json): sessions, campaigns, jobs,
                    proposals, actions, agents, holds, reports, audit
  GET /metrics      Prometheus; [server] metrics_access = "viewer" asks for a session or token
  GET /console/     the admin console (log in with an account made by `mailprune admin add`)
  GET /progress/... campaigns' live progress pages, when switched on per campaign
                    (mailprune campaign progress-page; [progress] in the configuration):
                    the page, /snapshot.json and /events (Server-Sent Events)
  GET /assets/...   the pages' scripts and styles, built into the binary

Listens on [server] listen (default 127.0.0.1:8080), plain HTTP unless [server] tls_cert_file
and tls_key_file are set; the usual deployment puts a reverse proxy in front that terminates TLS
(then list it in [server] trusted_proxies). Timeouts and size limits: [server], see
docs/configuration.md and docs/http.md. The access log (one line per request, at info level)
never shows query strings, nor what follows a route's prefix: links carry tokens there.

With [nightly] schedule = "HH:MM" it also runs the nightly run every day at that local time (as
`mailprune nightly` does; both at once are safe, see `mailprune nightly --help`).

Runs until SIGTERM or SIGINT: then it stops accepting, lets requests in flight finish (at most
[server] shutdown_timeout_seconds) and exits 0. The embedded PostgreSQL, if used, keeps running
after it exits (other mailprune commands share it; the last one-shot command to leave stops it).
Exit codes: 0 stopped by a signal, 1 the database or a listen address cannot be used, 2 usage or
configuration error.)";

// One database connection per I/O thread (libpqxx: a connection belongs to one thread), opened
// on first use and reopened after it broke.
class ConnectionPerThread {
 public:
  explicit ConnectionPerThread(db::Database& database) : database_(database) {}

  template <class Work>
  auto with(Work&& work) {
    pqxx::connection* connection = nullptr;
    auto id = std::this_thread::get_id();
    {
      std::lock_guard lock(mutex_);  // Database::connect() is not thread-safe
      auto& slot = connections_[id];
      if (!slot || !slot->is_open()) slot = database_.connect();
      connection = slot.get();
    }
    try {
      return work(*connection);
    } catch (const pqxx::broken_connection&) {
      std::lock_guard lock(mutex_);
      connections_.erase(id);
      throw;
    }
  }

 private:
  db::Database& database_;
  std::mutex mutex_;
  std::map<std::thread::id, std::unique_ptr<pqxx::connection>> connections_;
};

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// GET /archive/<reference>/<sha256>/<name>?e=..&s=.. (server/archive/archive_http.hpp), adapted to
// the server's request and response types; the file streams from a writer thread.
void add_archive_routes(http::Router& router, const config::Config& config, ConnectionPerThread& connections) {
  auto key = std::make_shared<security::Key>(security::load_or_create_key(config, "links", config.archive.link_key));
  auto store = std::make_shared<archive::ArchiveStore>(archive::ArchiveStore::default_root(config));
  router.add_prefix("GET", "/archive/", [key, store, &connections](const http::Request& request) {
    // The link is checked as issued, so the raw target: strip an absolute form's scheme and host.
    std::string_view target = request.target;
    if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
      auto slash = target.find('/', target.find("://") + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    auto question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    archive::ReferenceLookup lookup = [&connections](std::int64_t reference_id) {
      return connections.with([reference_id](pqxx::connection& connection) {
        pqxx::read_transaction tx(connection);
        return archive::find_reference(tx, reference_id);
      });
    };
    archive::ArchiveResponse answer = archive::handle_archive_get(path, query, *key, *store, lookup, unix_now());
    http::Response response;
    response.status = answer.status;
    for (const auto& [name, value] : answer.headers) {
      if (!http::iequals(name, "Content-Length")) response.headers.add(name, value);
    }
    if (answer.write_body) {
      response.producer = http::producer_from_writer(
          [write = std::move(answer.write_body), store](const http::BodySink& sink) { write(sink); });
      response.content_length = answer.content_length;
    } else {
      response.body = std::move(answer.body);
    }
    return response;
  });
}

// The metrics label of a route (mailprune_http_*{route=...}): an exact route's path, a prefix
// route's pattern. What follows a prefix may be a secret (a review token, a progress link, a
// signed archive link), so it never goes into a label; unknown prefixes end in "{path}".
std::string route_pattern(const std::string& path, bool prefix) {
  if (!prefix) return path;
  static const std::map<std::string, std::string> kPatterns = {{"/archive/", "/archive/{link}"},
                                                               {"/review/", "/review/{token}"},
                                                               {"/progress/", "/progress/{key}"},
                                                               {"/assets/", "/assets/{name}"},
                                                               {"/console/", "/console/{file}"}};
  auto known = kPatterns.find(path);
  return known != kPatterns.end() ? known->second : path + "{path}";
}

bool ends_with(std::string_view text, std::string_view end) {
  return text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
}

// Times every route registered so far through HttpMetrics::instrument, under route_pattern().
// A progress page's snapshot and event stream get labels of their own ("/progress/{key}/events":
// the time to open the stream, not its life). The API's routes time themselves per operation
// (api/routes.hpp): register them after this.
void time_routes(http::Router& router, metrics::HttpMetrics& metrics) {
  router.wrap_handlers([&metrics](const std::string&, const std::string& path, bool prefix, http::Handler handler) {
    std::string pattern = route_pattern(path, prefix);
    if (pattern != "/progress/{key}") return metrics.instrument(pattern, std::move(handler));
    auto shared = std::make_shared<http::Handler>(std::move(handler));
    auto call = [shared](const http::Request& request) { return (*shared)(request); };
    auto page = metrics.instrument(pattern, call);
    auto events = metrics.instrument(pattern + "/events", call);
    auto snapshot = metrics.instrument(pattern + "/snapshot.json", call);
    return http::Handler([page, events, snapshot](const http::Request& request) {
      if (ends_with(request.path, "/events")) return events(request);
      if (ends_with(request.path, "/snapshot.json")) return snapshot(request);
      return page(request);
    });
  });
}

bool readable(const std::string& path) {
  std::ifstream in(path);
  return in.good();
}

int command_serve(const Context& context, const ServeArgs& args) {
  config::ServerConfig server_config = context.config.server;
  if (!args.listen.empty()) server_config.listen = args.listen;
  http::ServerOptions options = http::server_options(server_config);
  try {
    http::check_listen_addresses(options.listen);
  } catch (const http::ListenError& e) {
    throw UsageError{std::string(e.what()) + " (IP:PORT or [IPv6]:PORT)"};
  }
  for (const auto& [key, path] :
       {std::pair{"tls_cert_file", options.tls_cert_file}, {"tls_key_file", options.tls_key_file}}) {
    if (!path.empty() && !readable(path)) throw UsageError{fmt::format("server.{}: cannot read {}", key, path)};
  }

  db::Database database(context.config);
  database.keep_running(true);  // other commands share the embedded cluster; a restart finds it up
  database.connect_migrated();  // fails here (exit 1) rather than on the first request
  spdlog::info("database: {}", database.describe());
  ConnectionPerThread connections(database);

  http::Router router;
  http::HealthOptions health;
  health.version = MAILPRUNE_VERSION;
  health.database_reachable = [&connections] {
    return connections.with([](pqxx::connection& connection) {
      pqxx::nontransaction tx(connection);
      tx.exec("SELECT 1");
      return true;
    });
  };
  http::add_health_routes(router, std::move(health));
  add_archive_routes(router, context.config, connections);
  // The agents' review pages (GET shows, POST records decisions), keyed like `campaign notify`.
  review::ReviewHandlerContext review_context;
  review_context.key = security::load_or_create_key(context.config, "review", config::Secret());
  review_context.with_connection = [&connections](const std::function<void(pqxx::connection&)>& work) {
    connections.with([&](pqxx::connection& connection) { work(connection); });
  };
  review::add_review_routes(router, review_context);
  // The admin console: static files under /console/ that drive /api/v1 from the browser.
  console::add_console_routes(router);
  // The campaigns' live progress pages and their assets, computed at most once per refresh interval.
  auto progress_cache =
      std::make_shared<progress::SnapshotCache>(progress::database_loader(review_context.with_connection),
                                                std::chrono::seconds(context.config.progress.refresh_seconds));
  progress::ProgressHttpOptions progress_options;
  progress_options.frame_ancestors = context.config.progress.frame_ancestors;
  progress::add_progress_routes(router, progress_cache, std::move(progress_options));
  // Prometheus: inventory, campaign and journal figures read at scrape time (cached 15 s), and
  // the latency of every route above (labelled by pattern, never by token).
  auto registry = std::make_shared<metrics::Registry>();
  metrics::DatabaseCollectorOptions collector;
  collector.with_connection = review_context.with_connection;
  registry->add_collector(metrics::database_collector(std::move(collector)));
  metrics::HttpMetrics http_metrics(*registry);
  time_routes(router, http_metrics);
  // The JSON API under /api/v1 (docs/api.md), timed per operation, its background jobs on a
  // thread of their own (with their own Database), and /metrics guarded as [server]
  // metrics_access says.
  api::ApiContext api_context;
  api_context.config = &context.config;
  api_context.with_connection = review_context.with_connection;
  api_context.auth = auth::auth_settings(context.config.server);
  api_context.csrf_key = auth::load_csrf_key(context.config);
  api_context.now = unix_now;
  auto job_database = std::make_shared<db::Database>(context.config);
  job_database->keep_running(true);
  auto job_database_mutex = std::make_shared<std::mutex>();
  api::JobRunner jobs(
      [job_database, job_database_mutex]() -> std::unique_ptr<pqxx::connection> {
        std::lock_guard lock(*job_database_mutex);  // Database is not thread-safe
        return job_database->connect();
      },
      api::production_executors(context.config));
  jobs.start();
  api_context.jobs = &jobs;
  api::add_api_routes(router, api_context, &http_metrics);
  metrics::MetricsRouteOptions metrics_options;
  metrics_options.guard = api::metrics_guard(api_context, context.config.server.metrics_access);
  metrics::add_metrics_routes(router, registry, std::move(metrics_options));

  http::Server server(options, std::move(router));
  server.stop_on_signals();
  server.start();
  for (const auto& url : server.urls()) spdlog::info("mailprune {} listening on {}", MAILPRUNE_VERSION, url);
  // [nightly] schedule: the nightly run on a thread of its own, with its own Database (the
  // request threads' is theirs), locked per campaign like `mailprune nightly`.
  std::unique_ptr<nightly::NightlySchedule> schedule;
  if (auto at = nightly::parse_clock_time(context.config.nightly.schedule)) {
    const config::Config& config = context.config;
    schedule = std::make_unique<nightly::NightlySchedule>(*at, [&config] {
      db::Database night_database(config);
      night_database.keep_running(true);
      nightly::NightlyOptions night;
      night.origin = "serve";
      auto report = nightly::run_nightly(config, night_database, night);
      if (report.failed > 0) spdlog::warn("{}", nightly::summary_line(report));
    });
  }
  server.wait();
  if (schedule) {
    spdlog::info("waiting for a scheduled nightly run in progress, if any, to end");
    schedule->stop();
  }
  // A background job still running after the grace period is left to the exit (its journal is
  // safe against that, like a kill -9): it is marked interrupted, and the process ends here.
  if (!jobs.stop(std::chrono::seconds(server_config.shutdown_timeout_seconds))) {
    spdlog::warn("exiting with an API job still running (marked interrupted; run its step again)");
    spdlog::shutdown();
    std::_Exit(0);
  }
  spdlog::info("server stopped");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, std::function<int(const Context&)>& action) {
  auto args = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand("serve", "run the HTTP server: review pages, archive links, /healthz");
  serve->footer(kServeFooter);
  serve
      ->add_option("--listen", args->listen,
                   "listen on this address instead of [server] listen (repeatable): IP:PORT or [IPv6]:PORT; "
                   "port 0 picks a free port")
      ->type_name("ADDR:PORT")
      ->allow_extra_args(false);
  serve->callback([&action, args] { action = [args](const Context& c) { return command_serve(c, *args); }; });
}

}  // namespace mailprune::cli
