#include "auth/audit.hpp"

#include <cstdlib>
#include <utility>

namespace mailprune::auth {
namespace {

ActorKind parse_actor_kind(const std::string& text) {
  if (text == "cli") return ActorKind::cli;
  if (text == "session") return ActorKind::session;
  if (text == "token") return ActorKind::token;
  return ActorKind::system;
}

}  // namespace

const char* to_string(ActorKind kind) {
  switch (kind) {
    case ActorKind::cli:
      return "cli";
    case ActorKind::session:
      return "session";
    case ActorKind::token:
      return "token";
    case ActorKind::system:
      break;
  }
  return "system";
}

std::string cli_user() {
  for (const char* name : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return value;
  }
  return "";
}

Actor cli_actor(std::string os_user) {
  Actor actor;
  actor.kind = ActorKind::cli;
  actor.name = std::move(os_user);
  return actor;
}

Actor system_actor(std::string what) {
  Actor actor;
  actor.kind = ActorKind::system;
  actor.name = std::move(what);
  return actor;
}

Actor actor_of(const Principal& principal) {
  Actor actor;
  actor.kind = principal.via == Via::token ? ActorKind::token : ActorKind::session;
  actor.name = principal.login;
  actor.account_id = principal.account_id;
  if (principal.via == Via::token) actor.token_id = principal.credential_id;
  return actor;
}

std::int64_t audit(pqxx::transaction_base& tx, const Actor& actor, std::string_view action, const AuditObject& object,
                   const nlohmann::json& details, std::string_view ip, std::int64_t now) {
  if (action.empty()) throw std::invalid_argument("audit: empty action");
  if (!details.is_null() && !details.is_object()) throw std::invalid_argument("audit: details must be a JSON object");
  std::string details_text = details.is_null() ? "{}" : details.dump();
  return tx
      .exec_params1(
          "INSERT INTO audit_log (at, actor_kind, actor, account_id, token_id, action, object_type, object_id, details,"
          " ip) VALUES (to_timestamp($1), $2, $3, NULLIF($4, 0), NULLIF($5, 0), $6, $7, $8, $9::jsonb, $10)"
          " RETURNING id",
          now, to_string(actor.kind), actor.name, actor.account_id.value_or(0),
          static_cast<std::int64_t>(actor.token_id.value_or(0)), std::string(action), object.type, object.id,
          details_text, std::string(ip))[0]
      .as<std::int64_t>();
}

std::int64_t audit(pqxx::transaction_base& tx, const Principal& principal, std::string_view action,
                   const AuditObject& object, const nlohmann::json& details, std::string_view ip, std::int64_t now) {
  return audit(tx, actor_of(principal), action, object, details, ip, now);
}

std::vector<AuditEntry> recent_audit(pqxx::transaction_base& tx, int limit, std::int64_t before_id) {
  std::vector<AuditEntry> entries;
  auto rows = tx.exec_params(
      "SELECT id, floor(extract(epoch FROM at))::bigint, actor_kind, actor, account_id, token_id, action, object_type,"
      " object_id, details::text, ip FROM audit_log WHERE ($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT "
      "$1",
      limit < 0 ? 0 : limit, before_id);
  for (const auto& row : rows) {
    AuditEntry entry;
    entry.id = row[0].as<std::int64_t>();
    entry.at = row[1].as<std::int64_t>();
    entry.actor_kind = parse_actor_kind(row[2].as<std::string>());
    entry.actor = row[3].as<std::string>();
    if (!row[4].is_null()) entry.account_id = row[4].as<int>();
    if (!row[5].is_null()) entry.token_id = row[5].as<std::int64_t>();
    entry.action = row[6].as<std::string>();
    entry.object.type = row[7].as<std::string>();
    entry.object.id = row[8].as<std::string>();
    entry.details = nlohmann::json::parse(row[9].as<std::string>());
    entry.ip = row[10].as<std::string>();
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace mailprune::auth
