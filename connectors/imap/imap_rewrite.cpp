// ImapActions::detach and ::reattach: one message replaced by a rewritten copy, verified before the
// original goes (the steps are in imap_actions.hpp). RewriteSpec is what differs between the two:
// which header field marks the copy, what is checked before, how the copy is built and checked.
#include <algorithm>
#include <cctype>

#include "imap/bodystructure.hpp"
#include "imap/detach_message.hpp"
#include "imap/imap_actions.hpp"
#include "imap/imap_mailbox_session.hpp"
#include "imap/mailbox_detail.hpp"
#include "mime/splice.hpp"

namespace mailprune::imap {

using connector::ActionStep;
using connector::ConnectorError;
using connector::DetachResult;
using connector::FolderState;
using connector::MessageRef;
using connector::Outcome;
using detail::guarded;

class ImapActions::RewriteSpec {
 public:
  virtual ~RewriteSpec() = default;
  RewriteSpec() = default;
  RewriteSpec(const RewriteSpec&) = delete;
  RewriteSpec& operator=(const RewriteSpec&) = delete;

  std::string marker;              // the header field carrying action_id in the copy
  std::string action_id;           // its value
  connector::StepHook on_step;     // may be empty
  std::set<std::string> sections;  // the parts replaced (content sections)

  // FETCH items beyond UID FLAGS INTERNALDATE BODYSTRUCTURE MODSEQ, for the original / the copy.
  [[nodiscard]] virtual std::vector<std::string> original_items() const { return {}; }
  [[nodiscard]] virtual std::vector<std::string> copy_items() const = 0;
  // Before any upload: an outcome instead of going on (not_found), or nullopt; may throw refused.
  virtual std::optional<Outcome> check_original(const FetchMessage& original) = 0;
  // The CATENATE parts of the copy, nullopt when it must travel whole.
  virtual std::optional<std::vector<CatenatePart>> catenate(const std::string& /*message_url*/,
                                                            const FetchMessage& /*original*/) {
    return std::nullopt;
  }
  // The whole copy from the original's bytes.
  virtual std::string whole(std::string_view raw) = 0;
  // "" when the copy is right, else what is wrong; `original` is null when it is gone (resume).
  virtual std::string check_copy(const FetchMessage& copy, const FetchMessage* original) = 0;
};

namespace {

std::uint32_t checked_uid(const MessageRef& ref) {
  if (ref.uid == 0 || ref.uid > UINT32_MAX) {
    throw ConnectorError(ConnectorError::Kind::not_found, "no IMAP UID for message " + ref.item_id);
  }
  return static_cast<std::uint32_t>(ref.uid);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool has_flag(const FetchMessage& message, std::string_view flag) {
  if (!message.flags) return false;
  return std::any_of(message.flags->begin(), message.flags->end(),
                     [&](const std::string& f) { return lower(f) == lower(std::string(flag)); });
}

// Flags to compare between original and copy: \Recent is the server's, \Deleted may be ours.
std::set<std::string> comparable_flags(const FetchMessage& message) {
  std::set<std::string> out;
  if (!message.flags) return out;
  for (const auto& flag : *message.flags) {
    const std::string l = lower(flag);
    if (l != "\\recent" && l != "\\deleted") out.insert(l);
  }
  return out;
}

const SectionData* header_fields_section(const FetchMessage& message) {
  for (const auto& section : message.body_sections) {
    if (section.section.rfind("HEADER.FIELDS", 0) == 0) return &section;
  }
  return nullptr;
}

std::string mime_header(const FetchMessage& message, const std::string& section) {
  const SectionData* data = message.body(section + ".MIME");
  return data ? data->data : std::string();
}

void step(const ImapActions::RewriteSpec& spec, ActionStep which, const MessageRef& message) {
  if (spec.on_step) spec.on_step(which, message);
}

bool valid_action_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && c != ';' && c != '"' && c != '\\';
  });
}

// ---- detach

class DetachSpec final : public ImapActions::RewriteSpec {
 public:
  explicit DetachSpec(const connector::DetachRequest& request) : request_(request) {
    marker = "X-Mailprune-Action";
    action_id = request.action_id;
    on_step = request.on_step;
    fields_ = marker + ": " + action_id + "\r\n";
    for (const auto& [name, value] : request.provenance) fields_ += name + ": " + value + "\r\n";
    for (const auto& detachment : request.detachments) {
      sections.insert(detachment.section);
      notices_[detachment.section] = mime::notice_part(detachment, action_id);
    }
  }

