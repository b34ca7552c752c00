#include "campaign/progress.hpp"

#include <fmt/format.h>

#include "inventory/progress.hpp"
#include "report/report.hpp"

namespace mailprune::campaign {
namespace {

// Per mailbox, then grouped by team, by (team, agent) and in total. Bytes sums are cast back to
// bigint (sum(bigint) is numeric).
constexpr const char* kProgressSql = R"SQL(
WITH p AS (
  SELECT p.mailbox_id,
         count(*) AS proposed,
         sum(p.bytes) AS proposed_bytes,
         count(*) FILTER (WHERE p.decision = 'approved') AS approved,
         coalesce(sum(p.bytes) FILTER (WHERE p.decision = 'approved'), 0) AS approved_bytes,
         count(*) FILTER (WHERE p.decision = 'refused') AS refused,
         coalesce(sum(p.bytes) FILTER (WHERE p.decision = 'refused'), 0) AS refused_bytes,
         count(*) FILTER (WHERE p.decision = 'pending') AS pending,
         coalesce(sum(p.bytes) FILTER (WHERE p.decision = 'pending'), 0) AS pending_bytes,
         count(*) FILTER (WHERE a.step IN ('done', 'purged')) AS applied,
         coalesce(sum(p.bytes) FILTER (WHERE a.step IN ('done', 'purged')), 0) AS freed_estimated
  FROM proposal p
  LEFT JOIN action_proposal ap ON ap.proposal_id = p.id
  LEFT JOIN action a ON a.id = ap.action_id
  WHERE p.campaign_id = $1 AND p.selected
  GROUP BY p.mailbox_id),
m AS (
  SELECT am.mailbox_id, sum(am.bytes_before - am.bytes_after) AS measured
  FROM apply_measure am JOIN apply_run r ON r.id = am.apply_run_id
  WHERE r.campaign_id = $1 AND am.bytes_before IS NOT NULL AND am.bytes_after IS NOT NULL
  GROUP BY am.mailbox_id),
who AS (
  SELECT coalesce(p.proposed, 0) AS proposed, coalesce(p.proposed_bytes, 0) AS proposed_bytes,
         coalesce(p.approved, 0) AS approved, coalesce(p.approved_bytes, 0) AS approved_bytes,
         coalesce(p.refused, 0) AS refused, coalesce(p.refused_bytes, 0) AS refused_bytes,
         coalesce(p.pending, 0) AS pending, coalesce(p.pending_bytes, 0) AS pending_bytes,
         coalesce(p.applied, 0) AS applied, coalesce(p.freed_estimated, 0) AS freed_estimated,
         m.measured,
         lower(mb.address) AS address,
         coalesce(nullif(ag.display_name, ''), mb.display_name) AS display_name,
         coalesce(t.name, '') AS team
  FROM p FULL JOIN m ON m.mailbox_id = p.mailbox_id
  JOIN mailbox mb ON mb.id = coalesce(p.mailbox_id, m.mailbox_id)
  LEFT JOIN agent ag ON ag.address = lower(mb.address)
  LEFT JOIN team t ON t.id = coalesce(ag.team_id, mb.team_id))
SELECT GROUPING(team), GROUPING(address), coalesce(team, ''), coalesce(address, ''), coalesce(max(display_name), ''),
       count(DISTINCT address),
       sum(proposed)::bigint, sum(proposed_bytes)::bigint, sum(approved)::bigint, sum(approved_bytes)::bigint,
       sum(refused)::bigint, sum(refused_bytes)::bigint, sum(pending)::bigint, sum(pending_bytes)::bigint,
       sum(applied)::bigint, sum(freed_estimated)::bigint, sum(measured)::bigint
FROM who
GROUP BY GROUPING SETS ((), (team), (team, address))
ORDER BY 3, 4
)SQL";

ProgressCounts counts_of(const pqxx::row& r, int first) {
  ProgressCounts c;
  std::int64_t* fields[] = {&c.proposed, &c.proposed_bytes, &c.approved, &c.approved_bytes,
                            &c.refused,  &c.refused_bytes,  &c.pending,  &c.pending_bytes,
                            &c.applied,  &c.freed_estimated};
  for (int i = 0; i < 10; ++i) *fields[i] = r[first + i].is_null() ? 0 : r[first + i].as<std::int64_t>();
  if (!r[first + 10].is_null()) c.freed_measured = r[first + 10].as<std::int64_t>();
  return c;
}

nlohmann::json counts_json(const ProgressCounts& c) {
  nlohmann::json j;
  j["proposed"] = c.proposed;
  j["proposed_bytes"] = c.proposed_bytes;
  j["approved"] = c.approved;
  j["approved_bytes"] = c.approved_bytes;
  j["refused"] = c.refused;
  j["refused_bytes"] = c.refused_bytes;
  j["pending"] = c.pending;
  j["pending_bytes"] = c.pending_bytes;
  j["applied"] = c.applied;
  j["freed_estimated"] = c.freed_estimated;
  j["freed_measured"] = c.freed_measured ? nlohmann::json(*c.freed_measured) : nlohmann::json(nullptr);
  return j;
}

std::vector<report::Value> count_cells(const ProgressCounts& c) {
  using report::Value;
  return {Value::of_integer(c.proposed),
          Value::of_bytes(c.proposed_bytes),
          Value::of_integer(c.approved),
          Value::of_bytes(c.approved_bytes),
          Value::of_integer(c.refused),
          Value::of_integer(c.pending),
          Value::of_integer(c.applied),
          Value::of_bytes(c.freed_estimated),
          c.freed_measured ? Value::of_bytes(*c.freed_measured) : Value::null()};
}

const std::vector<std::string> kCountColumns = {"proposed",       "proposed_bytes",  "approved",
                                                "approved_bytes", "refused",         "pending",
                                                "applied",        "freed_estimated", "freed_measured"};

std::string names(const nlohmann::json& list) {
  if (!list.is_array() || list.empty()) return "all";
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>() : "?");
  return out;
}

