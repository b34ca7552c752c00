#include "ews/ews_actions.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "ews/action_support.hpp"
#include "ews/ews_connector.hpp"
#include "ews/ews_mailbox_session.hpp"
#include "mime/charset.hpp"

namespace mailprune::ews {
namespace {

using connector::ActionStep;
using connector::ConnectorError;
using connector::Outcome;
using namespace action_support;

constexpr std::string_view kActionMeta = "mailprune-action";
constexpr std::string_view kAttachmentMeta = "mailprune-attachment";
constexpr std::string_view kProvenanceMeta = "mailprune-provenance";

// Undoes what xml_escape(text, true) wrote: the five entities and decimal/hex character references.
std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    const std::size_t semicolon = text.find(';', i);
    if (semicolon == std::string_view::npos || semicolon - i > 10) {
      out += text[i++];
      continue;
    }
    const std::string_view entity = text.substr(i + 1, semicolon - i - 1);
    std::string replacement;
    if (entity == "amp") {
      replacement = "&";
    } else if (entity == "lt") {
      replacement = "<";
    } else if (entity == "gt") {
      replacement = ">";
    } else if (entity == "quot") {
      replacement = "\"";
    } else if (entity == "apos") {
      replacement = "'";
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      unsigned long code = 0;
      bool valid = entity.size() > (hex ? 2u : 1u);
      for (char c : entity.substr(hex ? 2 : 1)) {
        const int digit = std::isdigit(static_cast<unsigned char>(c))           ? c - '0'
                          : hex && std::isxdigit(static_cast<unsigned char>(c)) ? (std::tolower(c) - 'a' + 10)
                                                                                : -1;
        if (digit < 0 || code > 0x10FFFF) {
          valid = false;
          break;
        }
        code = code * (hex ? 16 : 10) + static_cast<unsigned long>(digit);
      }
      if (!valid || code > 0x10FFFF) {
        out += text[i++];
        continue;
      }
      replacement.clear();
      mime::append_utf8(replacement, static_cast<std::uint32_t>(code));
    } else {
      out += text[i++];
      continue;
    }
    out += replacement;
    i = semicolon + 1;
  }
  return out;
}

void add_meta(std::string& html, std::string_view name, std::string_view content) {
  html += "<meta name=\"";
  html += name;
  html += "\" content=\"";
  html += xml_escape(content, true);
  html += "\">\n";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// A Message-ID without its angle brackets and surrounding spaces ("<a@b>" and "a@b" are one id).
std::string_view bare_message_id(std::string_view id) {
  while (!id.empty() && (id.front() == ' ' || id.front() == '<')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '>')) id.remove_suffix(1);
  return id;
}

DeleteType delete_type(connector::RemoveMode mode) {
  switch (mode) {
    case connector::RemoveMode::permanent:
      return DeleteType::hard_delete;
    case connector::RemoveMode::recoverable:
      return DeleteType::soft_delete;
    case connector::RemoveMode::to_deleted_items:
      return DeleteType::move_to_deleted_items;
  }
  return DeleteType::hard_delete;
}

}  // namespace

std::string notice_name(std::string_view file_name) {
  std::string name(file_name.empty() ? std::string_view("attachment") : file_name);
  name += notice_suffix;
  return name;
}

std::string notice_document(const connector::Detachment& detachment,
                            const std::vector<std::pair<std::string, std::string>>& provenance,
                            std::string_view action_id) {
  std::string html = "<!DOCTYPE html>\n<html><head>\n<meta charset=\"utf-8\">\n";
  add_meta(html, kActionMeta, action_id);
  add_meta(html, kAttachmentMeta, detachment.section);
  for (const auto& [name, value] : provenance) add_meta(html, kProvenanceMeta, name + ": " + value);
  html += "<title>";
  html += xml_escape(notice_name(detachment.file_name));
  html += "</title>\n</head><body>\n";
  html += detachment.notice_html;
  if (!provenance.empty()) {
    html += "\n<table class=\"mailprune-provenance\" style=\"font-size:smaller;color:#666\">\n";
    for (const auto& [name, value] : provenance) {
      html += "<tr><th>" + xml_escape(name) + "</th><td>" + xml_escape(value) + "</td></tr>\n";
    }
    html += "</table>";
  }
  html += "\n</body></html>\n";
  return html;
}