  std::vector<std::string> copy_items() const override {
    std::vector<std::string> items;
    for (const auto& section : sections) items.push_back("BODY.PEEK[" + section + ".MIME]");
    return items;
  }

  std::optional<Outcome> check_original(const FetchMessage& original) override {
    const mime::MimePart& root = *original.body_structure;
    for (const auto& section : sections) {
      const mime::MimePart* part = find_part(root, section);
      if (part == nullptr) return Outcome::not_found;
      if (part == &root) {
        throw ConnectorError(ConnectorError::Kind::refused,
                             "section " + section + " is the whole body of a single-part message: nothing to detach");
      }
      if (part->type == "multipart") {
        throw ConnectorError(ConnectorError::Kind::refused,
                             "section " + section + " is a multipart, not an attachment");
      }
    }
    return std::nullopt;
  }

  std::optional<std::vector<CatenatePart>> catenate(const std::string& message_url,
                                                    const FetchMessage& original) override {
    return catenate_parts(message_url, *original.body_structure, fields_, notices_);
  }

  std::string whole(std::string_view raw) override {
    const mime::LineEnding ending = mime::line_ending_of(raw);
    std::vector<mime::PartReplacement> replacements;
    for (const auto& detachment : request_.detachments) {
      mime::PartReplacement replacement;
      replacement.section = detachment.section;
      replacement.new_part = ending == mime::LineEnding::crlf ? notices_.at(detachment.section)
                                                              : mime::notice_part(detachment, action_id, ending);
      replacements.push_back(std::move(replacement));
    }
    std::vector<std::pair<std::string, std::string>> add = {{marker, action_id}};
    add.insert(add.end(), request_.provenance.begin(), request_.provenance.end());
    auto spliced = mime::splice_message(raw, replacements, add, {});
    if (!spliced) {
      throw ConnectorError(ConnectorError::Kind::refused, "cannot rebuild the message: " + spliced.error().message);
    }
    return std::move(spliced).value();
  }

  std::string check_copy(const FetchMessage& copy, const FetchMessage* original) override {
    for (const auto& section : sections) {
      if (find_part(*copy.body_structure, section) == nullptr) return "no part " + section;
      const std::optional<mime::NoticeMark> notice = mime::read_notice(mime_header(copy, section));
      if (!notice || notice->action_id != action_id) return "no notice of this action at part " + section;
    }
    if (original) return compare_structure(*original->body_structure, *copy.body_structure, sections);
    return {};
  }

 private:
  const connector::DetachRequest& request_;
  std::string fields_;
  std::map<std::string, std::string> notices_;  // by section, CRLF line ends
};

// ---- reattach

class ReattachSpec final : public ImapActions::RewriteSpec {
 public:
  explicit ReattachSpec(const connector::ReattachRequest& request) : request_(request) {
    marker = "X-Mailprune-Restored";
    action_id = request.action_id;
    on_step = request.on_step;
    for (const auto& reattachment : request.reattachments) sections.insert(reattachment.section);
    encode(mime::LineEnding::crlf);
  }

  std::vector<std::string> original_items() const override {
    std::vector<std::string> items;
    for (const auto& section : sections) items.push_back("BODY.PEEK[" + section + ".MIME]");
    return items;
  }

  std::vector<std::string> copy_items() const override { return original_items(); }

  std::optional<Outcome> check_original(const FetchMessage& original) override {
    for (const auto& section : sections) {
      const mime::MimePart* part = find_part(*original.body_structure, section);
      if (part == nullptr) return Outcome::not_found;
      const std::optional<mime::NoticeMark> notice = mime::read_notice(mime_header(original, section));
      if (!notice || notice->action_id != request_.detach_action_id) {
        throw ConnectorError(ConnectorError::Kind::refused, "part " + section + " of UID " +
                                                                std::to_string(*original.uid) +
                                                                " carries no notice of " + request_.detach_action_id);
      }
    }
    return std::nullopt;
  }

