// /api/v1/campaigns: list, create, show with progress, rules, what-if, close.
#include <algorithm>
#include <string>

#include "api/handlers.hpp"
#include "api/job_runner.hpp"
#include "auth/audit.hpp"
#include "campaign/progress.hpp"
#include "config/policy_config.hpp"
#include "policy/planner.hpp"
#include "policy/projection.hpp"

namespace mailprune::api {
namespace {

nlohmann::json text_or_null(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

nlohmann::json counts_json(const campaign::ProgressCounts& c) {
  return {{"proposed", c.proposed},
          {"proposed_bytes", c.proposed_bytes},
          {"approved", c.approved},
          {"approved_bytes", c.approved_bytes},
          {"refused", c.refused},
          {"refused_bytes", c.refused_bytes},
          {"pending", c.pending},
          {"pending_bytes", c.pending_bytes},
          {"applied", c.applied},
          {"freed_estimated", c.freed_estimated},
          {"freed_measured", c.freed_measured ? nlohmann::json(*c.freed_measured) : nlohmann::json(nullptr)}};
}

nlohmann::json totals_json(const policy::Totals& t) {
  return {
      {"count", t.count}, {"bytes", t.bytes}, {"planned_count", t.planned_count}, {"planned_bytes", t.planned_bytes}};
}

nlohmann::json lines_json(const std::vector<policy::ProjectionLine>& lines) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& line : lines) {
    out.push_back({{"name", line.name},
                   {"detail", line.detail},
                   {"priority", line.priority},
                   {"totals", totals_json(line.totals)}});
  }
  return out;
}

std::optional<std::int64_t> target_of(const nlohmann::json& body) {
  auto text = opt_string(body, "target");
  auto bytes = opt_integer(body, "target_bytes");
  if (text && bytes) throw invalid("target", "give target or target_bytes, not both");
  if (text) {
    auto size = config::parse_size(*text);
    if (!size || *size <= 0) throw invalid("target", "not a size (e.g. 1000GB, 500GiB)");
    return *size;
  }
  if (bytes && *bytes <= 0) throw invalid("target_bytes", "must be positive");
  return bytes;
}

}  // namespace

nlohmann::json campaign_json(const campaign::CampaignRow& row) {
  nlohmann::json admins = nlohmann::json::array();
  for (const auto& admin : row.admins) {
    admins.push_back({{"address", admin.address}, {"display_name", admin.display_name}, {"language", admin.language}});
  }
  nlohmann::json scope = {
      {"sources", nlohmann::json::array()}, {"teams", nlohmann::json::array()}, {"mailboxes", nlohmann::json::array()}};
  for (const char* key : {"sources", "teams", "mailboxes"}) {
    if (row.scope.is_object() && row.scope.contains(key) && row.scope[key].is_array()) scope[key] = row.scope[key];
  }
  return {{"id", row.id},
          {"name", row.name},
          {"state", row.state},
          {"target_bytes", row.target_bytes ? nlohmann::json(*row.target_bytes) : nlohmann::json(nullptr)},
          {"grace_days", row.grace_days},
          {"language", row.language},
          {"scope", scope},
          {"rules", row.rules.is_array() ? row.rules : nlohmann::json::array()},
          {"admins", admins},
          {"starts_at", text_or_null(row.starts_at)},
          {"deadline", text_or_null(row.deadline)},
          {"deadline_passed", row.deadline_passed},
          {"created_at", text_or_null(row.created_at)},
          {"planned_at", text_or_null(row.planned_at)},
          {"closed_at", text_or_null(row.closed_at)},
          {"url", "/api/v1/campaigns/" + std::to_string(row.id)}};
}

campaign::CampaignRow require_campaign_id(pqxx::transaction_base& tx, std::int64_t id) {
  if (tx.exec_params1("SELECT count(*) FROM campaign WHERE id = $1", id)[0].as<int>() == 0) {
    throw not_found("campaign " + std::to_string(id));
  }
  return campaign::campaign_by_id(tx, static_cast<int>(id));
}

