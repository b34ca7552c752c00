#include "apply/journal.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <map>

#include "apply/fault.hpp"
#include "archive/archive_records.hpp"

namespace mailprune::apply {
namespace {

constexpr std::array<std::string_view, 11> kStepNames = {"planned",  "approved",         "stored", "uploaded",
                                                         "verified", "original_removed", "done",   "skipped",
                                                         "failed",   "undone",           "purged"};

// Advisory lock keys of actions: one namespace ("mp" in the top bytes) apart from other locks.
constexpr std::int64_t kActionLockBase = 0x6d70'0000'0000'0000LL;

template <class T>
std::optional<T> optional_of(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<T>();
}

std::string text_of(const pqxx::field& field) {
  return field.is_null() ? std::string() : field.as<std::string>();
}

// The columns every reader of `action` selects, in the order action_from() reads them.
constexpr const char* kActionColumns =
    "a.id, a.campaign_id, a.kind, a.mailbox_id, a.folder_name, a.uidvalidity, a.uid, a.item_id, a.change_key, "
    "a.internet_message_id, extract(epoch FROM a.message_date)::bigint, a.message_size, a.target_folder, a.step, "
    "a.reason, a.failed_step, a.new_folder_name, a.new_uidvalidity, a.new_uid, a.new_item_id, a.new_change_key, "
    "a.bytes_estimated, a.attempts, extract(epoch FROM a.done_at)::bigint, extract(epoch FROM a.purge_after)::bigint";

// Reads the 11 columns from `first` on that say what an action does to which message: kind,
// mailbox_id, folder_name, uidvalidity, uid, item_id, change_key, internet_message_id, message
// date (epoch seconds), message_size, target_folder (the order of the `action` table).
void read_message_columns(const pqxx::row& row, pqxx::row::size_type first, Action& a) {
  a.kind = row[first].as<std::string>();
  a.mailbox_id = row[first + 1].as<int>();
  a.original.folder = row[first + 2].as<std::string>();
  a.original.uidvalidity = optional_of<std::uint64_t>(row[first + 3]);
  a.original.ref.uid = optional_of<std::uint64_t>(row[first + 4]).value_or(0);
  a.original.ref.item_id = text_of(row[first + 5]);
  a.original.ref.change_key = text_of(row[first + 6]);
  a.original.ref.message_id = text_of(row[first + 7]);
  a.message_date = optional_of<std::int64_t>(row[first + 8]);
  a.message_size = row[first + 9].as<std::uint64_t>();
  a.target_folder = text_of(row[first + 10]);
}

Action action_from(const pqxx::row& row) {
  Action a;
  a.id = row[0].as<std::int64_t>();
  a.campaign_id = row[1].as<int>();
  read_message_columns(row, 2, a);
  a.step = parse_step(row[13].as<std::string>()).value_or(Step::planned);
  a.reason = text_of(row[14]);
  a.failed_step = text_of(row[15]);
  if (!row[16].is_null()) {
    MessageLocation current;
    current.folder = row[16].as<std::string>();
    current.uidvalidity = optional_of<std::uint64_t>(row[17]);
    current.ref.uid = optional_of<std::uint64_t>(row[18]).value_or(0);
    current.ref.item_id = text_of(row[19]);
    current.ref.change_key = text_of(row[20]);
    current.ref.message_id = a.original.ref.message_id;
    a.current = std::move(current);
  }
  a.bytes_estimated = row[21].as<std::uint64_t>();
  a.attempts = row[22].as<int>();
  a.done_at = optional_of<std::int64_t>(row[23]);
  a.purge_after = optional_of<std::int64_t>(row[24]);
  return a;
}

// Loads the parts of `actions` (by id) into them.
void load_parts(pqxx::transaction_base& tx, std::vector<Action>& actions) {
  if (actions.empty()) return;
  std::map<std::int64_t, Action*> by_id;
  std::string ids = "{";
  for (auto& a : actions) {
    by_id[a.id] = &a;
    ids += (ids.size() > 1 ? "," : "") + std::to_string(a.id);
  }
  ids += "}";
  for (const auto& row : tx.exec_params(
           "SELECT p.action_id, p.proposal_id, p.section, p.file_name, p.content_type, p.size, "
           " encode(p.expected_sha256, 'hex'), encode(r.sha256, 'hex'), r.part_header, p.stored_at IS NOT NULL, "
           " p.archive_reference_id FROM action_part p LEFT JOIN archive_reference r ON r.id = p.archive_reference_id "
           "WHERE p.action_id = ANY($1::bigint[]) ORDER BY p.action_id, p.section",
           ids)) {
    ActionPart part;
    part.proposal_id = row[1].as<std::int64_t>();
    part.section = row[2].as<std::string>();
    part.file_name = row[3].as<std::string>();
    part.content_type = row[4].as<std::string>();
    part.size = row[5].as<std::uint64_t>();
    if (!row[6].is_null()) part.expected_sha256 = archive::sha256_from_hex(row[6].as<std::string>());
    if (!row[7].is_null()) part.sha256 = archive::sha256_from_hex(row[7].as<std::string>());
    part.part_header = text_of(row[8]);
    part.stored = row[9].as<bool>() && !row[10].is_null();
    part.reference_id = optional_of<std::int64_t>(row[10]).value_or(0);
    by_id[row[0].as<std::int64_t>()]->parts.push_back(std::move(part));
  }
}

// A PostgreSQL text[] literal.
std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i ? ",\"" : "\"");
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

const char* selection_condition(Selection selection) {
  switch (selection) {
    case Selection::unfinished:
      return "a.step IN ('planned', 'approved', 'stored', 'uploaded', 'verified', 'original_removed')";
    case Selection::undoable:
      return "a.step = 'done'";
    case Selection::purgeable:
      return "a.kind = 'delete' AND a.step = 'done' AND a.purge_after <= now()";
  }
  return "false";
}

MailboxRow mailbox_from(const pqxx::row& row) {
  MailboxRow m;
  m.mailbox_id = row[0].as<int>();
  m.source_id = row[1].as<int>();
  m.source_name = row[2].as<std::string>();
  m.address = row[3].as<std::string>();
  m.language = row[4].as<std::string>();
  return m;
}

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

// The target folder of an archive/delete proposal `p` (SQL expression over proposal p and campaign
// c): the rule's archive_folder, else [policy] archive_folder ($2), {year}/{month} from the
// message date; delete: the quarantine folder ($3).
constexpr const char* kTargetFolder =
    "CASE p.action "
    " WHEN 'delete' THEN $3::text "
    " WHEN 'archive' THEN replace(replace("
    "   coalesce(nullif((SELECT r->>'archive_folder' FROM jsonb_array_elements(c.rules) r "
    "                    WHERE r->>'name' = p.rule_name LIMIT 1), ''), $2::text),"
    "   '{year}', to_char(coalesce(p.message_date, now()) AT TIME ZONE 'UTC', 'YYYY')),"
    "   '{month}', to_char(coalesce(p.message_date, now()) AT TIME ZONE 'UTC', 'MM')) "
    " ELSE NULL END";

// Proposals to take up ($1: campaign), with the message key they group by and their target.
std::string todo_query() {
  return fmt::format(
      "SELECT p.id AS proposal_id, p.action AS kind, p.mailbox_id, p.folder_name, p.uidvalidity, p.uid, p.item_id, "
      " p.change_key, p.internet_message_id, p.message_date, p.message_size, p.section, p.attachment_name, "
      " p.content_type, p.sha256, p.bytes, ({}) AS target_folder, "
      " concat_ws('|', p.mailbox_id, p.folder_name, p.uidvalidity, p.uid, p.item_id) AS message_key "
      "FROM proposal p JOIN campaign c ON c.id = p.campaign_id "
      "WHERE p.campaign_id = $1 AND p.decision = 'approved' AND p.selected "
      " AND NOT EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id)",
      kTargetFolder);
}

// The would-be actions over apply_todo: one row per (kind, message), detach superseded when the
// same message has an archive/delete proposal.
constexpr const char* kGroupedTodo =
    "SELECT t.kind, min(t.mailbox_id) AS mailbox_id, min(t.folder_name) AS folder_name, "
    " min(t.uidvalidity) AS uidvalidity, min(t.uid) AS uid, min(t.item_id) AS item_id, "
    " max(t.change_key) AS change_key, max(t.internet_message_id) AS internet_message_id, "
    " min(t.message_date) AS message_date, max(t.message_size) AS message_size, "
    " min(t.target_folder) AS target_folder, sum(t.bytes)::bigint AS bytes, "
    " (t.kind = 'detach' AND EXISTS (SELECT 1 FROM apply_todo o WHERE o.message_key = t.message_key "
    "                                AND o.kind <> 'detach')) AS superseded "
    "FROM apply_todo t GROUP BY t.kind, t.message_key";

}  // namespace

