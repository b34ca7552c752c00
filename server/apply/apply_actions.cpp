// The apply handler: detach, archive and delete, from whatever step the journal says.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "apply/engine_detail.hpp"
#include "apply/notice.hpp"
#include "archive/content_hash.hpp"

namespace mailprune::apply::detail {
namespace {

using connector::ConnectorError;

Step step_of(connector::ActionStep step) {
  switch (step) {
    case connector::ActionStep::uploaded:
      return Step::uploaded;
    case connector::ActionStep::verified:
      return Step::verified;
    case connector::ActionStep::original_removed:
      return Step::original_removed;
  }
  return Step::uploaded;
}

const char* outcome_reason(connector::Outcome outcome) {
  return outcome == connector::Outcome::changed ? "changed" : "not_found";
}

std::string describe(const connector::MessageRef& ref) {
  return ref.uid != 0 ? fmt::format("UID {}", ref.uid) : "item " + ref.item_id;
}

class ApplyHandler final : public Handler {
 public:
  explicit ApplyHandler(const HandlerContext& context) : context_(context) {}

  Selection selection() const override { return Selection::unfinished; }
  bool wanted(const Action& action) const override { return !is_final(action.step); }
  Action take(pqxx::connection& db, std::int64_t action_id) override { return take_up(db, action_id, context_.runner); }

  ActionOutcome handle(pqxx::connection& db, OpenMailbox& mailbox, Action& action) override {
    return action.kind == "detach" ? detach(db, mailbox, action) : move(db, mailbox, action);
  }

  void record_failure(pqxx::connection& db, const Action& action, const std::string& reason) override {
    finish_action(db, action.id, Step::failed, reason, context_.runner, action.step < Step::uploaded);
  }

 private:
  // Skipped: nothing was changed on the server (before the upload). After it, the same outcome
  // means the journal and the server disagree: failed, for a person to look at.
  ActionOutcome give_up(pqxx::connection& db, const Action& action, const std::string& reason,
                        const std::string& detail) {
    ActionOutcome outcome;
    outcome.reason = reason;
    if (action.step >= Step::uploaded) {
      outcome.step = Step::failed;
      outcome.reason = fmt::format("{} after step {}: {}", reason, step_name(action.step), detail);
      finish_action(db, action.id, Step::failed, outcome.reason, context_.runner);
      return outcome;
    }
    outcome.step = Step::skipped;
    finish_action(db, action.id, Step::skipped, reason + (detail.empty() ? "" : ": " + detail), context_.runner, true);
    // The history says why; the summary counts the short reason.
    return outcome;
  }

  // The action's folder as the server has it now, or the reason to skip it.
  std::optional<connector::FolderState> source_folder(OpenMailbox& mailbox, const Action& action, std::string& reason,
                                                      std::string& detail) {
    auto folder = mailbox.folder(action.original.folder);
    if (!folder) {
      reason = "not_found";
      detail = "folder " + action.original.folder + " is gone";
      return std::nullopt;
    }
    if (action.original.uidvalidity && folder->uidvalidity && *folder->uidvalidity != *action.original.uidvalidity) {
      reason = "changed";
      detail = fmt::format("folder {} has a new UIDVALIDITY", action.original.folder);
      return std::nullopt;
    }
    return folder;
  }

  ActionOutcome detach(pqxx::connection& db, OpenMailbox& mailbox, Action& action) {
    std::string reason, detail;
    auto folder = source_folder(mailbox, action, reason, detail);
    if (!folder) return give_up(db, action, reason, detail);
    if (action.parts.empty()) return give_up(db, action, "not_found", "no attachment recorded for this action");

    if (action.step < Step::stored) {
      std::uint64_t archived = 0;
      for (auto& part : action.parts) {
        if (part.stored) continue;
        auto stored = store_part(db, mailbox, *folder, action, part, reason, detail);
        if (!stored) return give_up(db, action, reason, detail);
        archived += part.size;
      }
      record_step(db, action.id, Step::stored, context_.runner,
                  fmt::format("{} attachment(s) archived, {} bytes", action.parts.size(), archived));
      action.step = Step::stored;
    }

    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    connector::DetachRequest request;
    request.message = action.original.ref;
    request.action_id = connector_action_id(action);
    request.provenance.emplace_back("X-Mailprune-Campaign", std::to_string(action.campaign_id));
    for (const auto& part : action.parts) {
      NoticeFacts facts;
      facts.language = context_.mailbox.language;
      facts.file_name = part.file_name;
      facts.size = part.size;
      facts.archived_at = now;
      facts.link = context_.engine->make_link(part.reference_id, *part.sha256, part.file_name, now);
      connector::Detachment detachment;
      detachment.section = part.section;
      detachment.notice_text = notice_text(facts);
      detachment.notice_html = notice_html(facts);
      detachment.file_name = part.file_name;
      request.detachments.push_back(std::move(detachment));
      request.provenance.emplace_back("X-Mailprune-Detached",
                                      fmt::format("section={}; sha256={}; size={}; reference={}", part.section,
                                                  archive::to_hex(*part.sha256), part.size, part.reference_id));
    }
    const connector::FolderState folder_state = *folder;
    request.on_step = [&](connector::ActionStep connector_step, const connector::MessageRef& message) {
      const Step step = step_of(connector_step);
      if (step <= action.step) return;  // recorded by an earlier attempt of this action
      std::optional<MessageLocation> location;
      if (step != Step::original_removed)
        location = MessageLocation{folder_state.name, folder_state.uidvalidity, message};
      record_step(db, action.id, step, context_.runner, describe(message), location);
      action.step = step;
    };

    connector::DetachResult result;
    try {
      result = mailbox.actions().detach(folder_state, request);
    } catch (const ConnectorError& e) {
      if (e.kind() != ConnectorError::Kind::not_found) throw;
      return give_up(db, action, "not_found", e.what());
    }
    if (result.outcome != connector::Outcome::done) {
      return give_up(db, action, outcome_reason(result.outcome), "");
    }
    record_step(db, action.id, Step::done, context_.runner, "now " + describe(result.message),
                MessageLocation{folder_state.name, folder_state.uidvalidity, result.message});
    action.step = Step::done;
    ActionOutcome outcome;
    outcome.bytes = action.bytes_estimated;
    return outcome;
  }