http::Response campaigns_list(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    static const std::vector<std::string> kStates = {"draft",      "crawling", "proposing", "notifying",
                                                     "collecting", "applying", "closed"};
    auto state = request.query.get("state");
    if (state && std::find(kStates.begin(), kStates.end(), *state) == kStates.end()) {
      throw invalid("state", "not a campaign state");
    }
    auto rows = campaign::list_campaigns(call.connection);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
    nlohmann::json items = nlohmann::json::array();
    for (const auto& row : rows) {
      if (!state || row.state == *state) items.push_back(campaign_json(row));
    }
    return json_answer(200, {{"items", items}});
  });
}

http::Response campaigns_create(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body =
        json_body(request, {"name", "target", "target_bytes", "rules", "sources", "teams", "mailboxes", "grace_days",
                            "language", "starts_at", "deadline", "admins"});
    campaign::CampaignSpec spec;
    spec.name = opt_string(body, "name").value_or("");
    if (spec.name.empty()) throw invalid("name", "required");
    spec.target_bytes = target_of(body);
    const auto& configured = api.config->policy.rules;
    auto names = opt_strings(body, "rules");
    if (names.empty()) {
      spec.rules = configured;
    } else {
      for (const auto& name : names) {
        auto found = std::find_if(configured.begin(), configured.end(), [&](const auto& r) { return r.name == name; });
        if (found == configured.end()) throw invalid("rules", "no [[rule]] named '" + name + "' in the configuration");
        spec.rules.push_back(*found);
      }
    }
    if (spec.rules.empty()) throw invalid("rules", "no [[rule]] is configured: a campaign needs at least one");
    spec.scope.sources = opt_strings(body, "sources");
    spec.scope.teams = opt_strings(body, "teams");
    spec.scope.mailboxes = opt_strings(body, "mailboxes");
    auto grace = opt_integer(body, "grace_days");
    if (grace && (*grace < 0 || *grace > 3650)) throw invalid("grace_days", "must be from 0 to 3650");
    spec.grace_days = grace ? static_cast<int>(*grace) : api.config->policy.grace_days;
    spec.language = opt_string(body, "language").value_or("fr");
    if (spec.language != "fr" && spec.language != "en") throw invalid("language", "must be fr or en");
    spec.starts_at = opt_string(body, "starts_at").value_or("");
    spec.deadline = opt_string(body, "deadline").value_or("");
    for (const auto& address : opt_strings(body, "admins")) {
      if (address.find('@') == std::string::npos) throw invalid("admins", "'" + address + "' is not an e-mail address");
      campaign::Admin admin;
      admin.address = address;
      admin.language = spec.language;
      spec.admins.push_back(admin);
    }
    // The campaign and its audit row commit together, or neither does.
    pqxx::work tx(call.connection);
    if (tx.exec_params1("SELECT count(*) FROM campaign WHERE name = $1", spec.name)[0].as<int>() > 0) {
      throw conflict("a campaign named '" + spec.name + "' exists");
    }
    campaign::CampaignRow created;
    try {
      created = campaign::create_campaign(tx, *api.config, spec);
    } catch (const campaign::CampaignError& e) {
      throw ApiError(400, "invalid", e.what());
    }
    auth::audit(tx, call.principal, "campaign.create", {"campaign", std::to_string(created.id)},
                {{"name", created.name}, {"rules", created.rules.size()}}, request.remote_address, call.now);
    tx.commit();
    http::Response response = json_answer(201, campaign_json(created));
    response.headers.set("Location", "/api/v1/campaigns/" + std::to_string(created.id));
    return response;
  });
}

