// POST/GET/DELETE /api/v1/session: console login, who am I, logout.
#include <string>

#include "api/handlers.hpp"
#include "auth/audit.hpp"
#include "auth/login.hpp"
#include "auth/session.hpp"

namespace mailprune::api {
namespace {

nlohmann::json principal_json(const auth::Principal& principal, const security::Key& key,
                              std::optional<std::int64_t> expires_at) {
  nlohmann::json csrf = nullptr;
  if (principal.via == auth::Via::session) csrf = auth::csrf_token(principal.session_sha256, key);
  return {{"login", principal.login},
          {"role", auth::to_string(principal.role)},
          {"via", auth::to_string(principal.via)},
          {"csrf_token", csrf},
          {"expires_at", expires_at ? nlohmann::json(*expires_at) : nlohmann::json(nullptr)}};
}

}  // namespace

http::Response session_get(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    std::optional<std::int64_t> expires_at;
    if (call.principal.via == auth::Via::session) {
      pqxx::read_transaction tx(call.connection);
      expires_at =
          tx.exec_params1("SELECT floor(extract(epoch FROM expires_at))::bigint FROM admin_session WHERE id = $1",
                          call.principal.credential_id)[0]
              .as<std::int64_t>();
    }
    return json_answer(200, principal_json(call.principal, api.csrf_key, expires_at));
  });
}

http::Response session_post(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run_open(request, [&](pqxx::connection& connection, std::int64_t now) {
    nlohmann::json body = json_body(request, {"login", "password"});
    std::vector<std::pair<std::string, std::string>> missing;
    auto login = opt_string(body, "login");
    auto password = opt_string(body, "password");
    if (!login || login->empty()) missing.emplace_back("login", "required");
    if (!password || password->empty()) missing.emplace_back("password", "required");
    if (!missing.empty()) throw ApiError(400, "invalid", "login and password are required", missing);
    pqxx::work tx(connection);
    auth::LoginResult result = auth::verify_login(tx, *login, *password, request.remote_address, api.auth, now);
    if (result.status != auth::LoginStatus::ok) {
      tx.commit();  // the failed attempt counts
      if (result.status == auth::LoginStatus::throttled) {
        http::Response answer = error_answer(429, "throttled", "too many failed logins: try again later");
        answer.headers.set("Retry-After", std::to_string(result.retry_after_seconds));
        return answer;
      }
      if (result.status == auth::LoginStatus::disabled) {
        return error_answer(401, "disabled", "the account is disabled");
      }
      return error_answer(401, "bad_credentials", "wrong login or password");
    }
    auth::ClientInfo client;
    client.ip = request.remote_address;
    client.user_agent = request.headers.get("User-Agent").value_or("").substr(0, 512);
    auth::NewSession session = auth::create_session(tx, result.account, client, api.auth, api.csrf_key, now);
    tx.commit();
    nlohmann::json answer = {{"login", result.account.login},
                             {"role", auth::to_string(result.account.role)},
                             {"via", "session"},
                             {"csrf_token", session.csrf_token},
                             {"expires_at", session.expires_at}};
    http::Response response = json_answer(200, answer);
    response.headers.add("Set-Cookie", auth::session_cookie(session, auth::cookie_secure(request, api.auth), now));
    return response;
  });
}

http::Response session_delete(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    if (call.principal.via != auth::Via::session) {
      throw conflict("an API token is not a session: revoke it with mailprune admin token revoke");
    }
    pqxx::work tx(call.connection);
    auth::logout(tx, call.principal, request.remote_address, call.now);
    tx.commit();
    http::Response response;
    response.status = 204;
    response.headers.add("Set-Cookie", auth::clear_session_cookie(auth::cookie_secure(request, api.auth)));
    return response;
  });
}

}  // namespace mailprune::api
