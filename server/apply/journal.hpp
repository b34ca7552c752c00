// journal.hpp: the apply journal (schema/004_journal.sql) as the engine reads and writes it.
//
// Every function runs its own short transaction on the given connection and commits before it
// returns (the connection must be idle), so each recorded step is durable before the engine makes
// its next call to a mail server: that is what lets `apply` resume after `kill -9` at any moment.
// After each step's commit the crash hook (fault.hpp) gets its chance.
//
// Exclusion: ActionLease holds a session-level advisory lock on one action for as long as it
// lives. Two runners (threads or processes, on any host) never hold the same action; PostgreSQL
// drops the lock when the holder's connection ends, so a runner that died leaves its actions free
// for the next one, from the step it recorded last.
//
// Threads: like pqxx::connection, one thread per connection; nothing here is shared.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/store.hpp"
#include "interface/connector.hpp"

namespace mailprune::apply {

enum class Step {
  planned,
  approved,
  stored,
  uploaded,
  verified,
  original_removed,
  done,
  skipped,
  failed,
  undone,
  purged,
};

std::string_view step_name(Step step);
// nullopt for a name that is not a step.
std::optional<Step> parse_step(std::string_view name);
// Steps after which nothing more is done by `apply` (done, skipped, failed, undone, purged).
bool is_final(Step step);

// Who is working: recorded with each step and on the action while it is held.
struct Runner {
  std::string host;
  int pid = 0;
  std::int64_t run_id = 0;  // apply_run.id, 0 when none
  static Runner current(std::int64_t run_id = 0);
};

// Where a message is: its folder, the folder's UIDVALIDITY when known, and the MessageRef.
struct MessageLocation {
  std::string folder;
  std::optional<std::uint64_t> uidvalidity;
  connector::MessageRef ref;
};

// One attachment of a detach action (action_part).
struct ActionPart {
  std::int64_t proposal_id = 0;
  std::string section;
  std::string file_name;
  std::string content_type;
  std::uint64_t size = 0;                            // estimated until stored, then decoded bytes
  std::optional<connector::Sha256> expected_sha256;  // from the inventory, when it had one
  // Once stored (verified in the archive store): its archive_reference, hash and MIME header.
  bool stored = false;
  std::int64_t reference_id = 0;
  std::optional<connector::Sha256> sha256;
  std::string part_header;  // "" when the connector could not tell (EWS)
};

struct Action {
  std::int64_t id = 0;
  int campaign_id = 0;
  std::string kind;  // detach | archive | delete
  int mailbox_id = 0;
  MessageLocation original;                  // as the proposals saw it
  std::optional<std::int64_t> message_date;  // unix seconds
  std::uint64_t message_size = 0;
  std::string target_folder;  // archive / delete
  Step step = Step::planned;
  std::string reason;
  std::string failed_step;                 // for failed: the step it had reached
  std::optional<MessageLocation> current;  // after detach/move (new_*), once known
  std::uint64_t bytes_estimated = 0;
  int attempts = 0;
  std::optional<std::int64_t> done_at;      // unix seconds
  std::optional<std::int64_t> purge_after;  // unix seconds
  std::vector<ActionPart> parts;            // detach only, by section
};

// The action id as the connector sees it (actions.hpp: makes retries idempotent). Unique per
// database: "mailprune-<campaign id>-<action id>"; undo uses "<that>-undo".
std::string connector_action_id(const Action& action);

// --- campaigns ---------------------------------------------------------------------------------

struct CampaignRow {
  int id = 0;
  std::string name;
  int grace_days = 30;
};
// By name, or by id when `name_or_id` is all digits and no campaign has that name; nullopt: none.
std::optional<CampaignRow> find_campaign(pqxx::connection& connection, const std::string& name_or_id);

// --- enqueue -----------------------------------------------------------------------------------

// Where archive and delete actions move messages (server/policy's [policy] settings).
struct TargetFolders {
  std::string quarantine_folder;  // delete
  std::string archive_folder;     // archive rules without their own archive_folder; {year} {month}
};

struct EnqueueResult {
  std::size_t actions = 0;     // created (approved)
  std::size_t superseded = 0;  // detach actions created 'skipped' because the message is archived/deleted
  std::size_t proposals = 0;   // taken into those actions
};

// Takes every proposal of the campaign that is approved and selected and not yet in an action
// into new actions, set-based: detach proposals grouped per message (one action, one
// action_part per attachment), one action per archive/delete proposal. Records planned ->
// approved in the history. A message with both an archive/delete proposal and detach proposals
// gets its detach action 'skipped' with reason 'superseded'. Serialised per campaign (advisory
// transaction lock), so concurrent runs never take a proposal twice.
EnqueueResult enqueue_approved(pqxx::connection& connection, int campaign_id, const TargetFolders& targets,
                               const Runner& runner);

// What enqueue_approved() would create, without writing (for --dry-run): one row per would-be
// action, as Action values with id 0 and step approved.
std::vector<Action> preview_approved(pqxx::connection& connection, int campaign_id, const TargetFolders& targets);

// --- reading -----------------------------------------------------------------------------------

struct MailboxRow {
  int mailbox_id = 0;
  int source_id = 0;
  std::string source_name;
  std::string address;
  std::string language = "fr";
};

// Which actions a run works on.
enum class Selection {
  unfinished,  // apply: planned .. original_removed
  undoable,    // undo: done (the grace period is checked per action, so refusals are reported)
  purgeable,   // purge: delete actions done whose purge_after has passed
};

// Mailboxes with actions of `campaign_id` in `selection`, by source then address; only those of
// `only_addresses` (case-insensitive) when not empty.
std::vector<MailboxRow> mailboxes_with_actions(pqxx::connection& connection, int campaign_id, Selection selection,
                                               const std::vector<std::string>& only_addresses = {});

// Names of the campaigns with actions in `selection`, by name.
std::vector<std::string> campaigns_with(pqxx::connection& connection, Selection selection);

// Ids of the mailbox's actions in `selection`, ascending.
std::vector<std::int64_t> action_ids(pqxx::connection& connection, int campaign_id, int mailbox_id,
                                     Selection selection);

// The mailbox row of `mailbox_id`.
MailboxRow mailbox_row(pqxx::connection& connection, int mailbox_id);

// Mailbox addresses of `addresses` that no mailbox row has (case-insensitive).
std::vector<std::string> unknown_mailboxes(pqxx::connection& connection, const std::vector<std::string>& addresses);

// Actions not final (planned .. original_removed) of the campaign, with their parts.
std::vector<Action> unfinished_actions(pqxx::connection& connection, int campaign_id);

std::optional<Action> load_action(pqxx::connection& connection, std::int64_t action_id);

// --- one action at a time ----------------------------------------------------------------------

// A session-level advisory lock on one action (see above). Moves only; unlocks when destroyed
// (unless the connection is gone, in which case PostgreSQL already dropped it).
class ActionLease {
 public:
  // nullopt when another runner holds it.
  static std::optional<ActionLease> try_acquire(pqxx::connection& connection, std::int64_t action_id);
  ActionLease(ActionLease&& other) noexcept;
  ActionLease& operator=(ActionLease&&) = delete;
  ActionLease(const ActionLease&) = delete;
  ~ActionLease();

