// api_support.hpp: what every /api/v1 handler shares: the context it runs with (database,
// configuration, keys, clock, job runner), JSON errors, request body checks, path matching, query
// parameters, cursors, and the authorise-then-run wrapper.
//
// Errors: a handler throws ApiError (status, code, message, optional per-field messages); the
// wrapper (ApiContext::run) turns it into {"error","message"[,"fields"]} JSON. Any other exception
// becomes 500 {"error":"internal"} with the exception logged, never shown to the caller.
//
// Threads: ApiContext is built once before the server starts and then only read; its callbacks
// (with_connection, now) must be safe from every I/O thread (serve gives one connection per
// thread). Handlers are pure functions of the request apart from the database.
#pragma once

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/principal.hpp"
#include "config/config.hpp"
#include "http/message.hpp"
#include "security/keys.hpp"

namespace mailprune::api {

class JobRunner;

// A refusal with its HTTP status: 400 invalid, 404 not_found, 409 conflict, 413 too_large,
// 415 unsupported_media_type.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message,
           std::vector<std::pair<std::string, std::string>> fields = {})
      : std::runtime_error(message), status_(status), code_(std::move(code)), fields_(std::move(fields)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  int status_;
  std::string code_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

ApiError invalid(std::string field, std::string message);  // 400 with one field
ApiError not_found(std::string what);                      // 404 "<what> not found"
ApiError conflict(std::string message);                    // 409

// JSON body answers.
http::Response json_answer(int status, const nlohmann::json& body);
http::Response error_answer(int status, const std::string& code, const std::string& message,
                            const std::vector<std::pair<std::string, std::string>>& fields = {});

// The request's JSON object body. Content-Type must be application/json (415 otherwise); an
// empty body is {} when `empty_ok`; not an object, or fields outside `allowed`: 400.
nlohmann::json json_body(const http::Request& request, const std::vector<std::string>& allowed, bool empty_ok = false);

// Typed optional fields of a JSON object; a wrong type is a 400 naming the field.
std::optional<std::string> opt_string(const nlohmann::json& body, const std::string& field);
std::optional<std::int64_t> opt_integer(const nlohmann::json& body, const std::string& field);
std::optional<bool> opt_bool(const nlohmann::json& body, const std::string& field);
std::vector<std::string> opt_strings(const nlohmann::json& body, const std::string& field);

// Query parameters: an integer in [min, max] (400 naming it otherwise).
std::optional<std::int64_t> query_integer(const http::Request& request, const std::string& name, std::int64_t min,
                                          std::int64_t max);
// `limit` (1..500, default 100) and `cursor` (an id: items after it, opaque to callers).
struct PageRequest {
  int limit = 100;
  std::optional<std::int64_t> after;
};
PageRequest page_request(const http::Request& request);
// {"items": items, "next_cursor": last id when the page is full, else null}.
nlohmann::json page_answer(nlohmann::json items, const PageRequest& page, std::optional<std::int64_t> last_id);

// Matches `path` against `pattern` where "{id}" segments are positive integers: the ids in order,
// nullopt when it does not match. An id segment that is not a number: 404 (no such resource).
std::optional<std::vector<std::int64_t>> match_path(std::string_view pattern, std::string_view path);

// The database seen by a handler: opens one connection per thread and runs `work` on it.
using WithConnection = std::function<void(const std::function<void(pqxx::connection&)>&)>;

struct ApiContext {
  const config::Config* config = nullptr;
  WithConnection with_connection;
  auth::AuthSettings auth;
  security::Key csrf_key{};
  std::function<std::int64_t()> now;  // Unix seconds
  JobRunner* jobs = nullptr;          // background steps; null: those routes answer 503

  // What a handler gets once authorised.
  struct Call {
    const http::Request& request;
    const auth::Principal& principal;
    pqxx::connection& connection;
    std::int64_t now;
  };
  // Authorises the request for `role` (auth::authorize with CSRF), then runs `body` with the
  // connection idle (no transaction open), mapping errors as above.
  http::Response run(const http::Request& request, auth::Role role,
                     const std::function<http::Response(Call&)>& body) const;
  // Runs `body` on a connection without authorising (login), with the same error mapping.
  http::Response run_open(const http::Request& request,
                          const std::function<http::Response(pqxx::connection&, std::int64_t now)>& body) const;
};

// ISO 8601 UTC text of a timestamptz column ("" -> null) helpers for SQL: use
// to_char(col AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"').
inline constexpr const char* kIsoFormat = R"('YYYY-MM-DD"T"HH24:MI:SS"Z"')";
nlohmann::json nullable_text(const pqxx::field& field);

}  // namespace mailprune::api