std::string percent(std::int64_t part, std::optional<std::int64_t> whole) {
  if (!whole || *whole <= 0) return "";
  return fmt::format(" ({:.1f}% of the target)", 100.0 * static_cast<double>(part) / static_cast<double>(*whole));
}

std::string human(std::int64_t bytes) {
  if (bytes < 0) return "-" + inventory::human_bytes(static_cast<std::uint64_t>(-bytes));
  return inventory::human_bytes(static_cast<std::uint64_t>(bytes));
}

nlohmann::json campaign_json(const CampaignRow& c) {
  nlohmann::json j;
  j["id"] = c.id;
  j["name"] = c.name;
  j["state"] = c.state;
  j["target_bytes"] = c.target_bytes ? nlohmann::json(*c.target_bytes) : nlohmann::json(nullptr);
  j["scope"] = c.scope;
  j["rules"] = c.rules;
  j["grace_days"] = c.grace_days;
  j["language"] = c.language;
  auto opt = [](const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  j["starts_at"] = opt(c.starts_at);
  j["deadline"] = opt(c.deadline);
  j["created_at"] = opt(c.created_at);
  j["planned_at"] = opt(c.planned_at);
  j["closed_at"] = opt(c.closed_at);
  j["admins"] = nlohmann::json::array();
  for (const auto& a : c.admins) {
    j["admins"].push_back({{"address", a.address}, {"display_name", a.display_name}, {"language", a.language}});
  }
  return j;
}

}  // namespace

