// oauth2.hpp: OAuth2 client-credentials tokens for EWS (RFC 6749 section 4.4), cached and
// renewed early.
//
//   POST token_url  grant_type=client_credentials&client_id=..&client_secret=..&scope=..
//   -> {"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}
// For Exchange Online the scope is "https://outlook.office365.com/.default" and the token URL
// https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.
//
// One TokenSource is shared by every session of a source: bearer() is thread-safe and fetches at
// most one token at a time (the others wait for it). A token is renewed when less than
// `renew_before` of its life is left, or when the caller saw it refused (refresh = true; an
// HTTP 401 from EWS). The secret and the tokens are never logged or put in error messages.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "ews/error.hpp"
#include "ews/http_options.hpp"

namespace mailprune::ews {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A valid access token; `refresh`: the last one was refused, get a new one.
  virtual Result<std::string, Error> bearer(bool refresh) = 0;
};

struct OAuth2Settings {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;
  HttpOptions http;
  std::chrono::seconds renew_before{300};
};

class OAuth2ClientCredentials final : public TokenSource {
 public:
  explicit OAuth2ClientCredentials(OAuth2Settings settings);
  Result<std::string, Error> bearer(bool refresh) override;
  std::uint64_t tokens_fetched() const;

  using Clock = std::chrono::steady_clock;

 private:
  Result<std::string, Error> fetch();

  OAuth2Settings settings_;
  mutable std::mutex mutex_;
  std::string token_;
  Clock::time_point renew_at_{};
  std::uint64_t fetched_ = 0;
};

// The token endpoint's JSON answer: the token and its lifetime, or an Error (kind authentication
// for an OAuth error object, parse for anything else). Exposed for tests.
struct TokenAnswer {
  std::string access_token;
  std::chrono::seconds expires_in{3600};
};
Result<TokenAnswer, Error> parse_token_answer(long http_status, const std::string& body);

}  // namespace mailprune::ews
