#include "ews_server/ews_protocol.hpp"

#include <cstring>

#include "ews_server/ids.hpp"

namespace mailprune::ews_test {

// ---- DOM ----

bool is_element(xmlNodePtr node, const char* ns, const char* name) {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) return false;
  if (name && std::strcmp(reinterpret_cast<const char*>(node->name), name) != 0) return false;
  if (ns) {
    if (node->ns == nullptr || std::strcmp(reinterpret_cast<const char*>(node->ns->href), ns) != 0) return false;
  }
  return true;
}

xmlNodePtr first_child(xmlNodePtr parent, const char* ns, const char* name) {
  if (parent == nullptr) return nullptr;
  for (xmlNodePtr child = parent->children; child; child = child->next) {
    if (is_element(child, ns, name)) return child;
  }
  return nullptr;
}

std::vector<xmlNodePtr> child_elements(xmlNodePtr parent, const char* ns, const char* name) {
  std::vector<xmlNodePtr> out;
  if (parent == nullptr) return out;
  for (xmlNodePtr child = parent->children; child; child = child->next) {
    if (is_element(child, ns, name)) out.push_back(child);
  }
  return out;
}

std::string node_text(xmlNodePtr node) {
  if (node == nullptr) return {};
  xmlChar* content = xmlNodeGetContent(node);
  std::string text = content ? reinterpret_cast<const char*>(content) : "";
  xmlFree(content);
  return text;
}

std::string attribute(xmlNodePtr node, const char* name) {
  if (node == nullptr) return {};
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string text = value ? reinterpret_cast<const char*>(value) : "";
  xmlFree(value);
  return text;
}

// ---- ResponseBody ----

void ResponseBody::append_text(std::string text) {
  if (!pieces.empty() && !pieces.back().base64_of) {
    pieces.back().text += text;
  } else {
    pieces.push_back({std::move(text), nullptr});
  }
}

void ResponseBody::append_base64(std::shared_ptr<const std::string> content) {
  pieces.push_back({{}, std::move(content)});
}

std::uint64_t ResponseBody::content_bytes() const {
  std::uint64_t total = 0;
  for (const auto& piece : pieces) total += piece.base64_of ? piece.base64_of->size() : 0;
  return total;
}

std::string ResponseBody::materialise(bool content_placeholder) const {
  std::string out;
  for (const auto& piece : pieces) {
    if (!piece.base64_of)
      out += piece.text;
    else if (!content_placeholder)
      out += base64_encode(*piece.base64_of);
  }
  return out;
}

// ---- shapes ----

bool Shape::has(const std::string& field) const {
  return fields.count(field) > 0;
}

namespace {

void add_additional(Shape& shape, xmlNodePtr shape_element) {
  xmlNodePtr additional = first_child(shape_element, kTypesNs, "AdditionalProperties");
  for (xmlNodePtr path : child_elements(additional, kTypesNs)) {
    std::string kind = reinterpret_cast<const char*>(path->name);
    if (kind == "FieldURI") {
      shape.fields.insert(attribute(path, "FieldURI"));
    } else if (kind == "ExtendedFieldURI") {
      std::string tag = attribute(path, "PropertyTag");
      unsigned long value = 0;
      try {
        value = std::stoul(tag, nullptr, 0);
      } catch (...) {
        continue;
      }
      if (value == 0x0e08) shape.fields.insert("ext:0xe08");
    }
  }
}

}  // namespace

