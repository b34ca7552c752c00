// ImapMailboxSession::crawl_folder and the metadata fetch (the plan is in imap_mailbox_session.hpp).
#include <algorithm>
#include <deque>
#include <set>

#include "imap/imap_mailbox_session.hpp"
#include "imap/mailbox_detail.hpp"
#include "imap/message_record.hpp"

namespace mailprune::imap {

using connector::ConnectorError;
using connector::FolderSink;
using connector::FolderState;
using connector::MessageRecord;
using detail::guarded;

namespace {

constexpr std::size_t kMaxSearchResults = 50'000'000;

connector::MessageRef uid_ref(std::uint64_t uid) {
  connector::MessageRef ref;
  ref.uid = uid;
  return ref;
}

// UIDs of a UID SEARCH (plain or ESEARCH) reply, sorted.
std::vector<std::uint32_t> searched_uids(const CommandResult& result) {
  std::vector<std::uint32_t> uids;
  for (const auto& response : result.untagged) {
    if (const auto* search = std::get_if<SearchData>(&response)) {
      uids.insert(uids.end(), search->numbers.begin(), search->numbers.end());
    } else if (const auto* esearch = std::get_if<EsearchData>(&response)) {
      if (auto all = expand(esearch->all, kMaxSearchResults)) uids.insert(uids.end(), all->begin(), all->end());
    }
  }
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

std::vector<std::uint32_t> fetched_uids(const CommandResult& result) {
  std::vector<std::uint32_t> uids;
  for (const auto& response : result.untagged) {
    if (const auto* fetch = std::get_if<FetchMessage>(&response); fetch && fetch->uid) uids.push_back(*fetch->uid);
  }
  return uids;
}

void report_vanished(const SequenceSet& set, std::uint64_t below, FolderSink& sink) {
  for (const auto& range : set) {
    const std::uint64_t last = std::min<std::uint64_t>(range.last, below == 0 ? range.last : below - 1);
    for (std::uint64_t uid = range.first; uid <= last; ++uid) sink.removed(uid_ref(uid));
  }
}

}  // namespace

std::vector<std::string> ImapMailboxSession::metadata_items() const {
  std::vector<std::string> items = {"UID", "RFC822.SIZE", "INTERNALDATE", "FLAGS", "ENVELOPE", "BODYSTRUCTURE"};
  if (has("CONDSTORE")) items.emplace_back("MODSEQ");  // MessageRef::change_key
  if (has("OBJECTID")) {
    items.emplace_back("EMAILID");
  } else if (x_guid_ != false) {
    items.emplace_back("X-GUID");
  }
  return items;
}

ImapMailboxSession::Selected ImapMailboxSession::examine(const FolderState& folder,
                                                         const std::optional<FolderState>& previous,
                                                         std::vector<Command> follow_ups,
                                                         std::vector<CommandResult>* follow_up_results) {
  SelectOptions options;
  options.read_only = true;
  if (enabled("QRESYNC") && previous && previous->uidvalidity && previous->highestmodseq &&
      *previous->uidvalidity <= UINT32_MAX) {
    options.qresync = QresyncParams{static_cast<std::uint32_t>(*previous->uidvalidity), *previous->highestmodseq, {}};
  } else if (has("CONDSTORE")) {
    options.condstore = true;
  }
  std::vector<Command> commands;
  commands.push_back(select(session_->command_options(), next_tag(), Mailbox::from_wire(folder.server_name), options));
  for (auto& command : follow_ups) commands.push_back(std::move(command));

  Selected selected;
  selected.server_name = folder.server_name;
  std::optional<CommandResult> refused;
  selected_.clear();
  selected_writable_ = false;
  selected_uidvalidity_.reset();
  part_cache_uid_ = 0;
  session_->run_pipelined(commands, settings_.window, [&](std::size_t index, CommandResult&& result) {
    if (index > 0) {
      if (follow_up_results) follow_up_results->push_back(std::move(result));
      return;
    }
    if (!result.ok()) {
      refused = std::move(result);
      return;
    }
    for (const auto& response : result.untagged) {
      if (const auto* status = std::get_if<StatusResponse>(&response); status && status->code) {
        const ResponseCode& code = *status->code;
        if (code.name == "UIDVALIDITY") selected.uidvalidity = code.number;
        if (code.name == "UIDNEXT") selected.uidnext = code.number;
        if (code.name == "HIGHESTMODSEQ") selected.highestmodseq = code.number;
      } else if (const auto* exists = std::get_if<ExistsData>(&response)) {
        selected.exists = exists->count;
      } else if (const auto* vanished = std::get_if<VanishedData>(&response)) {
        selected.vanished.insert(selected.vanished.end(), vanished->uids.begin(), vanished->uids.end());
      } else if (const auto* fetch = std::get_if<FetchMessage>(&response); fetch && fetch->uid) {
        selected.changed.push_back(*fetch->uid);
      }
    }
  });
  if (refused) {
    ConnectorError error = detail::failed("EXAMINE " + folder.name, *refused);
    if (error.kind() == ConnectorError::Kind::refused)
      throw ConnectorError(ConnectorError::Kind::not_found, error.what());
    throw error;
  }
  selected_ = folder.server_name;
  selected_uidvalidity_ = selected.uidvalidity;
  selected_folder_ = folder;
  return selected;
}

FolderState ImapMailboxSession::crawl_folder(const FolderState& current, const std::optional<FolderState>& previous,
                                             FolderSink& sink) {
  return guarded([&] {
    reconnects_folder_ = current.server_name;  // a fresh reconnect budget for each crawl of a folder
    reconnects_ = 0;
    const bool known = previous && previous->uidvalidity && previous->uidnext &&
                       (!current.uidvalidity || *current.uidvalidity == *previous->uidvalidity);
    // The no-change path: nothing on the wire (the listing already told us).
    if (known && current.uidvalidity && current.uidnext && *current.uidnext == *previous->uidnext) {
      bool unchanged = false;
      if (previous->highestmodseq && current.highestmodseq) {
        unchanged = *previous->highestmodseq == *current.highestmodseq;
      } else if (!current.highestmodseq && previous->message_count && current.message_count) {
        unchanged = *previous->message_count == *current.message_count;  // no CONDSTORE: flags unseen
      }
      if (unchanged) {
        sink.begin(false);
        return current;
      }
    }

    const bool qresync = known && enabled("QRESYNC") && previous->highestmodseq;
    const bool changedsince = known && !qresync && has("CONDSTORE") && previous->highestmodseq;
    std::vector<Command> follow_ups;
    if (!qresync) {
      SearchReturn returns;
      returns.all = has("ESEARCH");
      follow_ups.push_back(uid_search(session_->command_options(), next_tag(), {search_atom("ALL")}, returns));
      if (changedsince) {
        FetchModifiers modifiers;
        modifiers.changed_since = *previous->highestmodseq;
        follow_ups.push_back(uid_fetch(next_tag(), "1:*", {"UID"}, modifiers));
      }
    }
    std::vector<CommandResult> results;
    Selected selected = examine(current, qresync ? previous : std::nullopt, std::move(follow_ups), &results);
    for (const auto& result : results) {
      if (!result.ok()) throw detail::failed("UID SEARCH/FETCH in " + current.name, result);
    }

    // Dovecot runs pipelined UID SEARCH / UID FETCH in parallel: their untagged replies may be
    // attributed to either command (session.hpp), so they are read from all of them together.
    CommandResult follow_up;
    for (auto& result : results) {
      for (auto& response : result.untagged) follow_up.untagged.push_back(std::move(response));
    }

    FolderState state = current;
    state.uidvalidity = selected.uidvalidity ? selected.uidvalidity : current.uidvalidity;
    state.uidnext = selected.uidnext ? selected.uidnext : current.uidnext;
    state.highestmodseq = selected.highestmodseq;
    state.message_count = selected.exists;

    const bool same_validity = known && state.uidvalidity == previous->uidvalidity;
    std::vector<std::uint32_t> server_uids;
    if (!results.empty()) server_uids = searched_uids(follow_up);

    if (same_validity && qresync) {
      sink.begin(false);
      report_vanished(selected.vanished, *previous->uidnext, sink);
      std::sort(selected.changed.begin(), selected.changed.end());
      selected.changed.erase(std::unique(selected.changed.begin(), selected.changed.end()), selected.changed.end());
      fetch_messages(selected.changed, sink);
      return state;
    }
    if (same_validity && !results.empty()) {
      const std::uint64_t previous_next = *previous->uidnext;
      const auto first_new = std::lower_bound(server_uids.begin(), server_uids.end(), previous_next);
      const auto kept = static_cast<std::uint64_t>(first_new - server_uids.begin());
      const std::uint64_t gaps = previous_next > 0 ? previous_next - 1 - std::min(previous_next - 1, kept) : 0;
      if (gaps <= settings_.max_gap_removals) {
        sink.begin(false);
        // Every UID below the old UIDNEXT that the server no longer has: removed (a no-op for UIDs
        // never stored). The stored UID list is not in the interface, see the header.
        auto present = server_uids.begin();
        for (std::uint64_t uid = 1; uid < previous_next; ++uid) {
          while (present != first_new && *present < uid) ++present;
          if (present == first_new || *present != uid) sink.removed(uid_ref(uid));
        }
        std::vector<std::uint32_t> wanted(first_new, server_uids.end());
        if (changedsince) {
          for (std::uint32_t uid : fetched_uids(follow_up)) {
            if (uid < previous_next && std::binary_search(server_uids.begin(), first_new, uid)) wanted.push_back(uid);
          }
        }
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        fetch_messages(wanted, sink);
        return state;
      }
    }

    // Everything: first crawl, --full, a new UIDVALIDITY, or too much to reconcile.
    if (results.empty()) {
      // Selected with QRESYNC but the UIDVALIDITY changed under us: list the UIDs now.
      SearchReturn returns;
      returns.all = has("ESEARCH");
      CommandResult search =
          session_->run(uid_search(session_->command_options(), next_tag(), {search_atom("ALL")}, returns));
      if (!search.ok()) throw detail::failed("UID SEARCH in " + current.name, search);
      server_uids = searched_uids(search);
    }
    sink.begin(true);
    fetch_messages(server_uids, sink);
    return state;
  });
}

void ImapMailboxSession::fetch_messages(const std::vector<std::uint32_t>& uids, FolderSink& sink) {
  if (uids.empty()) return;
  const bool binary = has("BINARY");
  std::deque<std::vector<std::uint32_t>> queue;
  for (std::size_t i = 0; i < uids.size(); i += settings_.metadata_batch) {
    queue.emplace_back(uids.begin() + static_cast<std::ptrdiff_t>(i),
                       uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), i + settings_.metadata_batch)));
  }
  while (!queue.empty()) {
    // One window of batches at a time: their records wait (at most window x batch) for BINARY.SIZE.
    std::vector<std::vector<std::uint32_t>> batches;
    while (!queue.empty() && batches.size() < settings_.window) {
      batches.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    const std::vector<std::string> items = metadata_items();
    const bool probing_x_guid = std::find(items.begin(), items.end(), "X-GUID") != items.end();
    std::vector<Command> commands;
    for (const auto& batch : batches) {
      commands.push_back(uid_fetch(next_tag(), format_sequence_set(compress_uids(batch)), items));
    }
    // Replies are matched by UID over the whole window, not by command: Dovecot runs pipelined UID
    // FETCHes in parallel, so a reply may be attributed to another command of the window.
    std::set<std::uint32_t> wanted;
    for (const auto& batch : batches) wanted.insert(batch.begin(), batch.end());
    std::set<std::uint32_t> received;
    std::vector<MessageRecord> pending;
    std::vector<std::pair<std::size_t, CommandResult>> refused;
    session_->run_pipelined(commands, settings_.window, [&](std::size_t index, CommandResult&& result) {
      for (auto& response : result.untagged) {
        if (auto* fetch = std::get_if<FetchMessage>(&response)) {
          // Unsolicited FETCH (another client changed flags) carries no RFC822.SIZE: not ours.
          if (!fetch->uid || (!fetch->rfc822_size && !fetch->body_structure && !fetch->body_structure_error)) continue;
          if (!wanted.count(*fetch->uid)) continue;
          if (!received.insert(*fetch->uid).second) continue;
          MessageRecord record = message_record(*fetch);
          if (binary && !inexact_sections(record).empty()) {
            pending.push_back(std::move(record));
          } else {
            sink.message(std::move(record));
          }
        } else if (auto* vanished = std::get_if<VanishedData>(&response); vanished && !vanished->earlier) {
          report_vanished(vanished->uids, 0, sink);
        }
      }
      if (!result.ok()) refused.emplace_back(index, std::move(result));
    });
    for (auto& [index, result] : refused) {
      // Retry only what did not arrive.
      std::vector<std::uint32_t> missing;
      for (std::uint32_t uid : batches[index]) {
        if (!received.count(uid)) missing.push_back(uid);
      }
      if (missing.empty()) continue;
      if (result.status.condition == Condition::bad) {
        if (!probing_x_guid) throw detail::failed("UID FETCH", result);
        x_guid_ = false;  // not Dovecot: ask again without X-GUID
        queue.push_front(std::move(missing));
        continue;
      }
      if (missing.size() > 1) {
        const auto half = static_cast<std::ptrdiff_t>(missing.size() / 2);
        queue.emplace_front(missing.begin() + half, missing.end());
        queue.emplace_front(missing.begin(), missing.begin() + half);
        continue;
      }
      // One message the server will not describe: record what it will tell, with the error.
      const std::uint32_t uid = missing.front();
      const std::string why = "UID FETCH " + std::to_string(uid) + ": " + result.status.text;
      connector::MessageRef ref = uid_ref(uid);
      sink.error(&ref, why);
      CommandResult minimal =
          session_->run(uid_fetch(next_tag(), std::to_string(uid), {"UID", "RFC822.SIZE", "INTERNALDATE", "FLAGS"}));
      for (const auto& response : minimal.untagged) {
        if (const auto* fetch = std::get_if<FetchMessage>(&response);
            fetch && fetch->uid == uid && fetch->rfc822_size) {
          MessageRecord record = message_record(*fetch);
          record.parse_error = why;
          sink.message(std::move(record));
          break;
        }
      }
    }
    if (probing_x_guid && x_guid_ != false) x_guid_ = true;
    fill_binary_sizes(pending, sink);
  }
}

}  // namespace mailprune::imap
