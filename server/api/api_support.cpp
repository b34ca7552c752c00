#include "api/api_support.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "auth/authenticate.hpp"

namespace mailprune::api {
namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

http::Response internal_error(const http::Request& request, const char* what) {
  spdlog::error("api {} {}: {}", request.method, request.path, what);
  return error_answer(500, "internal", "the server could not answer; the error is in its log");
}

template <class Body>
http::Response guarded(const http::Request& request, Body&& body) {
  try {
    return body();
  } catch (const ApiError& e) {
    return error_answer(e.status(), e.code(), e.what(), e.fields());
  } catch (const pqxx::broken_connection& e) {
    spdlog::error("api {} {}: database unreachable: {}", request.method, request.path, e.what());
    return error_answer(503, "unavailable", "the database is not reachable");
  } catch (const std::exception& e) {
    return internal_error(request, e.what());
  }
}

}  // namespace

ApiError invalid(std::string field, std::string message) {
  std::string text = field + ": " + message;
  return ApiError(400, "invalid", text, {{std::move(field), std::move(message)}});
}

ApiError not_found(std::string what) {
  return ApiError(404, "not_found", what + " not found");
}

ApiError conflict(std::string message) {
  return ApiError(409, "conflict", std::move(message));
}

http::Response json_answer(int status, const nlohmann::json& body) {
  return http::json_response(status, body.dump());
}

http::Response error_answer(int status, const std::string& code, const std::string& message,
                            const std::vector<std::pair<std::string, std::string>>& fields) {
  nlohmann::json body = {{"error", code}, {"message", message}};
  if (!fields.empty()) {
    body["fields"] = nlohmann::json::array();
    for (const auto& [field, text] : fields) body["fields"].push_back({{"field", field}, {"message", text}});
  }
  return json_answer(status, body);
}

nlohmann::json json_body(const http::Request& request, const std::vector<std::string>& allowed, bool empty_ok) {
  if (empty_ok && request.body.empty()) return nlohmann::json::object();
  std::string type = request.headers.get("Content-Type").value_or("");
  std::string_view media = std::string_view(type).substr(0, type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (!http::iequals(media, "application/json")) {
    throw ApiError(415, "unsupported_media_type", "send the body as Content-Type: application/json");
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) throw ApiError(400, "invalid", "the body is not valid JSON");
  if (!body.is_object()) throw ApiError(400, "invalid", "the body must be a JSON object");
  std::vector<std::pair<std::string, std::string>> unknown;
  for (const auto& item : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      unknown.emplace_back(item.key(), "unknown field");
    }
  }
  if (!unknown.empty()) throw ApiError(400, "invalid", "unknown field: " + unknown.front().first, unknown);
  return body;
}

std::optional<std::string> opt_string(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw invalid(field, "must be a string");
  return it->get<std::string>();
}

std::optional<std::int64_t> opt_integer(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw invalid(field, "must be an integer");
  return it->get<std::int64_t>();
}

std::optional<bool> opt_bool(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw invalid(field, "must be true or false");
  return it->get<bool>();
}

std::vector<std::string> opt_strings(const nlohmann::json& body, const std::string& field) {
  std::vector<std::string> out;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) throw invalid(field, "must be an array of strings");
  for (const auto& item : *it) {
    if (!item.is_string() || item.get<std::string>().empty())
      throw invalid(field, "must be an array of non-empty strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::int64_t> query_integer(const http::Request& request, const std::string& name, std::int64_t min,
                                          std::int64_t max) {
  auto text = request.query.get(name);
  if (!text) return std::nullopt;
  auto value = parse_int(*text);
  if (!value || *value < min || *value > max) {
    throw invalid(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

PageRequest page_request(const http::Request& request) {
  PageRequest page;
  if (auto limit = query_integer(request, "limit", 1, 500)) page.limit = static_cast<int>(*limit);
  if (auto cursor = request.query.get("cursor"); cursor && !cursor->empty()) {
    auto value = parse_int(*cursor);
    if (!value || *value < 0) throw invalid("cursor", "not a cursor of this list");
    page.after = value;
  }
  return page;
}

nlohmann::json page_answer(nlohmann::json items, const PageRequest& page, std::optional<std::int64_t> last_id) {
  nlohmann::json next = nullptr;
  if (last_id && static_cast<int>(items.size()) >= page.limit) next = std::to_string(*last_id);
  return {{"items", std::move(items)}, {"next_cursor", next}};
}

std::optional<std::vector<std::int64_t>> match_path(std::string_view pattern, std::string_view path) {
  auto want = segments(pattern);
  auto have = segments(path);
  if (want.size() != have.size()) return std::nullopt;
  std::vector<std::int64_t> ids;
  bool bad_id = false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{id}") {
      auto value = parse_int(have[i]);
      if (!value || *value <= 0) bad_id = true;
      ids.push_back(value.value_or(0));
    } else if (want[i] != have[i]) {
      return std::nullopt;
    }
  }
  if (bad_id) throw ApiError(404, "not_found", "no such resource (ids are positive integers)");
  return ids;
}

http::Response ApiContext::run(const http::Request& request, auth::Role role,
                               const std::function<http::Response(Call&)>& body) const {
  return guarded(request, [&] {
    http::Response response;
    with_connection([&](pqxx::connection& connection) {
      std::int64_t at = now();
      std::optional<auth::Principal> principal;
      {
        pqxx::work tx(connection);
        auto access = auth::authorize(tx, request, role, auth, csrf_key, at);
        tx.commit();
        if (!access) {
          response = auth::refusal_response(access.error());
          return;
        }
        principal = access.value();
      }
      Call call{request, *principal, connection, at};
      response = body(call);
    });
    return response;
  });
}

http::Response ApiContext::run_open(
    const http::Request& request,
    const std::function<http::Response(pqxx::connection&, std::int64_t now)>& body) const {
  return guarded(request, [&] {
    http::Response response;
    with_connection([&](pqxx::connection& connection) { response = body(connection, now()); });
    return response;
  });
}

nlohmann::json nullable_text(const pqxx::field& field) {
  if (field.is_null()) return nullptr;
  return field.as<std::string>();
}

}  // namespace mailprune::api