CampaignProgress campaign_progress(pqxx::connection& connection, const std::string& name_or_id) {
  pqxx::read_transaction tx(connection);
  CampaignProgress progress;
  progress.campaign = require_campaign(tx, name_or_id);
  const int id = progress.campaign.id;
  for (const auto& r : tx.exec_params(kProgressSql, id)) {
    bool all_teams = r[0].as<int>() == 1;
    bool all_agents = r[1].as<int>() == 1;
    if (all_teams && all_agents) {
      progress.total = counts_of(r, 6);
    } else if (all_agents) {
      TeamProgress team;
      team.team = r[2].as<std::string>();
      team.agents = r[5].as<int>();
      team.counts = counts_of(r, 6);
      progress.teams.push_back(std::move(team));
    } else {
      AgentProgress agent;
      agent.team = r[2].as<std::string>();
      agent.address = r[3].as<std::string>();
      agent.display_name = r[4].as<std::string>();
      agent.counts = counts_of(r, 6);
      progress.agents.push_back(std::move(agent));
    }
  }
  std::sort(progress.agents.begin(), progress.agents.end(),
            [](const AgentProgress& a, const AgentProgress& b) { return a.address < b.address; });
  for (const auto& r :
       tx.exec_params("SELECT status, count(*), count(*) FILTER (WHERE kind = 'review' AND status = 'sent')"
                      " FROM notification WHERE campaign_id = $1 GROUP BY status",
                      id)) {
    auto status = r[0].as<std::string>();
    int n = r[1].as<int>();
    if (status == "pending") progress.notifications.pending = n;
    if (status == "sent") progress.notifications.sent = n;
    if (status == "failed") progress.notifications.failed = n;
    if (status == "cancelled") progress.notifications.cancelled = n;
    progress.notifications.agents_notified += r[2].as<int>();
  }
  progress.history = campaign_events(tx, id);
  return progress;
}

