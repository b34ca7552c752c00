#include "api/routes.hpp"

#include <functional>
#include <map>
#include <memory>

#include "api/handlers.hpp"
#include "auth/authenticate.hpp"

namespace mailprune::api {
namespace {

using Handler = http::Response (*)(const ApiContext&, const http::Request&, const Ids&);

struct Entry {
  Operation operation;
  Handler handler;
};

std::vector<Entry> entries() {
  using auth::Role;
  return {
      {{"GET", "/api/v1/session", Role::viewer}, session_get},
      {{"POST", "/api/v1/session", Role::viewer}, session_post},
      {{"DELETE", "/api/v1/session", Role::viewer}, session_delete},
      {{"GET", "/api/v1/campaigns", Role::viewer}, campaigns_list},
      {{"POST", "/api/v1/campaigns", Role::admin}, campaigns_create},
      {{"GET", "/api/v1/campaigns/{id}", Role::viewer}, campaign_get},
      {{"POST", "/api/v1/campaigns/{id}/what-if", Role::admin}, campaign_what_if},
      {{"POST", "/api/v1/campaigns/{id}/launch", Role::admin}, campaign_launch},
      {{"POST", "/api/v1/campaigns/{id}/notify", Role::admin}, campaign_notify},
      {{"POST", "/api/v1/campaigns/{id}/apply", Role::admin}, campaign_apply},
      {{"POST", "/api/v1/campaigns/{id}/undo", Role::admin}, campaign_undo},
      {{"POST", "/api/v1/campaigns/{id}/close", Role::admin}, campaign_close},
      {{"GET", "/api/v1/campaigns/{id}/rules", Role::viewer}, campaign_rules},
      {{"GET", "/api/v1/campaigns/{id}/proposals", Role::viewer}, campaign_proposals},
      {{"GET", "/api/v1/campaigns/{id}/actions", Role::viewer}, campaign_actions},
      {{"GET", "/api/v1/campaigns/{id}/failures", Role::viewer}, campaign_failures},
      {{"GET", "/api/v1/campaigns/{id}/progress-page", Role::viewer}, progress_page_get},
      {{"PUT", "/api/v1/campaigns/{id}/progress-page", Role::admin}, progress_page_put},
      {{"POST", "/api/v1/actions/{id}/retry", Role::admin}, action_retry},
      {{"GET", "/api/v1/jobs", Role::viewer}, jobs_list},
      {{"GET", "/api/v1/jobs/{id}", Role::viewer}, job_get},
      {{"GET", "/api/v1/rules", Role::viewer}, config_rules},
      {{"GET", "/api/v1/agents", Role::viewer}, agents_list},
      {{"POST", "/api/v1/agents", Role::admin}, agents_import},
      {{"GET", "/api/v1/holds", Role::viewer}, holds_list},
      {{"POST", "/api/v1/holds", Role::admin}, holds_create},
      {{"DELETE", "/api/v1/holds/{id}", Role::admin}, hold_delete},
      {{"GET", "/api/v1/reports/summary", Role::viewer}, report_summary},
      {{"GET", "/api/v1/reports/mailboxes", Role::viewer}, report_mailboxes},
      {{"GET", "/api/v1/reports/folders", Role::viewer}, report_folders},
      {{"GET", "/api/v1/reports/attachments", Role::viewer}, report_attachments},
      {{"GET", "/api/v1/reports/duplicates", Role::viewer}, report_duplicates},
      {{"GET", "/api/v1/audit", Role::viewer}, audit_list},
  };
}

// "/api/v1/campaigns/{id}/launch" -> "/api/v1/campaigns/"
std::string prefix_of(const std::string& pattern) {
  return pattern.substr(0, pattern.find("{id}"));
}

}  // namespace

std::vector<Operation> api_operations() {
  std::vector<Operation> out;
  for (const auto& entry : entries()) out.push_back(entry.operation);
  return out;
}

void add_api_routes(http::Router& router, const ApiContext& api, metrics::HttpMetrics* metrics) {
  const ApiContext* context = &api;
  auto wrap = [metrics](const std::string& pattern, http::Handler handler) {
    return metrics ? metrics->instrument(pattern, std::move(handler)) : handler;
  };
  // Prefix routes: (method, prefix) -> the entries below it, matched in order.
  std::map<std::pair<std::string, std::string>, std::vector<Entry>> prefixed;
  for (const auto& entry : entries()) {
    const auto& op = entry.operation;
    http::RouteOptions options;
    options.log_full_path = true;
    if (op.pattern == "/api/v1/agents" && op.method == "POST") options.max_body_bytes = 8 * 1024 * 1024;
    if (op.pattern.find("{id}") == std::string::npos) {
      Handler handler = entry.handler;
      router.add(
          op.method, op.pattern,
          wrap(op.pattern, [context, handler](const http::Request& request) { return handler(*context, request, {}); }),
          options);
    } else {
      prefixed[{op.method, prefix_of(op.pattern)}].push_back(entry);
    }
  }
  for (auto& [key, list] : prefixed) {
    auto shared = std::make_shared<std::vector<Entry>>(std::move(list));
    // Each pattern gets its own metrics label: instrument the per-pattern handler.
    auto handlers = std::make_shared<std::vector<http::Handler>>();
    for (const auto& entry : *shared) {
      Handler handler = entry.handler;
      std::string pattern = entry.operation.pattern;
      handlers->push_back(wrap(pattern, [context, handler, pattern](const http::Request& request) {
        try {
          auto ids = match_path(pattern, request.path);
          return handler(*context, request, ids.value_or(Ids{}));
        } catch (const ApiError& e) {
          return error_answer(e.status(), e.code(), e.what(), e.fields());
        }
      }));
    }
    http::RouteOptions options;
    options.log_full_path = true;
    router.add_prefix(
        key.first, key.second,
        [shared, handlers](const http::Request& request) {
          for (std::size_t i = 0; i < shared->size(); ++i) {
            try {
              if (match_path((*shared)[i].operation.pattern, request.path)) return (*handlers)[i](request);
            } catch (const ApiError& e) {
              return error_answer(e.status(), e.code(), e.what(), e.fields());
            }
          }
          return error_answer(404, "not_found", "no such resource");
        },
        options);
  }
  // Anything else under /api/v1/ is a JSON 404 too (paths that have routes keep their 405s).
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    if (prefixed.count({method, "/api/v1/"}) > 0) continue;
    router.add_prefix(method, "/api/v1/",
                      [](const http::Request&) { return error_answer(404, "not_found", "no such resource"); });
  }
}

std::function<std::optional<http::Response>(const http::Request&)> metrics_guard(const ApiContext& api,
                                                                                 const std::string& access) {
  if (access != "viewer") return {};
  const ApiContext* context = &api;
  return [context](const http::Request& request) -> std::optional<http::Response> {
    std::optional<http::Response> refusal;
    context->with_connection([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      auto result = auth::authorize(tx, request, auth::Role::viewer, context->auth, context->csrf_key, context->now());
      tx.commit();
      if (!result) refusal = auth::refusal_response(result.error());
    });
    return refusal;
  };
}

}  // namespace mailprune::api