std::string_view step_name(Step step) {
  return kStepNames[static_cast<std::size_t>(step)];
}

std::optional<Step> parse_step(std::string_view name) {
  for (std::size_t i = 0; i < kStepNames.size(); ++i) {
    if (kStepNames[i] == name) return static_cast<Step>(i);
  }
  return std::nullopt;
}

bool is_final(Step step) {
  return step == Step::done || step == Step::skipped || step == Step::failed || step == Step::undone ||
         step == Step::purged;
}

Runner Runner::current(std::int64_t run_id) {
  Runner runner;
  runner.host = this_host();
  runner.pid = static_cast<int>(::getpid());
  runner.run_id = run_id;
  return runner;
}

std::string connector_action_id(const Action& action) {
  return fmt::format("mailprune-{}-{}", action.campaign_id, action.id);
}

std::optional<CampaignRow> find_campaign(pqxx::connection& connection, const std::string& name_or_id) {
  pqxx::read_transaction tx(connection);
  pqxx::result rows = tx.exec_params("SELECT id, name, grace_days FROM campaign WHERE name = $1", name_or_id);
  const bool digits =
      !name_or_id.empty() && name_or_id.size() < 10 &&
      std::all_of(name_or_id.begin(), name_or_id.end(), [](unsigned char c) { return std::isdigit(c); });
  if (rows.empty() && digits) {
    rows = tx.exec_params("SELECT id, name, grace_days FROM campaign WHERE id = $1", std::stoi(name_or_id));
  }
  if (rows.empty()) return std::nullopt;
  CampaignRow campaign;
  campaign.id = rows[0][0].as<int>();
  campaign.name = rows[0][1].as<std::string>();
  campaign.grace_days = rows[0][2].as<int>();
  return campaign;
}