std::string render_progress(const CampaignProgress& progress, const std::string& format) {
  const auto& c = progress.campaign;
  if (format == "json") {
    nlohmann::json j = campaign_json(c);
    j["total"] = counts_json(progress.total);
    j["teams"] = nlohmann::json::array();
    for (const auto& t : progress.teams) {
      auto row = counts_json(t.counts);
      row["team"] = t.team;
      row["agents"] = t.agents;
      j["teams"].push_back(row);
    }
    j["agents"] = nlohmann::json::array();
    for (const auto& a : progress.agents) {
      auto row = counts_json(a.counts);
      row["address"] = a.address;
      row["display_name"] = a.display_name;
      row["team"] = a.team;
      j["agents"].push_back(row);
    }
    const auto& n = progress.notifications;
    j["notifications"] = {{"pending", n.pending},
                          {"sent", n.sent},
                          {"failed", n.failed},
                          {"cancelled", n.cancelled},
                          {"agents_notified", n.agents_notified}};
    j["history"] = nlohmann::json::array();
    for (const auto& e : progress.history) {
      j["history"].push_back(
          {{"at", e.at}, {"step", e.step}, {"from", e.from_state}, {"to", e.to_state}, {"detail", e.detail}});
    }
    return j.dump(2) + "\n";
  }

  report::Table agents;
  agents.columns = {"agent", "name", "team"};
  agents.columns.insert(agents.columns.end(), kCountColumns.begin(), kCountColumns.end());
  for (const auto& a : progress.agents) {
    std::vector<report::Value> row = {report::Value::of_text(a.address), report::Value::of_text(a.display_name),
                                      report::Value::of_text(a.team)};
    auto cells = count_cells(a.counts);
    row.insert(row.end(), cells.begin(), cells.end());
    agents.rows.push_back(std::move(row));
  }
  if (format == "csv") return report::render_table(agents, report::ReportFormat::csv);

  std::string out = fmt::format("Campaign '{}' (id {}): {}\n", c.name, c.id, c.state);
  out += fmt::format("  target       {}\n", c.target_bytes ? human(*c.target_bytes) : std::string("none"));
  out += fmt::format("  scope        sources: {}; teams: {}; mailboxes: {}\n",
                     names(c.scope.value("sources", nlohmann::json())), names(c.scope.value("teams", nlohmann::json())),
                     names(c.scope.value("mailboxes", nlohmann::json())));
  std::string rules;
  for (const auto& rule : c.rules) rules += (rules.empty() ? "" : ", ") + rule.value("name", std::string("?"));
  out += fmt::format("  rules        {}\n", rules.empty() ? "none" : rules);
  out += fmt::format("  starts       {}\n", c.starts_at.value_or("-"));
  out += fmt::format("  deadline     {}{}\n", c.deadline.value_or("-"), c.deadline_passed ? " (passed)" : "");
  out += fmt::format("  grace        {} days\n", c.grace_days);
  out += fmt::format("  planned      {}\n", c.planned_at.value_or("never"));
  const auto& n = progress.notifications;
  out += fmt::format("  e-mails      {} sent ({} agents notified), {} pending, {} failed, {} cancelled\n", n.sent,
                     n.agents_notified, n.pending, n.failed, n.cancelled);
  const auto& t = progress.total;
  out += "\nProgress\n";
  out += fmt::format("  proposed     {} items, {}{}\n", t.proposed, human(t.proposed_bytes),
                     percent(t.proposed_bytes, c.target_bytes));
  out += fmt::format("  approved     {} items, {}{}\n", t.approved, human(t.approved_bytes),
                     percent(t.approved_bytes, c.target_bytes));
  out += fmt::format("  refused      {} items, {}\n", t.refused, human(t.refused_bytes));
  out += fmt::format("  pending      {} items, {}\n", t.pending, human(t.pending_bytes));
  out += fmt::format("  applied      {} items, {} freed (estimated){}\n", t.applied, human(t.freed_estimated),
                     percent(t.freed_estimated, c.target_bytes));
  out += fmt::format("  measured     {}\n",
                     t.freed_measured ? human(*t.freed_measured) + " freed" + percent(*t.freed_measured, c.target_bytes)
                                      : std::string("not measured yet"));

  report::Table teams;
  teams.columns = {"team", "agents"};
  teams.columns.insert(teams.columns.end(), kCountColumns.begin(), kCountColumns.end());
  for (const auto& team : progress.teams) {
    std::vector<report::Value> row = {report::Value::of_text(team.team.empty() ? "(no team)" : team.team),
                                      report::Value::of_integer(team.agents)};
    auto cells = count_cells(team.counts);
    row.insert(row.end(), cells.begin(), cells.end());
    teams.rows.push_back(std::move(row));
  }
  out += "\nBy team\n" + (teams.rows.empty() ? std::string("  (no proposals yet)\n")
                                             : report::render_table(teams, report::ReportFormat::table));
  out += "\nBy agent\n" + (agents.rows.empty() ? std::string("  (no proposals yet)\n")
                                               : report::render_table(agents, report::ReportFormat::table));
  if (!progress.history.empty()) {
    out += "\nHistory\n";
    for (const auto& e : progress.history) {
      out += fmt::format("  {}  {:<9} {} -> {}{}\n", e.at, e.step, e.from_state.empty() ? "-" : e.from_state,
                         e.to_state, e.detail.empty() ? "" : "  " + e.detail);
    }
  }
  return out;
}

std::string render_campaign_list(const std::vector<CampaignRow>& campaigns, const std::string& format) {
  if (format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : campaigns) j.push_back(campaign_json(c));
    return j.dump(2) + "\n";
  }
  report::Table table;
  table.columns = {"id", "name", "state", "target", "rules", "deadline", "created"};
  for (const auto& c : campaigns) {
    table.rows.push_back(
        {report::Value::of_integer(c.id), report::Value::of_text(c.name), report::Value::of_text(c.state),
         c.target_bytes ? report::Value::of_bytes(*c.target_bytes) : report::Value::null(),
         report::Value::of_integer(static_cast<std::int64_t>(c.rules.size())),
         report::Value::of_text(c.deadline.value_or("")), report::Value::of_text(c.created_at.value_or(""))});
  }
  if (format == "table" && campaigns.empty()) return "No campaign yet: mailprune campaign create NAME --help\n";
  return report::render_table(table, format == "csv" ? report::ReportFormat::csv : report::ReportFormat::table);
}

}  // namespace mailprune::campaign
