#include "apply/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "apply/engine_detail.hpp"
#include "inventory/worker_pool.hpp"

namespace mailprune::apply {
namespace detail {

OpenMailbox::OpenMailbox(connector::Connector& connector, std::string address)
    : connector_(connector), address_(std::move(address)) {}

void OpenMailbox::open() {
  // The new session first: when it cannot be had, the old one stays (its next call fails again and
  // counts as an attempt) rather than leaving no session at all.
  std::unique_ptr<connector::MailboxSession> fresh = connector_.open(address_);
  if (session_) {
    const connector::TrafficStats old = session_->traffic();
    retired_.bytes_sent += old.bytes_sent;
    retired_.bytes_received += old.bytes_received;
    retired_.round_trips += old.round_trips;
  }
  session_ = std::move(fresh);
  folders_.clear();
  listed_ = false;
}

connector::MailboxActions& OpenMailbox::actions() {
  connector::MailboxActions* actions = session_->actions();
  if (actions == nullptr) {
    throw connector::ConnectorError(connector::ConnectorError::Kind::refused,
                                    "this connector can only inventory: it cannot act on mailboxes");
  }
  return *actions;
}

std::optional<connector::FolderState> OpenMailbox::folder(const std::string& name) {
  for (int pass = 0; pass < 2; ++pass) {
    if (!listed_ || pass == 1) {
      folders_.clear();
      for (auto& folder : session_->list_folders()) folders_[folder.name] = std::move(folder);
      listed_ = true;
    }
    auto found = folders_.find(name);
    if (found != folders_.end()) return found->second;
  }
  return std::nullopt;
}

connector::TrafficStats OpenMailbox::traffic() const {
  connector::TrafficStats total = retired_;
  if (session_) {
    const connector::TrafficStats now = session_->traffic();
    total.bytes_sent += now.bytes_sent;
    total.bytes_received += now.bytes_received;
    total.round_trips += now.round_trips;
  }
  return total;
}

std::optional<std::uint64_t> OpenMailbox::measure() {
  try {
    return actions().measured_size();
  } catch (const connector::ConnectorError& e) {
    spdlog::warn("mailbox {}: size not measured: {}", address_, e.what());
    return std::nullopt;
  }
}

}  // namespace detail

namespace {

using connector::ConnectorError;

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::apply:
      return "apply";
    case Mode::undo:
      return "undo";
    case Mode::purge:
      return "purge";
  }
  return "apply";
}

// Shared by the worker threads of one run.
struct RunState {
  std::mutex mutex;  // guards summary
  RunSummary summary;
  std::atomic<std::size_t> taken{0};
  RunCounts counts;  // for apply_run
};

std::string dry_run_text(const Action& a) {
  const std::string where =
      fmt::format("{} {}", a.original.folder,
                  a.original.ref.uid ? fmt::format("UID {}", a.original.ref.uid) : "item " + a.original.ref.item_id);
  std::string text;
  if (a.id != 0) text = fmt::format("resume action {} ({}) from step {}: ", a.id, a.kind, step_name(a.step));
  if (a.step == Step::skipped) return text + fmt::format("{}: {} (skipped: {})", a.kind, where, a.reason);
  if (a.kind == "detach") {
    std::string names;
    for (const auto& part : a.parts)
      names += (names.empty() ? "" : ", ") + (part.file_name.empty() ? "?" : part.file_name);
    return text + fmt::format("detach {} attachment(s) from {}{}", std::max<std::size_t>(a.parts.size(), 1), where,
                              names.empty() ? "" : ": " + names);
  }
  if (a.kind == "archive") return text + fmt::format("archive {} to {}", where, a.target_folder);
  return text + fmt::format("delete {}: to {}", where, a.target_folder);
}

