#include "ews/ews_mailbox_session.hpp"

#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <unordered_map>

#include "ews/ews_actions.hpp"
#include "ews/message_record.hpp"

namespace mailprune::ews {
namespace {

using connector::ConnectorError;

struct Special {
  const char* distinguished;
  const char* special_use;
};
constexpr Special kSpecial[] = {{"inbox", ""},
                                {"sentitems", "\\Sent"},
                                {"deleteditems", "\\Trash"},
                                {"drafts", "\\Drafts"},
                                {"junkemail", "\\Junk"}};

bool is_mail_folder(const Folder& folder) {
  return folder.folder_class.empty() || folder.folder_class == "IPF.Note" ||
         folder.folder_class.starts_with("IPF.Note.");
}

// Codes with which a server refuses SyncFolderItems for a folder, where FindItem still works.
bool sync_refused(const Error& error) {
  return error.code == "ErrorSyncFolderNotFound" || error.code == "ErrorInvalidOperation" ||
         error.code == "ErrorInvalidRequest" || error.code == "ErrorInvalidSyncStateData";
}

}  // namespace

EwsMailboxSession::EwsMailboxSession(std::unique_ptr<Transport> transport, RequestContext context,
                                     CrawlSettings settings)
    : transport_(std::move(transport)), context_(std::move(context)), settings_(settings) {}

EwsMailboxSession::~EwsMailboxSession() = default;

Response EwsMailboxSession::call(const Request& request, const CallOptions& options) {
  auto result = transport_->call(request, options);
  if (!result) throw connector_error(result.error());
  return std::move(result).value();
}

void EwsMailboxSession::open() {
  std::vector<FolderRef> folders = {FolderRef::distinguished_folder("msgfolderroot")};
  for (const Special& special : kSpecial) folders.push_back(FolderRef::distinguished_folder(special.distinguished));
  const Response response = call(get_folder(context_, folders));
  if (response.messages.size() != folders.size()) {
    throw ConnectorError(ConnectorError::Kind::protocol, "GetFolder: " + std::to_string(response.messages.size()) +
                                                             " answers for " + std::to_string(folders.size()) +
                                                             " folders");
  }
  const ResponseMessage& root = response.messages[0];
  if (!root.status.ok() || root.folders.empty()) {
    Error error;
    error.kind = ErrorKind::response;
    error.code = root.status.code;
    error.message = root.status.message_text.empty() ? "no msgfolderroot" : root.status.message_text;
    error.operation = "GetFolder";
    throw connector_error(error);
  }
  root_id_ = root.folders[0].id.id;
  for (std::size_t i = 1; i < folders.size(); ++i) {
    const ResponseMessage& message = response.messages[i];
    if (!message.status.ok() || message.folders.empty()) continue;  // e.g. no junk folder
    const std::string& id = message.folders[0].id.id;
    if (std::string_view(kSpecial[i - 1].distinguished) == "inbox") inbox_id_ = id;
    if (*kSpecial[i - 1].special_use != '\0') special_use_[id] = kSpecial[i - 1].special_use;
  }
}

std::vector<Folder> EwsMailboxSession::folder_tree() {
  const FolderRef root = FolderRef::distinguished_folder("msgfolderroot");
  auto result = transport_->call(sync_folder_hierarchy(context_, root, ""));
  std::vector<Folder> folders;
  if (result.ok()) {
    const Response& response = result.value();
    for (const ResponseMessage& message : response.messages) {
      if (!message.status.ok()) {
        throw connector_error(status_error("SyncFolderHierarchy", message.status));
      }
      for (const FolderChange& change : message.folder_changes) {
        if (change.kind != ChangeKind::remove) folders.push_back(change.folder);
      }
    }
    return folders;
  }
  const Error& error = result.error();
  if (error.kind != ErrorKind::response && error.kind != ErrorKind::fault) throw connector_error(error);
  if (error.authentication() || error.retriable()) throw connector_error(error);
  // Refused: FindFolder Deep, paged.
  for (std::uint32_t offset = 0;;) {
    const Response response = call(find_folder_deep(context_, root, offset, 1000));
    if (response.messages.empty()) break;
    const ResponseMessage& message = response.messages[0];
    if (!message.status.ok()) {
      throw connector_error(status_error("FindFolder", message.status));
    }
    folders.insert(folders.end(), message.folders.begin(), message.folders.end());
    if (message.includes_last_in_range.value_or(true) || message.folders.empty()) break;
    offset = static_cast<std::uint32_t>(message.indexed_paging_offset.value_or(offset + message.folders.size()));
  }
  return folders;
}

std::vector<connector::FolderState> EwsMailboxSession::list_folders() {
  const std::vector<Folder> folders = folder_tree();
  std::unordered_map<std::string, const Folder*> by_id;
  for (const Folder& folder : folders) by_id[folder.id.id] = &folder;

  // Path from the root: display names joined with '/', the inbox as "INBOX".
  std::unordered_map<std::string, std::string> paths;
  std::function<std::string(const Folder&, int)> path_of = [&](const Folder& folder, int depth) -> std::string {
    if (const auto it = paths.find(folder.id.id); it != paths.end()) return it->second;
    const std::string own = folder.id.id == inbox_id_ ? std::string("INBOX") : folder.display_name;
    std::string path = own;
    const auto parent = by_id.find(folder.parent_folder_id);
    if (depth < 64 && folder.parent_folder_id != root_id_ && parent != by_id.end() && parent->second != &folder) {
      path = path_of(*parent->second, depth + 1) + "/" + own;
    }
    paths[folder.id.id] = path;
    return path;
  };

  std::vector<connector::FolderState> out;
  for (const Folder& folder : folders) {
    if (folder.element == "SearchFolder") continue;
    if (!settings_.all_folder_classes && !is_mail_folder(folder)) continue;
    connector::FolderState state;
    state.name = path_of(folder, 0);
    state.server_name = folder.id.id;
    if (const auto special = special_use_.find(folder.id.id); special != special_use_.end()) {
      state.special_use = special->second;
    }
    state.message_count = folder.total_count;
    state.size_bytes = folder.size_bytes;
    out.push_back(std::move(state));
  }
  return out;
}

connector::FolderState EwsMailboxSession::crawl_folder(const connector::FolderState& current,
                                                       const std::optional<connector::FolderState>& previous,
                                                       connector::FolderSink& sink) {
  const FolderRef folder = FolderRef::folder(current.server_name);
  std::string state = previous ? previous->sync_state : std::string();
  bool full = state.empty();

  const auto sync_page = [&](const std::string& from) -> Result<Response, Error> {
    auto result = transport_->call(sync_folder_items(context_, folder, from, settings_.sync_page));
    if (!result) return result;
    // A ResponseMessage error is this folder's error.
    if (!result->messages.empty() && !result->messages[0].status.ok()) {
      return status_error("SyncFolderItems", result->messages[0].status);
    }
    if (result->messages.empty()) {
      Error error;
      error.kind = ErrorKind::parse;
      error.message = "SyncFolderItems: no response message";
      error.operation = "SyncFolderItems";
      return error;
    }
    return result;
  };

  auto page = sync_page(state);
  if (!page && !full && page.error().code == "ErrorInvalidSyncStateData") {
    state.clear();
    full = true;
    page = sync_page(state);
  }
  if (!page) {
    if (full && sync_refused(page.error())) return find_item_crawl(current, sink);
    throw connector_error(page.error());
  }
  sink.begin(full);
  for (;;) {
    const ResponseMessage& message = page->messages[0];
    std::vector<ItemId> fetch;
    std::set<std::string> queued;
    std::vector<connector::MessageRef> removals;
    for (const ItemChange& change : message.item_changes) {
      if (change.kind == ChangeKind::remove) {
        connector::MessageRef ref;
        ref.item_id = change.item.id.id;
        removals.push_back(std::move(ref));
      } else if (queued.insert(change.item.id.id).second) {
        fetch.push_back(ItemId{change.item.id.id, {}});
      }
    }
    fetch_items(fetch, sink);
    for (const connector::MessageRef& ref : removals) sink.removed(ref);
    if (!message.sync_state.empty()) state = message.sync_state;
    if (message.includes_last_in_range.value_or(true)) break;
    if (message.item_changes.empty()) break;  // no progress: do not loop forever
    page = sync_page(state);
    if (!page) throw connector_error(page.error());
  }
  connector::FolderState next = current;
  next.sync_state = state;
  return next;
}

connector::FolderState EwsMailboxSession::find_item_crawl(const connector::FolderState& current,
                                                          connector::FolderSink& sink) {
  const FolderRef folder = FolderRef::folder(current.server_name);
  sink.begin(true);
  for (std::uint32_t offset = 0;;) {
    const Response response = call(find_item(context_, folder, offset, settings_.find_page, {}));
    if (response.messages.empty()) break;
    const ResponseMessage& message = response.messages[0];
    if (!message.status.ok()) {
      throw connector_error(status_error("FindItem", message.status));
    }
    std::vector<ItemId> ids;
    for (const Item& item : message.items) ids.push_back(ItemId{item.id.id, {}});
    fetch_items(ids, sink);
    if (message.includes_last_in_range.value_or(true) || message.items.empty()) break;
    offset = static_cast<std::uint32_t>(message.indexed_paging_offset.value_or(offset + message.items.size()));
  }
  connector::FolderState next = current;
  next.sync_state.clear();
  return next;
}

void EwsMailboxSession::fetch_items(const std::vector<ItemId>& ids, connector::FolderSink& sink) {
  const std::size_t batch = std::max<std::size_t>(settings_.get_item_batch, 1);
  for (std::size_t at = 0; at < ids.size(); at += batch) {
    const std::vector<ItemId> slice(ids.begin() + static_cast<std::ptrdiff_t>(at),
                                    ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + batch)));
    fetch_batch(slice, sink, 0);
  }
}