Shape parse_item_shape(xmlNodePtr shape_element, bool for_find) {
  Shape shape;
  shape.base = node_text(first_child(shape_element, kTypesNs, "BaseShape"));
  shape.include_mime_content = node_text(first_child(shape_element, kTypesNs, "IncludeMimeContent")) == "true";
  if (shape.base == "Default" || shape.base == "AllProperties") {
    for (const char* field :
         {"item:ParentFolderId", "item:ItemClass", "item:Subject", "item:DateTimeReceived", "item:Size",
          "item:DateTimeSent", "item:DateTimeCreated", "item:HasAttachments", "message:From", "message:IsRead"}) {
      shape.fields.insert(field);
    }
    if (!for_find) shape.fields.insert("item:Attachments");
  }
  if (shape.base == "AllProperties") {
    for (const char* field : {"item:LastModifiedTime", "item:Flag", "message:Sender", "message:InternetMessageId"}) {
      shape.fields.insert(field);
    }
  }
  add_additional(shape, shape_element);
  if (shape.has("item:MimeContent")) shape.include_mime_content = true;
  if (for_find) {
    // FindItem never returns attachments or MIME content (Exchange requires GetItem for them).
    shape.fields.erase("item:Attachments");
    shape.include_mime_content = false;
  }
  return shape;
}

Shape parse_folder_shape(xmlNodePtr shape_element) {
  Shape shape;
  shape.base = node_text(first_child(shape_element, kTypesNs, "BaseShape"));
  if (shape.base == "Default" || shape.base == "AllProperties") {
    for (const char* field :
         {"folder:DisplayName", "folder:TotalCount", "folder:ChildFolderCount", "folder:UnreadCount"}) {
      shape.fields.insert(field);
    }
  }
  if (shape.base == "AllProperties") {
    shape.fields.insert("folder:ParentFolderId");
    shape.fields.insert("folder:FolderClass");
  }
  add_additional(shape, shape_element);
  return shape;
}