  std::string whole(std::string_view raw) override {
    const std::string stripped = strip_detach_fields(raw, request_.detach_action_id);
    const mime::LineEnding ending = mime::line_ending_of(stripped);
    if (ending != mime::LineEnding::crlf) encode(ending);
    std::vector<mime::PartReplacement> replacements;
    for (const auto& reattachment : request_.reattachments) {
      mime::PartReplacement replacement;
      replacement.section = reattachment.section;
      replacement.new_part = parts_.at(reattachment.section);
      replacements.push_back(std::move(replacement));
    }
    auto spliced = mime::splice_message(stripped, replacements, {{marker, action_id}}, {});
    if (!spliced) {
      throw ConnectorError(ConnectorError::Kind::refused, "cannot rebuild the message: " + spliced.error().message);
    }
    return std::move(spliced).value();
  }

  std::string check_copy(const FetchMessage& copy, const FetchMessage* original) override {
    const SectionData* header = header_fields_section(copy);
    if (header && has_field(header->data, "X-Mailprune-Action", request_.detach_action_id)) {
      return "the detach's X-Mailprune-Action field is still there";
    }
    for (const auto& reattachment : request_.reattachments) {
      const std::string& section = reattachment.section;
      const mime::MimePart* part = find_part(*copy.body_structure, section);
      if (part == nullptr) return "no part " + section;
      const std::optional<mime::NoticeMark> notice = mime::read_notice(mime_header(copy, section));
      if (notice && notice->action_id == request_.detach_action_id) return "part " + section + " is still the notice";
      if (!reattachment.content_type.empty() && lower(reattachment.content_type) != part->type + "/" + part->subtype) {
        return "part " + section + " is " + part->type + "/" + part->subtype + ", not " + reattachment.content_type;
      }
      // The encoded size, not BINARY.SIZE: Dovecot 2.3.19 misreports the decoded size of some base64
      // parts (28524 for a 30000-byte part whose BINARY[] has all 30000).
      const std::uint64_t octets = octets_.at(section);
      if (part->encoded_size && *part->encoded_size != octets) {
        return "part " + section + " holds " + std::to_string(*part->encoded_size) + " encoded bytes, not the " +
               std::to_string(octets) + " sent";
      }
    }
    if (original) return compare_structure(*original->body_structure, *copy.body_structure, sections);
    return {};
  }

 private:
  // The rebuilt parts with `ending`, and their encoded bodies' sizes (what BODYSTRUCTURE must say).
  void encode(mime::LineEnding ending) {
    const std::string_view eol = mime::line_break(ending);
    const std::string blank = std::string(eol) + std::string(eol);
    for (const auto& reattachment : request_.reattachments) {
      std::string part = mime::encode_part(reattachment.original_header, reattachment.content, ending);
      std::size_t body = part.rfind(eol, 0) == 0 ? eol.size() : part.find(blank);  // no header: a blank line only
      if (body != std::string::npos && body != eol.size()) body += blank.size();
      octets_[reattachment.section] = body == std::string::npos ? 0 : part.size() - body;
      parts_[reattachment.section] = std::move(part);
    }
  }

  const connector::ReattachRequest& request_;
  std::map<std::string, std::string> parts_;
  std::map<std::string, std::uint64_t> octets_;
};

}  // namespace

connector::DetachResult ImapActions::detach(const FolderState& folder, const connector::DetachRequest& request) {
  if (request.detachments.empty()) throw ConnectorError(ConnectorError::Kind::refused, "nothing to detach");
  if (!valid_action_id(request.action_id)) {
    throw ConnectorError(ConnectorError::Kind::refused, "action id unfit for a header field: " + request.action_id);
  }
  for (const auto& [name, value] : request.provenance) {
    if (!valid_header_field(name, value)) {
      throw ConnectorError(ConnectorError::Kind::refused, "provenance field unfit for a header: " + name);
    }
  }
  DetachSpec spec(request);
  return rewrite(folder, request.message, spec);
}

connector::DetachResult ImapActions::reattach(const FolderState& folder, const connector::ReattachRequest& request) {
  if (request.reattachments.empty()) throw ConnectorError(ConnectorError::Kind::refused, "nothing to put back");
  if (!valid_action_id(request.action_id)) {
    throw ConnectorError(ConnectorError::Kind::refused, "action id unfit for a header field: " + request.action_id);
  }
  ReattachSpec spec(request);
  return rewrite(folder, request.message, spec);
}