void EwsMailboxSession::fetch_batch(const std::vector<ItemId>& ids, connector::FolderSink& sink, int round) {
  if (ids.empty()) return;
  const RecordOptions record_options{settings_.attachment_sizes_exact};
  auto result = transport_->call(get_item(context_, ids, message_fields(context_.server_version, true)));
  if (!result) {
    const Error& error = result.error();
    // The connection, the credentials or the server's load: the crawler retries the folder.
    if (error.kind != ErrorKind::response && error.kind != ErrorKind::fault) throw connector_error(error);
    if (error.authentication() || error.retriable()) throw connector_error(error);
    // Refused as a whole (too big, one poisonous item...): halves, down to one item.
    if (ids.size() > 1) {
      const auto middle = ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2);
      fetch_batch(std::vector<ItemId>(ids.begin(), middle), sink, round);
      fetch_batch(std::vector<ItemId>(middle, ids.end()), sink, round);
      return;
    }
    connector::MessageRef ref;
    ref.item_id = ids[0].id;
    sink.error(&ref, error.describe());
    return;
  }
  const Response& response = result.value();
  std::vector<ItemId> retry;
  std::uint64_t back_off_ms = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    connector::MessageRef ref;
    ref.item_id = ids[i].id;
    if (i >= response.messages.size()) {
      sink.error(&ref, "GetItem: no answer for this item");
      continue;
    }
    const ResponseMessage& message = response.messages[i];
    if (!message.status.ok()) {
      const CodeClass code = classify_code(message.status.code);
      if (code.not_found) {
        sink.removed(ref);  // deleted since the sync listed it
      } else if (code.retriable && round < settings_.item_retry_rounds) {
        retry.push_back(ids[i]);
        back_off_ms = std::max(back_off_ms, message.status.back_off_ms.value_or(1000));
      } else {
        sink.error(&ref, "GetItem: " + message.status.code + ": " + message.status.message_text);
      }
      continue;
    }
    if (message.items.empty()) {
      sink.error(&ref, "GetItem: success without an item");
      continue;
    }
    sink.message(message_record(message.items[0], record_options));
  }
  if (!retry.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::uint64_t>(back_off_ms, 60'000)));
    fetch_batch(retry, sink, round + 1);
  }
}

