#include "policy/planner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "policy/holds.hpp"
#include "policy/rule_sql.hpp"
#include "policy/sql_text.hpp"

namespace mailprune::policy {
namespace {

using config::RuleAction;

class Steps {
 public:
  explicit Steps(PlanStats& stats) : stats_(stats), start_(std::chrono::steady_clock::now()) {}
  void done(const char* step) {
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - start_).count();
    stats_.step_seconds.emplace_back(step, seconds);
    spdlog::debug("plan: {} in {:.3f} s", step, seconds);
    start_ = now;
  }

 private:
  PlanStats& stats_;
  std::chrono::steady_clock::time_point start_;
};

std::vector<std::string> split_columns(const char* columns) {
  std::vector<std::string> out;
  std::string current;
  for (const char* c = columns; *c != '\0'; ++c) {
    if (*c == ',') {
      out.push_back(current);
      current.clear();
    } else if (*c != ' ') {
      current += *c;
    }
  }
  out.push_back(current);
  return out;
}

std::int64_t affected(const pqxx::result& result) {
  return static_cast<std::int64_t>(result.affected_rows());
}

// The rules as a small temporary table, by index (their order in the campaign).
void write_rules(pqxx::transaction_base& tx, const Campaign& campaign, const config::PolicyConfig& policy) {
  std::vector<std::string> indexes, names, priorities, actions, approvals;
  std::vector<std::optional<std::string>> destinations;
  for (std::size_t i = 0; i < campaign.rules.size(); ++i) {
    const config::Rule& rule = campaign.rules[i];
    indexes.push_back(std::to_string(i));
    names.push_back(rule.name);
    priorities.push_back(std::to_string(rule.priority));
    actions.push_back(config::to_string(rule.action));
    approvals.push_back(config::to_string(rule.approval));
    if (rule.action == RuleAction::archive) {
      destinations.emplace_back(rule.archive_folder.empty() ? policy.archive_folder : rule.archive_folder);
    } else if (rule.action == RuleAction::remove) {
      destinations.emplace_back(policy.quarantine_folder);
    } else {
      destinations.emplace_back(std::nullopt);
    }
  }
  tx.exec0("DROP TABLE IF EXISTS plan_rule");
  tx.exec0(
      "CREATE TEMP TABLE plan_rule (rule_index int PRIMARY KEY, name text, priority int, action text, approval text,"
      " destination text) ON COMMIT DROP");
  tx.exec_params0(
      "INSERT INTO plan_rule SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::text[], "
      "$6::text[])",
      pg_text_array(indexes), pg_text_array(names), pg_text_array(priorities), pg_text_array(actions),
      pg_text_array(approvals), pg_text_array(destinations));
}

// The matching statements read work tables (duplicated hashes, folder flags) that cannot be TEMP:
// PostgreSQL's parallel workers cannot read those, and the passes run in parallel. Each is an
// UNLOGGED table `name` (named after the planning backend: unique among running plans) made from
// `select` and analyzed for the joins; the plan drops it before its transaction ends, and were
// the transaction to abort instead, the table would go with it.
void create_work_table(pqxx::transaction_base& tx, const std::string& name, const std::string& select,
                       const std::vector<std::string>& params) {
  tx.exec0("DROP TABLE IF EXISTS " + name);
  tx.exec_params0("CREATE UNLOGGED TABLE " + name + " AS " + select, pqxx::prepare::make_dynamic_params(params));
  tx.exec0("ANALYZE " + name);
}

}  // namespace