RunSummary dry_run(pqxx::connection& db, const CampaignRow& campaign, const TargetFolders& targets,
                   const std::vector<std::string>& only) {
  RunSummary summary;
  std::vector<Action> actions = unfinished_actions(db, campaign.id);
  std::vector<Action> fresh = preview_approved(db, campaign.id, targets);
  actions.insert(actions.end(), fresh.begin(), fresh.end());
  std::map<int, std::string> addresses;
  {
    pqxx::read_transaction tx(db);
    for (const auto& row : tx.exec("SELECT id, address FROM mailbox"))
      addresses[row[0].as<int>()] = row[1].as<std::string>();
  }
  for (const auto& a : actions) {
    const std::string& address = addresses[a.mailbox_id];
    if (!only.empty() && std::none_of(only.begin(), only.end(), [&](const std::string& m) {
          return std::equal(m.begin(), m.end(), address.begin(), address.end(),
                            [](char x, char y) { return std::tolower(x) == std::tolower(y); });
        })) {
      continue;
    }
    PlannedLine line;
    line.mailbox = address;
    line.text = dry_run_text(a);
    line.bytes = a.step == Step::skipped ? 0 : a.bytes_estimated;
    if (a.step == Step::skipped) {
      ++summary.skipped;
      ++summary.skipped_by_reason[a.reason];
    } else {
      ++summary.actions;
      summary.bytes_estimated += a.bytes_estimated;
    }
    summary.planned.push_back(std::move(line));
  }
  return summary;
}

void count(RunState& state, const detail::ActionOutcome& outcome, RunObserver* observer) {
  {
    std::lock_guard lock(state.mutex);
    if (outcome.step == Step::skipped) {
      ++state.summary.skipped;
      ++state.summary.skipped_by_reason[outcome.reason.empty() ? "unknown" : outcome.reason];
      ++state.counts.skipped;
    } else if (outcome.step == Step::failed) {
      ++state.summary.failed;
      ++state.counts.failed;
    } else {
      ++state.summary.done;
      ++state.counts.done;
      state.summary.bytes_estimated += outcome.bytes;
      state.counts.bytes_estimated += outcome.bytes;
    }
  }
  if (observer) observer->action_finished(outcome.step, outcome.bytes);
}

void mailbox_failed(RunState& state, const MailboxRow& mailbox, std::size_t left, const std::string& why) {
  spdlog::error("mailbox {}: {}", mailbox.address, why);
  std::lock_guard lock(state.mutex);
  ++state.summary.mailboxes_failed;
  state.summary.left += left;
  state.summary.errors.push_back(mailbox.address + ": " + why);
}

// One mailbox: its actions one after the other, each under its lease.
void work_on_mailbox(const EngineContext& context, const RunOptions& options, const CampaignRow& campaign,
                     std::int64_t run_id, connector::Connector& connector, const MailboxRow& mailbox,
                     inventory::Worker& worker, RunState& state, RunObserver* observer) {
  pqxx::connection& db = worker.db();
  detail::HandlerContext handler_context;
  handler_context.engine = &context;
  handler_context.campaign = campaign;
  handler_context.runner = Runner::current(run_id);
  handler_context.mailbox = mailbox;
  std::unique_ptr<detail::Handler> handler = options.mode == Mode::apply  ? detail::make_apply_handler(handler_context)
                                             : options.mode == Mode::undo ? detail::make_undo_handler(handler_context)
                                                                          : detail::make_purge_handler(handler_context);
  const std::vector<std::int64_t> ids = options.action
                                            ? std::vector<std::int64_t>{*options.action}
                                            : action_ids(db, campaign.id, mailbox.mailbox_id, handler->selection());
  if (ids.empty()) return;

  detail::OpenMailbox open(connector, mailbox.address);
  for (int attempt = 1;; ++attempt) {
    try {
      open.open();
      open.actions();
      break;
    } catch (const ConnectorError& e) {
      if (e.retriable() && attempt < options.max_attempts) {
        std::this_thread::sleep_for(options.retry_backoff * attempt);
        continue;
      }
      mailbox_failed(state, mailbox, ids.size(), std::string("cannot open the mailbox: ") + e.what());
      return;
    }
  }
  const bool measuring = options.mode != Mode::undo && run_id != 0;
  std::optional<std::uint64_t> before;
  if (measuring) {
    before = open.measure();
    record_measure_before(db, run_id, mailbox.mailbox_id, before);
  }

  for (std::int64_t id : ids) {
    if (options.limit && state.taken.fetch_add(1) >= *options.limit) {
      std::lock_guard lock(state.mutex);
      ++state.summary.left;
      continue;
    }
    auto lease = ActionLease::try_acquire(db, id);
    if (!lease) {  // another runner has it
      std::lock_guard lock(state.mutex);
      ++state.summary.left;
      continue;
    }
    Action action = handler->take(db, id);
    if (!handler->wanted(action)) continue;
    {
      std::lock_guard lock(state.mutex);
      ++state.summary.actions;
    }
    // An action given up: its failure journaled and counted.
    const auto give_up = [&](const std::string& reason) {
      handler->record_failure(db, action, reason);
      detail::ActionOutcome outcome;
      outcome.step = Step::failed;
      outcome.reason = reason;
      count(state, outcome, observer);
      spdlog::error("mailbox {}: action {} failed: {}", mailbox.address, id, reason);
    };
    for (int attempt = 1;; ++attempt) {
      try {
        count(state, handler->handle(db, open, action), observer);
        break;
      } catch (const ConnectorError& e) {
        if (e.retriable() && attempt < options.max_attempts) {
          spdlog::warn("mailbox {}: action {}: attempt {} failed ({}); retrying on a new session", mailbox.address, id,
                       attempt, e.what());
          std::this_thread::sleep_for(options.retry_backoff * attempt);
          try {
            open.open();
          } catch (const ConnectorError& reopen) {
            spdlog::warn("mailbox {}: reopening failed: {}", mailbox.address, reopen.what());
          }
          action = handler->take(db, id);  // the journal may have moved on (steps recorded by the hook)
          continue;
        }
        give_up(fmt::format("{} (attempt {})", e.what(), attempt));
        break;
      } catch (const archive::ArchiveError& e) {
        give_up(std::string("archive store: ") + e.what());
        break;
      }
    }
  }

  if (measuring) {
    const std::optional<std::uint64_t> after = open.measure();
    record_measure_after(db, run_id, mailbox.mailbox_id, after);
    std::lock_guard lock(state.mutex);
    if (before && after) {
      ++state.summary.mailboxes_measured;
      state.summary.bytes_measured += static_cast<std::int64_t>(*before) - static_cast<std::int64_t>(*after);
    }
  }
  const connector::TrafficStats traffic = open.traffic();
  std::lock_guard lock(state.mutex);
  state.summary.bytes_sent += traffic.bytes_sent;
  state.summary.bytes_received += traffic.bytes_received;
  state.summary.round_trips += traffic.round_trips;
}

}  // namespace