EnqueueResult enqueue_approved(pqxx::connection& connection, int campaign_id, const TargetFolders& targets,
                               const Runner& runner) {
  pqxx::work tx(connection);
  // One enqueuer per campaign at a time (two `apply` runs starting together).
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kActionLockBase - 1 - campaign_id);
  // Against a review decision being recorded at the same moment (review_store.cpp locks the
  // proposals it decides on FOR UPDATE, in id order too): the proposals to take up are share-locked
  // first, so a decision in flight commits before, and the next statement's snapshot sees it (a
  // proposal refused meanwhile is left out); once locked, no decision on them can change until
  // this transaction has put them in the journal, which the review then sees and refuses.
  tx.exec_params(
      "SELECT p.id FROM proposal p WHERE p.campaign_id = $1 AND p.decision = 'approved' AND p.selected"
      " AND NOT EXISTS (SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id) ORDER BY p.id FOR SHARE OF p",
      campaign_id);
  tx.exec_params("CREATE TEMP TABLE apply_todo ON COMMIT DROP AS " + todo_query(), campaign_id, targets.archive_folder,
                 targets.quarantine_folder);
  EnqueueResult result;
  result.proposals = tx.exec1("SELECT count(*) FROM apply_todo")[0].as<std::size_t>();
  if (result.proposals == 0) {
    tx.commit();
    return result;
  }
  // Actions, the proposals they carry, and planned -> approved (or skipped) in the history, in one
  // statement: the action_proposal rows join the new actions on the message key.
  pqxx::row counts = tx.exec_params1(
      std::string("WITH grouped AS (") + kGroupedTodo +
          "), ins AS ("
          " INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uidvalidity, uid, item_id, change_key, "
          "  internet_message_id, message_date, message_size, target_folder, step, reason, bytes_estimated, "
          "  apply_run_id) "
          " SELECT $1, kind, mailbox_id, folder_name, uidvalidity, uid, item_id, change_key, "
          "  coalesce(internet_message_id, ''), message_date, message_size, target_folder, "
          "  CASE WHEN superseded THEN 'skipped' ELSE 'approved' END, "
          "  CASE WHEN superseded THEN 'superseded' END, bytes, nullif($4, 0) FROM grouped "
          " RETURNING id, kind, mailbox_id, folder_name, uidvalidity, uid, item_id, step), "
          "links AS ("
          " INSERT INTO action_proposal (proposal_id, action_id) "
          " SELECT t.proposal_id, ins.id FROM ins JOIN apply_todo t ON t.kind = ins.kind "
          "  AND t.mailbox_id = ins.mailbox_id AND t.folder_name = ins.folder_name "
          "  AND t.uidvalidity IS NOT DISTINCT FROM ins.uidvalidity AND t.uid IS NOT DISTINCT FROM ins.uid "
          "  AND t.item_id IS NOT DISTINCT FROM ins.item_id RETURNING 1), "
          "history AS ("
          " INSERT INTO action_step (action_id, step, detail, host, pid) "
          " SELECT ins.id, s.step, s.detail, $2, $3 FROM ins CROSS JOIN LATERAL (VALUES (1, 'planned', ''), "
          "  (2, ins.step, CASE WHEN ins.step = 'skipped' THEN 'superseded: the message is archived or deleted' "
          "   ELSE 'approved and selected' END)) AS s(n, step, detail) ORDER BY ins.id, s.n RETURNING 1) "
          "SELECT (SELECT count(*) FROM ins WHERE step = 'approved'), (SELECT count(*) FROM ins WHERE step = "
          "'skipped'), "
          " (SELECT count(*) FROM links), (SELECT count(*) FROM history)",
      campaign_id, runner.host, runner.pid, runner.run_id);
  result.actions = counts[0].as<std::size_t>();
  result.superseded = counts[1].as<std::size_t>();
  tx.exec0(
      "INSERT INTO action_part (action_id, proposal_id, section, file_name, content_type, size, expected_sha256) "
      "SELECT ap.action_id, t.proposal_id, t.section, coalesce(t.attachment_name, ''), coalesce(t.content_type, ''), "
      " t.bytes, t.sha256 FROM apply_todo t JOIN action_proposal ap ON ap.proposal_id = t.proposal_id "
      "WHERE t.kind = 'detach' AND t.section IS NOT NULL");
  tx.commit();
  if (result.actions > 0) after_step(step_name(Step::approved));
  return result;
}

