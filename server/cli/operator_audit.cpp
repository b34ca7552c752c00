#include "cli/operator_audit.hpp"

#include <ctime>

namespace mailprune::cli {

auth::Actor operator_actor() {
  return auth::cli_actor(auth::cli_user());
}

void audit_operator(pqxx::transaction_base& tx, std::string_view action, const auth::AuditObject& object,
                    const nlohmann::json& details) {
  auth::audit(tx, operator_actor(), action, object, details, "", static_cast<std::int64_t>(std::time(nullptr)));
}

void audit_operator(pqxx::connection& connection, std::string_view action, const auth::AuditObject& object,
                    const nlohmann::json& details) {
  pqxx::work tx(connection);
  audit_operator(tx, action, object, details);
  tx.commit();
}

}  // namespace mailprune::cli
