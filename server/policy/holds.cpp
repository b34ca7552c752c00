#include "policy/holds.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace mailprune::policy {
namespace {

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json hold_json(const config::HoldConfig& hold) {
  nlohmann::json out = nlohmann::json::object();
  out["mailbox"] = text_or_null(hold.mailbox);
  out["folder"] = text_or_null(hold.folder);
  out["sender"] = text_or_null(hold.sender);
  out["date_from"] =
      hold.date_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(hold_date_bound(hold.date_from, false));
  out["date_to"] = hold.date_to.empty() ? nlohmann::json(nullptr) : nlohmann::json(hold_date_bound(hold.date_to, true));
  out["reason"] = hold.reason;
  return out;
}

// The holds of `json` (an array of hold_json objects) as a relation `w`.
constexpr const char* kWanted =
    "jsonb_to_recordset($1::jsonb) AS w(mailbox text, folder text, sender text, date_from timestamptz,"
    " date_to timestamptz, reason text)";

constexpr const char* kSameHold =
    "h.mailbox IS NOT DISTINCT FROM w.mailbox AND h.folder IS NOT DISTINCT FROM w.folder"
    " AND h.sender IS NOT DISTINCT FROM w.sender AND h.date_from IS NOT DISTINCT FROM w.date_from"
    " AND h.date_to IS NOT DISTINCT FROM w.date_to AND h.reason = w.reason";

}  // namespace

std::string hold_date_bound(const std::string& date, bool end_of_day) {
  if (date.size() == 10) return date + (end_of_day ? " 23:59:59.999999+00" : " 00:00:00+00");
  return date;
}

void sync_config_holds(pqxx::transaction_base& tx, const std::vector<config::HoldConfig>& holds) {
  nlohmann::json wanted = nlohmann::json::array();
  for (const auto& hold : holds) wanted.push_back(hold_json(hold));
  std::string json = wanted.dump();
  // Two plans syncing at once would both insert a newly configured hold: one at a time.
  tx.exec0("LOCK TABLE hold IN SHARE ROW EXCLUSIVE MODE");
  tx.exec_params0(fmt::format("DELETE FROM hold h WHERE h.origin = 'config' AND NOT EXISTS (SELECT 1 FROM {} WHERE {})",
                              kWanted, kSameHold),
                  json);
  tx.exec_params0(
      fmt::format("INSERT INTO hold (mailbox, folder, sender, date_from, date_to, reason, origin, created_by)"
                  " SELECT DISTINCT w.mailbox, w.folder, w.sender, w.date_from, w.date_to, w.reason,"
                  " 'config', 'configuration' FROM {}"
                  " WHERE NOT EXISTS (SELECT 1 FROM hold h WHERE h.origin = 'config' AND {})",
                  kWanted, kSameHold),
      json);
}

int add_hold(pqxx::transaction_base& tx, const config::HoldConfig& hold, const std::string& created_by) {
  if (hold.reason.empty()) throw HoldError("a hold needs a reason (--reason TEXT)");
  if (hold.mailbox.empty() && hold.folder.empty() && hold.sender.empty() && hold.date_from.empty() &&
      hold.date_to.empty()) {
    throw HoldError("a hold needs at least one of --mailbox, --folder, --sender, --from, --to");
  }
  for (const auto* date : {&hold.date_from, &hold.date_to}) {
    if (!date->empty() && !config::is_hold_date(*date)) {
      throw HoldError(
          fmt::format("\"{}\" is not a date (YYYY-MM-DD, or a date-time such as 2021-03-01T00:00:00+01:00)", *date));
    }
  }
  if (!hold.date_from.empty() && !hold.date_to.empty() &&
      tx.exec_params1("SELECT $1::timestamptz > $2::timestamptz", hold_date_bound(hold.date_from, false),
                      hold_date_bound(hold.date_to, true))[0]
          .as<bool>()) {
    throw HoldError("--to is before --from");
  }
  nlohmann::json one = nlohmann::json::array({hold_json(hold)});
  return tx
      .exec_params1(
          fmt::format("INSERT INTO hold (mailbox, folder, sender, date_from, date_to, reason, origin, created_by)"
                      " SELECT w.mailbox, w.folder, w.sender, w.date_from, w.date_to, w.reason, 'cli', $2"
                      " FROM {} RETURNING id",
                      kWanted),
          one.dump(), created_by)[0]
      .as<int>();
}

std::vector<Hold> list_holds(pqxx::transaction_base& tx) {
  std::vector<Hold> out;
  for (const auto& r :
       tx.exec("SELECT id, coalesce(mailbox, ''), coalesce(folder, ''), coalesce(sender, ''),"
               " coalesce(to_char(date_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US\"+00\"'), ''),"
               " coalesce(to_char(date_to AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US\"+00\"'), ''), reason, origin,"
               " created_by, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
               " FROM hold ORDER BY id")) {
    Hold hold;
    hold.id = r[0].as<int>();
    hold.mailbox = r[1].as<std::string>();
    hold.folder = r[2].as<std::string>();
    hold.sender = r[3].as<std::string>();
    hold.date_from = r[4].as<std::string>();
    hold.date_to = r[5].as<std::string>();
    hold.reason = r[6].as<std::string>();
    hold.origin = r[7].as<std::string>();
    hold.created_by = r[8].as<std::string>();
    hold.created_at = r[9].as<std::string>();
    out.push_back(std::move(hold));
  }
  return out;
}

RemoveHoldResult remove_hold(pqxx::transaction_base& tx, int id) {
  auto rows = tx.exec_params("SELECT origin FROM hold WHERE id = $1 FOR UPDATE", id);
  if (rows.empty()) return RemoveHoldResult::not_found;
  if (rows[0][0].as<std::string>() == "config") return RemoveHoldResult::from_config;
  tx.exec_params0("DELETE FROM hold WHERE id = $1", id);
  return RemoveHoldResult::removed;
}

}  // namespace mailprune::policy
