// ImapActions: session plumbing, selection, removal, folders, move, remove and measured size (the
// plan is in imap_actions.hpp; detach and reattach are in imap_rewrite.cpp).
#include "imap/imap_actions.hpp"

#include <algorithm>

#include "imap/detach_message.hpp"
#include "imap/imap_mailbox_session.hpp"
#include "imap/mailbox_detail.hpp"
#include "imap/message_record.hpp"

namespace mailprune::imap {

using connector::ConnectorError;
using connector::FolderState;
using connector::MessageRef;
using connector::Outcome;
using detail::guarded;

namespace {

bool modified(const CommandResult& result, std::uint32_t uid) {
  const auto& code = result.status.code;
  if (!code || code->name != "MODIFIED") return false;
  return std::any_of(code->uids.begin(), code->uids.end(),
                     [&](const UidRange& range) { return range.first <= uid && uid <= range.last; });
}

bool refused_with(const CommandResult& result, std::string_view code) {
  return !result.ok() && result.status.code && result.status.code->name == code;
}

// The destination UID of `uid` in a COPYUID response code (tagged, or untagged OK as MOVE sends it).
std::optional<std::uint32_t> copied_uid(const CommandResult& result, std::uint32_t uid) {
  auto from_code = [&](const ResponseCode& code) -> std::optional<std::uint32_t> {
    if (code.name != "COPYUID") return std::nullopt;
    auto sources = expand(code.source_uids, 100000);
    auto targets = expand(code.uids, 100000);
    if (!sources || !targets || sources->size() != targets->size()) return std::nullopt;
    for (std::size_t i = 0; i < sources->size(); ++i) {
      if ((*sources)[i] == uid) return (*targets)[i];
    }
    return std::nullopt;
  };
  if (result.status.code) {
    if (auto found = from_code(*result.status.code)) return found;
  }
  for (const auto& response : result.untagged) {
    if (const auto* status = std::get_if<StatusResponse>(&response); status && status->code) {
      if (auto found = from_code(*status->code)) return found;
    }
  }
  return std::nullopt;
}

std::uint32_t checked_uid(const MessageRef& ref) {
  if (ref.uid == 0 || ref.uid > UINT32_MAX) {
    throw ConnectorError(ConnectorError::Kind::not_found, "no IMAP UID for message " + ref.item_id);
  }
  return static_cast<std::uint32_t>(ref.uid);
}

// Merges what several FETCH responses for one UID told (a server may split them; another client's
// flag change arrives as its own FETCH).
void merge(FetchMessage& into, FetchMessage&& from) {
  if (from.modseq) into.modseq = from.modseq;
  if (from.flags) into.flags = std::move(from.flags);
  if (from.internal_date) into.internal_date = from.internal_date;
  if (from.internal_date_raw) into.internal_date_raw = std::move(from.internal_date_raw);
  if (from.rfc822_size) into.rfc822_size = from.rfc822_size;
  if (from.body_structure) into.body_structure = std::move(from.body_structure);
  if (from.body_structure_error) into.body_structure_error = std::move(from.body_structure_error);
  for (auto& section : from.body_sections) into.body_sections.push_back(std::move(section));
  for (auto& size : from.binary_sizes) into.binary_sizes.push_back(std::move(size));
}

}  // namespace

ImapActions::ImapActions(ImapMailboxSession& mailbox, ActionSettings settings)
    : mailbox_(mailbox), settings_(std::move(settings)) {}

Session& ImapActions::session() {
  return *mailbox_.session_;
}

CommandResult ImapActions::run(const Command& command) {
  return session().run(command);
}

bool ImapActions::has(std::string_view capability) {
  return session().has(capability);
}

bool ImapActions::condstore() {
  return has("CONDSTORE") || has("QRESYNC");
}

ImapActions::Scope::Scope(ImapActions& actions) : actions_(actions) {
  actions_.mailbox_.revive();
  actions_.last_ = LastAction{};
  actions_.bytes_at_start_ = actions_.mailbox_.traffic().bytes_sent;
}

ImapActions::Scope::~Scope() {
  actions_.last_.bytes_sent = actions_.mailbox_.traffic().bytes_sent - actions_.bytes_at_start_;
}

bool ImapActions::select(const FolderState& folder) {
  if (!(mailbox_.selected_writable_ && mailbox_.selected_ == folder.server_name)) {
    SelectOptions options;
    // With CONDSTORE or QRESYNC ENABLEd, MODSEQ works without the parameter.
    options.condstore = has("CONDSTORE") && !mailbox_.enabled("CONDSTORE");
    mailbox_.selected_.clear();
    mailbox_.selected_writable_ = false;
    mailbox_.selected_uidvalidity_.reset();
    mailbox_.part_cache_uid_ = 0;
    CommandResult result = run(imap::select(session().command_options(), session().tags().next(),
                                            Mailbox::from_wire(folder.server_name), options));
    if (!result.ok()) {
      ConnectorError error = detail::failed("SELECT " + folder.name, result);
      if (error.kind() == ConnectorError::Kind::refused)
        throw ConnectorError(ConnectorError::Kind::not_found, error.what());
      throw error;
    }
    std::optional<std::uint64_t> uidvalidity;
    for (const auto& response : result.untagged) {
      if (const auto* status = std::get_if<StatusResponse>(&response);
          status && status->code && status->code->name == "UIDVALIDITY") {
        uidvalidity = status->code->number;
      }
    }
    mailbox_.selected_ = folder.server_name;
    mailbox_.selected_writable_ = true;
    mailbox_.selected_uidvalidity_ = uidvalidity;
    mailbox_.selected_folder_ = folder;
  }
  return !(folder.uidvalidity && mailbox_.selected_uidvalidity_ &&
           *folder.uidvalidity != *mailbox_.selected_uidvalidity_);
}

std::optional<FetchMessage> ImapActions::fetch(std::uint32_t uid, const std::vector<std::string>& items) {
  CommandResult result = run(uid_fetch(session().tags().next(), std::to_string(uid), items));
  if (!result.ok()) throw detail::failed("UID FETCH " + std::to_string(uid), result);
  return message_in(result.untagged, uid);
}

std::optional<FetchMessage> ImapActions::message_in(std::vector<Response>& untagged, std::uint32_t uid) {
  std::optional<FetchMessage> found;
  for (auto& response : untagged) {
    auto* message = std::get_if<FetchMessage>(&response);
    if (!message || message->uid != uid) continue;
    if (!found) {
      found = std::move(*message);
    } else {
      merge(*found, std::move(*message));
    }
  }
  return found;
}

bool ImapActions::stale(const FetchMessage& now, const MessageRef& ref) {
  if (!condstore() || ref.change_key.empty()) return false;
  if (!now.modseq) {
    throw ConnectorError(ConnectorError::Kind::protocol,
                         "the server sent no MODSEQ for UID " + std::to_string(ref.uid) + " (CONDSTORE offered)");
  }
  return std::to_string(*now.modseq) != ref.change_key;
}

Command ImapActions::header_search(const std::string& name, const std::string& value, std::uint32_t above) {
  const std::vector<SearchArg> criteria = {search_atom("UID"), search_atom(std::to_string(above + 1) + ":*"),
                                           search_atom("HEADER"), search_string(name), search_string(value)};
  return uid_search(session().command_options(), session().tags().next(), criteria);
}

std::vector<std::uint32_t> ImapActions::search_header(const std::string& name, const std::string& value,
                                                      std::uint32_t above) {
  CommandResult result = run(header_search(name, value, above));
  if (!result.ok()) throw detail::failed("UID SEARCH HEADER " + name, result);
  return exact_matches(result.untagged, name, value, above);
}

std::vector<std::uint32_t> ImapActions::exact_matches(const std::vector<Response>& untagged, const std::string& name,
                                                      const std::string& value, std::uint32_t above) {
  std::vector<std::uint32_t> candidates;
  for (const auto& response : untagged) {
    if (const auto* search = std::get_if<SearchData>(&response)) {
      for (std::uint32_t uid : search->numbers) {
        if (uid > above) candidates.push_back(uid);  // n:* includes the highest UID even below n
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (candidates.empty()) return candidates;
  // SEARCH HEADER matches substrings: keep the exact values only.
  const std::string item = "BODY.PEEK[HEADER.FIELDS (" + name + ")]";
  CommandResult headers =
      run(uid_fetch(session().tags().next(), format_sequence_set(compress_uids(candidates)), {"UID", item}));
  if (!headers.ok()) throw detail::failed("UID FETCH " + name, headers);
  std::vector<std::uint32_t> exact;
  for (const auto& response : headers.untagged) {
    const auto* message = std::get_if<FetchMessage>(&response);
    if (!message || !message->uid) continue;
    for (const auto& section : message->body_sections) {
      if (section.section.rfind("HEADER.FIELDS", 0) == 0 && has_field(section.data, name, value)) {
        exact.push_back(*message->uid);
      }
    }
  }
  std::sort(exact.begin(), exact.end());
  exact.erase(std::unique(exact.begin(), exact.end()), exact.end());
  return exact;
}

ImapActions::Retired ImapActions::retire(std::uint32_t uid, std::optional<std::uint64_t> unchanged_since) {
  if (!condstore()) unchanged_since.reset();
  const std::string set = std::to_string(uid);
  if (has("UIDPLUS")) {
    CommandResult stored =
        run(uid_store(session().tags().next(), set, "+FLAGS.SILENT", {"\\Deleted"}, unchanged_since));
    if (!stored.ok()) throw detail::failed("UID STORE " + set, stored);
    if (modified(stored, uid)) return Retired::modified;
    CommandResult expunged = run(uid_expunge(session().tags().next(), set));
    if (!expunged.ok()) throw detail::failed("UID EXPUNGE " + set, expunged);
    return Retired::done;
  }
  // No UIDPLUS: a plain EXPUNGE would take every \Deleted message of the folder with it.
  const Mailbox quarantine = ensure_folder(settings_.quarantine_folder);
  if (quarantine.wire() == mailbox_.selected_) {
    CommandResult stored =
        run(uid_store(session().tags().next(), set, "+FLAGS.SILENT", {"\\Deleted"}, unchanged_since));
    if (!stored.ok()) throw detail::failed("UID STORE " + set, stored);
    return modified(stored, uid) ? Retired::modified : Retired::done;
  }
  if (has("MOVE")) {
    if (unchanged_since) {
      std::optional<FetchMessage> now = fetch(uid, {"UID", "MODSEQ"});
      if (!now) return Retired::done;  // already gone
      if (now->modseq != unchanged_since) return Retired::modified;
    }
    CommandResult moved = run(uid_move(session().command_options(), session().tags().next(), set, quarantine));
    if (!moved.ok()) throw detail::failed("UID MOVE " + set + " to the quarantine", moved);
    return Retired::done;
  }
  CommandResult copied = run(uid_copy(session().command_options(), session().tags().next(), set, quarantine));
  if (!copied.ok()) throw detail::failed("UID COPY " + set + " to the quarantine", copied);
  CommandResult stored = run(uid_store(session().tags().next(), set, "+FLAGS.SILENT", {"\\Deleted"}, unchanged_since));
  if (!stored.ok()) throw detail::failed("UID STORE " + set, stored);
  return modified(stored, uid) ? Retired::modified : Retired::done;
}

Mailbox ImapActions::wire_name(const std::string& decoded) {
  if (!delimiter_known_) {
    CommandResult listed = run(list(session().command_options(), session().tags().next(), "", ""));
    if (!listed.ok()) throw detail::failed("LIST \"\" \"\"", listed);
    for (const auto& response : listed.untagged) {
      if (const auto* entry = std::get_if<ListData>(&response)) delimiter_ = entry->delimiter;
    }
    delimiter_known_ = true;
  }
  std::string name = decoded;
  if (delimiter_ && *delimiter_ != '/') std::replace(name.begin(), name.end(), '/', *delimiter_);
  std::optional<Mailbox> mailbox = Mailbox::from_utf8(name, session().command_options().utf8_accept);
  if (!mailbox) throw ConnectorError(ConnectorError::Kind::refused, "folder name is not UTF-8: " + decoded);
  return *mailbox;
}

Mailbox ImapActions::ensure_folder(const std::string& decoded) {
  Mailbox target = wire_name(decoded);
  if (known_folders_.count(target.wire())) return target;
  std::vector<std::string> levels;
  for (std::size_t slash = decoded.find('/'); slash != std::string::npos; slash = decoded.find('/', slash + 1)) {
    if (slash > 0) levels.push_back(decoded.substr(0, slash));
  }
  levels.push_back(decoded);
  std::vector<Command> lists;
  std::vector<Mailbox> wires;
  for (const auto& level : levels) {
    wires.push_back(wire_name(level));
    lists.push_back(list(session().command_options(), session().tags().next(), "", wires.back().wire()));
  }
  std::set<std::string> present;  // selectable, or (for parents) at least there
  std::set<std::string> selectable;
  session().run_pipelined(lists, 8, [&](std::size_t, CommandResult&& result) {
    for (const auto& response : result.untagged) {
      const auto* entry = std::get_if<ListData>(&response);
      if (!entry || entry->has_attribute("\\NonExistent")) continue;
      present.insert(entry->mailbox);
      if (!entry->has_attribute("\\Noselect")) selectable.insert(entry->mailbox);
    }
  });
  for (std::size_t i = 0; i < wires.size(); ++i) {
    const bool leaf = i + 1 == wires.size();
    if (leaf ? selectable.count(wires[i].wire()) != 0 : present.count(wires[i].wire()) != 0) continue;
    CommandWriter writer(session().command_options(), session().tags().next(), "CREATE");
    CommandResult created = run(writer.sp().mailbox(wires[i]).finish());
    if (!created.ok() && !refused_with(created, "ALREADYEXISTS")) {
      throw detail::failed("CREATE " + levels[i], created);
    }
  }
  known_folders_.insert(target.wire());
  return target;
}

ImapActions::Transfer ImapActions::transfer(std::uint32_t uid, std::optional<std::uint64_t> unchanged_since,
                                            const Mailbox& target, const std::string& target_decoded) {
  if (!condstore()) unchanged_since.reset();
  const std::string set = std::to_string(uid);
  Transfer out;
  const bool move = has("MOVE");
  auto command = [&] {
    return move ? uid_move(session().command_options(), session().tags().next(), set, target)
                : uid_copy(session().command_options(), session().tags().next(), set, target);
  };
  CommandResult result = run(command());
  if (refused_with(result, "TRYCREATE")) {  // the target was deleted since we last looked
    known_folders_.erase(target.wire());
    ensure_folder(target_decoded);
    result = run(command());
  }
  if (!result.ok()) throw detail::failed((move ? "UID MOVE " : "UID COPY ") + set + " to " + target_decoded, result);
  out.new_uid = copied_uid(result, uid);
  if (move) return out;
  CommandResult stored = run(uid_store(session().tags().next(), set, "+FLAGS.SILENT", {"\\Deleted"}, unchanged_since));
  if (!stored.ok()) throw detail::failed("UID STORE " + set, stored);
  if (modified(stored, uid)) {
    out.outcome = Outcome::changed;
    if (out.new_uid && has("UIDPLUS")) {
      FolderState where;
      where.name = target_decoded;
      where.server_name = target.wire();
      select(where);
      retire(*out.new_uid, std::nullopt);
    }
    return out;
  }
  if (has("UIDPLUS")) {
    CommandResult expunged = run(uid_expunge(session().tags().next(), set));
    if (!expunged.ok()) throw detail::failed("UID EXPUNGE " + set, expunged);
  }
  return out;
}

MessageRef ImapActions::locate_moved(const Mailbox& target, const std::string& target_decoded,
                                     std::optional<std::uint32_t> uid, const std::string& message_id,
                                     const MessageRef& original) {
  MessageRef moved;
  moved.message_id = original.message_id;
  if (!uid && message_id.empty()) return moved;
  if (uid && !condstore()) {
    moved.uid = *uid;
    return moved;
  }
  FolderState where;
  where.name = target_decoded;
  where.server_name = target.wire();
  select(where);
  if (!uid) {
    const std::vector<std::uint32_t> found = search_header("Message-ID", message_id, 0);
    if (found.empty()) return moved;
    uid = found.back();
  }
  moved.uid = *uid;
  if (condstore()) {
    if (auto now = fetch(*uid, {"UID", "MODSEQ"}); now && now->modseq) moved.change_key = std::to_string(*now->modseq);
  }
  return moved;
}

connector::MoveResult ImapActions::move(const FolderState& folder, const MessageRef& message,
                                        const std::string& target_folder, const std::string& /*action_id*/) {
  return guarded([&] {
    const Scope scope(*this);
    connector::MoveResult result;
    result.message = message;
    const std::uint32_t uid = checked_uid(message);
    if (!select(folder)) {
      result.outcome = Outcome::changed;
      return result;
    }
    const Mailbox target = wire_name(target_folder);
    if (target.wire() == folder.server_name) return result;  // already there
    std::vector<std::string> items = {"UID", "FLAGS"};
    if (condstore()) items.emplace_back("MODSEQ");
    std::optional<FetchMessage> now = fetch(uid, items);
    if (!now) {
      // Gone: moved by an earlier attempt whose reply was lost? Found by its Message-ID.
      result.outcome = Outcome::not_found;
      if (!message.message_id.empty()) {
        try {
          MessageRef moved = locate_moved(target, target_folder, std::nullopt, message.message_id, message);
          if (moved.uid != 0) {
            result.outcome = Outcome::done;
            result.message = moved;
          }
        } catch (const ConnectorError& error) {
          if (error.kind() != ConnectorError::Kind::not_found) throw;  // no target folder: never moved
        }
      }
      return result;
    }
    if (stale(*now, message)) {
      result.outcome = Outcome::changed;
      return result;
    }
    ensure_folder(target_folder);
    Transfer moved = transfer(uid, now->modseq, target, target_folder);
    result.outcome = moved.outcome;
    if (moved.outcome == Outcome::done) {
      result.message = locate_moved(target, target_folder, moved.new_uid, message.message_id, message);
    }
    return result;
  });
}

std::string ImapActions::trash_folder() {
  if (trash_) return *trash_;
  std::string found;
  if (has("SPECIAL-USE")) {
    ListOptions options;
    options.select_special_use = true;
    CommandResult listed = run(list(session().command_options(), session().tags().next(), "", "*", options));
    if (listed.ok()) {
      for (const auto& response : listed.untagged) {
        const auto* entry = std::get_if<ListData>(&response);
        if (entry && entry->has_attribute("\\Trash") && !entry->has_attribute("\\Noselect")) {
          found = decode_folder_name(entry->mailbox, entry->delimiter);
          known_folders_.insert(entry->mailbox);
          break;
        }
      }
    }
  }
  trash_ = found.empty() ? std::string("Trash") : found;
  return *trash_;
}

Outcome ImapActions::remove(const FolderState& folder, const MessageRef& message, connector::RemoveMode mode) {
  return guarded([&] {
    const Scope scope(*this);
    const std::uint32_t uid = checked_uid(message);
    if (!select(folder)) return Outcome::changed;
    std::vector<std::string> items = {"UID", "FLAGS"};
    if (condstore()) items.emplace_back("MODSEQ");
    std::optional<FetchMessage> now = fetch(uid, items);
    Outcome outcome = Outcome::done;
    if (!now) {
      outcome = Outcome::not_found;
    } else if (stale(*now, message)) {
      outcome = Outcome::changed;
    } else if (mode == connector::RemoveMode::to_deleted_items) {
      const std::string trash = trash_folder();
      const Mailbox target = ensure_folder(trash);
      if (target.wire() != folder.server_name) outcome = transfer(uid, now->modseq, target, trash).outcome;
    } else if (retire(uid, now->modseq) == Retired::modified) {
      outcome = Outcome::changed;
    }
    return outcome;
  });
}

std::optional<std::uint64_t> ImapActions::measured_size() {
  return guarded([&]() -> std::optional<std::uint64_t> {
    const Scope scope(*this);
    if (has("QUOTA")) {
      CommandResult result =
          run(getquotaroot(session().command_options(), session().tags().next(), *Mailbox::from_utf8("INBOX")));
      if (result.ok()) {
        std::optional<std::uint64_t> kib;
        for (const auto& response : result.untagged) {
          const auto* quota = std::get_if<QuotaData>(&response);
          if (!quota) continue;
          for (const auto& resource : quota->resources) {
            if (resource.name == "STORAGE") kib = kib.value_or(0) + resource.usage;
          }
        }
        if (kib) {
          return *kib * 1024;
        }
      }
    }
    std::optional<std::uint64_t> total;
    if (has("STATUS=SIZE")) {
      for (const auto& folder : mailbox_.list_folders()) {
        if (folder.size_bytes) total = total.value_or(0) + *folder.size_bytes;
      }
    }
    return total;
  });
}

}  // namespace mailprune::imap