DetachResult ImapActions::rewrite(const FolderState& folder, const MessageRef& ref, RewriteSpec& spec) {
  return guarded([&] {
    const Scope scope(*this);
    DetachResult result;
    result.message = ref;
    const std::uint32_t uid = checked_uid(ref);
    if (!select(folder)) {
      result.outcome = Outcome::changed;
      return result;
    }

    // Step 1, one round trip: a copy made by an earlier attempt, and the original as it is now.
    std::vector<std::string> items = {"UID", "FLAGS", "INTERNALDATE", "BODYSTRUCTURE"};
    if (condstore()) items.emplace_back("MODSEQ");
    for (auto& item : spec.original_items()) items.push_back(std::move(item));
    std::vector<Command> commands;
    commands.push_back(header_search(spec.marker, spec.action_id, uid));
    commands.push_back(uid_fetch(session().tags().next(), std::to_string(uid), items));
    std::vector<Response> untagged;
    std::optional<CommandResult> refused;  // thrown after both replies: the connection stays in step
    session().run_pipelined(commands, 2, [&](std::size_t, CommandResult&& reply) {
      if (!reply.ok() && !refused) refused = reply;
      for (auto& response : reply.untagged) untagged.push_back(std::move(response));
    });
    if (refused) throw detail::failed("UID SEARCH HEADER / UID FETCH " + std::to_string(uid), *refused);
    std::optional<FetchMessage> original = message_in(untagged, uid);
    if (original && !original->body_structure) {
      throw ConnectorError(ConnectorError::Kind::protocol,
                           "UID " + std::to_string(uid) + ": unreadable BODYSTRUCTURE, nothing done");
    }
    const std::vector<std::uint32_t> copies = exact_matches(untagged, spec.marker, spec.action_id, uid);

    MessageRef fresh = ref;
    fresh.change_key.clear();
    if (!copies.empty()) {
      // Resume after an upload whose step was not recorded (crash, lost reply).
      fresh.uid = copies.front();
      if (original && !has_flag(*original, "\\Deleted") && stale(*original, ref)) {
        retire(copies.front(), std::nullopt);  // someone changed the original after our upload
        result.outcome = Outcome::changed;
        return result;
      }
      FetchMessage copy;
      std::string wrong = verify(copies.front(), original ? &*original : nullptr, spec, copy);
      if (!wrong.empty()) {
        throw ConnectorError(ConnectorError::Kind::protocol,
                             "the copy UID " + std::to_string(copies.front()) + " made earlier is not right: " + wrong);
      }
      if (copy.modseq) fresh.change_key = std::to_string(*copy.modseq);
      step(spec, ActionStep::uploaded, fresh);
      step(spec, ActionStep::verified, fresh);
      if (!original) {
        step(spec, ActionStep::original_removed, ref);
        result.message = fresh;
        return result;
      }
      result = finish(*original, true, ref, fresh, spec);
      return result;
    }

    if (!original) {
      result.outcome = Outcome::not_found;
      return result;
    }
    if (stale(*original, ref)) {
      result.outcome = Outcome::changed;
      return result;
    }
    if (auto answer = spec.check_original(*original)) {
      result.outcome = *answer;
      return result;
    }

    bool gone = false;
    fresh.uid = upload(folder, *original, spec, gone);
    if (gone) {
      result.outcome = Outcome::not_found;
      return result;
    }
    step(spec, ActionStep::uploaded, fresh);

    FetchMessage copy;
    const std::string wrong = verify(static_cast<std::uint32_t>(fresh.uid), &*original, spec, copy);
    if (!wrong.empty()) {
      retire(static_cast<std::uint32_t>(fresh.uid), std::nullopt);
      throw ConnectorError(ConnectorError::Kind::protocol, "the uploaded copy (UID " + std::to_string(fresh.uid) +
                                                               ") was not right and is removed again: " + wrong +
                                                               "; the original is untouched");
    }
    if (copy.modseq) fresh.change_key = std::to_string(*copy.modseq);
    step(spec, ActionStep::verified, fresh);
    result = finish(*original, false, ref, fresh, spec);
    return result;
  });
}

