#include "campaign/review_store.hpp"

#include <openssl/sha.h>

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "inventory/copy_stage.hpp"

namespace mailprune::campaign {
namespace {

std::string hex(const std::string& bytes) {
  return inventory::to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

std::string token_digest(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::int64_t store_review_token(pqxx::transaction_base& tx, int campaign_id, int agent_id, const std::string& token,
                                const std::string& expires_at) {
  return tx
      .exec_params1(
          "INSERT INTO review_token (campaign_id, agent_id, token_sha256, expires_at)"
          " VALUES ($1, $2, decode($3, 'hex'), NULLIF($4, '')::timestamptz) RETURNING id",
          campaign_id, agent_id, hex(token_digest(token)), expires_at)[0]
      .as<std::int64_t>();
}

std::optional<StoredToken> find_review_token(pqxx::transaction_base& tx, const std::string& token) {
  auto rows = tx.exec_params(
      "SELECT id, campaign_id, agent_id, revoked_at IS NOT NULL, coalesce(revoked_reason, '') FROM review_token"
      " WHERE token_sha256 = decode($1, 'hex')",
      hex(token_digest(token)));
  if (rows.empty()) return std::nullopt;
  StoredToken stored;
  stored.id = rows[0][0].as<std::int64_t>();
  stored.campaign_id = rows[0][1].as<int>();
  stored.agent_id = rows[0][2].as<int>();
  stored.revoked = rows[0][3].as<bool>();
  stored.revoked_reason = rows[0][4].as<std::string>();
  return stored;
}

int revoke_review_tokens(pqxx::transaction_base& tx, int campaign_id, std::optional<int> agent_id,
                         const std::string& reason) {
  std::string agent = agent_id ? std::to_string(*agent_id) : "";
  return static_cast<int>(tx.exec_params0("UPDATE review_token SET revoked_at = now(), revoked_reason = $3"
                                          " WHERE campaign_id = $1 AND ($2 = '' OR agent_id = NULLIF($2, '')::int)"
                                          " AND revoked_at IS NULL",
                                          campaign_id, agent, reason)
                              .affected_rows());
}

std::optional<ReviewData> load_review(pqxx::transaction_base& tx, int campaign_id, int agent_id) {
  auto head = tx.exec_params(
      "SELECT c.id, c.name, c.state, to_char(c.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " coalesce(c.deadline < now(), false), c.grace_days, ag.id, ag.address, ag.display_name, ag.language,"
      " (SELECT coalesce(sum(message_bytes), 0)::bigint FROM mailbox WHERE lower(address) = ag.address)"
      " FROM campaign c, agent ag WHERE c.id = $1 AND ag.id = $2",
      campaign_id, agent_id);
  if (head.empty()) return std::nullopt;
  const auto& h = head[0];
  ReviewData data;
  data.campaign_id = h[0].as<int>();
  data.campaign_name = h[1].as<std::string>();
  data.campaign_state = h[2].as<std::string>();
  if (!h[3].is_null()) data.deadline = h[3].as<std::string>();
  data.deadline_passed = h[4].as<bool>();
  data.grace_days = h[5].as<int>();
  data.agent_id = h[6].as<int>();
  data.agent_address = h[7].as<std::string>();
  data.agent_name = h[8].as<std::string>();
  data.language = h[9].as<std::string>();
  data.mailbox_bytes = h[10].as<std::int64_t>();
  data.accepting = (data.campaign_state == "notifying" || data.campaign_state == "collecting") && !data.deadline_passed;

  for (const auto& r : tx.exec_params(
           "SELECT p.id, p.rule_name, p.rule_priority, p.action, p.approval, p.decision, coalesce(a.step, ''),"
           " mb.address, p.folder_name, to_char(p.message_date AT TIME ZONE 'UTC', 'YYYY-MM-DD'), p.from_address,"
           " p.subject, coalesce(p.attachment_name, ''),"
           " CASE WHEN p.action = 'detach' THEN p.bytes ELSE p.message_size END, p.bytes, "
           "coalesce(p.destination_folder, '')"
           " FROM proposal p JOIN mailbox mb ON mb.id = p.mailbox_id"
           " LEFT JOIN action_proposal ap ON ap.proposal_id = p.id LEFT JOIN action a ON a.id = ap.action_id"
           " WHERE p.campaign_id = $1 AND p.selected AND lower(mb.address) = $2"
           " ORDER BY p.rule_priority DESC, p.rule_name, p.bytes DESC, p.id",
           campaign_id, data.agent_address)) {
    ReviewItem item;
    item.proposal_id = r[0].as<std::int64_t>();
    item.rule_name = r[1].as<std::string>();
    item.rule_priority = r[2].as<int>();
    item.action = r[3].as<std::string>();
    item.approval = r[4].as<std::string>();
    item.decision = r[5].as<std::string>();
    item.apply_step = r[6].as<std::string>();
    item.locked = item.approval == "auto" || !item.apply_step.empty();
    item.mailbox = r[7].as<std::string>();
    item.folder = r[8].as<std::string>();
    if (!r[9].is_null()) item.date = r[9].as<std::string>();
    item.from = r[10].as<std::string>();
    item.subject = r[11].as<std::string>();
    item.file_name = r[12].as<std::string>();
    item.size = r[13].as<std::int64_t>();
    item.bytes = r[14].as<std::int64_t>();
    item.destination = r[15].as<std::string>();
    data.items.push_back(std::move(item));
  }
  return data;
}

DecisionResult record_decisions(pqxx::transaction_base& tx, int campaign_id, int agent_id,
                                const std::vector<DecisionInput>& decisions, const DecisionContext& context) {
  // One decision per proposal (the last given wins), so the UPDATE below matches each row once.
  std::map<std::int64_t, std::string> wanted;
  for (const auto& d : decisions) {
    if (d.decision != "approved" && d.decision != "refused") {
      throw std::invalid_argument(fmt::format("decision '{}' is not approved or refused", d.decision));
    }
    wanted[d.proposal_id] = d.decision;
  }
  DecisionResult result;
  if (wanted.empty()) return result;
  std::string ids = "{";
  std::string values = "{";
  for (const auto& [id, decision] : wanted) {
    ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
    values += (values.size() > 1 ? "," : "") + decision;
  }
  ids += "}";
  values += "}";
  std::string user_agent = inventory::clean_text(context.user_agent.substr(0, 512));
  std::string token_id = context.review_token_id ? std::to_string(*context.review_token_id) : "";
  // Lock the proposals first, in a statement of their own (apply's enqueue share-locks the ones it
  // takes up, in id order too): if apply is taking one into the journal, this waits until it has,
  // and the next statement, with a snapshot taken after the wait, sees it in action_proposal and
  // leaves it alone. In one statement the NOT EXISTS below would be judged on a snapshot from
  // before the wait and a decision could change a proposal already in the journal.
  tx.exec_params(
      "SELECT p.id FROM proposal p WHERE p.campaign_id = $1 AND p.id = ANY($2::bigint[]) ORDER BY p.id"
      " FOR UPDATE OF p",
      campaign_id, ids);
  auto row = tx.exec_params1(
      "WITH input AS (SELECT * FROM unnest($3::bigint[], $4::text[]) AS i(id, decision)),"
      " target AS ("
      "  SELECT p.id, p.decision AS previous, i.decision, p.mailbox_id, p.rule_name, p.bytes"
      "  FROM proposal p JOIN input i ON i.id = p.id JOIN mailbox mb ON mb.id = p.mailbox_id"
      "  JOIN agent ag ON ag.id = $2 AND ag.address = lower(mb.address)"
      "  WHERE p.campaign_id = $1 AND p.selected AND p.approval <> 'auto'"
      "  AND NOT EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id)"
      "  FOR UPDATE OF p),"
      " changed AS ("
      "  UPDATE proposal p SET decision = t.decision, decided_at = now() FROM target t"
      "  WHERE p.id = t.id AND t.previous <> t.decision RETURNING p.id),"
      " audit AS ("
      "  INSERT INTO decision_audit (campaign_id, proposal_id, mailbox_id, rule_name, bytes, agent_id,"
      "   review_token_id, previous_decision, decision, origin, ip, user_agent)"
      "  SELECT $1, t.id, t.mailbox_id, t.rule_name, t.bytes, $2, NULLIF($5, '')::bigint, t.previous, t.decision,"
      "   $6, $7, $8 FROM target t WHERE t.previous <> t.decision RETURNING 1)"
      " SELECT (SELECT count(*) FROM target), (SELECT count(*) FROM changed), (SELECT count(*) FROM audit)",
      campaign_id, agent_id, ids, values, token_id, context.origin, inventory::clean_text(context.ip), user_agent);
  int matched = row[0].as<int>();
  result.changed = row[1].as<int>();
  result.unchanged = matched - result.changed;
  result.refused = static_cast<int>(wanted.size()) - matched;
  return result;
}

int approve_opt_out_after_deadline(pqxx::transaction_base& tx, int campaign_id) {
  return tx
      .exec_params1(
          "WITH target AS ("
          "  SELECT p.id, p.mailbox_id, p.rule_name, p.bytes FROM proposal p JOIN campaign c ON c.id = p.campaign_id"
          "  WHERE p.campaign_id = $1 AND c.deadline IS NOT NULL AND c.deadline < now() AND p.selected"
          "  AND p.approval = 'opt-out' AND p.decision = 'pending'"
          "  AND NOT EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id)"
          "  FOR UPDATE OF p),"
          " changed AS ("
          "  UPDATE proposal p SET decision = 'approved', decided_at = now() FROM target t WHERE p.id = t.id"
          "  RETURNING p.id),"
          " audit AS ("
          "  INSERT INTO decision_audit (campaign_id, proposal_id, mailbox_id, rule_name, bytes, agent_id,"
          "   previous_decision, decision, origin)"
          "  SELECT $1, t.id, t.mailbox_id, t.rule_name, t.bytes,"
          "   (SELECT ag.id FROM agent ag JOIN mailbox mb ON ag.address = lower(mb.address) WHERE mb.id = "
          "t.mailbox_id),"
          "   'pending', 'approved', 'deadline' FROM target t RETURNING 1)"
          " SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM audit)",
          campaign_id)[0]
      .as<int>();
}

}  // namespace mailprune::campaign
