// The undo and purge handlers: taking back what apply did, and purging the quarantine.
#include <fmt/format.h>

#include <ctime>

#include "apply/engine_detail.hpp"
#include "archive/content_hash.hpp"

namespace mailprune::apply::detail {
namespace {

using connector::ConnectorError;

std::string describe(const connector::MessageRef& ref) {
  return ref.uid != 0 ? fmt::format("UID {}", ref.uid) : "item " + ref.item_id;
}

ActionOutcome skipped(const std::string& reason) {
  ActionOutcome outcome;
  outcome.step = Step::skipped;
  outcome.reason = reason;
  return outcome;
}

class UndoHandler final : public Handler {
 public:
  explicit UndoHandler(const HandlerContext& context) : context_(context) {}

  Selection selection() const override { return Selection::undoable; }
  bool wanted(const Action& action) const override { return action.step == Step::done; }
  Action take(pqxx::connection& db, std::int64_t action_id) override {
    auto action = load_action(db, action_id);
    if (!action) throw std::runtime_error(fmt::format("action {} does not exist", action_id));
    return std::move(*action);
  }

  ActionOutcome handle(pqxx::connection& db, OpenMailbox& mailbox, Action& action) override {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    // Refusals write nothing: the action stays as it is, the summary says why.
    if (!action.done_at || *action.done_at + std::int64_t{86400} * context_.campaign.grace_days < now) {
      return skipped("grace_over");
    }
    if (!action.current) return skipped("no_location");
    auto folder = mailbox.folder(action.current->folder);
    if (!folder) return note_skip(db, action, "not_found", "folder " + action.current->folder + " is gone");
    if (action.current->uidvalidity && folder->uidvalidity && *folder->uidvalidity != *action.current->uidvalidity) {
      return note_skip(db, action, "changed", "folder " + action.current->folder + " has a new UIDVALIDITY");
    }
    return action.kind == "detach" ? reattach(db, mailbox, *folder, action) : move_back(db, mailbox, *folder, action);
  }

  void record_failure(pqxx::connection& db, const Action& action, const std::string& reason) override {
    record_history(db, action.id, "undo:failed", context_.runner, reason);
  }

 private:
  ActionOutcome note_skip(pqxx::connection& db, const Action& action, const std::string& reason,
                          const std::string& detail) {
    record_history(db, action.id, "undo:skipped", context_.runner, reason + (detail.empty() ? "" : ": " + detail));
    return skipped(reason);
  }

  ActionOutcome reattach(pqxx::connection& db, OpenMailbox& mailbox, const connector::FolderState& folder,
                         Action& action) {
    connector::ReattachRequest request;
    request.message = action.current->ref;
    request.detach_action_id = connector_action_id(action);
    request.action_id = request.detach_action_id + "-undo";
    for (const auto& part : action.parts) {
      if (!part.stored || !part.sha256) {
        ActionOutcome outcome;
        outcome.step = Step::failed;
        outcome.reason = "section " + part.section + " was never archived";
        record_failure(db, action, outcome.reason);
        return outcome;
      }
      // IMAP rebuilds the part from its header; EWS attachments have none (its reattach re-creates
      // the attachment from name, type and content), so there an empty header is expected.
      if (part.part_header.empty() && mailbox.connector_kind() == "imap") {
        ActionOutcome outcome;
        outcome.step = Step::failed;
        outcome.reason = "no MIME header was saved for section " + part.section + ": cannot rebuild it";
        record_failure(db, action, outcome.reason);
        return outcome;
      }
      connector::Reattachment reattachment;
      reattachment.section = part.section;
      reattachment.original_header = part.part_header;
      reattachment.file_name = part.file_name;
      reattachment.content_type = part.content_type;
      // read() checks the content against its name before the last byte is handed over.
      context_.engine->store->read(*part.sha256, [&](std::string_view chunk) {
        reattachment.content.append(chunk);
        return true;
      });
      request.reattachments.push_back(std::move(reattachment));
    }
    request.on_step = [&](connector::ActionStep step, const connector::MessageRef& message) {
      const char* name = step == connector::ActionStep::uploaded   ? "undo:uploaded"
                         : step == connector::ActionStep::verified ? "undo:verified"
                                                                   : "undo:original_removed";
      record_history(db, action.id, name, context_.runner, describe(message));
    };
    connector::DetachResult result;
    try {
      result = mailbox.actions().reattach(folder, request);
    } catch (const ConnectorError& e) {
      if (e.kind() != ConnectorError::Kind::not_found) throw;
      return note_skip(db, action, "not_found", e.what());
    }
    if (result.outcome != connector::Outcome::done) {
      return note_skip(db, action, result.outcome == connector::Outcome::changed ? "changed" : "not_found", "");
    }
    record_step(db, action.id, Step::undone, context_.runner, "attachments put back, now " + describe(result.message),
                MessageLocation{folder.name, folder.uidvalidity, result.message});
    // The attachments are in the message again: their archived copies are no longer what a link stands for.
    revoke_action_references(db, action.id);
    action.step = Step::undone;
    return ActionOutcome{};
  }