bool EwsMailboxSession::read_attachment(const connector::FolderState& /*folder*/,
                                        const connector::MessageRef& /*message*/, const std::string& section,
                                        std::uint64_t limit, const connector::ContentSink& sink) {
  std::uint64_t delivered = 0;
  CallOptions options;
  options.content = [&](const ContentChunk& chunk) {
    if (chunk.message_index != 0 || chunk.attachment_index != 0) return true;  // only the first
    std::string_view bytes = chunk.bytes;
    if (limit != 0 && delivered + bytes.size() > limit) bytes = bytes.substr(0, limit - delivered);
    delivered += bytes.size();
    if (!bytes.empty() && !sink(bytes)) return false;
    return limit == 0 || delivered < limit;
  };
  const std::uint64_t before = transport_->stats().bytes_received;
  auto result = transport_->call(get_attachment(context_, {section}, true), options);
  bytes_for_content_ += transport_->stats().bytes_received - before;
  if (!result) throw connector_error(result.error());
  const Response& response = result.value();
  if (response.messages.empty()) throw ConnectorError(ConnectorError::Kind::protocol, "GetAttachment: no answer");
  const ResponseMessage& message = response.messages[0];
  if (!message.status.ok()) {
    throw connector_error(status_error("GetAttachment", message.status));
  }
  if (message.attachments.empty()) {
    throw ConnectorError(ConnectorError::Kind::not_found, "GetAttachment: no attachment " + section);
  }
  const Attachment& attachment = message.attachments[0];
  if (!attachment.has_content && !response.stopped) {
    throw ConnectorError(ConnectorError::Kind::refused, "GetAttachment: attachment " + section + " has no content");
  }
  return !attachment.content_damaged;
}

connector::MailboxActions* EwsMailboxSession::actions() {
  if (!actions_) actions_ = std::make_unique<EwsActions>(*this);
  return actions_.get();
}

connector::TrafficStats EwsMailboxSession::traffic() const {
  connector::TrafficStats stats;
  stats.bytes_received = transport_->stats().bytes_received;
  stats.bytes_sent = transport_->stats().bytes_sent;
  stats.round_trips = transport_->stats().round_trips;
  stats.bytes_for_content = bytes_for_content_;
  return stats;
}

}  // namespace mailprune::ews
