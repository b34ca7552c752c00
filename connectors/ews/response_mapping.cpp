#include <charconv>

#include "ews/response_state.hpp"

namespace mailprune::ews {

using namespace detail;

namespace {

Ns ns_of(const xmlChar* uri) {
  if (uri == nullptr) return Ns::other;
  const std::string_view text(reinterpret_cast<const char*>(uri));
  if (text == "http://schemas.xmlsoap.org/soap/envelope/") return Ns::soap;
  if (text.starts_with("http://schemas.microsoft.com/exchange/services/2006/")) return Ns::ews;
  return Ns::other;
}

}  // namespace

std::string_view detail::trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' || text.front() == '\n'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

namespace {

std::optional<std::uint64_t> to_number(std::string_view text) {
  text = trim(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "0xe08", "0x0E08" or decimal.
std::optional<std::uint64_t> to_property_tag(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  }
  return to_number(text);
}

std::optional<bool> to_bool(std::string_view text) {
  text = trim(text);
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

}  // namespace

std::string ResponseParser::State::path() const {
  std::string out;
  for (const Frame& frame : frames) {
    if (!out.empty()) out += '/';
    out += frame.name;
  }
  return out;
}

void ResponseParser::State::fail(std::string what) {
  if (error || stopped) return;
  ParseError e;
  e.message = std::move(what);
  if (ctxt != nullptr && ctxt->input != nullptr) {
    e.line = static_cast<std::uint64_t>(ctxt->input->line);
    e.column = static_cast<std::uint64_t>(ctxt->input->col);
  }
  e.offset = ctxt != nullptr ? static_cast<std::uint64_t>(xmlByteConsumed(ctxt)) : fed;
  e.path = path();
  error = std::move(e);
  if (ctxt != nullptr) xmlStopParser(ctxt);
}

void ResponseParser::State::emit_content(std::string_view bytes) {
  if (stopped || error || bytes.empty()) return;
  attachment->content_bytes += bytes.size();
  if (!content_sink) return;
  ContentChunk chunk;
  chunk.message_index = response.messages.empty() ? 0 : response.messages.size() - 1;
  chunk.attachment_index = attachment_list->empty() ? 0 : attachment_list->size() - 1;
  chunk.attachment_id = attachment->id;
  chunk.bytes = bytes;
  if (!content_sink(chunk)) {
    // Not xmlStopParser() here: it frees the input that the decoder is still walking
    // (characters() stops the parser once the decoder has returned).
    stopped = true;
    response.stopped = true;
  }
}

Role ResponseParser::State::open_role(const Frame* parent, Ns ns, std::string_view local, const xmlChar** attributes,
                                      int attribute_count, Frame& frame) {
  const Role parent_role = parent == nullptr ? Role::skip : parent->role;
  if (parent == nullptr) {
    if (ns == Ns::soap && local == "Envelope") return Role::envelope;
    fail("not a SOAP envelope: <" + std::string(local) + ">");
    return Role::skip;
  }
  // SOAP fault children (faultcode, faultstring, detail) are unqualified.
  if (ns == Ns::other && parent_role != Role::fault && parent_role != Role::fault_detail) return Role::skip;
  const auto attribute = [&](std::string_view name) -> std::optional<std::string> {
    for (int i = 0; i < attribute_count; ++i) {
      const xmlChar** a = attributes + i * 5;
      if (name == reinterpret_cast<const char*>(a[0])) {
        return std::string(reinterpret_cast<const char*>(a[3]), static_cast<std::size_t>(a[4] - a[3]));
      }
    }
    return std::nullopt;
  };
  const auto text_field = [&](Field field) {
    frame.field = field;
    text.clear();
    return Role::text;
  };
  const auto item_id = [&](ItemId& target) {
    target.id = attribute("Id").value_or("");
    target.change_key = attribute("ChangeKey").value_or("");
  };

  switch (parent_role) {
    case Role::envelope:
      if (ns == Ns::soap && local == "Header") return Role::header;
      if (ns == Ns::soap && local == "Body") return Role::body;
      return Role::skip;
    case Role::header:
      if (local == "ServerVersionInfo") {
        ServerVersionInfo info;
        const auto number = [&](std::string_view name) {
          return static_cast<std::uint32_t>(to_number(attribute(name).value_or("")).value_or(0));
        };
        info.major_version = number("MajorVersion");
        info.minor_version = number("MinorVersion");
        info.major_build = number("MajorBuildNumber");
        info.minor_build = number("MinorBuildNumber");
        info.version = attribute("Version").value_or("");
        response.server_version = std::move(info);
      }
      return Role::skip;
    case Role::body:
      if (ns == Ns::soap && local == "Fault") {
        response.fault.emplace();
        return Role::fault;
      }
      if (ns == Ns::ews && local.ends_with("Response") && response.operation.empty()) {
        response.operation = std::string(local.substr(0, local.size() - 8));
        return Role::response;
      }
      return Role::skip;
    case Role::fault:
      if (local == "faultcode") return text_field(Field::fault_code);
      if (local == "faultstring") return text_field(Field::fault_string);
      if (local == "detail") return Role::fault_detail;
      return Role::skip;
    case Role::fault_detail:
      if (local == "ResponseCode") return text_field(Field::fault_response_code);
      if (local == "Message") return text_field(Field::fault_message);
      if (local == "MessageXml") return Role::message_xml;
      return Role::skip;
    case Role::response:
      return local == "ResponseMessages" ? Role::response_messages : Role::skip;
    case Role::response_messages: {
      if (!local.ends_with("ResponseMessage")) return Role::skip;
      if (response.messages.size() >= limits.max_messages) {
        fail("more than " + std::to_string(limits.max_messages) + " response messages");
        return Role::skip;
      }
      ResponseMessage& m = response.messages.emplace_back();
      m.operation = std::string(local.substr(0, local.size() - 15));
      const std::string response_class = attribute("ResponseClass").value_or("Success");
      m.status.response_class = response_class == "Error"     ? ResponseClass::error
                                : response_class == "Warning" ? ResponseClass::warning
                                                              : ResponseClass::success;
      message = &m;
      return Role::message;
    }
    case Role::message:
      if (local == "ResponseCode") return text_field(Field::response_code);
      if (local == "MessageText") return text_field(Field::message_text);
      if (local == "MessageXml") return Role::message_xml;
      if (local == "SyncState") return text_field(Field::sync_state);
      if (local == "IncludesLastItemInRange" || local == "IncludesLastFolderInRange")
        return text_field(Field::includes_last);
      if (local == "RootFolder") {
        message->indexed_paging_offset = to_number(attribute("IndexedPagingOffset").value_or(""));
        message->total_items_in_view = to_number(attribute("TotalItemsInView").value_or(""));
        if (auto last = attribute("IncludesLastItemInRange")) message->includes_last_in_range = to_bool(*last);
        return Role::root_folder;
      }
      if (local == "Folders") return Role::folders;
      if (local == "Items") return Role::items;
      if (local == "Changes") return Role::changes;
      if (local == "Attachments") {
        attachment_list = &message->attachments;
        return Role::attachments;
      }
      if (local == "RootItemId") {
        message->root_item.id = attribute("RootItemId").value_or("");
        message->root_item.change_key = attribute("RootItemChangeKey").value_or("");
      }
      return Role::skip;
    case Role::message_xml:
      if (local == "Value") {
        frame.back_off_value = attribute("Name").value_or("") == "BackOffMilliseconds";
        return text_field(Field::xml_value);
      }
      return Role::skip;
    case Role::root_folder:
      if (local == "Items") return Role::items;
      if (local == "Folders") return Role::folders;
      return Role::skip;
    case Role::items:
      item = &message->items.emplace_back();
      item->element = std::string(local);
      return Role::item;
    case Role::folders:
      folder = &message->folders.emplace_back();
      folder->element = std::string(local);
      return Role::folder;
    case Role::changes: {
      ChangeKind kind;
      if (local == "Create") {
        kind = ChangeKind::create;
      } else if (local == "Update") {
        kind = ChangeKind::update;
      } else if (local == "Delete") {
        kind = ChangeKind::remove;
      } else if (local == "ReadFlagChange") {
        kind = ChangeKind::read_flag_change;
      } else {
        return Role::skip;
      }
      if (response.operation == "SyncFolderHierarchy") {
        folder_change = &message->folder_changes.emplace_back();
        folder_change->kind = kind;
        item_change = nullptr;
      } else {
        item_change = &message->item_changes.emplace_back();
        item_change->kind = kind;
        folder_change = nullptr;
      }
      return Role::change;
    }
    case Role::change:
      if (folder_change != nullptr) {
        if (local == "FolderId") {
          item_id(folder_change->folder.id);
          return Role::skip;
        }
        folder = &folder_change->folder;
        folder->element = std::string(local);
        return Role::folder;
      }
      if (local == "ItemId") {
        item_id(item_change->item.id);
        return Role::skip;
      }
      if (local == "IsRead") return text_field(Field::change_is_read);
      item = &item_change->item;
      item->element = std::string(local);
      return Role::item;
    case Role::item:
      if (local == "ItemId") item_id(item->id);
      if (local == "ParentFolderId") item->parent_folder_id = attribute("Id").value_or("");
      if (local == "ItemClass") return text_field(Field::item_class);
      if (local == "Subject") return text_field(Field::subject);
      if (local == "Size") return text_field(Field::size);
      if (local == "DateTimeReceived") return text_field(Field::received);
      if (local == "DateTimeSent") return text_field(Field::sent);
      if (local == "HasAttachments") return text_field(Field::has_attachments);
      if (local == "InternetMessageId") return text_field(Field::message_id);
      if (local == "IsRead") return text_field(Field::is_read);
      if (local == "From") return Role::item_from;
      if (local == "Flag") return Role::item_flag;
      if (local == "Attachments") {
        item->attachments_present = true;
        attachment_list = &item->attachments;
        return Role::attachments;
      }
      return Role::skip;
    case Role::item_from:
      return local == "Mailbox" ? Role::item_from_mailbox : Role::skip;
    case Role::item_from_mailbox:
      if (local == "Name") return text_field(Field::from_name);
      if (local == "EmailAddress") return text_field(Field::from_email);
      if (local == "RoutingType") return text_field(Field::from_routing);
      return Role::skip;
    case Role::item_flag:
      return local == "FlagStatus" ? text_field(Field::flag_status) : Role::skip;
    case Role::attachments: {
      AttachmentKind kind;
      if (local == "FileAttachment") {
        kind = AttachmentKind::file;
      } else if (local == "ItemAttachment") {
        kind = AttachmentKind::item;
      } else if (local == "ReferenceAttachment") {
        kind = AttachmentKind::reference;
      } else {
        return Role::skip;
      }
      attachment = &attachment_list->emplace_back();
      attachment->kind = kind;
      return Role::attachment;
    }
    case Role::attachment:
      if (local == "AttachmentId") {
        attachment->id = attribute("Id").value_or("");
        attachment->root_item.id = attribute("RootItemId").value_or("");
        attachment->root_item.change_key = attribute("RootItemChangeKey").value_or("");
        return Role::skip;
      }
      if (local == "Name") return text_field(Field::att_name);
      if (local == "ContentType") return text_field(Field::att_content_type);
      if (local == "ContentId") return text_field(Field::att_content_id);
      if (local == "ContentLocation") return text_field(Field::att_content_location);
      if (local == "Size") return text_field(Field::att_size);
      if (local == "LastModifiedTime") return text_field(Field::att_modified);
      if (local == "IsInline") return text_field(Field::att_inline);
      if (local == "IsContactPhoto") return text_field(Field::att_contact_photo);
      if (local == "Content" && attachment->kind == AttachmentKind::file) return open_content();
      if (attachment->kind == AttachmentKind::item && attachment->embedded_element.empty()) {
        attachment->embedded_element = std::string(local);
        return Role::embedded_item;
      }
      return Role::skip;
    case Role::embedded_item:
      if (local == "MimeContent") return open_content();
      if (local == "ItemClass") return text_field(Field::embedded_class);
      if (local == "Subject") return text_field(Field::embedded_subject);
      return Role::skip;
    case Role::folder:
      if (local == "FolderId") item_id(folder->id);
      if (local == "ParentFolderId") folder->parent_folder_id = attribute("Id").value_or("");
      if (local == "DisplayName") return text_field(Field::folder_name);
      if (local == "FolderClass") return text_field(Field::folder_class);
      if (local == "TotalCount") return text_field(Field::total_count);
      if (local == "ChildFolderCount") return text_field(Field::child_count);
      if (local == "UnreadCount") return text_field(Field::unread_count);
      if (local == "ExtendedProperty") {
        extended_tag.reset();
        return Role::extended_property;
      }
      return Role::skip;
    case Role::extended_property:
      if (local == "ExtendedFieldURI") {
        extended_tag = to_property_tag(attribute("PropertyTag").value_or(""));
        return Role::skip;
      }
      if (local == "Value") return text_field(Field::ext_value);
      return Role::skip;
    case Role::skip:
    case Role::text:
    case Role::content:
      return Role::skip;
  }
  return Role::skip;
}

Role ResponseParser::State::open_content() {
  attachment->has_content = true;
  decoder.emplace(mime::TransferEncoding::base64);
  return Role::content;
}

void ResponseParser::State::close_text(const Frame& frame) {
  const std::string& t = text;
  switch (frame.field) {
    case Field::none:
      break;
    case Field::fault_code:
      response.fault->fault_code = std::string(trim(t));
      break;
    case Field::fault_string:
      response.fault->fault_string = t;
      break;
    case Field::fault_response_code:
      response.fault->response_code = std::string(trim(t));
      break;
    case Field::fault_message:
      response.fault->message = t;
      break;
    case Field::xml_value:
      if (frame.back_off_value) {
        const auto value = to_number(t);
        if (response.fault && message == nullptr) {
          response.fault->back_off_ms = value;
        } else if (message != nullptr) {
          message->status.back_off_ms = value;
        }
      }
      break;
    case Field::response_code:
      message->status.code = std::string(trim(t));
      break;
    case Field::message_text:
      message->status.message_text = t;
      break;
    case Field::sync_state:
      message->sync_state = std::string(trim(t));
      break;
    case Field::includes_last:
      message->includes_last_in_range = to_bool(t);
      break;
    case Field::item_class:
      item->item_class = std::string(trim(t));
      break;
    case Field::subject:
      item->subject = t;
      break;
    case Field::size:
      item->size = to_number(t);
      break;
    case Field::received:
      item->date_time_received = std::string(trim(t));
      break;
    case Field::sent:
      item->date_time_sent = std::string(trim(t));
      break;
    case Field::has_attachments:
      item->has_attachments = to_bool(t);
      break;
    case Field::message_id:
      item->internet_message_id = std::string(trim(t));
      break;
    case Field::is_read:
      item->is_read = to_bool(t);
      break;
    case Field::from_name:
      item->from.name = t;
      break;
    case Field::from_email:
      item->from.email_address = std::string(trim(t));
      break;
    case Field::from_routing:
      item->from.routing_type = std::string(trim(t));
      break;
    case Field::flag_status:
      item->flag_status = std::string(trim(t));
      break;
    case Field::change_is_read:
      item_change->is_read = to_bool(t);
      break;
    case Field::att_name:
      attachment->name = t;
      break;
    case Field::att_content_type:
      attachment->content_type = std::string(trim(t));
      break;
    case Field::att_content_id:
      attachment->content_id = std::string(trim(t));
      break;
    case Field::att_content_location:
      attachment->content_location = std::string(trim(t));
      break;
    case Field::att_size:
      attachment->size = to_number(t);
      break;
    case Field::att_modified:
      attachment->last_modified_time = std::string(trim(t));
      break;
    case Field::att_inline:
      attachment->is_inline = to_bool(t);
      break;
    case Field::att_contact_photo:
      attachment->is_contact_photo = to_bool(t);
      break;
    case Field::embedded_class:
      attachment->embedded_item_class = std::string(trim(t));
      break;
    case Field::embedded_subject:
      attachment->embedded_subject = t;
      break;
    case Field::folder_name:
      folder->display_name = t;
      break;
    case Field::folder_class:
      folder->folder_class = std::string(trim(t));
      break;
    case Field::total_count:
      folder->total_count = to_number(t);
      break;
    case Field::child_count:
      folder->child_folder_count = to_number(t);
      break;
    case Field::unread_count:
      folder->unread_count = to_number(t);
      break;
    case Field::ext_value:
      if (extended_tag == 0x0E08) folder->size_bytes = to_number(t);
      break;
  }
  text.clear();
}

void ResponseParser::State::start(const xmlChar* localname, const xmlChar* uri, int attribute_count,
                                  const xmlChar** attributes) {
  if (error || stopped) return;
  if (++elements > limits.max_elements) {
    fail("more than " + std::to_string(limits.max_elements) + " elements");
    return;
  }
  if (frames.size() >= limits.max_depth) {
    fail("nesting deeper than " + std::to_string(limits.max_depth));
    return;
  }
  const std::string_view local(reinterpret_cast<const char*>(localname));
  Frame frame{Role::skip, Field::none, std::string(local), false};
  const Frame* parent = frames.empty() ? nullptr : &frames.back();
  if (parent != nullptr && parent->role == Role::skip) {
    frame.role = Role::skip;  // inside an unknown element: skip the whole subtree
  } else if (parent != nullptr && (parent->role == Role::text || parent->role == Role::content)) {
    frame.role = Role::skip;  // markup inside a text field: ignored, text goes on
  } else {
    frame.role = open_role(parent, ns_of(uri), local, attributes, attribute_count, frame);
  }
  frames.push_back(std::move(frame));
}

void ResponseParser::State::end() {
  if (error || stopped || frames.empty()) return;
  Frame frame = std::move(frames.back());
  frames.pop_back();
  switch (frame.role) {
    case Role::text:
      close_text(frame);
      break;
    case Role::content:
      decoder->finish([this](std::string_view bytes) { emit_content(bytes); });
      if (!stopped) attachment->content_damaged = decoder->damaged();
      decoder.reset();
      if (stopped) xmlStopParser(ctxt);
      break;
    case Role::envelope:
      envelope_closed = true;
      break;
    case Role::message:
      message = nullptr;
      break;
    case Role::item:
      item = nullptr;
      break;
    case Role::attachments:
      attachment_list = nullptr;
      break;
    case Role::attachment:
      attachment = nullptr;
      break;
    case Role::folder:
      folder = nullptr;
      break;
    default:
      break;
  }
}

void ResponseParser::State::characters(const xmlChar* bytes, int length) {
  if (error || stopped || frames.empty()) return;
  const std::string_view piece(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
  Frame& frame = frames.back();
  if (frame.role == Role::text) {
    if (text.size() + piece.size() > limits.max_text) {
      fail("text longer than " + std::to_string(limits.max_text) + " bytes");
      return;
    }
    text += piece;
  } else if (frame.role == Role::content) {
    decoder->feed(piece, [this](std::string_view decoded) { emit_content(decoded); });
    if (stopped) xmlStopParser(ctxt);
  }
}

}  // namespace mailprune::ews
