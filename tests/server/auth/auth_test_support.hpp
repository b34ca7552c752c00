// A fresh migrated database per test (the harness's throwaway PostgreSQL), cheap password hashing,
// and helpers to build requests with credentials.
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <cstdint>
#include <memory>
#include <string>

#include "auth/principal.hpp"
#include "config/config.hpp"
#include "db/database.hpp"
#include "harness/postgres_server.hpp"
#include "http/message.hpp"
#include "security/keys.hpp"

namespace mailprune::test {

inline constexpr std::int64_t kNow = 1'700'000'000;

class AuthDb {
 public:
  AuthDb() {
    config_.database.url = PostgresServer::shared().create_database();
    config_.database.password = config::Secret(PostgresServer::shared().password(), "the test server");
    db::Database database(config_);
    connection_ = database.connect_migrated();
    settings_.password_cost = auth::PasswordCost::minimum();  // tests only: guessing is cheap
    for (std::size_t i = 0; i < csrf_key_.size(); ++i) csrf_key_[i] = static_cast<std::uint8_t>(i * 11 + 5);
  }

  pqxx::connection& connection() { return *connection_; }
  auth::AuthSettings& settings() { return settings_; }
  const security::Key& csrf_key() const { return csrf_key_; }

  std::int64_t scalar(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  std::string text(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    auto field = tx.exec1(sql)[0];
    return field.is_null() ? std::string("<null>") : field.as<std::string>();
  }

 private:
  config::Config config_;
  std::unique_ptr<pqxx::connection> connection_;
  auth::AuthSettings settings_;
  security::Key csrf_key_{};
};

inline http::Request request_with_cookie(const std::string& method, const std::string& cookie_value) {
  http::Request request;
  request.method = method;
  request.path = "/api/v1/things";
  request.target = request.path;
  request.headers.add("Cookie", "theme=dark; mailprune_session=" + cookie_value + "; lang=fr");
  return request;
}

inline http::Request request_with_bearer(const std::string& method, const std::string& token) {
  http::Request request;
  request.method = method;
  request.path = "/api/v1/things";
  request.target = request.path;
  request.headers.add("Authorization", "Bearer " + token);
  return request;
}

}  // namespace mailprune::test
