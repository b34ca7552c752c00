#include "policy/projection.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "inventory/progress.hpp"
#include "report/report.hpp"

namespace mailprune::policy {
namespace {

using report::Value;

constexpr std::size_t kMailboxesShown = 20;

// The aggregate columns of every projection query, in Totals order.
// p.n is 1 for a proposal row, the count of a plan_unselected row.
constexpr const char* kTotals =
    "coalesce(sum(p.n), 0)::bigint, coalesce(sum(p.bytes), 0)::bigint,"
    " coalesce(sum(p.n) FILTER (WHERE p.selected AND p.decision <> 'refused'), 0)::bigint,"
    " coalesce(sum(p.bytes) FILTER (WHERE p.selected AND p.decision <> 'refused'), 0)::bigint";

// The campaign's proposals, written ones and unselected ones counted by mailbox and rule
// (plan_unselected, schema 008), as rows of (rule_name, action, rule_priority, mailbox_id, n,
// bytes, selected, decision).
constexpr const char* kProposals =
    "(SELECT rule_name, action, rule_priority, mailbox_id, 1::bigint AS n, bytes, selected, decision"
    " FROM proposal WHERE campaign_id = $1"
    " UNION ALL SELECT rule_name, action, rule_priority, mailbox_id, proposals, bytes, false, 'pending'"
    " FROM plan_unselected WHERE campaign_id = $1) p";

Totals totals_at(const pqxx::row& row, int first) {
  Totals t;
  t.count = row[first].as<std::int64_t>();
  t.bytes = row[first + 1].as<std::int64_t>();
  t.planned_count = row[first + 2].as<std::int64_t>();
  t.planned_bytes = row[first + 3].as<std::int64_t>();
  return t;
}

std::string human(std::int64_t bytes) {
  return inventory::human_bytes(static_cast<std::uint64_t>(std::max<std::int64_t>(bytes, 0)));
}

void add_totals(nlohmann::ordered_json& object, const Totals& t) {
  object["count"] = t.count;
  object["bytes"] = t.bytes;
  object["planned_count"] = t.planned_count;
  object["planned_bytes"] = t.planned_bytes;
}

std::vector<Value> totals_cells(const Totals& t) {
  return {Value::of_integer(t.count), Value::of_bytes(t.bytes), Value::of_integer(t.planned_count),
          Value::of_bytes(t.planned_bytes)};
}

}  // namespace

Projection query_projection(pqxx::transaction_base& tx, const Campaign& campaign) {
  Projection out;
  out.campaign = campaign.name;
  auto head = tx.exec_params1("SELECT state, target_bytes FROM campaign WHERE id = $1", campaign.id);
  out.state = head[0].as<std::string>();
  if (!head[1].is_null()) out.target_bytes = head[1].as<std::int64_t>();

  // One scan of the campaign's proposals for every grouping (GROUPING SETS): kind 0 the total,
  // 1 by rule, 2 by team, 3 by mailbox.
  for (const auto& r : tx.exec_params(
           fmt::format(
               "SELECT CASE WHEN GROUPING(p.rule_name) = 0 THEN 1 WHEN GROUPING(mb.id) = 0 THEN 3"
               " WHEN GROUPING(coalesce(t.name, '')) = 0 THEN 2 ELSE 0 END AS kind,"
               " coalesce(p.rule_name, mb.address, coalesce(t.name, ''), ''), coalesce(p.action, ''),"
               " coalesce(max(p.rule_priority), 0), coalesce(min(t.name), ''), {},"
               " coalesce(sum(p.n) FILTER (WHERE p.decision = 'approved'), 0)::bigint,"
               " coalesce(sum(p.n) FILTER (WHERE p.decision = 'refused'), 0)::bigint,"
               " coalesce(sum(p.n) FILTER (WHERE p.decision = 'pending'), 0)::bigint"
               " FROM {} JOIN mailbox mb ON mb.id = p.mailbox_id LEFT JOIN team t ON t.id = mb.team_id"
               " GROUP BY GROUPING SETS ((), (p.rule_name, p.action), (coalesce(t.name, '')), (mb.id, mb.address))"
               " ORDER BY 1, CASE WHEN GROUPING(p.rule_name) = 0 THEN max(p.rule_priority) END DESC, 9 DESC, 2",
               kTotals, kProposals),
           campaign.id)) {
    int kind = r[0].as<int>();
    if (kind == 0) {
      out.total = totals_at(r, 5);
      out.approved = r[9].as<std::int64_t>();
      out.refused = r[10].as<std::int64_t>();
      out.pending = r[11].as<std::int64_t>();
      continue;
    }
    ProjectionLine line;
    line.name = r[1].as<std::string>();
    line.totals = totals_at(r, 5);
    if (kind == 1) {
      line.detail = r[2].as<std::string>();
      line.priority = r[3].as<int>();
      out.by_rule.push_back(std::move(line));
    } else if (kind == 2) {
      out.by_team.push_back(std::move(line));
    } else {
      line.detail = r[4].as<std::string>();
      out.by_mailbox.push_back(std::move(line));
    }
  }
  for (const auto& r : tx.exec_params("SELECT reason, count(*), coalesce(sum(bytes), 0)::bigint FROM plan_skip"
                                      " WHERE campaign_id = $1 GROUP BY reason ORDER BY 3 DESC, 1",
                                      campaign.id)) {
    SkipLine line;
    line.reason = r[0].as<std::string>();
    line.count = r[1].as<std::int64_t>();
    line.bytes = r[2].as<std::int64_t>();
    out.skipped.push_back(std::move(line));
  }
  if (out.target_bytes) {
    out.reached = out.total.planned_bytes >= *out.target_bytes;
    out.shortfall_bytes = out.reached ? 0 : *out.target_bytes - out.total.planned_bytes;
  }
  return out;
}

std::string render_projection(const Projection& p, const PlanStats* stats, ProjectionFormat format) {
  if (format == ProjectionFormat::json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    out["campaign"] = p.campaign;
    out["state"] = p.state;
    out["what_if"] = p.what_if;
    out["target_bytes"] = p.target_bytes ? nlohmann::ordered_json(*p.target_bytes) : nlohmann::ordered_json(nullptr);
    out["planned_bytes"] = p.total.planned_bytes;
    out["reached"] = p.reached;
    out["shortfall_bytes"] = p.shortfall_bytes;
    out["proposals"] = nlohmann::ordered_json::object();
    add_totals(out["proposals"], p.total);
    out["proposals"]["approved"] = p.approved;
    out["proposals"]["refused"] = p.refused;
    out["proposals"]["pending"] = p.pending;
    auto text = [](const std::string& t) {
      return t.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t);
    };
    auto lines = [&](const std::vector<ProjectionLine>& in, const char* name_key, const char* detail_key,
                     bool priority) {
      nlohmann::ordered_json array = nlohmann::ordered_json::array();
      for (const auto& line : in) {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        object[name_key] = text(line.name);
        if (detail_key != nullptr) object[detail_key] = text(line.detail);
        if (priority) object["priority"] = line.priority;
        add_totals(object, line.totals);
        array.push_back(std::move(object));
      }
      return array;
    };
    out["by_rule"] = lines(p.by_rule, "rule", "action", true);
    out["by_team"] = lines(p.by_team, "team", nullptr, false);
    out["by_mailbox"] = lines(p.by_mailbox, "mailbox", "team", false);
    nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
    for (const auto& s : p.skipped) skipped.push_back({{"reason", s.reason}, {"count", s.count}, {"bytes", s.bytes}});
    out["skipped"] = std::move(skipped);
    if (stats != nullptr) {
      nlohmann::ordered_json seconds = nlohmann::ordered_json::object();  // in the order they ran
      for (const auto& [step, s] : stats->step_seconds) seconds[step] = s;
      out["plan"] = {{"matched", stats->matched}, {"proposals", stats->proposals}, {"unselected", stats->unselected},
                     {"skipped", stats->skipped}, {"kept", stats->kept},           {"seconds", std::move(seconds)}};
    }
    return out.dump(2) + "\n";
  }