http::Response campaign_get(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    std::optional<nlohmann::json> job;
    std::string name;  // progress finds campaigns by name first: a campaign may be named "12"
    {
      pqxx::read_transaction tx(call.connection);
      name = require_campaign_id(tx, ids[0]).name;
      job = active_job_json(tx, static_cast<int>(ids[0]));
    }
    campaign::CampaignProgress progress = campaign::campaign_progress(call.connection, name);
    nlohmann::json teams = nlohmann::json::array();
    for (const auto& team : progress.teams) {
      teams.push_back({{"team", team.team}, {"agents", team.agents}, {"counts", counts_json(team.counts)}});
    }
    const auto& n = progress.notifications;
    nlohmann::json history = nlohmann::json::array();
    for (const auto& event : progress.history) {
      history.push_back({{"at", event.at},
                         {"step", event.step},
                         {"from_state", event.from_state},
                         {"to_state", event.to_state},
                         {"detail", event.detail}});
    }
    nlohmann::json answer = {{"campaign", campaign_json(progress.campaign)},
                             {"progress",
                              {{"total", counts_json(progress.total)},
                               {"teams", teams},
                               {"notifications",
                                {{"pending", n.pending},
                                 {"sent", n.sent},
                                 {"failed", n.failed},
                                 {"cancelled", n.cancelled},
                                 {"agents_notified", n.agents_notified}}}}},
                             {"history", history},
                             {"active_job", job ? *job : nlohmann::json(nullptr)}};
    return json_answer(200, answer);
  });
}

http::Response campaign_rules(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    pqxx::read_transaction tx(call.connection);
    auto row = require_campaign_id(tx, ids[0]);
    return json_answer(200, {{"items", row.rules.is_array() ? row.rules : nlohmann::json::array()}});
  });
}

http::Response campaign_what_if(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"target", "target_bytes"}, true);
    auto target = target_of(body);
    pqxx::work tx(call.connection);  // never committed: a what-if writes nothing
    auto row = require_campaign_id(tx, ids[0]);
    std::optional<policy::Campaign> campaign;
    try {
      campaign = policy::find_campaign(tx, row.name);
    } catch (const policy::PlanError& e) {
      throw conflict(e.what());
    }
    if (!campaign) throw not_found("campaign " + std::to_string(ids[0]));
    if (target) {
      policy::set_campaign_target(tx, campaign->id, target);
      campaign->target_bytes = target;
    }
    policy::PlanStats stats;
    try {
      stats = policy::plan_campaign(tx, *campaign, api.config->policy);
    } catch (const policy::PlanError& e) {
      throw conflict(e.what());
    }
    policy::Projection p = policy::query_projection(tx, *campaign);
    tx.abort();
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& skip : p.skipped) {
      skipped.push_back({{"reason", skip.reason}, {"count", skip.count}, {"bytes", skip.bytes}});
    }
    nlohmann::json answer = {
        {"campaign", p.campaign},
        {"state", p.state},
        {"what_if", true},
        {"target_bytes", p.target_bytes ? nlohmann::json(*p.target_bytes) : nlohmann::json(nullptr)},
        {"total", totals_json(p.total)},
        {"approved", p.approved},
        {"refused", p.refused},
        {"pending", p.pending},
        {"reached", p.reached},
        {"shortfall_bytes", p.shortfall_bytes},
        {"by_rule", lines_json(p.by_rule)},
        {"by_team", lines_json(p.by_team)},
        {"by_mailbox", lines_json(p.by_mailbox)},
        {"skipped", skipped},
        {"stats",
         {{"matched", stats.matched},
          {"proposals", stats.proposals},
          {"unchanged", stats.unchanged},
          {"skipped", stats.skipped},
          {"kept", stats.kept}}}};
    return json_answer(200, answer);
  });
}

http::Response campaign_close(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    {
      pqxx::read_transaction tx(call.connection);
      require_campaign_id(tx, ids[0]);
      if (active_job_json(tx, static_cast<int>(ids[0]))) {
        throw conflict("a job of this campaign is queued or running: wait for it to end");
      }
    }
    // The close and its audit row commit together, or neither does.
    pqxx::work tx(call.connection);
    auto result =
        campaign::close_campaign(tx, static_cast<int>(ids[0]), "closed from the API by " + call.principal.login);
    if (result.previous_state != "closed") {
      auth::audit(
          tx, call.principal, "campaign.close", {"campaign", std::to_string(ids[0])},
          {{"previous_state", result.previous_state}, {"notifications_cancelled", result.notifications_cancelled}},
          request.remote_address, call.now);
    }
    auto row = campaign::campaign_by_id(tx, static_cast<int>(ids[0]));
    tx.commit();
    return json_answer(200, {{"previous_state", result.previous_state},
                             {"notifications_cancelled", result.notifications_cancelled},
                             {"campaign", campaign_json(row)}});
  });
}

}  // namespace mailprune::api