std::optional<NoticeMarks> read_notice_marks(std::string_view html) {
  NoticeMarks marks;
  bool has_action = false;
  constexpr std::string_view kOpen = "<meta name=\"";
  constexpr std::string_view kContent = "\" content=\"";
  for (std::size_t at = html.find(kOpen); at != std::string_view::npos; at = html.find(kOpen, at + 1)) {
    const std::size_t name_start = at + kOpen.size();
    const std::size_t name_end = html.find(kContent, name_start);
    if (name_end == std::string_view::npos) break;
    const std::string_view name = html.substr(name_start, name_end - name_start);
    const std::size_t value_start = name_end + kContent.size();
    const std::size_t value_end = html.find('"', value_start);
    if (value_end == std::string_view::npos) break;
    const std::string value = unescape(html.substr(value_start, value_end - value_start));
    if (name == kActionMeta) {
      marks.action_id = value;
      has_action = true;
    } else if (name == kAttachmentMeta) {
      marks.attachment_id = value;
    } else if (name == kProvenanceMeta) {
      const std::size_t colon = value.find(": ");
      if (colon != std::string::npos) marks.provenance.emplace_back(value.substr(0, colon), value.substr(colon + 2));
    }
  }
  if (!has_action) return std::nullopt;
  return marks;
}

EwsActions::EwsActions(EwsMailboxSession& session) : session_(session) {}

Response EwsActions::call(const Request& request) {
  auto result = session_.transport().call(request);
  if (!result) throw connector_error(result.error());
  return std::move(result).value();
}

std::optional<Item> EwsActions::fetch_item(const std::string& item_id, const std::vector<std::string>& fields) {
  const Response response = call(get_item(session_.context(), {ItemId{item_id, {}}}, fields));
  const ResponseMessage& message = first_message(response, "GetItem");
  if (!message.status.ok()) {
    if (is_not_found(message.status)) return std::nullopt;
    fail("GetItem", message.status);
  }
  if (message.items.empty()) throw ConnectorError(ConnectorError::Kind::protocol, "GetItem: success without an item");
  return message.items[0];
}

std::variant<std::vector<std::string>, Outcome> EwsActions::create_attachments(
    ItemId& current, const std::vector<NewFileAttachment>& attachments, std::string_view what) {
  const Response response = call(create_attachment(session_.context(), current, attachments));
  if (response.messages.size() != attachments.size()) {
    throw ConnectorError(ConnectorError::Kind::protocol,
                         "CreateAttachment: " + std::to_string(response.messages.size()) + " answers for " +
                             std::to_string(attachments.size()));
  }
  std::vector<std::string> created;
  for (const ResponseMessage& message : response.messages) {
    if (!message.status.ok()) {
      if (is_not_found(message.status)) return Outcome::not_found;
      if (is_conflict(message.status)) return Outcome::changed;
      fail("CreateAttachment", message.status);
    }
    // The attachment is in place only once the server has given it an id.
    if (message.attachments.empty() || message.attachments[0].id.empty()) {
      throw ConnectorError(ConnectorError::Kind::protocol,
                           "CreateAttachment: no AttachmentId for the " + std::string(what));
    }
    created.push_back(message.attachments[0].id);
    const ItemId& root = message.attachments[0].root_item;
    if (!root.id.empty() && !root.change_key.empty()) current = root;
  }
  return created;
}

void EwsActions::delete_attachments(ItemId& current, const std::vector<std::string>& attachment_ids) {
  const Response response = call(delete_attachment(session_.context(), attachment_ids));
  for (const ResponseMessage& message : response.messages) {
    if (!message.status.ok()) {
      if (is_not_found(message.status)) continue;  // gone already (an earlier attempt's answer was lost)
      fail("DeleteAttachment", message.status);
    }
    if (!message.root_item.id.empty() && !message.root_item.change_key.empty()) current = message.root_item;
  }
}

connector::DetachResult EwsActions::swap_attachments(const connector::MessageRef& message,
                                                     const connector::StepHook& on_step, ItemId current,
                                                     const std::vector<NewFileAttachment>& to_create,
                                                     std::string_view what, const VerifyCreated& verify,
                                                     const std::vector<std::string>& to_delete) {
  connector::DetachResult result;
  result.message = message;
  std::vector<std::string> created;
  if (!to_create.empty()) {
    auto answer = create_attachments(current, to_create, what);
    if (const auto* outcome = std::get_if<Outcome>(&answer)) {
      result.outcome = *outcome;  // attachments created before stay: a retry of this action finds them
      return result;
    }
    created = std::move(std::get<std::vector<std::string>>(answer));
  }
  report(on_step, ActionStep::uploaded, with_id(message, current));
  if (const std::optional<Outcome> stop = verify(current, created)) {
    result.outcome = *stop;
    return result;
  }
  report(on_step, ActionStep::verified, with_id(message, current));
  if (!to_delete.empty()) delete_attachments(current, to_delete);
  report(on_step, ActionStep::original_removed, with_id(message, current));
  result.outcome = Outcome::done;
  result.message = with_id(message, current);
  return result;
}

