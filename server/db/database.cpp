#include "db/database.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace mailprune::db {
namespace {

std::string quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

struct ParsedConninfo {
  std::vector<std::pair<std::string, std::string>> options;
};

ParsedConninfo parse_conninfo(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? error : "cannot parse";
    if (error) PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("database.url is not a valid PostgreSQL connection string: " + message);
  }
  ParsedConninfo parsed;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') parsed.options.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
  return parsed;
}

}  // namespace

std::string conninfo_with_password(const std::string& url, const std::string& password) {
  ParsedConninfo parsed = parse_conninfo(url);
  std::string out;
  bool has_application = false;
  for (const auto& [key, value] : parsed.options) {
    if (key == "password") continue;
    if (key == "application_name") has_application = true;
    out += fmt::format("{}={} ", key, quote(value));
  }
  if (!has_application) out += "application_name='mailprune' ";
  if (!password.empty()) out += "password=" + quote(password);
  return out;
}

std::string describe_url(const std::string& url) {
  try {
    ParsedConninfo parsed = parse_conninfo(url);
    std::string host = "localhost";
    std::string port;
    std::string dbname;
    std::string user;
    for (const auto& [key, value] : parsed.options) {
      if (key == "host") host = value;
      if (key == "port") port = value;
      if (key == "dbname") dbname = value;
      if (key == "user") user = value;
    }
    return fmt::format("PostgreSQL {}{}{}{}", user.empty() ? "" : user + "@", host, port.empty() ? "" : ":" + port,
                       dbname.empty() ? "" : "/" + dbname);
  } catch (const std::exception&) {
    return "PostgreSQL (unparsable database.url)";
  }
}

Database::Database(const config::Config& config) : config_(config) {}

std::string Database::describe() const {
  if (embedded()) return "embedded PostgreSQL in " + config_.data_dir + "/postgres";
  return describe_url(config_.database.url);
}

void Database::keep_running(bool keep) {
  if (!embedded_) {
    embedded_.emplace(
        EmbeddedOptions{config_.data_dir, config_.database.postgres_bindir, config_.database.embedded_account});
  }
  embedded_->keep_running(keep);
}

std::string Database::connection_string() {
  if (!conninfo_.empty()) return conninfo_;
  if (!embedded()) {
    conninfo_ = conninfo_with_password(config_.database.url, config_.database.password.reveal());
    return conninfo_;
  }
  if (!embedded_) {
    embedded_.emplace(
        EmbeddedOptions{config_.data_dir, config_.database.postgres_bindir, config_.database.embedded_account});
  }
  conninfo_ = embedded_->start();
  return conninfo_;
}

std::unique_ptr<pqxx::connection> Database::connect() {
  std::string conninfo = connection_string();
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const pqxx::broken_connection& e) {
    // libpq's message names host and reason; it does not echo the password.
    std::string reason = e.what();
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    throw std::runtime_error(fmt::format("cannot connect to {}: {}", describe(), reason));
  }
}

std::unique_ptr<pqxx::connection> Database::connect_migrated() {
  auto connection = connect();
  int applied = migrate(*connection);
  if (applied > 0) spdlog::info("database schema migrated ({} migration(s) applied)", applied);
  return connection;
}

}  // namespace mailprune::db
