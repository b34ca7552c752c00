// engine.hpp: `mailprune apply`, `undo` and `purge`: carrying out a campaign's approved proposals on
// the mailboxes, journaled step by step (journal.hpp), and taking them back.
//
// apply(campaign):
//   1. every approved and selected proposal not yet in the journal becomes an action
//      (journal.hpp enqueue_approved): detach proposals grouped per message;
//   2. the mailboxes with unfinished actions are worked on by `max_connections` threads per source
//      (like the crawl), one mailbox at a time per thread, each with its own connector session and
//      database connection; the mailbox's size as its server measures it is recorded before and
//      after (apply_measure);
//   3. each action, under its lease, goes on from the step the journal says it reached:
//      detach   approved: each attachment streamed from the mailbox (read_attachment) into the
//               archive store, committed with the inventory's SHA-256 when there is one (a
//               mismatch: skipped 'hash_mismatch'; a part the server cannot decode cleanly:
//               skipped 'damaged'), its MIME header (read_part_header) and archive_reference
//               recorded -> stored; then MailboxActions::detach with a notice per attachment (the
//               mailbox's language, a signed link to the reference) whose StepHook records
//               uploaded / verified / original_removed, each committed before the connector goes
//               on -> done with the new message's location;
//      archive  MailboxActions::move to the rule's folder ({year}, {month} from the message date);
//      delete   move to [policy] quarantine_folder; purge_after = now + campaign.grace_days.
//      Outcome changed / not_found: skipped with that reason (after the upload started: failed, a
//      person should look). A retriable ConnectorError reopens the session and tries again, at
//      most `max_attempts` times in a run; then, or for any other error, failed with the reason;
//      the other actions go on. A resumed action repeats the connector call of the step it is in:
//      the connectors are idempotent by action id (actions.hpp), so nothing is done twice.
// undo: done actions of a campaign (or one action, or one mailbox), while their grace period lasts
//   (done_at + grace_days, and never after a purge): detach -> MailboxActions::reattach with each
//   part's content read back from the store (hash verified) and its saved MIME header; archive and
//   delete -> move back to the original folder. Done: step 'undone' (history: undo:* sub-steps).
//   Outcome changed / not_found: left done, counted as skipped.
// purge: delete actions done and past purge_after: MailboxActions::remove(permanent) of the
//   quarantined message -> 'purged' (not_found counts as purged: it is gone).
//
// Dry run (apply only): nothing is written and no mail server is contacted; the summary lists the
// actions that would be created or resumed.
//
// Threads: run() blocks; observer callbacks come from worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apply/journal.hpp"
#include "archive/store.hpp"
#include "config/config.hpp"
#include "inventory/crawl.hpp"

namespace mailprune::apply {

// The signed link for an archived attachment (archive::LinkSigner::link_for in production).
using LinkMaker = std::function<std::string(std::int64_t reference_id, const connector::Sha256& sha256,
                                            const std::string& file_name, std::int64_t now)>;

// What the engine works with; owned by the caller, alive during run().
struct EngineContext {
  const config::Config* config = nullptr;
  inventory::ConnectionFactory connections;
  inventory::ConnectorFactory connectors;
  const archive::ArchiveStore* store = nullptr;
  LinkMaker make_link;
};

enum class Mode { apply, undo, purge };

struct RunOptions {
  Mode mode = Mode::apply;
  std::string campaign;                // name (or id)
  std::vector<std::string> mailboxes;  // only these (addresses); empty: all
  std::optional<std::int64_t> action;  // undo: only this action
  bool dry_run = false;                // apply only
  std::optional<std::size_t> limit;    // at most this many actions taken up
  bool retry_failed = false;           // apply: failed actions go back to the step they reached first
  int max_attempts = 3;                // per action per run, counting the first
  std::chrono::milliseconds retry_backoff{500};
  // Called once, when the run is about to change something: after the checks that refuse an
  // unknown campaign, action or mailbox, never for a dry run, with the campaign's id and the
  // engine's connection (the CLI writes its audit row there). An exception stops the run.
  std::function<void(pqxx::connection&, int campaign_id)> on_start;
};

// One line of a dry run.
struct PlannedLine {
  std::string mailbox;
  std::string text;
  std::uint64_t bytes = 0;
};

struct RunSummary {
  Mode mode = Mode::apply;
  std::string campaign;
  std::int64_t run_id = 0;   // apply_run.id (0 for a dry run)
  std::size_t enqueued = 0;  // actions created from proposals this run
  std::size_t actions = 0;   // actions this run looked at (taken up, or refused for the grace period)
  std::size_t done = 0;      // apply: done; undo: undone; purge: purged
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> skipped_by_reason;
  std::size_t failed = 0;
  std::size_t left = 0;  // not worked on this run: --limit reached, held by another runner, mailbox unreachable
  std::uint64_t bytes_estimated = 0;  // of the actions done
  std::size_t mailboxes = 0;
  std::size_t mailboxes_failed = 0;  // could not be opened / acted on
  std::size_t mailboxes_measured = 0;
  std::int64_t bytes_measured = 0;  // sum over measured mailboxes of before - after (apply/purge freed)
  // Connector traffic of the run (TrafficStats of every mailbox session): what the actions cost on
  // the wire (bench/apply: bytes sent per detach, with and without CATENATE).
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t round_trips = 0;
  std::vector<std::string> errors;   // per-mailbox problems, for the end of the output
  std::vector<PlannedLine> planned;  // dry run
  std::chrono::milliseconds elapsed{0};
};

// Progress; every method may be called from any worker thread.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void started(std::size_t /*mailboxes*/, std::size_t /*actions*/) {}
  virtual void action_finished(Step /*outcome*/, std::uint64_t /*bytes*/) {}
  virtual void mailbox_finished() {}
};

// A campaign that does not exist, an unknown --mailbox, or an action of another campaign (exit 2).
class RunUsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs apply, undo or purge. Throws RunUsageError before touching anything for what the user must
// fix; database errors of the bookkeeping propagate; everything about mailboxes and actions is
// recorded and counted.
RunSummary run(const EngineContext& context, const RunOptions& options, RunObserver* observer = nullptr);

// "apply: 40 action(s): 37 done, 2 skipped (changed 1, not_found 1), 1 failed; freed 123.4 MB
//  estimated, 120.1 MB measured (5 of 5 mailbox(es)); 5 mailbox(es); sent 1.2 MB, received 130.2 MB,
//  912 round trips; 12.3s" (undo: "undone"; purge: "purged"). bench/apply/run.sh parses it.
std::string summary_line(const RunSummary& summary);

}  // namespace mailprune::apply