connector::DetachResult EwsActions::detach(const connector::FolderState& folder,
                                           const connector::DetachRequest& request) {
  connector::DetachResult result;
  result.message = request.message;
  const std::optional<Item> item = fetch_item(request.message.item_id, {"item:Attachments"});
  if (!item) {
    result.outcome = Outcome::not_found;
    return result;
  }

  // Notices an earlier attempt of this action left: original AttachmentId -> notice.
  const std::map<std::string, NoticeAt> noticed = notices_of(folder, request.message, *item, request.action_id);
  std::set<std::string> present;
  for (const Attachment& attachment : item->attachments) present.insert(attachment.id);
  const bool resumed = !noticed.empty();
  if (!resumed && stale(request.message, *item)) {
    result.outcome = Outcome::changed;
    return result;
  }

  std::vector<NewFileAttachment> notices;
  std::vector<std::string> originals;
  for (const connector::Detachment& detachment : request.detachments) {
    const bool has_notice = noticed.count(detachment.section) != 0;
    const bool has_original = present.count(detachment.section) != 0;
    if (!has_notice && !has_original) {
      if (!resumed) {
        result.outcome = Outcome::not_found;  // removed by someone else: nothing to link to
        return result;
      }
      continue;
    }
    if (!has_notice) {
      NewFileAttachment notice;
      notice.name = notice_name(detachment.file_name);
      notice.content_type = "text/html; charset=utf-8";
      notice.content = notice_document(detachment, request.provenance, request.action_id);
      notices.push_back(std::move(notice));
    }
    if (has_original) originals.push_back(detachment.section);
  }

  // Verified: the item lists every new notice (notices found by reading them needed no check).
  const auto verify = [&](ItemId& current, const std::vector<std::string>& created) -> std::optional<Outcome> {
    if (created.empty()) return std::nullopt;
    const std::optional<Item> check = fetch_item(request.message.item_id, {"item:Attachments"});
    if (!check) return Outcome::not_found;
    for (const std::string& id : created) {
      const bool listed = std::any_of(check->attachments.begin(), check->attachments.end(),
                                      [&](const Attachment& attachment) { return attachment.id == id; });
      if (!listed) {
        throw ConnectorError(ConnectorError::Kind::protocol, "CreateAttachment: the new notice is not on the item");
      }
    }
    current = check->id;
    return std::nullopt;
  };
  return swap_attachments(request.message, request.on_step, item->id, notices, "notice", verify, originals);
}

std::map<std::string, EwsActions::NoticeAt> EwsActions::notices_of(const connector::FolderState& folder,
                                                                   const connector::MessageRef& message,
                                                                   const Item& item, const std::string& action_id) {
  std::map<std::string, NoticeAt> notices;
  for (std::size_t index = 0; index < item.attachments.size(); ++index) {
    const Attachment& attachment = item.attachments[index];
    if (attachment.kind != AttachmentKind::file || !attachment.name.ends_with(notice_suffix)) continue;
    std::string html;
    session_.read_attachment(folder, message, attachment.id, max_notice_bytes, [&](std::string_view chunk) {
      html.append(chunk);
      return true;
    });
    const std::optional<NoticeMarks> marks = read_notice_marks(html);
    if (marks && marks->action_id == action_id) {
      NoticeAt notice;
      notice.attachment_id = attachment.id;
      notice.index = index;
      notices.emplace(marks->attachment_id, notice);
    }
  }
  return notices;
}

std::string EwsActions::folder_id(const std::string& path, bool create) {
  const std::vector<std::string> parts = split_path(path);
  if (parts.empty()) throw std::invalid_argument("EWS move: empty target folder");
  const auto listing = [&] {
    std::map<std::string, std::string> ids;
    for (const connector::FolderState& state : session_.list_folders()) ids[state.name] = state.server_name;
    return ids;
  };
  std::map<std::string, std::string> ids = listing();
  std::string walked;
  std::string parent_id;  // "" = msgfolderroot
  for (std::size_t i = 0; i < parts.size(); ++i) {
    // The inbox is "INBOX" in listings, whatever the case the caller used (as on IMAP).
    const bool inbox = i == 0 && std::equal(parts[i].begin(), parts[i].end(), "INBOX", "INBOX" + 5,
                                            [](char a, char b) { return std::toupper(a) == b; });
    walked += (walked.empty() ? "" : "/") + (inbox ? std::string("INBOX") : parts[i]);
    if (const auto found = ids.find(walked); found != ids.end()) {
      parent_id = found->second;
      continue;
    }
    if (!create) return {};
    const FolderRef parent =
        parent_id.empty() ? FolderRef::distinguished_folder("msgfolderroot") : FolderRef::folder(parent_id);
    const Response response = call(create_folder(session_.context(), parent, {parts[i]}));
    const ResponseMessage& message = first_message(response, "CreateFolder");
    if (message.status.ok() && !message.folders.empty()) {
      parent_id = message.folders[0].id.id;
      continue;
    }
    if (message.status.code == "ErrorFolderExists") {  // created meanwhile (another worker)
      ids = listing();
      if (const auto found = ids.find(walked); found != ids.end()) {
        parent_id = found->second;
        continue;
      }
    }
    if (!message.status.ok()) fail("CreateFolder", message.status);
    throw ConnectorError(ConnectorError::Kind::protocol, "CreateFolder: success without a folder");
  }
  return parent_id;
}