 private:
  ActionLease(pqxx::connection& connection, std::int64_t action_id) : connection_(&connection), id_(action_id) {}
  pqxx::connection* connection_;
  std::int64_t id_;
};

// Under a lease: counts one more attempt and records who holds the action. Returns the action as
// now stored (its step may have moved since it was listed).
Action take_up(pqxx::connection& connection, std::int64_t action_id, const Runner& runner);

// Records `step` (and the message's new location when given): the action row and one history
// row, in one transaction; then the crash hook. done also sets done_at (and purge_after for
// delete, from `grace_days`).
void record_step(pqxx::connection& connection, std::int64_t action_id, Step step, const Runner& runner,
                 const std::string& detail = "", const std::optional<MessageLocation>& current = std::nullopt,
                 int grace_days = 0);

// A history row only (undo and purge sub-steps: "undo:uploaded", ...); then the crash hook.
void record_history(pqxx::connection& connection, std::int64_t action_id, const std::string& step, const Runner& runner,
                    const std::string& detail = "");

// skipped / failed with a reason (failed also keeps the step it had reached). With
// `revoke_references`, the action's archive references are revoked in the same transaction (what
// was archived for a detach that did not happen is not a detached attachment).
void finish_action(pqxx::connection& connection, std::int64_t action_id, Step step, const std::string& reason,
                   const Runner& runner, bool revoke_references = false);

// Revokes every archive reference of the action (after undo put the attachments back).
void revoke_action_references(pqxx::connection& connection, std::int64_t action_id);

// Puts failed actions of the campaign back to the step they had reached, attempts reset
// (`apply --retry-failed`). Returns how many.
std::size_t retry_failed(pqxx::connection& connection, int campaign_id, const Runner& runner);

// A part read and archived (the store's commit() returned): archive_object and archive_reference
// (archive_records.hpp) and the part's row, in one transaction. Returns the reference's id (the
// same one again for a retried step).
std::int64_t record_part_stored(pqxx::connection& connection, const Action& action, const ActionPart& part,
                                const archive::StoredObject& object, const std::string& part_header);

// --- runs --------------------------------------------------------------------------------------

struct RunCounts {
  int done = 0;
  int skipped = 0;
  int failed = 0;
  std::uint64_t bytes_estimated = 0;
};

// Inserts an apply_run (status running); runs of this host whose process is gone are marked
// 'interrupted' first. Returns its id.
std::int64_t begin_run(pqxx::connection& connection, int campaign_id, const std::string& kind);
void finish_run(pqxx::connection& connection, std::int64_t run_id, const RunCounts& counts, const std::string& status,
                const std::string& error = "");

// apply_measure: the mailbox's measured size before / after (nullopt: not measured).
void record_measure_before(pqxx::connection& connection, std::int64_t run_id, int mailbox_id,
                           std::optional<std::uint64_t> bytes);
void record_measure_after(pqxx::connection& connection, std::int64_t run_id, int mailbox_id,
                          std::optional<std::uint64_t> bytes);

}  // namespace mailprune::apply