std::vector<Action> preview_approved(pqxx::connection& connection, int campaign_id, const TargetFolders& targets) {
  pqxx::work tx(connection);  // rolled back: the temporary table only
  tx.exec_params("CREATE TEMP TABLE apply_todo ON COMMIT DROP AS " + todo_query(), campaign_id, targets.archive_folder,
                 targets.quarantine_folder);
  std::vector<Action> out;
  for (const auto& row :
       tx.exec(std::string("SELECT kind, mailbox_id, folder_name, uidvalidity, uid, item_id, "
                           "change_key, internet_message_id, extract(epoch FROM message_date)::bigint, "
                           "message_size, target_folder, bytes, superseded FROM (") +
               kGroupedTodo + ") g ORDER BY mailbox_id, folder_name, uid, item_id, kind")) {
    Action a;
    a.campaign_id = campaign_id;
    read_message_columns(row, 0, a);
    a.bytes_estimated = row[11].as<std::uint64_t>();
    a.step = row[12].as<bool>() ? Step::skipped : Step::approved;
    if (a.step == Step::skipped) a.reason = "superseded";
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<MailboxRow> mailboxes_with_actions(pqxx::connection& connection, int campaign_id, Selection selection,
                                               const std::vector<std::string>& only_addresses) {
  pqxx::read_transaction tx(connection);
  std::vector<MailboxRow> out;
  for (const auto& row : tx.exec_params(
           fmt::format("SELECT m.id, s.id, s.name, m.address, m.language FROM mailbox m "
                       "JOIN source s ON s.id = m.source_id "
                       "WHERE EXISTS (SELECT 1 FROM action a WHERE a.campaign_id = $1 AND a.mailbox_id = m.id AND {}) "
                       " AND (cardinality($2::text[]) = 0 "
                       "      OR lower(m.address) = ANY(SELECT lower(x) FROM unnest($2::text[]) x)) "
                       "ORDER BY s.name, m.address",
                       selection_condition(selection)),
           campaign_id, text_array(only_addresses))) {
    out.push_back(mailbox_from(row));
  }
  return out;
}

std::vector<std::int64_t> action_ids(pqxx::connection& connection, int campaign_id, int mailbox_id,
                                     Selection selection) {
  pqxx::read_transaction tx(connection);
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec_params(
           fmt::format("SELECT a.id FROM action a WHERE a.campaign_id = $1 AND a.mailbox_id = $2 AND {} ORDER BY a.id",
                       selection_condition(selection)),
           campaign_id, mailbox_id)) {
    out.push_back(row[0].as<std::int64_t>());
  }
  return out;
}

std::vector<std::string> campaigns_with(pqxx::connection& connection, Selection selection) {
  pqxx::read_transaction tx(connection);
  std::vector<std::string> out;
  for (const auto& row : tx.exec(fmt::format("SELECT c.name FROM campaign c WHERE EXISTS (SELECT 1 FROM action a "
                                             "WHERE a.campaign_id = c.id AND {}) ORDER BY c.name",
                                             selection_condition(selection)))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

MailboxRow mailbox_row(pqxx::connection& connection, int mailbox_id) {
  pqxx::read_transaction tx(connection);
  return mailbox_from(
      tx.exec_params1("SELECT m.id, s.id, s.name, m.address, m.language FROM mailbox m "
                      "JOIN source s ON s.id = m.source_id WHERE m.id = $1",
                      mailbox_id));
}

std::vector<std::string> unknown_mailboxes(pqxx::connection& connection, const std::vector<std::string>& addresses) {
  pqxx::read_transaction tx(connection);
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params("SELECT x FROM unnest($1::text[]) x WHERE NOT EXISTS "
                                        "(SELECT 1 FROM mailbox m WHERE lower(m.address) = lower(x))",
                                        text_array(addresses))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

std::vector<Action> unfinished_actions(pqxx::connection& connection, int campaign_id) {
  pqxx::read_transaction tx(connection);
  std::vector<Action> out;
  for (const auto& row : tx.exec_params(std::string("SELECT ") + kActionColumns +
                                            " FROM action a WHERE a.campaign_id = $1 AND a.step IN ('planned', "
                                            "'approved', 'stored', 'uploaded', 'verified', 'original_removed') "
                                            "ORDER BY a.mailbox_id, a.id",
                                        campaign_id)) {
    out.push_back(action_from(row));
  }
  load_parts(tx, out);
  return out;
}

std::optional<Action> load_action(pqxx::connection& connection, std::int64_t action_id) {
  pqxx::read_transaction tx(connection);
  pqxx::result rows =
      tx.exec_params(std::string("SELECT ") + kActionColumns + " FROM action a WHERE a.id = $1", action_id);
  if (rows.empty()) return std::nullopt;
  std::vector<Action> one{action_from(rows[0])};
  load_parts(tx, one);
  return std::move(one.front());
}

std::optional<ActionLease> ActionLease::try_acquire(pqxx::connection& connection, std::int64_t action_id) {
  pqxx::nontransaction tx(connection);
  if (!tx.exec_params1("SELECT pg_try_advisory_lock($1)", kActionLockBase + action_id)[0].as<bool>()) {
    return std::nullopt;
  }
  return ActionLease(connection, action_id);
}

ActionLease::ActionLease(ActionLease&& other) noexcept : connection_(other.connection_), id_(other.id_) {
  other.connection_ = nullptr;
}

ActionLease::~ActionLease() {
  if (connection_ == nullptr) return;
  try {
    pqxx::nontransaction tx(*connection_);
    tx.exec_params("SELECT pg_advisory_unlock($1)", kActionLockBase + id_);
  } catch (const std::exception&) {
    // The connection is gone, and the lock with it; or a transaction is open on it (an exception
    // is unwinding through the engine): the lock then goes when the connection closes.
  }
}

Action take_up(pqxx::connection& connection, std::int64_t action_id, const Runner& runner) {
  pqxx::work tx(connection);
  pqxx::result rows = tx.exec_params(
      std::string("UPDATE action a SET attempts = attempts + 1, runner_host = $2, runner_pid = $3, leased_at = now(), "
                  "updated_at = now(), apply_run_id = coalesce(nullif($4, 0), apply_run_id) WHERE a.id = $1 "
                  "RETURNING ") +
          kActionColumns,
      action_id, runner.host, runner.pid, runner.run_id);
  if (rows.empty()) throw std::runtime_error(fmt::format("action {} does not exist", action_id));
  std::vector<Action> one{action_from(rows[0])};
  load_parts(tx, one);
  tx.commit();
  return std::move(one.front());
}

void record_step(pqxx::connection& connection, std::int64_t action_id, Step step, const Runner& runner,
                 const std::string& detail, const std::optional<MessageLocation>& current, int grace_days) {
  {
    pqxx::work tx(connection);
    if (current) {
      tx.exec_params(
          "UPDATE action SET new_folder_name = $2, new_uidvalidity = $3, new_uid = nullif($4, 0), "
          "new_item_id = nullif($5, ''), new_change_key = nullif($6, '') WHERE id = $1",
          action_id, current->folder, current->uidvalidity, current->ref.uid, current->ref.item_id,
          current->ref.change_key);
    }
    tx.exec_params(
        "UPDATE action SET step = $2, updated_at = now(), "
        " done_at = CASE WHEN $2 = 'done' THEN now() ELSE done_at END, "
        " purge_after = CASE WHEN $2 = 'done' AND kind = 'delete' THEN now() + make_interval(days => $3) "
        "                ELSE purge_after END, "
        " undone_at = CASE WHEN $2 = 'undone' THEN now() ELSE undone_at END, "
        " purged_at = CASE WHEN $2 = 'purged' THEN now() ELSE purged_at END "
        "WHERE id = $1",
        action_id, std::string(step_name(step)), grace_days);
    tx.exec_params("INSERT INTO action_step (action_id, step, detail, host, pid) VALUES ($1, $2, $3, $4, $5)",
                   action_id, std::string(step_name(step)), detail, runner.host, runner.pid);
    tx.commit();
  }
  after_step(step_name(step));
}

void record_history(pqxx::connection& connection, std::int64_t action_id, const std::string& step, const Runner& runner,
                    const std::string& detail) {
  {
    pqxx::work tx(connection);
    tx.exec_params("INSERT INTO action_step (action_id, step, detail, host, pid) VALUES ($1, $2, $3, $4, $5)",
                   action_id, step, detail, runner.host, runner.pid);
    tx.exec_params("UPDATE action SET updated_at = now() WHERE id = $1", action_id);
    tx.commit();
  }
  after_step(step);
}

void finish_action(pqxx::connection& connection, std::int64_t action_id, Step step, const std::string& reason,
                   const Runner& runner, bool revoke_references) {
  {
    pqxx::work tx(connection);
    if (revoke_references) {
      for (const auto& reference : archive::references_of_action(tx, action_id)) {
        archive::revoke_reference(tx, reference.id);
      }
    }
    tx.exec_params(
        "UPDATE action SET failed_step = CASE WHEN $2 = 'failed' THEN step END, step = $2, reason = $3, "
        "updated_at = now() WHERE id = $1",
        action_id, std::string(step_name(step)), reason);
    tx.exec_params("INSERT INTO action_step (action_id, step, detail, host, pid) VALUES ($1, $2, $3, $4, $5)",
                   action_id, std::string(step_name(step)), reason, runner.host, runner.pid);
    tx.commit();
  }
  after_step(step_name(step));
}

void revoke_action_references(pqxx::connection& connection, std::int64_t action_id) {
  pqxx::work tx(connection);
  for (const auto& reference : archive::references_of_action(tx, action_id))
    archive::revoke_reference(tx, reference.id);
  tx.commit();
}

std::size_t retry_failed(pqxx::connection& connection, int campaign_id, const Runner& runner) {
  pqxx::work tx(connection);
  pqxx::result rows = tx.exec_params(
      "UPDATE action SET step = coalesce(failed_step, 'approved'), failed_step = NULL, reason = NULL, attempts = 0, "
      "updated_at = now() WHERE campaign_id = $1 AND step = 'failed' RETURNING id, step",
      campaign_id);
  for (const auto& row : rows) {
    tx.exec_params("INSERT INTO action_step (action_id, step, detail, host, pid) VALUES ($1, $2, $3, $4, $5)",
                   row[0].as<std::int64_t>(), row[1].as<std::string>(), "retry of a failed action", runner.host,
                   runner.pid);
  }
  tx.commit();
  return rows.size();
}

std::int64_t record_part_stored(pqxx::connection& connection, const Action& action, const ActionPart& part,
                                const archive::StoredObject& object, const std::string& part_header) {
  archive::ReferenceSource source;
  source.mailbox_id = action.mailbox_id;
  source.action_id = action.id;
  source.folder_name = action.original.folder;
  if (action.original.uidvalidity) source.uidvalidity = static_cast<std::int64_t>(*action.original.uidvalidity);
  if (action.original.ref.uid != 0) source.uid = static_cast<std::int64_t>(action.original.ref.uid);
  if (!action.original.ref.item_id.empty()) source.item_id = action.original.ref.item_id;
  source.internet_message_id = action.original.ref.message_id;
  source.section = part.section;
  source.file_name = part.file_name;
  if (!part.content_type.empty()) source.content_type = part.content_type;
  source.part_header = part_header;
  pqxx::work tx(connection);
  const std::int64_t reference_id = archive::record_archived(tx, object, source);
  tx.exec_params(
      "UPDATE action_part SET archive_reference_id = $3, size = $4, stored_at = now() "
      "WHERE action_id = $1 AND section = $2",
      action.id, part.section, reference_id, object.size);
  tx.exec_params("UPDATE action SET updated_at = now() WHERE id = $1", action.id);
  tx.commit();
  return reference_id;
}

std::int64_t begin_run(pqxx::connection& connection, int campaign_id, const std::string& kind) {
  const std::string host = this_host();
  pqxx::work tx(connection);
  // Runs left 'running' by a process of this host that is gone were interrupted (kill -9).
  for (const auto& row : tx.exec_params("SELECT id, pid FROM apply_run WHERE status = 'running' AND host = $1 "
                                        "AND pid IS NOT NULL",
                                        host)) {
    const int pid = row[1].as<int>();
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      tx.exec_params("UPDATE apply_run SET status = 'interrupted', finished_at = now() WHERE id = $1",
                     row[0].as<std::int64_t>());
    }
  }
  auto id = tx.exec_params1("INSERT INTO apply_run (campaign_id, kind, host, pid) VALUES ($1, $2, $3, $4) RETURNING id",
                            campaign_id, kind, host, static_cast<int>(::getpid()))[0]
                .as<std::int64_t>();
  tx.commit();
  return id;
}

void finish_run(pqxx::connection& connection, std::int64_t run_id, const RunCounts& counts, const std::string& status,
                const std::string& error) {
  pqxx::work tx(connection);
  tx.exec_params(
      "UPDATE apply_run SET finished_at = now(), status = $2, actions_done = $3, actions_skipped = $4, "
      "actions_failed = $5, bytes_estimated = $6, error = nullif($7, '') WHERE id = $1",
      run_id, status, counts.done, counts.skipped, counts.failed, counts.bytes_estimated, error);
  tx.commit();
}

void record_measure_before(pqxx::connection& connection, std::int64_t run_id, int mailbox_id,
                           std::optional<std::uint64_t> bytes) {
  pqxx::work tx(connection);
  tx.exec_params(
      "INSERT INTO apply_measure (apply_run_id, mailbox_id, bytes_before) VALUES ($1, $2, $3) "
      "ON CONFLICT (apply_run_id, mailbox_id) DO NOTHING",
      run_id, mailbox_id, bytes);
  tx.commit();
}

void record_measure_after(pqxx::connection& connection, std::int64_t run_id, int mailbox_id,
                          std::optional<std::uint64_t> bytes) {
  pqxx::work tx(connection);
  tx.exec_params(
      "INSERT INTO apply_measure (apply_run_id, mailbox_id, bytes_after) VALUES ($1, $2, $3) "
      "ON CONFLICT (apply_run_id, mailbox_id) DO UPDATE SET bytes_after = excluded.bytes_after, measured_at = now()",
      run_id, mailbox_id, bytes);
  tx.commit();
}

}  // namespace mailprune::apply
