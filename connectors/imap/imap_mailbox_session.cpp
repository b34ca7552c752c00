#include "imap/imap_mailbox_session.hpp"

#include <algorithm>
#include <map>

#include "imap/imap_actions.hpp"
#include "imap/mailbox_detail.hpp"
#include "imap/message_record.hpp"

namespace mailprune::imap {

using connector::ConnectorError;
using connector::FolderState;
using detail::guarded;

ImapMailboxSession::ImapMailboxSession(std::unique_ptr<Session> session, FetchSettings settings,
                                       SessionFactory reconnect, ActionSettings action_settings)
    : session_(std::move(session)),
      settings_(settings),
      reconnect_(std::move(reconnect)),
      action_settings_(std::move(action_settings)) {
  if (settings_.window == 0) settings_.window = 1;
  if (settings_.metadata_batch == 0) settings_.metadata_batch = 500;
  if (settings_.binary_batch == 0) settings_.binary_batch = 500;
  round_trips_at_open_ = session_->traffic().round_trips;
}

ImapMailboxSession::~ImapMailboxSession() {
  actions_.reset();
  session_->close();
}

connector::MailboxActions* ImapMailboxSession::actions() {
  if (!actions_) actions_ = std::make_unique<ImapActions>(*this, action_settings_);
  return actions_.get();
}

bool ImapMailboxSession::enabled(std::string_view capability) const {
  return session_->enabled().count(std::string(capability)) != 0;
}

connector::TrafficStats ImapMailboxSession::traffic() const {
  const SessionTraffic t = session_->traffic();
  connector::TrafficStats stats;
  stats.bytes_received = retired_.bytes_received + t.bytes_received;
  stats.bytes_sent = retired_.bytes_sent + t.bytes_sent;
  stats.round_trips = retired_.round_trips + t.round_trips - std::min(t.round_trips, round_trips_at_open_);
  stats.bytes_for_content = bytes_for_content_;
  return stats;
}

bool ImapMailboxSession::dropped(const Error& error) {
  return error.kind == ErrorKind::bye || error.kind == ErrorKind::connection;
}

void ImapMailboxSession::reconnect(const Error& cause) {
  const FolderState folder = selected_folder_;
  if (folder.server_name != reconnects_folder_) {
    reconnects_folder_ = folder.server_name;
    reconnects_ = 0;
  }
  if (!reconnect_ || reconnects_ >= settings_.max_reconnects_per_folder) throw cause;
  ++reconnects_;

  const SessionTraffic old = session_->traffic();
  retired_.bytes_received += old.bytes_received;
  retired_.bytes_sent += old.bytes_sent;
  retired_.round_trips += old.round_trips - std::min(old.round_trips, round_trips_at_open_);
  session_->close();
  const std::optional<std::uint64_t> uidvalidity = selected_uidvalidity_;
  selected_.clear();
  selected_writable_ = false;
  selected_uidvalidity_.reset();
  part_cache_uid_ = 0;

  session_ = reconnect_();
  round_trips_at_open_ = session_->traffic().round_trips;
  if (folder.server_name.empty()) return;
  const Selected selected = examine(folder, std::nullopt, {}, nullptr);
  if (uidvalidity && selected.uidvalidity != uidvalidity) {
    // What was fetched so far is void: the crawler starts the mailbox over.
    throw ConnectorError(ConnectorError::Kind::connection,
                         "folder " + folder.name + ": UIDVALIDITY changed while reconnecting");
  }
}

void ImapMailboxSession::revive() {
  if (session_->alive()) return;
  if (!reconnect_) {
    throw ConnectorError(ConnectorError::Kind::connection, "IMAP connection lost earlier and no way to reconnect");
  }
  const SessionTraffic old = session_->traffic();
  retired_.bytes_received += old.bytes_received;
  retired_.bytes_sent += old.bytes_sent;
  retired_.round_trips += old.round_trips - std::min(old.round_trips, round_trips_at_open_);
  session_->close();
  selected_.clear();
  selected_writable_ = false;
  selected_uidvalidity_.reset();
  part_cache_uid_ = 0;
  guarded([&] { session_ = reconnect_(); });
  round_trips_at_open_ = session_->traffic().round_trips;
}

namespace {

void apply_status(const StatusData& status, FolderState& folder) {
  folder.uidvalidity = status.uidvalidity;
  folder.uidnext = status.uidnext;
  folder.highestmodseq = status.highestmodseq;
  folder.message_count = status.messages;
  folder.size_bytes = status.size;
}

}  // namespace

std::vector<FolderState> ImapMailboxSession::list_folders() {
  return guarded([&] {
    std::vector<std::string> status_items = {"MESSAGES", "UIDNEXT", "UIDVALIDITY"};
    if (has("CONDSTORE") || has("QRESYNC")) status_items.emplace_back("HIGHESTMODSEQ");
    if (has("STATUS=SIZE")) status_items.emplace_back("SIZE");
    const bool list_status = has("LIST-STATUS");

    ListOptions options;
    options.return_special_use = has("SPECIAL-USE") && (has("LIST-EXTENDED") || list_status);
    if (list_status) options.return_status = status_items;
    CommandResult result = session_->run(list(session_->command_options(), next_tag(), "", "*", options));
    if (!result.ok()) throw detail::failed("LIST", result);

    std::vector<FolderState> folders;
    std::map<std::string, StatusData> statuses;  // by wire name
    for (auto& response : result.untagged) {
      if (auto* entry = std::get_if<ListData>(&response)) {
        if (entry->lsub || entry->has_attribute("\\Noselect") || entry->has_attribute("\\NonExistent")) continue;
        FolderState folder;
        folder.server_name = entry->mailbox;
        folder.name = decode_folder_name(entry->mailbox, entry->delimiter);
        folder.special_use = special_use_of(entry->attributes);
        folders.push_back(std::move(folder));
      } else if (auto* status = std::get_if<StatusData>(&response)) {
        statuses[status->mailbox] = std::move(*status);
      }
    }

    if (!list_status && !folders.empty()) {
      std::vector<Command> commands;
      for (const auto& folder : folders) {
        commands.push_back(
            status(session_->command_options(), next_tag(), Mailbox::from_wire(folder.server_name), status_items));
      }
      // A STATUS refused (the folder went away since LIST) leaves the folder without state: its crawl
      // then finds it gone.
      session_->run_pipelined(commands, settings_.window, [&](std::size_t, CommandResult&& reply) {
        for (auto& response : reply.untagged) {
          if (auto* status = std::get_if<StatusData>(&response)) statuses[status->mailbox] = std::move(*status);
        }
      });
    }
    for (auto& folder : folders) {
      auto found = statuses.find(folder.server_name);
      if (found != statuses.end()) apply_status(found->second, folder);
    }
    return folders;
  });
}

std::string ImapMailboxSession::read_part_header(const FolderState& folder, const connector::MessageRef& message,
                                                 const std::string& section) {
  return guarded([&] {
    if (message.uid == 0 || message.uid > UINT32_MAX) {
      throw ConnectorError(ConnectorError::Kind::not_found, "no UID for " + message.item_id);
    }
    const auto uid = static_cast<std::uint32_t>(message.uid);
    if (selected_ != folder.server_name) examine(folder, std::nullopt, {}, nullptr);
    if (folder.uidvalidity && selected_uidvalidity_ && *folder.uidvalidity != *selected_uidvalidity_) {
      throw ConnectorError(ConnectorError::Kind::not_found, "folder " + folder.name + ": UIDVALIDITY changed");
    }
    const std::string spec = section + ".MIME";
    CommandResult result =
        session_->run(uid_fetch(next_tag(), std::to_string(uid), {"UID", "BODY.PEEK[" + spec + "]"}));
    if (!result.ok()) throw detail::failed("UID FETCH BODY.PEEK[" + spec + "]", result);
    for (const auto& response : result.untagged) {
      const auto* fetch = std::get_if<FetchMessage>(&response);
      if (!fetch || fetch->uid != uid) continue;
      const SectionData* data = fetch->body(spec);
      if (!data || data->nil) break;
      if (data->streamed) {
        throw ConnectorError(ConnectorError::Kind::protocol,
                             "UID " + std::to_string(uid) + " section " + section + ": MIME header too large");
      }
      // The server sends the fields with the blank line that ends them; the caller wants the fields.
      std::string header = data->data;
      if (header.size() >= 4 && header.compare(header.size() - 4, 4, "\r\n\r\n") == 0) header.resize(header.size() - 2);
      if (header.empty() || header == "\r\n") break;
      return header;
    }
    throw ConnectorError(ConnectorError::Kind::not_found,
                         "folder " + folder.name + ": UID " + std::to_string(uid) + " section " + section + " is gone");
  });
}

}  // namespace mailprune::imap
