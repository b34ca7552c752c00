// Routing of one HTTP request: the OAuth2 token endpoint, authentication, then the SOAP
// dispatch. Pure: request in, answer out (I/O is http_session.cpp's).
#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "ews_server/ids.hpp"
#include "ews_server/server_impl.hpp"

namespace mailprune::ews_test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Answer text_answer(unsigned status, std::string text, std::string content_type = "text/plain; charset=utf-8") {
  Answer answer;
  answer.status = status;
  answer.content_type = std::move(content_type);
  answer.body.append_text(std::move(text));
  return answer;
}

Answer json_answer(unsigned status, const nlohmann::json& json) {
  Answer answer = text_answer(status, json.dump(), "application/json; charset=utf-8");
  answer.headers.emplace_back("Cache-Control", "no-store");
  return answer;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> form;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string pair = body.substr(start, end - start);
    std::size_t equals = pair.find('=');
    if (equals != std::string::npos)
      form[percent_decode(pair.substr(0, equals))] = percent_decode(pair.substr(equals + 1));
    start = end + 1;
  }
  return form;
}

std::string random_token() {
  static std::mutex mutex;
  static std::mt19937_64 generator{std::random_device{}()};
  std::lock_guard lock(mutex);
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    std::uint64_t value = generator();
    bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  return base64_encode(bytes);
}

}  // namespace

std::optional<Principal> EwsTestServer::Impl::authenticate(const std::string& authorization, bool& expired_token) {
  expired_token = false;
  std::lock_guard lock(mutex);
  if (authorization.size() > 6 && lower(authorization.substr(0, 6)) == "basic ") {
    auto decoded = base64_decode(authorization.substr(6));
    if (!decoded) return std::nullopt;
    std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto account = accounts.find(lower(decoded->substr(0, colon)));
    if (account == accounts.end() || account->second.password != decoded->substr(colon + 1)) return std::nullopt;
    return account->second.principal;
  }
  if (authorization.size() > 7 && lower(authorization.substr(0, 7)) == "bearer ") {
    auto token = tokens.find(authorization.substr(7));
    if (token == tokens.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() >= token->second.expires) {
      expired_token = true;
      return std::nullopt;
    }
    // An application token (full_access_as_app): every mailbox, through impersonation.
    return Principal{token->second.client, "", true};
  }
  return std::nullopt;
}

Answer EwsTestServer::Impl::answer_token(const HttpRequest& request) {
  if (request.method != "POST") return json_answer(405, {{"error", "invalid_request"}});
  auto form = parse_form(request.body);
  std::string client_id = form["client_id"], client_secret = form["client_secret"];
  if (client_id.empty() && request.authorization.size() > 6 && lower(request.authorization.substr(0, 6)) == "basic ") {
    auto decoded = base64_decode(request.authorization.substr(6)).value_or("");
    std::size_t colon = decoded.find(':');
    if (colon != std::string::npos) {
      client_id = percent_decode(decoded.substr(0, colon));
      client_secret = percent_decode(decoded.substr(colon + 1));
    }
  }
  if (form["grant_type"] != "client_credentials") {
    return json_answer(
        400, {{"error", "unsupported_grant_type"}, {"error_description", "only client_credentials is supported"}});
  }
  std::lock_guard lock(mutex);
  auto client = oauth_clients.find(client_id);
  if (client == oauth_clients.end() || client->second.secret != client_secret) {
    return json_answer(401, {{"error", "invalid_client"}, {"error_description", "unknown client or wrong secret"}});
  }
  std::string token = random_token();
  tokens[token] = {client_id, std::chrono::steady_clock::now() + client->second.lifetime};
  ++token_counter;
  return json_answer(
      200, {{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", client->second.lifetime.count()}});
}

Answer EwsTestServer::Impl::answer(const HttpRequest& request) {
  std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/oauth2/token") return answer_token(request);
  if (lower(path) != "/ews/exchange.asmx") return text_answer(404, "Not Found");
  bool expired = false;
  std::optional<Principal> principal = authenticate(request.authorization, expired);
  if (!principal) {
    Answer answer = text_answer(401, "401 - Unauthorized: Access is denied due to invalid credentials.", "text/html");
    if (expired) {
      answer.headers.emplace_back("WWW-Authenticate",
                                  "Bearer error=\"invalid_token\", error_description=\"The token has expired\"");
    } else {
      answer.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + options.realm + "\"");
    }
    return answer;
  }
  if (request.method != "POST") return text_answer(405, "Method Not Allowed");
  return answer_soap(request, *principal);
}

}  // namespace mailprune::ews_test