std::string iso_time(std::time_t when) {
  std::tm parts{};
  gmtime_r(&when, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

// ---- rendering ----

const char* item_element_name(const StoredItem& item) {
  return item.mime.item_class == "IPM.Schedule.Meeting.Request" ? "t:MeetingRequest" : "t:Message";
}

void write_attachment_summary(XmlWriter& xml, const StoredItem& item, const StoredAttachment& attachment) {
  const auto& mime = attachment.mime;
  xml.open(mime.is_item ? "t:ItemAttachment" : "t:FileAttachment");
  xml.empty("t:AttachmentId", {{"Id", attachment_id(item.number, attachment.number)}});
  xml.leaf("t:Name", mime.name);
  xml.leaf("t:ContentType", mime.content_type);
  if (!mime.content_id.empty()) xml.leaf("t:ContentId", mime.content_id);
  xml.leaf("t:Size", attachment.size());
  xml.leaf("t:LastModifiedTime", iso_time(item.last_modified));
  xml.leaf_bool("t:IsInline", mime.is_inline);
  if (!mime.is_item) xml.leaf_bool("t:IsContactPhoto", false);
  xml.close();
}

namespace {

void write_mailbox(XmlWriter& xml, const char* element, const std::string& name, const std::string& address) {
  xml.open(element).open("t:Mailbox");
  xml.leaf("t:Name", name.empty() ? address : name);
  xml.leaf("t:EmailAddress", address);
  xml.leaf("t:RoutingType", "SMTP");
  xml.leaf("t:MailboxType", "OneOff");
  xml.close().close();
}

}  // namespace

void write_item(XmlWriter& xml, ResponseBody* body, RequestContext& context, const StoredItem& item,
                const Shape& shape) {
  (void)context;
  xml.open(item_element_name(item));
  if (shape.include_mime_content && body != nullptr) {
    xml.raw("<t:MimeContent CharacterSet=\"UTF-8\">");
    body->append_text(xml.take());
    body->append_base64(item.raw);
    xml.raw("</t:MimeContent>");
  }
  xml.empty("t:ItemId", {{"Id", item_id(item.number)}, {"ChangeKey", item_change_key(item.number, item.change)}});
  if (shape.has("item:ParentFolderId")) {
    const StoredFolder* parent = context.store.folder(item.folder);
    xml.empty("t:ParentFolderId", {{"Id", folder_id(item.folder)},
                                   {"ChangeKey", folder_change_key(item.folder, parent ? parent->change : 1)}});
  }
  if (shape.has("item:ItemClass")) xml.leaf("t:ItemClass", item.mime.item_class);
  if (shape.has("item:Subject")) xml.leaf("t:Subject", item.mime.subject);
  if (shape.has("item:Attachments") && !item.attachments.empty()) {
    xml.open("t:Attachments");
    for (const auto& attachment : item.attachments) write_attachment_summary(xml, item, attachment);
    xml.close();
  }
  if (shape.has("item:DateTimeReceived")) xml.leaf("t:DateTimeReceived", iso_time(item.received));
  if (shape.has("item:Size")) xml.leaf("t:Size", item.size);
  if (shape.has("item:DateTimeSent"))
    xml.leaf("t:DateTimeSent", iso_time(item.mime.date_sent ? item.mime.date_sent : item.received));
  if (shape.has("item:DateTimeCreated")) xml.leaf("t:DateTimeCreated", iso_time(item.received));
  if (shape.has("item:HasAttachments")) {
    // Exchange's HasAttachments ignores inline attachments.
    bool visible = false;
    for (const auto& attachment : item.attachments) visible = visible || !attachment.mime.is_inline;
    xml.leaf_bool("t:HasAttachments", visible);
  }
  if (shape.has("item:LastModifiedTime")) xml.leaf("t:LastModifiedTime", iso_time(item.last_modified));
  if (shape.has("item:Flag")) {
    xml.open("t:Flag").leaf("t:FlagStatus", item.is_flagged ? "Flagged" : "NotFlagged").close();
  }
  if (shape.has("message:Sender") && !item.mime.from_address.empty()) {
    write_mailbox(xml, "t:Sender", item.mime.from_name, item.mime.from_address);
  }
  if (shape.has("message:From") && !item.mime.from_address.empty()) {
    write_mailbox(xml, "t:From", item.mime.from_name, item.mime.from_address);
  }
  if (shape.has("message:InternetMessageId") && !item.mime.internet_message_id.empty()) {
    xml.leaf("t:InternetMessageId", item.mime.internet_message_id);
  }
  if (shape.has("message:IsRead")) xml.leaf_bool("t:IsRead", item.is_read);
  xml.close();
}

void write_folder(XmlWriter& xml, RequestContext& context, const StoredFolder& folder, const Shape& shape) {
  xml.open("t:Folder");
  xml.empty("t:FolderId",
            {{"Id", folder_id(folder.number)}, {"ChangeKey", folder_change_key(folder.number, folder.change)}});
  if (shape.has("folder:ParentFolderId") && folder.parent != 0) {
    const StoredFolder* parent = context.store.folder(folder.parent);
    xml.empty("t:ParentFolderId", {{"Id", folder_id(folder.parent)},
                                   {"ChangeKey", folder_change_key(folder.parent, parent ? parent->change : 1)}});
  }
  if (shape.has("folder:FolderClass") && folder.distinguished != "root") xml.leaf("t:FolderClass", folder.folder_class);
  if (shape.has("folder:DisplayName")) xml.leaf("t:DisplayName", folder.name);
  if (shape.has("folder:TotalCount")) xml.leaf("t:TotalCount", static_cast<std::int64_t>(folder.items.size()));
  if (shape.has("folder:ChildFolderCount")) {
    xml.leaf("t:ChildFolderCount", static_cast<std::int64_t>(context.store.children(folder.number).size()));
  }
  if (shape.has("ext:0xe08")) {
    xml.open("t:ExtendedProperty");
    xml.empty("t:ExtendedFieldURI", {{"PropertyTag", "0xe08"}, {"PropertyType", "Long"}});
    xml.leaf("t:Value", context.store.folder_size(folder));
    xml.close();
  }
  if (shape.has("folder:DistinguishedFolderId") && !folder.distinguished.empty()) {
    xml.leaf("t:DistinguishedFolderId", folder.distinguished);
  }
  if (shape.has("folder:UnreadCount")) {
    std::int64_t unread = 0;
    for (std::uint64_t number : folder.items) {
      const StoredItem* item = context.store.item(number);
      if (item && !item->is_read) ++unread;
    }
    xml.leaf("t:UnreadCount", unread);
  }
  xml.close();
}

void write_error_message(XmlWriter& xml, const std::string& operation, const std::string& code, const std::string& text,
                         const char* empty_container) {
  std::string element = "m:" + operation + "ResponseMessage";
  xml.open(element, {{"ResponseClass", "Error"}});
  xml.leaf("m:MessageText", text);
  xml.leaf("m:ResponseCode", code);
  xml.leaf("m:DescriptiveLinkKey", 0);
  if (empty_container) xml.empty(empty_container);
  xml.close();
}

void open_success_message(XmlWriter& xml, const std::string& operation) {
  xml.open("m:" + operation + "ResponseMessage", {{"ResponseClass", "Success"}});
  xml.leaf("m:ResponseCode", "NoError");
}

// ---- id resolution ----

StoredFolder& resolve_folder(RequestContext& context, xmlNodePtr id_element) {
  if (is_element(id_element, kTypesNs, "FolderId")) {
    auto number = parse_folder_id(attribute(id_element, "Id"));
    if (!number) throw ItemError("ErrorInvalidIdMalformed", "Id is malformed.");
    StoredFolder* folder = context.store.folder(*number);
    if (folder == nullptr)
      throw ItemError("ErrorFolderNotFound", "The specified folder could not be found in the store.");
    if (folder->mailbox != context.mailbox && !context.full_access) {
      throw ItemError("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    }
    return *folder;
  }
  if (is_element(id_element, kTypesNs, "DistinguishedFolderId")) {
    std::string mailbox = context.mailbox;
    if (xmlNodePtr owner = first_child(id_element, kTypesNs, "Mailbox")) {
      std::string address = node_text(first_child(owner, kTypesNs, "EmailAddress"));
      if (!address.empty()) mailbox = address;
    }
    Mailbox* target = context.store.mailbox(mailbox);
    if (target == nullptr) {
      throw ItemError("ErrorNonExistentMailbox", "No mailbox with such guid.");
    }
    if (target->address != context.mailbox && !context.full_access) {
      throw ItemError("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    }
    StoredFolder* folder = context.store.distinguished_folder(target->address, attribute(id_element, "Id"));
    if (folder == nullptr)
      throw ItemError("ErrorFolderNotFound", "The specified folder could not be found in the store.");
    return *folder;
  }
  throw ItemError("ErrorInvalidIdMalformed", "Id is malformed.");
}

StoredItem& resolve_item(RequestContext& context, xmlNodePtr id_element) {
  auto number = parse_item_id(attribute(id_element, "Id"));
  if (!number) throw ItemError("ErrorInvalidIdMalformed", "Id is malformed.");
  StoredItem* item = context.store.item(*number);
  if (item == nullptr) throw ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
  if (item->mailbox != context.mailbox && !context.full_access) {
    throw ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
  }
  return *item;
}

ResponseBody handle_operation(const std::string& operation, RequestContext& context, xmlNodePtr request) {
  if (operation == "GetFolder") return handle_get_folder(context, request);
  if (operation == "FindFolder") return handle_find_folder(context, request);
  if (operation == "SyncFolderHierarchy") return handle_sync_folder_hierarchy(context, request);
  if (operation == "CreateFolder") return handle_create_folder(context, request);
  if (operation == "FindItem") return handle_find_item(context, request);
  if (operation == "SyncFolderItems") return handle_sync_folder_items(context, request);
  if (operation == "GetItem") return handle_get_item(context, request);
  if (operation == "UpdateItem") return handle_update_item(context, request);
  if (operation == "MoveItem") return handle_move_item(context, request);
  if (operation == "DeleteItem") return handle_delete_item(context, request);
  if (operation == "GetAttachment") return handle_get_attachment(context, request);
  if (operation == "DeleteAttachment") return handle_delete_attachment(context, request);
  if (operation == "CreateAttachment") return handle_create_attachment(context, request);
  if (operation == "ResolveNames") return handle_resolve_names(context, request);
  throw SoapFault("ErrorInvalidRequest",
                  "The request is invalid: " + operation + " is not implemented by the test server.");
}

}  // namespace mailprune::ews_test
