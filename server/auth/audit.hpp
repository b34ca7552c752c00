// audit.hpp: the audit log (table audit_log, schema/007_admin.sql): who changed what, when, and
// from where.
//
// Every change made by the console, the API or a changing CLI command (admin, campaign, agents,
// hold, apply, undo, purge; docs/api.md lists them) writes one row, in the same transaction as
// the change, so that a change is never committed without its row (nor a row without its
// change). The long CLI steps (launch, notify, apply, undo, purge) commit as they go: their row
// is written, on its own, when the step starts. Rows are only ever added. The actor's login is copied into the row, so
// the row still says who after the account is removed (account_id then becomes NULL).
//
// Actions are dotted lower-case names, object types table-like names:
//   login, logout                                   (object admin_session)
//   account.create, account.password, account.remove, account.disable, account.enable
//                                                   (object admin_account, id = account id)
//   token.create, token.revoke                      (object api_token, id = token id)
// Other modules add theirs the same way ("campaign.launch", object "campaign").
//
// Functions take the caller's transaction and never commit it. Thread-safe as pqxx allows (one
// transaction per thread).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/principal.hpp"

namespace mailprune::auth {

enum class ActorKind { cli, session, token, system };
const char* to_string(ActorKind kind);  // "cli", "session", "token", "system"

// Who does something.
struct Actor {
  ActorKind kind = ActorKind::system;
  std::string name;  // the login (session, token), the OS user (cli), or what ran (system)
  std::optional<int> account_id;
  std::optional<std::int64_t> token_id;
};

// An operator at the command line: `os_user` is $SUDO_USER, $USER or $LOGNAME (cli_user()).
Actor cli_actor(std::string os_user);
// The operating-system user running the command, as above; "" when none is known.
std::string cli_user();
// mailprune itself (`what`: "nightly", ...).
Actor system_actor(std::string what);
// An authenticated HTTP caller.
Actor actor_of(const Principal& principal);

// What was acted upon: a type and an id, both free text ("" when there is none).
struct AuditObject {
  std::string type;
  std::string id;
};

// Appends a row; returns its id. `details` must be a JSON object (or null, stored as {}); it
// must not hold secrets (passwords, tokens). `ip` is the client's address ("" from the CLI).
std::int64_t audit(pqxx::transaction_base& tx, const Actor& actor, std::string_view action, const AuditObject& object,
                   const nlohmann::json& details, std::string_view ip, std::int64_t now);
std::int64_t audit(pqxx::transaction_base& tx, const Principal& principal, std::string_view action,
                   const AuditObject& object, const nlohmann::json& details, std::string_view ip, std::int64_t now);

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t at = 0;  // Unix seconds
  ActorKind actor_kind = ActorKind::system;
  std::string actor;
  std::optional<int> account_id;
  std::optional<std::int64_t> token_id;
  std::string action;
  AuditObject object;
  nlohmann::json details;
  std::string ip;
};

// The latest `limit` rows, newest first (`before_id` > 0: only rows older than that id, for
// paging).
std::vector<AuditEntry> recent_audit(pqxx::transaction_base& tx, int limit, std::int64_t before_id = 0);

}  // namespace mailprune::auth
