// Configured rules, agents (list, CSV import), legal holds, and the audit log.
#include <string>

#include "api/handlers.hpp"
#include "auth/audit.hpp"
#include "campaign/agents.hpp"
#include "config/agents_csv.hpp"
#include "policy/holds.hpp"
#include "policy/rule_json.hpp"

namespace mailprune::api {
namespace {

nlohmann::json hold_json(const policy::Hold& hold) {
  return {{"id", hold.id},
          {"mailbox", hold.mailbox},
          {"folder", hold.folder},
          {"sender", hold.sender},
          {"date_from", hold.date_from},
          {"date_to", hold.date_to},
          {"reason", hold.reason},
          {"origin", hold.origin},
          {"created_by", hold.created_by},
          {"created_at", hold.created_at}};
}

nlohmann::json strings(const std::vector<std::string>& items) {
  return nlohmann::json(items);
}

}  // namespace

http::Response config_rules(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call&) {
    return json_answer(200, {{"items", policy::rules_to_json(api.config->policy.rules)}});
  });
}

http::Response agents_list(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    PageRequest page = page_request(request);  // cursor: how many agents came before, in address order
    auto agents = campaign::list_agents(call.connection, request.query.get("team").value_or(""));
    std::size_t start = page.after ? static_cast<std::size_t>(*page.after) : 0;
    nlohmann::json items = nlohmann::json::array();
    std::size_t index = start;
    for (; index < agents.size() && static_cast<int>(items.size()) < page.limit; ++index) {
      const auto& a = agents[index];
      items.push_back(
          {{"id", a.id},
           {"address", a.address},
           {"display_name", a.display_name},
           {"team", a.team},
           {"language", a.language},
           {"origin", a.origin},
           {"mailboxes", a.mailboxes},
           {"last_imported_at", a.last_imported_at ? nlohmann::json(*a.last_imported_at) : nlohmann::json()}});
    }
    std::optional<std::int64_t> next;
    if (index < agents.size()) next = static_cast<std::int64_t>(index);
    return json_answer(200, page_answer(items, page, next));
  });
}

http::Response agents_import(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    std::string type = request.headers.get("Content-Type").value_or("");
    if (!http::iequals(std::string_view(type).substr(0, type.find(';')), "text/csv")) {
      throw ApiError(415, "unsupported_media_type", "send agents.csv as Content-Type: text/csv");
    }
    std::vector<config::ConfigError> errors;
    auto agents = config::parse_agents_csv(request.body, "agents.csv", errors);
    if (!errors.empty()) {
      std::vector<std::pair<std::string, std::string>> fields;
      for (const auto& e : errors) fields.emplace_back("line " + std::to_string(e.line), e.message);
      throw ApiError(400, "invalid", errors.front().to_string() + "; nothing was imported", fields);
    }
    if (agents.empty()) throw invalid("body", "no agent in the file");
    // The import and its audit row commit together, or neither does.
    pqxx::work tx(call.connection);
    campaign::AgentImportReport report;
    try {
      report = campaign::import_agents(tx, agents);
    } catch (const std::invalid_argument& e) {
      throw invalid("body", std::string(e.what()) + "; nothing was imported");
    }
    auth::audit(tx, call.principal, "agents.import", {"agent", ""},
                {{"agents", agents.size()},
                 {"added", report.added.size()},
                 {"updated", report.updated.size()},
                 {"new_teams", report.new_teams}},
                request.remote_address, call.now);
    tx.commit();
    return json_answer(200, {{"agents", agents.size()},
                             {"added", strings(report.added)},
                             {"updated", strings(report.updated)},
                             {"unchanged", strings(report.unchanged)},
                             {"missing", strings(report.missing)},
                             {"mailboxes_updated", report.mailboxes_updated},
                             {"new_teams", strings(report.new_teams)}});
  });
}

http::Response holds_list(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    pqxx::read_transaction tx(call.connection);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& hold : policy::list_holds(tx)) items.push_back(hold_json(hold));
    return json_answer(200, {{"items", items}});
  });
}

http::Response holds_create(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"mailbox", "folder", "sender", "from", "to", "reason"});
    config::HoldConfig hold;
    hold.mailbox = opt_string(body, "mailbox").value_or("");
    hold.folder = opt_string(body, "folder").value_or("");
    hold.sender = opt_string(body, "sender").value_or("");
    hold.date_from = opt_string(body, "from").value_or("");
    hold.date_to = opt_string(body, "to").value_or("");
    hold.reason = opt_string(body, "reason").value_or("");
    if (hold.reason.empty()) throw invalid("reason", "required: say why (a case number, a request)");
    pqxx::work tx(call.connection);
    int id = 0;
    try {
      pqxx::subtransaction sub(tx, "add_hold");
      id = policy::add_hold(sub, hold, call.principal.login);
      sub.commit();
    } catch (const policy::HoldError& e) {
      throw ApiError(400, "invalid", e.what());
    } catch (const pqxx::data_exception& e) {
      throw ApiError(400, "invalid", "a date is not valid (YYYY-MM-DD or an RFC 3339 date-time)");
    }
    tx.exec_params0("UPDATE hold SET origin = 'api' WHERE id = $1", id);
    auth::audit(tx, call.principal, "hold.create", {"hold", std::to_string(id)}, {{"reason", hold.reason}},
                request.remote_address, call.now);
    nlohmann::json created;
    for (const auto& h : policy::list_holds(tx)) {
      if (h.id == id) created = hold_json(h);
    }
    tx.commit();
    http::Response response = json_answer(201, created);
    response.headers.set("Location", "/api/v1/holds/" + std::to_string(id));
    return response;
  });
}

http::Response hold_delete(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    pqxx::work tx(call.connection);
    switch (policy::remove_hold(tx, static_cast<int>(ids[0]))) {
      case policy::RemoveHoldResult::not_found:
        throw not_found("hold " + std::to_string(ids[0]));
      case policy::RemoveHoldResult::from_config:
        throw conflict("hold " + std::to_string(ids[0]) +
                       " comes from the configuration ([[hold]]): remove it there, it would come back");
      case policy::RemoveHoldResult::removed:
        break;
    }
    auth::audit(tx, call.principal, "hold.remove", {"hold", std::to_string(ids[0])}, nlohmann::json::object(),
                request.remote_address, call.now);
    tx.commit();
    http::Response response;
    response.status = 204;
    return response;
  });
}

http::Response audit_list(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    PageRequest page = page_request(request);
    pqxx::read_transaction tx(call.connection);
    nlohmann::json items = nlohmann::json::array();
    std::optional<std::int64_t> last;
    for (const auto& e : auth::recent_audit(tx, page.limit, page.after.value_or(0))) {
      last = e.id;
      items.push_back({{"id", e.id},
                       {"at", e.at},
                       {"actor_kind", auth::to_string(e.actor_kind)},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"object_type", e.object.type},
                       {"object_id", e.object.id},
                       {"details", e.details.is_object() ? e.details : nlohmann::json::object()},
                       {"ip", e.ip}});
    }
    return json_answer(200, page_answer(items, page, last));
  });
}

}  // namespace mailprune::api
