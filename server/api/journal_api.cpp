// A campaign's proposals (the plan) and actions (the apply journal), paged by id, and its failed
// actions counted by reason.
#include <algorithm>
#include <string>

#include "api/handlers.hpp"

namespace mailprune::api {
namespace {

const std::string kIso = std::string("'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'");

void require_campaign_exists(pqxx::transaction_base& tx, std::int64_t id) {
  if (tx.exec_params1("SELECT count(*) FROM campaign WHERE id = $1", id)[0].as<int>() == 0) {
    throw not_found("campaign " + std::to_string(id));
  }
}

}  // namespace

http::Response campaign_proposals(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    PageRequest page = page_request(request);
    auto state = request.query.get("state");
    if (state && *state != "pending" && *state != "approved" && *state != "refused") {
      throw invalid("state", "must be pending, approved or refused");
    }
    auto selected = request.query.get("selected");
    if (selected && *selected != "true" && *selected != "false") throw invalid("selected", "must be true or false");
    std::optional<bool> selected_value;
    if (selected) selected_value = *selected == "true";
    auto mailbox = request.query.get("mailbox");
    pqxx::read_transaction tx(call.connection);
    require_campaign_exists(tx, ids[0]);
    auto rows = tx.exec_params(
        "SELECT p.id, p.rule_name, p.action, p.approval, p.selected, p.decision, to_char(p.decided_at AT TIME ZONE "
        "'UTC', " +
            kIso +
            "), m.address, coalesce(t.name, ''), p.folder_name, p.subject, p.from_address,"
            " to_char(p.message_date AT TIME ZONE 'UTC', " +
            kIso +
            "), p.attachment_name, p.content_type, p.bytes"
            " FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id LEFT JOIN team t ON t.id = m.team_id"
            " WHERE p.campaign_id = $1 AND ($2::bigint IS NULL OR p.id > $2) AND ($3::text IS NULL OR p.decision = $3)"
            " AND ($4::boolean IS NULL OR p.selected = $4) AND ($5::text IS NULL OR lower(m.address) = lower($5))"
            " ORDER BY p.id LIMIT $6",
        ids[0], page.after, state, selected_value, mailbox, page.limit);
    nlohmann::json items = nlohmann::json::array();
    std::optional<std::int64_t> last;
    for (const auto& row : rows) {
      last = row[0].as<std::int64_t>();
      items.push_back({{"id", *last},
                       {"rule", row[1].as<std::string>()},
                       {"action", row[2].as<std::string>()},
                       {"approval", row[3].as<std::string>()},
                       {"selected", row[4].as<bool>()},
                       {"decision", row[5].as<std::string>()},
                       {"decided_at", nullable_text(row[6])},
                       {"mailbox", row[7].as<std::string>()},
                       {"team", row[8].as<std::string>()},
                       {"folder", row[9].as<std::string>()},
                       {"subject", row[10].as<std::string>()},
                       {"from", row[11].as<std::string>()},
                       {"message_date", nullable_text(row[12])},
                       {"attachment_name", nullable_text(row[13])},
                       {"content_type", nullable_text(row[14])},
                       {"bytes", row[15].as<std::int64_t>()}});
    }
    return json_answer(200, page_answer(items, page, last));
  });
}

http::Response campaign_actions(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    static const std::vector<std::string> kSteps = {"planned",  "approved",         "stored", "uploaded",
                                                    "verified", "original_removed", "done",   "skipped",
                                                    "failed",   "undone",           "purged"};
    PageRequest page = page_request(request);
    auto outcome = request.query.get("outcome");
    if (outcome && std::find(kSteps.begin(), kSteps.end(), *outcome) == kSteps.end()) {
      throw invalid("outcome", "not a journal step");
    }
    auto mailbox = request.query.get("mailbox");
    pqxx::read_transaction tx(call.connection);
    require_campaign_exists(tx, ids[0]);
    auto rows = tx.exec_params(
        "SELECT a.id, a.kind, m.address, a.folder_name, a.step, a.reason, a.failed_step, a.bytes_estimated, a.attempts,"
        " to_char(a.updated_at AT TIME ZONE 'UTC', " +
            kIso + "), to_char(a.done_at AT TIME ZONE 'UTC', " + kIso +
            ") FROM action a JOIN mailbox m ON m.id = a.mailbox_id"
            " WHERE a.campaign_id = $1 AND ($2::bigint IS NULL OR a.id > $2) AND ($3::text IS NULL OR a.step = $3)"
            " AND ($4::text IS NULL OR lower(m.address) = lower($4)) ORDER BY a.id LIMIT $5",
        ids[0], page.after, outcome, mailbox, page.limit);
    nlohmann::json items = nlohmann::json::array();
    std::optional<std::int64_t> last;
    for (const auto& row : rows) {
      last = row[0].as<std::int64_t>();
      items.push_back({{"id", *last},
                       {"kind", row[1].as<std::string>()},
                       {"mailbox", row[2].as<std::string>()},
                       {"folder", row[3].as<std::string>()},
                       {"step", row[4].as<std::string>()},
                       {"reason", nullable_text(row[5])},
                       {"failed_step", nullable_text(row[6])},
                       {"bytes_estimated", row[7].as<std::int64_t>()},
                       {"attempts", row[8].as<int>()},
                       {"updated_at", row[9].as<std::string>()},
                       {"done_at", nullable_text(row[10])}});
    }
    return json_answer(200, page_answer(items, page, last));
  });
}

http::Response campaign_failures(const ApiContext& api, const http::Request& request, const Ids& ids) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    pqxx::read_transaction tx(call.connection);
    require_campaign_exists(tx, ids[0]);
    auto rows = tx.exec_params(
        "SELECT coalesce(reason, ''), count(*), coalesce(sum(bytes_estimated), 0)::bigint FROM action"
        " WHERE campaign_id = $1 AND step = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1",
        ids[0]);
    nlohmann::json by_reason = nlohmann::json::array();
    std::int64_t total = 0;
    for (const auto& row : rows) {
      total += row[1].as<std::int64_t>();
      by_reason.push_back({{"reason", row[0].as<std::string>()},
                           {"count", row[1].as<std::int64_t>()},
                           {"bytes", row[2].as<std::int64_t>()}});
    }
    return json_answer(200, {{"total", total}, {"by_reason", by_reason}});
  });
}

}  // namespace mailprune::api