  // Streams one part into the archive store and records it; nullopt (with the reason) to skip.
  std::optional<bool> store_part(pqxx::connection& db, OpenMailbox& mailbox, const connector::FolderState& folder,
                                 const Action& action, ActionPart& part, std::string& reason, std::string& detail) {
    std::string header;
    try {
      header = mailbox.session().read_part_header(folder, action.original.ref, part.section);
    } catch (const ConnectorError& e) {
      if (e.kind() == ConnectorError::Kind::not_found) {
        reason = "not_found";
        detail = e.what();
        return std::nullopt;
      }
      if (e.kind() != ConnectorError::Kind::refused) throw;
      // The connector has no MIME header to give (EWS): undo then depends on the connector.
    }
    archive::ArchiveStore::Writer writer = context_.engine->store->writer();
    bool clean = false;
    try {
      clean =
          mailbox.session().read_attachment(folder, action.original.ref, part.section, 0, [&](std::string_view chunk) {
            writer.write(chunk);
            return true;
          });
    } catch (const ConnectorError& e) {
      if (e.kind() != ConnectorError::Kind::not_found) throw;
      reason = "not_found";
      detail = e.what();
      return std::nullopt;
    }
    if (!clean) {
      // Leniently decoded bytes are not the attachment: archiving them would lose what the server has.
      reason = "damaged";
      detail = "section " + part.section + " cannot be decoded cleanly";
      return std::nullopt;
    }
    archive::StoredObject object;
    try {
      object = writer.commit(part.expected_sha256);
    } catch (const archive::ArchiveError& e) {
      if (e.kind() != archive::ArchiveError::Kind::hash_mismatch) throw;
      reason = "hash_mismatch";
      detail = "section " + part.section + ": " + e.what();
      return std::nullopt;
    }
    part.reference_id = record_part_stored(db, action, part, object, header);
    part.sha256 = object.sha256;
    part.size = object.size;
    part.part_header = header;
    part.stored = true;
    return true;
  }

  ActionOutcome move(pqxx::connection& db, OpenMailbox& mailbox, Action& action) {
    std::string reason, detail;
    auto folder = source_folder(mailbox, action, reason, detail);
    if (!folder) return give_up(db, action, reason, detail);
    if (action.target_folder.empty()) {
      ActionOutcome outcome;
      outcome.step = Step::failed;
      outcome.reason = "no target folder";
      finish_action(db, action.id, Step::failed, outcome.reason, context_.runner);
      return outcome;
    }
    connector::MoveResult result;
    try {
      result = mailbox.actions().move(*folder, action.original.ref, action.target_folder, connector_action_id(action));
    } catch (const ConnectorError& e) {
      if (e.kind() != ConnectorError::Kind::not_found) throw;
      return give_up(db, action, "not_found", e.what());
    }
    if (result.outcome != connector::Outcome::done) return give_up(db, action, outcome_reason(result.outcome), "");
    auto target = mailbox.folder(action.target_folder);
    MessageLocation location{action.target_folder, target ? target->uidvalidity : std::nullopt, result.message};
    record_step(db, action.id, Step::done, context_.runner,
                fmt::format("now {} in {}", describe(result.message), action.target_folder), location,
                context_.campaign.grace_days);
    action.step = Step::done;
    ActionOutcome outcome;
    outcome.bytes = action.bytes_estimated;
    return outcome;
  }

  HandlerContext context_;
};

}  // namespace

std::unique_ptr<Handler> make_apply_handler(const HandlerContext& context) {
  return std::make_unique<ApplyHandler>(context);
}

}  // namespace mailprune::apply::detail
