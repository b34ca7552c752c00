// operator_audit.hpp: the audit rows (auth/audit.hpp, table audit_log) of the commands that change
// something: the operator at the command line is the actor (kind cli, named by $SUDO_USER, then
// $USER, then $LOGNAME), with no client address, at the current time.
//
// Each command writes the same action name and details as the API's equivalent operation (see
// docs/api.md, "Audit log"), in the transaction of its change when the store function takes one.
// Not thread-safe beyond what pqxx allows (one transaction per thread).
#pragma once

#include <pqxx/pqxx>

#include <string_view>

#include <nlohmann/json.hpp>

#include "auth/audit.hpp"

namespace mailprune::cli {

// The operator running this command (auth::cli_actor(auth::cli_user())).
auth::Actor operator_actor();

// Appends the operator's row for `action` on `object` to `tx`; never commits.
void audit_operator(pqxx::transaction_base& tx, std::string_view action, const auth::AuditObject& object,
                    const nlohmann::json& details);

// The same in a transaction of its own, committed before returning: for a change whose store
// function commits by itself (a long step), the row is written when the command starts it.
void audit_operator(pqxx::connection& connection, std::string_view action, const auth::AuditObject& object,
                    const nlohmann::json& details);

}  // namespace mailprune::cli