std::uint32_t ImapActions::upload(const FolderState& folder, const FetchMessage& original, RewriteSpec& spec,
                                  bool& gone) {
  const std::uint32_t uid = *original.uid;
  std::vector<std::string> flags;
  if (original.flags) {
    for (const auto& flag : *original.flags) {
      if (lower(flag) != "\\recent") flags.push_back(flag);
    }
  }
  const Mailbox mailbox = Mailbox::from_wire(folder.server_name);
  const std::optional<std::uint64_t> uidvalidity = mailbox_.selected_uidvalidity_;

  CommandResult appended;
  bool uploaded = false;
  if (settings_.catenate && has("CATENATE") && uidvalidity) {
    if (auto parts = spec.catenate(imap_message_url(folder.server_name, *uidvalidity, uid), original)) {
      const Command command = append_catenate(session().command_options(), session().tags().next(), mailbox, flags,
                                              original.internal_date_raw, *parts);
      appended = run(command);
      const bool bad_url = appended.status.condition == Condition::bad ||
                           (appended.status.code && appended.status.code->name == "BADURL");
      if (!appended.ok() && !bad_url) throw detail::failed("APPEND CATENATE", appended);
      if (appended.ok()) {
        uploaded = true;
        last_.upload = "catenate";
        last_.upload_bytes = command.size();
      }
    }
  }
  if (!uploaded) {
    const std::optional<std::string> raw = fetch_raw(uid);
    if (!raw) {
      gone = true;
      return 0;
    }
    const std::string message = spec.whole(*raw);
    const Command command = append(session().command_options(), session().tags().next(), mailbox, flags,
                                   original.internal_date_raw, message);
    appended = run(command);
    if (!appended.ok()) throw detail::failed("APPEND", appended);
    last_.upload = "append";
    last_.upload_bytes = command.size();
  }

  const auto& code = appended.status.code;
  if (code && code->name == "APPENDUID" && !code->uids.empty() && (!uidvalidity || code->number == uidvalidity)) {
    return code->uids.front().first;
  }
  const std::vector<std::uint32_t> found = search_header(spec.marker, spec.action_id, uid);
  if (found.empty()) {
    throw ConnectorError(ConnectorError::Kind::protocol,
                         "APPEND said OK but the copy marked " + spec.action_id + " is not in the folder");
  }
  return found.back();
}

std::optional<std::string> ImapActions::fetch_raw(std::uint32_t uid) {
  std::optional<FetchMessage> message = fetch(uid, {"UID", "BODY.PEEK[]"});
  if (!message) return std::nullopt;
  const SectionData* body = message->body("");
  if (body == nullptr || body->nil) return std::nullopt;
  return body->data;
}

std::string ImapActions::verify(std::uint32_t uid, const FetchMessage* original, RewriteSpec& spec,
                                FetchMessage& copy) {
  std::vector<std::string> items = {
      "UID", "FLAGS", "INTERNALDATE", "BODYSTRUCTURE",
      "BODY.PEEK[HEADER.FIELDS (X-Mailprune-Action X-Mailprune-Restored X-Mailprune-Notice)]"};
  if (condstore()) items.emplace_back("MODSEQ");
  for (auto& item : spec.copy_items()) items.push_back(std::move(item));
  std::optional<FetchMessage> fetched = fetch(uid, items);
  if (!fetched) return "UID " + std::to_string(uid) + " is not in the folder";
  copy = std::move(*fetched);
  if (!copy.body_structure) return "no readable BODYSTRUCTURE";
  const SectionData* header = header_fields_section(copy);
  if (header == nullptr || !has_field(header->data, spec.marker, spec.action_id)) {
    return "no " + spec.marker + " field with the action id";
  }
  if (original) {
    if (original->internal_date != copy.internal_date) return "INTERNALDATE differs";
    if (comparable_flags(*original) != comparable_flags(copy)) return "flags differ";
  }
  return spec.check_copy(copy, original);
}

DetachResult ImapActions::finish(const FetchMessage& original, bool resumed, const MessageRef& ref,
                                 const MessageRef& fresh, RewriteSpec& spec) {
  DetachResult result;
  std::optional<std::uint64_t> unchanged_since = original.modseq;
  const bool flagged = resumed && has_flag(original, "\\Deleted");
  // On resume a \Deleted original was most likely flagged by the earlier attempt (its MODSEQ moved);
  // without UIDPLUS that attempt also put it in the quarantine already: it is left as it is.
  if (flagged) unchanged_since.reset();
  if (flagged && !has("UIDPLUS")) {
    step(spec, ActionStep::original_removed, ref);
    result.message = fresh;
    return result;
  }
  if (retire(*original.uid, unchanged_since) == Retired::modified) {
    retire(static_cast<std::uint32_t>(fresh.uid), std::nullopt);
    result.outcome = Outcome::changed;
    result.message = ref;
    return result;
  }
  step(spec, ActionStep::original_removed, ref);
  result.outcome = Outcome::done;
  result.message = fresh;
  return result;
}

}  // namespace mailprune::imap