  std::string out =
      fmt::format("campaign {} ({}){}\n", p.campaign, p.state, p.what_if ? " -- what-if: nothing was written" : "");
  out += fmt::format("proposals: {} for {} ({} planned for {}); decided: {} approved, {} refused\n", p.total.count,
                     human(p.total.bytes), p.total.planned_count, human(p.total.planned_bytes), p.approved, p.refused);
  if (!p.target_bytes) {
    out += "target: none (every proposal is planned)\n";
  } else if (p.reached) {
    out += fmt::format("target {}: reached, {} planned\n", human(*p.target_bytes), human(p.total.planned_bytes));
  } else {
    out +=
        fmt::format("target {}: NOT reached, short by {} ({} bytes): all proposals together free {}\n",
                    human(*p.target_bytes), human(p.shortfall_bytes), p.shortfall_bytes, human(p.total.planned_bytes));
  }
  const std::vector<std::string> totals = {"proposals", "bytes", "planned", "planned_bytes"};
  auto section = [&](const char* title, std::vector<std::string> columns, std::vector<std::vector<Value>> rows) {
    report::Table table;
    table.columns = std::move(columns);
    table.columns.insert(table.columns.end(), totals.begin(), totals.end());
    table.rows = std::move(rows);
    out += fmt::format("\n{}\n{}", title, report::render_table(table, report::ReportFormat::table));
  };
  std::vector<std::vector<Value>> rows;
  for (const auto& line : p.by_rule) {
    rows.push_back({Value::of_text(line.name), Value::of_text(line.detail), Value::of_integer(line.priority)});
    for (auto& v : totals_cells(line.totals)) rows.back().push_back(v);
  }
  section("By rule", {"rule", "action", "priority"}, std::move(rows));
  rows.clear();
  for (const auto& line : p.by_team) {
    rows.push_back({line.name.empty() ? Value::of_text("(no team)") : Value::of_text(line.name)});
    for (auto& v : totals_cells(line.totals)) rows.back().push_back(v);
  }
  section("By team", {"team"}, std::move(rows));
  rows.clear();
  for (std::size_t i = 0; i < p.by_mailbox.size() && i < kMailboxesShown; ++i) {
    const auto& line = p.by_mailbox[i];
    rows.push_back({Value::of_text(line.name), Value::of_text(line.detail)});
    for (auto& v : totals_cells(line.totals)) rows.back().push_back(v);
  }
  section(p.by_mailbox.size() > kMailboxesShown
              ? fmt::format("By mailbox (the {} largest of {}; --format json lists all)", kMailboxesShown,
                            p.by_mailbox.size())
                    .c_str()
              : "By mailbox",
          {"mailbox", "team"}, std::move(rows));
  report::Table skips{{"reason", "skipped", "bytes"}, {}};
  for (const auto& s : p.skipped) {
    skips.rows.push_back({Value::of_text(s.reason), Value::of_integer(s.count), Value::of_bytes(s.bytes)});
  }
  out += fmt::format("\nKept out by protections\n{}", report::render_table(skips, report::ReportFormat::table));
  return out;
}

}  // namespace mailprune::policy