  ActionOutcome move_back(pqxx::connection& db, OpenMailbox& mailbox, const connector::FolderState& folder,
                          Action& action) {
    connector::MoveResult result;
    try {
      result = mailbox.actions().move(folder, action.current->ref, action.original.folder,
                                      connector_action_id(action) + "-undo");
    } catch (const ConnectorError& e) {
      if (e.kind() != ConnectorError::Kind::not_found) throw;
      return note_skip(db, action, "not_found", e.what());
    }
    if (result.outcome != connector::Outcome::done) {
      return note_skip(db, action, result.outcome == connector::Outcome::changed ? "changed" : "not_found", "");
    }
    auto back = mailbox.folder(action.original.folder);
    record_step(db, action.id, Step::undone, context_.runner,
                fmt::format("moved back to {}, now {}", action.original.folder, describe(result.message)),
                MessageLocation{action.original.folder, back ? back->uidvalidity : std::nullopt, result.message});
    action.step = Step::undone;
    return ActionOutcome{};
  }

  HandlerContext context_;
};

class PurgeHandler final : public Handler {
 public:
  explicit PurgeHandler(const HandlerContext& context) : context_(context) {}

  Selection selection() const override { return Selection::purgeable; }
  bool wanted(const Action& action) const override {
    return action.kind == "delete" && action.step == Step::done && action.purge_after &&
           *action.purge_after <= static_cast<std::int64_t>(std::time(nullptr));
  }
  Action take(pqxx::connection& db, std::int64_t action_id) override {
    auto action = load_action(db, action_id);
    if (!action) throw std::runtime_error(fmt::format("action {} does not exist", action_id));
    return std::move(*action);
  }

  ActionOutcome handle(pqxx::connection& db, OpenMailbox& mailbox, Action& action) override {
    if (!action.current) return skipped("no_location");
    auto folder = mailbox.folder(action.current->folder);
    if (!folder) return note_skip(db, action, "not_found", "folder " + action.current->folder + " is gone");
    if (action.current->uidvalidity && folder->uidvalidity && *folder->uidvalidity != *action.current->uidvalidity) {
      return note_skip(db, action, "changed", "folder " + action.current->folder + " has a new UIDVALIDITY");
    }
    connector::Outcome result = connector::Outcome::done;
    try {
      result = mailbox.actions().remove(*folder, action.current->ref, connector::RemoveMode::permanent);
    } catch (const ConnectorError& e) {
      if (e.kind() != ConnectorError::Kind::not_found) throw;
      result = connector::Outcome::not_found;
    }
    // Someone touched the quarantined message (flagged it, say): leave it for a person to decide.
    if (result == connector::Outcome::changed) return note_skip(db, action, "changed", "");
    record_step(db, action.id, Step::purged, context_.runner,
                result == connector::Outcome::done ? "removed for good from " + action.current->folder
                                                   : "already gone from " + action.current->folder);
    action.step = Step::purged;
    ActionOutcome outcome;
    outcome.bytes = action.message_size;
    return outcome;
  }

  void record_failure(pqxx::connection& db, const Action& action, const std::string& reason) override {
    record_history(db, action.id, "purge:failed", context_.runner, reason);
  }

 private:
  ActionOutcome note_skip(pqxx::connection& db, const Action& action, const std::string& reason,
                          const std::string& detail) {
    record_history(db, action.id, "purge:skipped", context_.runner, reason + (detail.empty() ? "" : ": " + detail));
    return skipped(reason);
  }

  HandlerContext context_;
};

}  // namespace

std::unique_ptr<Handler> make_undo_handler(const HandlerContext& context) {
  return std::make_unique<UndoHandler>(context);
}

std::unique_ptr<Handler> make_purge_handler(const HandlerContext& context) {
  return std::make_unique<PurgeHandler>(context);
}

}  // namespace mailprune::apply::detail
