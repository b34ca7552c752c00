// handlers.hpp: the /api/v1 handlers, one group per file (session_api.cpp, campaigns_api.cpp,
// campaign_steps_api.cpp, progress_page_api.cpp, journal_api.cpp, directory_api.cpp, reports_api.cpp). Internal to
// server/api: routes.cpp maps methods and paths to them (docs/openapi.json is the contract).
//
// Each takes the shared context, the request and the ids of the path's "{id}" segments, and
// returns the answer; authorisation happens inside (ApiContext::run with the operation's role).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_support.hpp"
#include "campaign/campaign_store.hpp"
#include "http/message.hpp"

namespace mailprune::api {

using Ids = std::vector<std::int64_t>;

// session_api.cpp
http::Response session_get(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response session_post(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response session_delete(const ApiContext& api, const http::Request& request, const Ids& ids);

// campaigns_api.cpp
http::Response campaigns_list(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaigns_create(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_get(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_rules(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_what_if(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_close(const ApiContext& api, const http::Request& request, const Ids& ids);
nlohmann::json campaign_json(const campaign::CampaignRow& row);
// The campaign with this id, or ApiError 404.
campaign::CampaignRow require_campaign_id(pqxx::transaction_base& tx, std::int64_t id);

// campaign_steps_api.cpp: the background jobs and their listing.
http::Response campaign_launch(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_notify(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_apply(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_undo(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response action_retry(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response jobs_list(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response job_get(const ApiContext& api, const http::Request& request, const Ids& ids);

// progress_page_api.cpp: the live progress page's access mode (progress/access.hpp).
http::Response progress_page_get(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response progress_page_put(const ApiContext& api, const http::Request& request, const Ids& ids);

// journal_api.cpp
http::Response campaign_proposals(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_actions(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response campaign_failures(const ApiContext& api, const http::Request& request, const Ids& ids);

// directory_api.cpp
http::Response config_rules(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response agents_list(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response agents_import(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response holds_list(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response holds_create(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response hold_delete(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response audit_list(const ApiContext& api, const http::Request& request, const Ids& ids);

// reports_api.cpp
http::Response report_summary(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response report_mailboxes(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response report_folders(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response report_attachments(const ApiContext& api, const http::Request& request, const Ids& ids);
http::Response report_duplicates(const ApiContext& api, const http::Request& request, const Ids& ids);

}  // namespace mailprune::api
