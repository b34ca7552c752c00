// /api/v1/campaigns/{id}/progress-page: who may open the campaign's live progress page
// (server/progress/access.hpp), shown to viewers and switched by admins, like
// `mailprune campaign progress-page`.
#include <string>

#include "api/handlers.hpp"
#include "auth/audit.hpp"
#include "progress/access.hpp"

namespace mailprune::api {
namespace {

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

// {"campaign","mode","changed_at","path","url"}; path and url only when they can be given: a
// public page's, or a link's at the moment it is issued (the token is not kept in clear).
nlohmann::json page_json(const ApiContext& api, const campaign::CampaignRow& row, progress::PageMode mode,
                         const std::string& changed_at, const std::string& token) {
  std::string path;
  if (mode == progress::PageMode::public_page || !token.empty()) path = progress::page_path(mode, row.name, token);
  std::string url = path.empty() ? "" : api.config->archive.public_url + path;
  return {{"campaign", row.id},
          {"mode", progress::mode_name(mode)},
          {"changed_at", text_or_null(changed_at)},
          {"path", text_or_null(path)},
          {"url", text_or_null(url)}};
}

}  // namespace

http::Response progress_page_get(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    pqxx::read_transaction tx(call.connection);
    auto row = require_campaign_id(tx, ids[0]);
    auto access = progress::page_access(tx, row.id);
    return json_answer(200, page_json(api, row, access.mode, access.changed_at, ""));
  });
}

http::Response progress_page_put(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"mode"});
    auto name = opt_string(body, "mode");
    if (!name) throw invalid("mode", "required: off, public or link");
    auto mode = progress::parse_mode(*name);
    if (!mode) throw invalid("mode", "must be off, public or link");
    // The switch and its audit row commit together, or neither does.
    pqxx::work tx(call.connection);
    campaign::CampaignRow row = require_campaign_id(tx, ids[0]);
    auto result = progress::set_page_access(tx, row.id, *mode);
    // Never the token: the audit shows who switched what, not the secret.
    auth::audit(tx, call.principal, "campaign.progress_page", {"campaign", std::to_string(row.id)},
                {{"mode", progress::mode_name(result.mode)}, {"previous", progress::mode_name(result.previous)}},
                request.remote_address, call.now);
    auto access = progress::page_access(tx, row.id);
    tx.commit();
    nlohmann::json answer = page_json(api, row, result.mode, access.changed_at, result.token);
    answer["previous"] = progress::mode_name(result.previous);
    http::Response response = json_answer(200, answer);
    if (!result.token.empty()) response.headers.set("Cache-Control", "no-store");
    return response;
  });
}

}  // namespace mailprune::api