RunSummary run(const EngineContext& context, const RunOptions& options, RunObserver* observer) {
  const auto started = std::chrono::steady_clock::now();
  auto db = context.connections();

  // What to work on; nothing is touched when the user named something unknown.
  std::optional<CampaignRow> campaign;
  std::optional<Action> single;
  if (options.action) {
    single = load_action(*db, *options.action);
    if (!single) throw RunUsageError(fmt::format("no action {}", *options.action));
  }
  if (!options.campaign.empty()) {
    campaign = find_campaign(*db, options.campaign);
    if (!campaign) throw RunUsageError("no campaign '" + options.campaign + "'");
    if (single && single->campaign_id != campaign->id) {
      throw RunUsageError(fmt::format("action {} is not of campaign '{}'", *options.action, options.campaign));
    }
  } else if (single) {
    campaign = find_campaign(*db, std::to_string(single->campaign_id));
  }
  if (!campaign) throw RunUsageError("say which campaign (--campaign)");
  if (auto unknown = unknown_mailboxes(*db, options.mailboxes); !unknown.empty()) {
    throw RunUsageError("no mailbox '" + unknown.front() + "' in the inventory");
  }

  TargetFolders targets;
  targets.quarantine_folder = context.config->policy.quarantine_folder;
  targets.archive_folder = context.config->policy.archive_folder;

  if (options.mode == Mode::apply && options.dry_run) {
    RunSummary summary = dry_run(*db, *campaign, targets, options.mailboxes);
    summary.mode = options.mode;
    summary.campaign = campaign->name;
    summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return summary;
  }

  if (options.on_start) options.on_start(*db, campaign->id);
  RunState state;
  state.summary.mode = options.mode;
  state.summary.campaign = campaign->name;
  const std::int64_t run_id = begin_run(*db, campaign->id, mode_name(options.mode));
  state.summary.run_id = run_id;
  const Runner runner = Runner::current(run_id);
  std::string run_error;
  try {
    if (options.mode == Mode::apply) {
      if (options.retry_failed) {
        const std::size_t again = retry_failed(*db, campaign->id, runner);
        if (again > 0) spdlog::info("{} failed action(s) taken up again", again);
      }
      EnqueueResult enqueued = enqueue_approved(*db, campaign->id, targets, runner);
      state.summary.enqueued = enqueued.actions;
      if (enqueued.superseded > 0) {
        state.summary.actions += enqueued.superseded;
        state.summary.skipped += enqueued.superseded;
        state.summary.skipped_by_reason["superseded"] += enqueued.superseded;
        state.counts.skipped += static_cast<int>(enqueued.superseded);
      }
    }

    std::vector<MailboxRow> mailboxes;
    if (single) {
      mailboxes.push_back(mailbox_row(*db, single->mailbox_id));
    } else {
      const Selection selection = options.mode == Mode::apply  ? Selection::unfinished
                                  : options.mode == Mode::undo ? Selection::undoable
                                                               : Selection::purgeable;
      mailboxes = mailboxes_with_actions(*db, campaign->id, selection, options.mailboxes);
    }
    state.summary.mailboxes = mailboxes.size();

    // Per source: its configuration and connector; mailboxes of a source that is not configured
    // (any more) cannot be worked on.
    struct SourceRun {
      const config::SourceConfig* config = nullptr;
      std::unique_ptr<connector::Connector> connector;
      std::vector<MailboxRow> mailboxes;
    };
    std::vector<SourceRun> sources;
    for (const auto& mailbox : mailboxes) {
      auto it = std::find_if(sources.begin(), sources.end(),
                             [&](const SourceRun& s) { return s.config && s.config->name == mailbox.source_name; });
      if (it == sources.end()) {
        const config::SourceConfig* source_config = nullptr;
        for (const auto& s : context.config->sources) {
          if (s.name == mailbox.source_name) source_config = &s;
        }
        if (source_config == nullptr) {
          mailbox_failed(state, mailbox, 0, "source '" + mailbox.source_name + "' is not configured");
          continue;
        }
        SourceRun run;
        run.config = source_config;
        try {
          run.connector = context.connectors(*source_config);
        } catch (const std::exception& e) {
          mailbox_failed(state, mailbox, 0, std::string("no connector: ") + e.what());
          continue;
        }
        sources.push_back(std::move(run));
        it = sources.end() - 1;
      }
      it->mailboxes.push_back(mailbox);
    }
    if (observer) {
      std::size_t total = 0;
      for (const auto& source : sources) {
        for (const auto& mailbox : source.mailboxes) {
          total += single ? 1
                          : action_ids(*db, campaign->id, mailbox.mailbox_id,
                                       options.mode == Mode::apply  ? Selection::unfinished
                                       : options.mode == Mode::undo ? Selection::undoable
                                                                    : Selection::purgeable)
                                .size();
        }
      }
      observer->started(mailboxes.size(), options.limit ? std::min(total, *options.limit) : total);
    }

    std::vector<inventory::SourceWork> work;
    for (const auto& source : sources) work.push_back({source.mailboxes.size(), source.config->max_connections});
    inventory::run_workers(context.connections, work, [&](inventory::Worker& worker, std::size_t s, std::size_t i) {
      const MailboxRow& mailbox = sources[s].mailboxes[i];
      try {
        work_on_mailbox(context, options, *campaign, run_id, *sources[s].connector, mailbox, worker, state, observer);
      } catch (const pqxx::broken_connection& e) {
        // The leases went with the connection: the mailbox's remaining actions wait for the next run.
        worker.drop_db();
        mailbox_failed(state, mailbox, 0, std::string("database connection lost: ") + e.what());
      } catch (const std::exception& e) {
        mailbox_failed(state, mailbox, 0, e.what());
      }
      if (observer) observer->mailbox_finished();
    });
  } catch (const std::exception& e) {
    run_error = e.what();
    finish_run(*db, run_id, state.counts, "failed", run_error);
    throw;
  }
  finish_run(*db, run_id, state.counts, state.summary.mailboxes_failed > 0 ? "failed" : "done",
             state.summary.errors.empty() ? "" : state.summary.errors.front());
  // Exact figures for scripts (bench/apply/run.sh); the summary line rounds them.
  spdlog::info("{} run {}: {} done, {} skipped, {} failed; {} bytes sent, {} bytes received, {} round trips",
               mode_name(options.mode), run_id, state.summary.done, state.summary.skipped, state.summary.failed,
               state.summary.bytes_sent, state.summary.bytes_received, state.summary.round_trips);
  state.summary.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return std::move(state.summary);
}

}  // namespace mailprune::apply