std::optional<ItemId> EwsActions::find_by_message_id(const std::string& folder_id,
                                                     const std::string& internet_message_id) {
  const FolderRef folder = FolderRef::folder(folder_id);
  for (std::uint32_t offset = 0;;) {
    const Response response = call(find_item(session_.context(), folder, offset, 1000, {"message:InternetMessageId"}));
    const ResponseMessage& message = first_message(response, "FindItem");
    if (!message.status.ok()) fail("FindItem", message.status);
    for (const Item& item : message.items) {
      if (bare_message_id(item.internet_message_id) == bare_message_id(internet_message_id)) return item.id;
    }
    if (message.includes_last_in_range.value_or(true) || message.items.empty()) return std::nullopt;
    offset = static_cast<std::uint32_t>(message.indexed_paging_offset.value_or(offset + message.items.size()));
  }
}

connector::MoveResult EwsActions::move(const connector::FolderState& /*folder*/, const connector::MessageRef& message,
                                       const std::string& target_folder, const std::string& action_id) {
  connector::MoveResult result;
  result.message = message;
  const std::optional<Item> item = fetch_item(message.item_id, {"message:InternetMessageId"});
  if (!item) {
    // Moved by an earlier attempt of this action whose answer was lost? The Message-ID the crawl
    // stored finds it from any process; the one read by an earlier attempt, from this one.
    std::string message_id = message.message_id;
    if (const auto known = moved_message_ids_.find(action_id);
        message_id.empty() && known != moved_message_ids_.end()) {
      message_id = known->second;
    }
    if (!message_id.empty()) {
      const std::string target_id = folder_id(target_folder, false);
      if (!target_id.empty()) {
        if (const std::optional<ItemId> moved = find_by_message_id(target_id, message_id)) {
          result.message.uid = 0;
          result.message.item_id = moved->id;
          result.message.change_key = moved->change_key;
          return result;
        }
      }
    }
    result.outcome = Outcome::not_found;
    return result;
  }
  if (stale(message, *item)) {
    result.outcome = Outcome::changed;
    return result;
  }
  const std::string target_id = folder_id(target_folder, true);
  if (!item->internet_message_id.empty()) moved_message_ids_[action_id] = item->internet_message_id;
  const Response response = call(move_item(session_.context(), {item->id}, FolderRef::folder(target_id)));
  const ResponseMessage& answer = first_message(response, "MoveItem");
  if (!answer.status.ok()) {
    if (is_not_found(answer.status)) {
      result.outcome = Outcome::not_found;
      return result;
    }
    if (is_conflict(answer.status)) {
      result.outcome = Outcome::changed;
      return result;
    }
    fail("MoveItem", answer.status);
  }
  if (answer.items.empty()) throw ConnectorError(ConnectorError::Kind::protocol, "MoveItem: no new ItemId");
  result.message.uid = 0;
  result.message.item_id = answer.items[0].id.id;
  result.message.change_key = answer.items[0].id.change_key;
  return result;
}

Outcome EwsActions::remove(const connector::FolderState& /*folder*/, const connector::MessageRef& message,
                           connector::RemoveMode mode) {
  const std::optional<Item> item = fetch_item(message.item_id, {});
  if (!item) return Outcome::not_found;
  if (stale(message, *item)) return Outcome::changed;
  const Response response = call(delete_item(session_.context(), {item->id}, delete_type(mode)));
  const ResponseMessage& answer = first_message(response, "DeleteItem");
  if (!answer.status.ok()) {
    if (is_not_found(answer.status)) return Outcome::not_found;
    if (is_conflict(answer.status)) return Outcome::changed;
    fail("DeleteItem", answer.status);
  }
  return Outcome::done;
}

std::optional<std::uint64_t> EwsActions::measured_size() {
  std::optional<std::uint64_t> total;
  for (const connector::FolderState& state : session_.list_folders()) {
    if (state.size_bytes) total = total.value_or(0) + *state.size_bytes;
  }
  return total;
}

}  // namespace mailprune::ews
