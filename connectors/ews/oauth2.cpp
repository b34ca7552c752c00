#include "ews/oauth2.hpp"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

namespace mailprune::ews {
namespace {

std::string form_escape(CURL* curl, const std::string& value) {
  char* escaped = curl_easy_escape(curl, value.data(), static_cast<int>(value.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() > (1u << 20)) return 0;  // a token answer is small
  body->append(data, size * count);
  return size * count;
}

Error token_error(ErrorKind kind, std::string message, long status = 0) {
  Error error;
  error.kind = kind;
  error.message = std::move(message);
  error.http_status = status;
  error.operation = "OAuth2 token";
  return error;
}

}  // namespace

Result<TokenAnswer, Error> parse_token_answer(long http_status, const std::string& body) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (http_status != 200) {
    if (json.is_object() && json.contains("error") && json["error"].is_string()) {
      // error_description may echo the client id, never the secret; keep it short anyway.
      std::string message = "token endpoint refused: " + json["error"].get<std::string>();
      if (json.contains("error_description") && json["error_description"].is_string()) {
        message += ": " + json["error_description"].get<std::string>().substr(0, 300);
      }
      return token_error(http_status >= 500 ? ErrorKind::http : ErrorKind::authentication, message, http_status);
    }
    return token_error(http_status == 401 || http_status == 403 ? ErrorKind::authentication : ErrorKind::http,
                       "token endpoint answered HTTP " + std::to_string(http_status), http_status);
  }
  if (!json.is_object() || !json.contains("access_token") || !json["access_token"].is_string() ||
      json["access_token"].get<std::string>().empty()) {
    return token_error(ErrorKind::parse, "token endpoint answer has no access_token", http_status);
  }
  TokenAnswer answer;
  answer.access_token = json["access_token"].get<std::string>();
  if (json.contains("expires_in")) {
    const auto& expires = json["expires_in"];
    // Azure AD v1 sent expires_in as a string.
    if (expires.is_number_integer()) {
      answer.expires_in = std::chrono::seconds(expires.get<std::int64_t>());
    } else if (expires.is_string()) {
      try {
        answer.expires_in = std::chrono::seconds(std::stoll(expires.get<std::string>()));
      } catch (const std::exception&) {
      }
    }
  }
  return answer;
}

OAuth2ClientCredentials::OAuth2ClientCredentials(OAuth2Settings settings) : settings_(std::move(settings)) {
  ensure_curl_initialised();
}

std::uint64_t OAuth2ClientCredentials::tokens_fetched() const {
  std::lock_guard lock(mutex_);
  return fetched_;
}

Result<std::string, Error> OAuth2ClientCredentials::bearer(bool refresh) {
  std::lock_guard lock(mutex_);
  if (!refresh && !token_.empty() && Clock::now() < renew_at_) return token_;
  auto fetched = fetch();
  if (!fetched) return fetched.error();
  return token_;
}

Result<std::string, Error> OAuth2ClientCredentials::fetch() {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return token_error(ErrorKind::connection, "curl_easy_init failed");
  std::string form = "grant_type=client_credentials&client_id=" + form_escape(curl, settings_.client_id) +
                     "&client_secret=" + form_escape(curl, settings_.client_secret);
  if (!settings_.scope.empty()) form += "&scope=" + form_escape(curl, settings_.scope);
  std::string body;
  const HttpOptions& http = settings_.http;
  curl_easy_setopt(curl, CURLOPT_URL, settings_.token_url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, http.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(http.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, http.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, http.verify ? 2L : 0L);
  if (!http.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, http.ca_file.c_str());
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  // The form holds the secret: wipe it.
  std::fill(form.begin(), form.end(), '\0');
  if (code != CURLE_OK) {
    const bool tls = code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE;
    return token_error(code == CURLE_OPERATION_TIMEDOUT ? ErrorKind::timeout
                       : tls                            ? ErrorKind::tls
                                                        : ErrorKind::connection,
                       std::string("token endpoint: ") + curl_easy_strerror(code));
  }
  auto answer = parse_token_answer(status, body);
  if (!answer) return answer.error();
  token_ = std::move(answer->access_token);
  const auto lifetime = answer->expires_in;
  // Renew early: `renew_before` ahead, or at half-life for short-lived tokens.
  const auto margin = std::min<std::chrono::seconds>(settings_.renew_before, lifetime / 2);
  renew_at_ = Clock::now() + lifetime - margin;
  ++fetched_;
  return token_;
}

}  // namespace mailprune::ews