PlanStats plan_campaign(pqxx::transaction_base& tx, const Campaign& campaign, const config::PolicyConfig& policy) {
  PlanStats stats;
  Steps steps(stats);

  auto state = tx.exec_params("SELECT state FROM campaign WHERE id = $1 FOR UPDATE", campaign.id);
  if (state.empty()) throw PlanError(fmt::format("campaign '{}' does not exist", campaign.name));
  std::string current = state[0][0].as<std::string>();
  if (current == "applying" || current == "closed") {
    throw PlanError(fmt::format("campaign '{}' is {}: its plan can no longer change", campaign.name, current));
  }
  // Once its agents have been e-mailed, their review pages show the pending proposals: a new plan
  // would change them under the agents.
  if (current == "notifying" || current == "collecting") {
    throw PlanError(fmt::format(
        "campaign '{}' is {}: its agents have been e-mailed the current proposals, so it can no longer be re-planned",
        campaign.name, current));
  }
  if (campaign.rules.empty()) throw PlanError(fmt::format("campaign '{}' has no rules", campaign.name));
  // Sorting and hashing millions of matches: give this transaction room (it is one batch job).
  // Its statements run once over millions of rows: compiling them (JIT) costs more than it saves.
  tx.exec0("SET LOCAL work_mem = '256MB'");
  tx.exec0("SET LOCAL jit = off");

  sync_config_holds(tx, policy.holds);
  MatchContext context;
  context.policy = &policy;
  context.holds = list_holds(tx);
  if (!campaign.scope.everything()) context.scope_ids = scope_mailbox_ids(tx, campaign.scope);
  steps.done("holds and scope");

  // Work tables (create_work_table) are named after this backend.
  const std::string work_suffix = fmt::format("_{}", tx.exec1("SELECT pg_backend_pid()")[0].as<std::int64_t>());

  // Content seen more than once among the scope's attachments (read from attachment_sha256_idx
  // alone), one row per hash.
  bool duplicates = false;
  for (const auto& rule : campaign.rules) duplicates = duplicates || rule.duplicates_only;
  if (duplicates) {
    context.duplicates_table = "plan_duplicate" + work_suffix;
    create_work_table(tx, context.duplicates_table,
                      "SELECT sha256 FROM attachment WHERE sha256 IS NOT NULL"
                      " AND ($1 = '' OR mailbox_id = ANY(nullif($1, '')::int[])) GROUP BY sha256 HAVING count(*) > 1",
                      {context.scope_ids});
    steps.done("duplicates");
  }
  write_rules(tx, campaign, policy);

  // Decided proposals (and any an apply journal, schema 004 when present, has taken up) stay as they
  // are, and what they cover is not proposed again. Pending ones are compared with the new plan below.
  bool journal = !tx.exec("SELECT to_regclass('action_proposal')")[0][0].is_null();
  const std::string taken =
      journal ? " OR EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id)" : std::string();
  tx.exec0("DROP TABLE IF EXISTS plan_kept");
  stats.kept = affected(tx.exec_params0(
      "CREATE TEMP TABLE plan_kept ON COMMIT DROP AS SELECT p.message_row_id AS message_id,"
      " p.attachment_row_id AS attachment_id FROM proposal p WHERE p.campaign_id = $1 AND p.message_row_id IS NOT NULL"
      " AND (p.decision <> 'pending'" +
          taken + ")",
      campaign.id));
  std::int64_t committed_bytes =
      tx.exec_params1(
            "SELECT coalesce(sum(bytes), 0)::bigint FROM proposal WHERE campaign_id = $1 AND decision = 'approved'"
            " AND selected",
            campaign.id)[0]
          .as<std::int64_t>();
  steps.done("decided proposals");

  // Every rule of a kind in one pass over its table: each target once, with the rule that takes it
  // and the skip already decided (policy/rule_sql.hpp).
  MatchPass detach_pass, message_pass;
  detach_pass.detach = true;
  for (std::size_t i = 0; i < campaign.rules.size(); ++i) {
    (campaign.rules[i].action == RuleAction::detach ? detach_pass : message_pass).rules.push_back(i);
  }
  // Each pass's rows in a table of its own, written by CREATE TABLE AS: unlike INSERT ... SELECT,
  // it lets PostgreSQL scan the inventory with parallel workers. plan_match is both.
  tx.exec0("DROP VIEW IF EXISTS plan_match");
  for (const MatchPass* pass : {&detach_pass, &message_pass}) {
    const std::string table = pass->detach ? "plan_match_attachment" : "plan_match_message";
    tx.exec0("DROP TABLE IF EXISTS " + table);
    if (pass->rules.empty()) {
      tx.exec0("CREATE TEMP TABLE " + table +
               " (attachment_id bigint, message_id bigint, mailbox_id int, rule_index int, priority int, bytes bigint,"
               " skip_rule_index int, reason text, skip_bytes bigint, matches int) ON COMMIT DROP");
      continue;
    }
    SqlParams params;
    FolderFlagsTable folders;
    context.folder_table = "plan_folder" + work_suffix;
    std::string select = match_pass_sql(campaign.rules, *pass, context, params, folders);
    create_work_table(tx, context.folder_table, folders.select, folders.params);
    tx.exec_params0("CREATE TEMP TABLE " + table + " ON COMMIT DROP AS " + select,
                    pqxx::prepare::make_dynamic_params(params.values()));
    tx.exec0("ANALYZE " + table);
    tx.exec0("DROP TABLE " + context.folder_table);
  }
  // Dropped with its tables at the end of the transaction.
  tx.exec0(
      "CREATE TEMP VIEW plan_match AS SELECT * FROM plan_match_attachment UNION ALL SELECT * FROM plan_match_message");
  if (duplicates) tx.exec0("DROP TABLE " + context.duplicates_table);
  stats.matched = tx.exec1("SELECT coalesce(sum(matches), 0)::bigint FROM plan_match")[0].as<std::int64_t>();
  steps.done("match");

  // What protections kept out: one row per target, under the highest-priority rule they stopped.
  tx.exec_params0("DELETE FROM plan_skip WHERE campaign_id = $1", campaign.id);
  stats.skipped = affected(tx.exec_params0(
      "INSERT INTO plan_skip (campaign_id, rule_name, mailbox_id, message_row_id, attachment_row_id, reason, bytes)"
      " SELECT $1, r.name, pm.mailbox_id, pm.message_id, pm.attachment_id, pm.reason, pm.skip_bytes"
      " FROM plan_match pm JOIN plan_rule r ON r.rule_index = pm.skip_rule_index WHERE pm.skip_rule_index IS NOT NULL",
      campaign.id));
  steps.done("skips");

  // One action per message, each attachment in at most one proposal (each row already holds its
  // best rule): a message rule takes the message unless a detach rule of higher priority takes one
  // of its attachments; then the detach rules keep the attachments. Then the selection towards the
  // target, least disruptive first (priority, then largest bytes per item).
  auto not_kept = [&](const char* alias) -> std::string {
    if (stats.kept == 0) return "";
    return fmt::format(
        " AND NOT EXISTS (SELECT 1 FROM plan_kept k WHERE k.message_id = {0}.message_id"
        " AND (k.attachment_id IS NULL OR {0}.attachment_id IS NULL OR k.attachment_id = {0}.attachment_id))",
        alias);
  };
  const char* pick_columns = "rule_index, priority, mailbox_id, message_id, attachment_id, bytes";
  tx.exec0("DROP TABLE IF EXISTS plan_pick");
  tx.exec0(fmt::format(
      "CREATE TEMP TABLE plan_pick ON COMMIT DROP AS SELECT {} FROM plan_match_message pm"
      " WHERE pm.rule_index IS NOT NULL{} AND NOT EXISTS (SELECT 1 FROM plan_match_attachment ba"
      "  WHERE ba.message_id = pm.message_id AND ba.rule_index IS NOT NULL AND ba.priority > pm.priority{})",
      pick_columns, not_kept("pm"), not_kept("ba")));
  tx.exec0("ANALYZE plan_pick");  // the messages that won: their attachments are not proposed
  tx.exec0(
      fmt::format("INSERT INTO plan_pick SELECT {} FROM plan_match_attachment pm WHERE pm.rule_index IS NOT NULL{}"
                  " AND NOT EXISTS (SELECT 1 FROM plan_pick w WHERE w.message_id = pm.message_id)",
                  pick_columns, not_kept("pm")));
  steps.done("resolve");

  // Selection towards the target, least disruptive first: in the order (priority DESC, bytes DESC,
  // message, attachment) a proposal is selected while the bytes before it are short of the target
  // (less what is already approved). Whole priority levels are decided from their totals; only
  // the level that crosses the target is ordered (a window over it alone, not over every pick).
  std::string selected = "true";
  if (campaign.target_bytes) {
    const std::int64_t remaining = *campaign.target_bytes - committed_bytes;
    std::vector<std::string> any_of = {"p.bytes = 0"};
    std::int64_t before = 0;
    for (const auto& level :
         tx.exec("SELECT priority, sum(bytes)::bigint FROM plan_pick GROUP BY priority ORDER BY priority DESC")) {
      if (before >= remaining) break;
      int priority = level[0].as<int>();
      std::int64_t bytes = level[1].as<std::int64_t>();
      if (before + bytes <= remaining) {  // every proposal of the level starts short of the target
        any_of.push_back(fmt::format("p.priority >= {}", priority));
        before += bytes;
        continue;
      }
      tx.exec0("DROP TABLE IF EXISTS plan_crossing");
      tx.exec_params0(
          "CREATE TEMP TABLE plan_crossing ON COMMIT DROP AS SELECT target_key FROM"
          " (SELECT coalesce(p.attachment_id, -p.message_id) AS target_key, sum(p.bytes) OVER (ORDER BY p.bytes DESC,"
          "   p.message_id, p.attachment_id NULLS FIRST ROWS UNBOUNDED PRECEDING) - p.bytes AS before"
          "  FROM plan_pick p WHERE p.priority = $1) w WHERE $2::bigint + w.before < $3::bigint",
          priority, before, remaining);
      any_of.push_back(fmt::format(
          "(p.priority = {} AND coalesce(p.attachment_id, -p.message_id) IN (SELECT target_key FROM plan_crossing))",
          priority));
      break;
    }
    selected = "(" + fmt::format("{}", fmt::join(any_of, " OR ")) + ")";
  }
  tx.exec0("DROP TABLE IF EXISTS plan_selected");
  tx.exec0("CREATE TEMP TABLE plan_selected ON COMMIT DROP AS SELECT * FROM plan_pick p WHERE " + selected);
  tx.exec0("ANALYZE plan_selected");  // few, usually: the snapshot below reads them by primary key
  steps.done("select");

  // The selected proposals, with their snapshot of the target. Index lookups of the few selected
  // targets beat reading whole tables: say so for the rest of the plan (PostgreSQL's default cost
  // assumes spinning disks, and the matching above is better off without it).
  tx.exec0("SET LOCAL random_page_cost = 1.1");
  std::string date = kMessageDate;
  tx.exec0("DROP TABLE IF EXISTS plan_new");
  tx.exec0(
      "CREATE TEMP TABLE plan_new ON COMMIT DROP AS"
      " SELECT coalesce(s.attachment_id, -s.message_id) AS target_key, r.name AS rule_name,"
      " r.priority AS rule_priority, r.action, r.approval, true AS selected,"
      " CASE WHEN r.approval = 'auto' THEN 'approved' ELSE 'pending' END AS decision,"
      " CASE WHEN r.approval = 'auto' THEN now() END AS decided_at,"
      " s.mailbox_id, s.message_id AS message_row_id, s.attachment_id AS attachment_row_id, f.name AS folder_name,"
      " f.uidvalidity, m.uid, m.item_id, m.change_key, m.message_id AS internet_message_id, " +
      date +
      " AS message_date, m.from_address, m.subject, m.size AS message_size, a.section, a.name AS attachment_name,"
      " a.content_type, a.sha256, s.bytes, CASE r.action WHEN 'archive' THEN " +
      archive_destination_sql("r.destination", date) +
      " WHEN 'delete' THEN r.destination END AS destination_folder"
      " FROM plan_selected s JOIN plan_rule r ON r.rule_index = s.rule_index JOIN message m ON m.id = s.message_id"
      " JOIN folder f ON f.id = m.folder_id LEFT JOIN attachment a ON a.id = s.attachment_id");
  steps.done("new proposals");

  // Pending proposals the new plan repeats exactly stay (same id: review links and audit rows keep
  // pointing at them); the others are replaced. Far fewer rows are written when little changed.
  const char* columns =
      "rule_name, rule_priority, action, approval, selected, decision, mailbox_id, message_row_id, attachment_row_id,"
      " folder_name, uidvalidity, uid, item_id, change_key, internet_message_id, message_date, from_address, subject,"
      " message_size, section, attachment_name, content_type, sha256, bytes, destination_folder";
  std::string same = fmt::format("(n.{}) IS NOT DISTINCT FROM (p.{})", fmt::join(split_columns(columns), ", n."),
                                 fmt::join(split_columns(columns), ", p."));
  tx.exec_params0(
      fmt::format("DELETE FROM proposal p WHERE p.campaign_id = $1 AND p.decision = 'pending'{}"
                  " AND NOT EXISTS (SELECT 1 FROM plan_new n"
                  " WHERE n.target_key = coalesce(p.attachment_row_id, -p.message_row_id) AND {})",
                  journal ? " AND NOT EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id)" : "",
                  same),
      campaign.id);
  stats.proposals = affected(tx.exec_params0(
      fmt::format("INSERT INTO proposal (campaign_id, decided_at, {0}) SELECT $1, n.decided_at, n.{1} FROM plan_new n"
                  " WHERE NOT EXISTS (SELECT 1 FROM proposal p WHERE p.campaign_id = $1"
                  " AND coalesce(p.attachment_row_id, -p.message_row_id) = n.target_key)",
                  columns, fmt::join(split_columns(columns), ", n.")),
      campaign.id));
  stats.unchanged = tx.exec1("SELECT count(*) FROM plan_new")[0].as<std::int64_t>() - stats.proposals;

  // What the target left unselected is not written one row each: its count and bytes by mailbox
  // and rule are what the projection shows (schema/008_plan_unselected.sql).
  tx.exec_params0("DELETE FROM plan_unselected WHERE campaign_id = $1", campaign.id);
  tx.exec_params0(
      "INSERT INTO plan_unselected (campaign_id, mailbox_id, rule_name, rule_priority, action, proposals, bytes)"
      " SELECT $1, p.mailbox_id, r.name, r.priority, r.action, count(*), sum(p.bytes) FROM plan_pick p"
      " JOIN plan_rule r ON r.rule_index = p.rule_index WHERE NOT " +
          selected + " GROUP BY p.mailbox_id, r.rule_index, r.name, r.priority, r.action",
      campaign.id);
  stats.unselected = tx.exec_params1(
                           "SELECT coalesce(sum(proposals), 0)::bigint FROM plan_unselected"
                           " WHERE campaign_id = $1",
                           campaign.id)[0]
                         .as<std::int64_t>();
  steps.done("proposals");

  tx.exec_params0(
      "UPDATE campaign SET planned_at = now(), state = CASE WHEN state = 'draft' THEN 'proposing' ELSE state END"
      " WHERE id = $1",
      campaign.id);
  steps.done("campaign");
  return stats;
}

}  // namespace mailprune::policy
