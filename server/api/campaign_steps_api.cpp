// The long campaign steps as background jobs (job_runner.hpp): launch, notify, apply, undo, retry
// of one failed action; and the jobs' listing.
#include <algorithm>
#include <string>

#include "api/handlers.hpp"
#include "api/job_runner.hpp"
#include "auth/audit.hpp"

namespace mailprune::api {
namespace {

bool in(const std::vector<std::string>& states, const std::string& state) {
  return std::find(states.begin(), states.end(), state) != states.end();
}

std::string list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Queues the job with its audit row, commits, wakes the runner: 202 with the job.
http::Response queue(const ApiContext& api, ApiContext::Call& call, pqxx::work& tx, const std::string& kind,
                     int campaign_id, const nlohmann::json& params, const std::string& action) {
  if (api.jobs == nullptr) throw ApiError(503, "unavailable", "background jobs are not running in this server");
  std::int64_t job_id = enqueue_job(tx, kind, campaign_id, params, call.principal.login);
  nlohmann::json details = params;
  details["job"] = job_id;
  auth::audit(tx, call.principal, action, {"campaign", std::to_string(campaign_id)}, details,
              call.request.remote_address, call.now);
  nlohmann::json job = *job_json(tx, job_id);
  tx.commit();
  api.jobs->wake();
  http::Response response = json_answer(202, job);
  response.headers.set("Location", job["url"].get<std::string>());
  return response;
}

void require_state(const campaign::CampaignRow& row, const std::vector<std::string>& from, const std::string& step) {
  if (!in(from, row.state)) {
    throw conflict("campaign '" + row.name + "' is " + row.state + "; " + step + " needs it " + list(from));
  }
}

}  // namespace

http::Response campaign_launch(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"crawl", "full"}, true);
    nlohmann::json params = {{"crawl", opt_bool(body, "crawl").value_or(true)},
                             {"full", opt_bool(body, "full").value_or(false)}};
    pqxx::work tx(call.connection);
    auto row = require_campaign_id(tx, ids[0]);
    require_state(row, campaign::kLaunchFrom, "launch");
    return queue(api, call, tx, "launch", row.id, params, "campaign.launch");
  });
}

http::Response campaign_notify(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"reminder", "limit"}, true);
    nlohmann::json params = {{"reminder", opt_bool(body, "reminder").value_or(false)}};
    if (auto limit = opt_integer(body, "limit")) {
      if (*limit < 1) throw invalid("limit", "must be at least 1");
      params["limit"] = *limit;
    }
    pqxx::work tx(call.connection);
    auto row = require_campaign_id(tx, ids[0]);
    require_state(row, campaign::kNotifyFrom, "notify");
    if (!row.deadline) {
      throw conflict("campaign '" + row.name + "' has no approval deadline, which the e-mails state");
    }
    return queue(api, call, tx, "notify", row.id, params, "campaign.notify");
  });
}

http::Response campaign_apply(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"dry_run", "limit", "retry_failed", "mailboxes"}, true);
    nlohmann::json params = {{"dry_run", opt_bool(body, "dry_run").value_or(false)},
                             {"retry_failed", opt_bool(body, "retry_failed").value_or(false)},
                             {"mailboxes", opt_strings(body, "mailboxes")}};
    if (auto limit = opt_integer(body, "limit")) {
      if (*limit < 1) throw invalid("limit", "must be at least 1");
      params["limit"] = *limit;
    }
    pqxx::work tx(call.connection);
    auto row = require_campaign_id(tx, ids[0]);
    for (const auto& address : params["mailboxes"]) {
      if (tx.exec_params1("SELECT count(*) FROM mailbox WHERE lower(address) = lower($1)",
                          address.get<std::string>())[0]
              .as<int>() == 0) {
        throw invalid("mailboxes", "no mailbox '" + address.get<std::string>() + "' in the inventory");
      }
    }
    require_state(row, campaign::kApplyFrom, "apply");
    return queue(api, call, tx, "apply", row.id, params, "campaign.apply");
  });
}

http::Response campaign_undo(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    nlohmann::json body = json_body(request, {"mailbox", "action"}, true);
    auto mailbox = opt_string(body, "mailbox");
    auto action = opt_integer(body, "action");
    if (mailbox && action) throw invalid("action", "give mailbox or action, not both");
    pqxx::work tx(call.connection);
    auto row = require_campaign_id(tx, ids[0]);
    nlohmann::json params = nlohmann::json::object();
    if (mailbox) {
      if (tx.exec_params1("SELECT count(*) FROM mailbox WHERE lower(address) = lower($1)", *mailbox)[0].as<int>() ==
          0) {
        throw not_found("mailbox '" + *mailbox + "'");
      }
      params["mailbox"] = *mailbox;
    }
    if (action) {
      if (tx.exec_params1("SELECT count(*) FROM action WHERE id = $1 AND campaign_id = $2", *action, row.id)[0]
              .as<int>() == 0) {
        throw not_found("action " + std::to_string(*action) + " of this campaign");
      }
      params["action"] = *action;
    }
    return queue(api, call, tx, "undo", row.id, params, "campaign.undo");
  });
}

http::Response action_retry(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::admin, [&](ApiContext::Call& call) {
    pqxx::work tx(call.connection);
    auto rows = tx.exec_params("SELECT campaign_id, step FROM action WHERE id = $1", ids[0]);
    if (rows.empty()) throw not_found("action " + std::to_string(ids[0]));
    if (rows[0][1].as<std::string>() != "failed") {
      throw conflict("action " + std::to_string(ids[0]) + " is " + rows[0][1].as<std::string>() +
                     ", not failed: nothing to retry");
    }
    return queue(api, call, tx, "retry", rows[0][0].as<int>(), {{"action", ids[0]}}, "action.retry");
  });
}

http::Response jobs_list(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    PageRequest page = page_request(request);
    auto campaign = query_integer(request, "campaign", 1, 2147483647);
    auto state = request.query.get("state");
    static const std::vector<std::string> kStates = {"queued", "running", "done", "failed", "interrupted"};
    if (state && !in(kStates, *state)) throw invalid("state", "not a job state");
    pqxx::read_transaction tx(call.connection);
    auto rows =
        tx.exec_params(std::string(kJobSelect) +
                           " WHERE ($1::bigint IS NULL OR j.id < $1) AND ($2::int IS NULL OR j.campaign_id = $2)"
                           " AND ($3::text IS NULL OR j.state = $3) ORDER BY j.id DESC LIMIT $4",
                       page.after, campaign, state, page.limit);
    nlohmann::json items = nlohmann::json::array();
    std::optional<std::int64_t> last;
    for (const auto& row : rows) {
      items.push_back(job_from_row(row));
      last = row[0].as<std::int64_t>();
    }
    return json_answer(200, page_answer(items, page, last));
  });
}

http::Response job_get(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    pqxx::read_transaction tx(call.connection);
    auto job = job_json(tx, ids[0]);
    if (!job) throw not_found("job " + std::to_string(ids[0]));
    return json_answer(200, *job);
  });
}

}  // namespace mailprune::api
