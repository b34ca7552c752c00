// GetAttachment, DeleteAttachment, CreateAttachment.
#include <algorithm>

#include "ews_server/ews_protocol.hpp"
#include "ews_server/ids.hpp"

namespace mailprune::ews_test {
namespace {

struct Found {
  StoredItem* item;
  StoredAttachment* attachment;
};

Found resolve_attachment(RequestContext& context, xmlNodePtr id) {
  auto ref = parse_attachment_id(attribute(id, "Id"));
  if (!ref) throw ItemError("ErrorInvalidIdMalformed", "Id is malformed.");
  StoredItem* item = context.store.item(ref->item);
  if (item == nullptr || (item->mailbox != context.mailbox && !context.full_access)) {
    throw ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
  }
  for (auto& attachment : item->attachments) {
    if (attachment.number == ref->attachment) return {item, &attachment};
  }
  throw ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
}

// The embedded message of an ItemAttachment, as Exchange returns it inside <t:ItemAttachment>.
void write_embedded_message(XmlWriter& xml, ResponseBody& body, const StoredAttachment& attachment,
                            bool include_mime_content) {
  MimeItem embedded = parse_mime_item(*attachment.mime.content);
  xml.open(embedded.item_class == "IPM.Schedule.Meeting.Request" ? "t:MeetingRequest" : "t:Message");
  if (include_mime_content) {
    xml.raw("<t:MimeContent CharacterSet=\"UTF-8\">");
    body.append_text(xml.take());
    body.append_base64(attachment.mime.content);
    xml.raw("</t:MimeContent>");
  }
  xml.leaf("t:ItemClass", embedded.item_class);
  xml.leaf("t:Subject", embedded.subject);
  xml.leaf("t:Size", attachment.size());
  if (embedded.date_sent) xml.leaf("t:DateTimeSent", iso_time(embedded.date_sent));
  bool has_attachments = std::any_of(embedded.attachments.begin(), embedded.attachments.end(),
                                     [](const MimeAttachment& a) { return !a.is_inline; });
  xml.leaf_bool("t:HasAttachments", has_attachments);
  if (!embedded.from_address.empty()) {
    xml.open("t:From").open("t:Mailbox");
    xml.leaf("t:Name", embedded.from_name.empty() ? embedded.from_address : embedded.from_name);
    xml.leaf("t:EmailAddress", embedded.from_address);
    xml.leaf("t:RoutingType", "SMTP");
    xml.close().close();
  }
  if (!embedded.internet_message_id.empty()) xml.leaf("t:InternetMessageId", embedded.internet_message_id);
  xml.close();
}

}  // namespace

ResponseBody handle_get_attachment(RequestContext& context, xmlNodePtr request) {
  xmlNodePtr shape = first_child(request, kMessagesNs, "AttachmentShape");
  bool include_mime_content = node_text(first_child(shape, kTypesNs, "IncludeMimeContent")) == "true";
  XmlWriter xml;
  ResponseBody body;
  xml.open("m:GetAttachmentResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "AttachmentIds"), kTypesNs)) {
    try {
      Found found = resolve_attachment(context, id);
      const MimeAttachment& mime = found.attachment->mime;
      open_success_message(xml, "GetAttachment");
      xml.open("m:Attachments");
      xml.open(mime.is_item ? "t:ItemAttachment" : "t:FileAttachment");
      xml.empty("t:AttachmentId", {{"Id", attachment_id(found.item->number, found.attachment->number)}});
      xml.leaf("t:Name", mime.name);
      xml.leaf("t:ContentType", mime.content_type);
      if (!mime.content_id.empty()) xml.leaf("t:ContentId", mime.content_id);
      if (mime.is_item) {
        xml.leaf("t:Size", found.attachment->size());
        xml.leaf("t:LastModifiedTime", iso_time(found.item->last_modified));
        xml.leaf_bool("t:IsInline", mime.is_inline);
        write_embedded_message(xml, body, *found.attachment, include_mime_content);
      } else {
        // As Exchange Online answers (see sample-getattachment-response-exchange-online.xml):
        // no Size, LastModifiedTime or IsInline here, only the content.
        xml.raw("<t:Content>");
        body.append_text(xml.take());
        body.append_base64(mime.content);
        xml.raw("</t:Content>");
      }
      xml.close().close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "GetAttachment", error.code, error.what(), "m:Attachments");
    }
  }
  xml.close().close();
  body.append_text(xml.take());
  return body;
}

ResponseBody handle_delete_attachment(RequestContext& context, xmlNodePtr request) {
  XmlWriter xml;
  xml.open("m:DeleteAttachmentResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "AttachmentIds"), kTypesNs)) {
    try {
      Found found = resolve_attachment(context, id);
      StoredItem& item = *found.item;
      item.size = std::max<std::int64_t>(0, item.size - found.attachment->size());
      item.attachments.erase(std::remove_if(item.attachments.begin(), item.attachments.end(),
                                            [&](const StoredAttachment& a) { return &a == found.attachment; }),
                             item.attachments.end());
      context.store.touch(item);
      open_success_message(xml, "DeleteAttachment");
      xml.empty("m:RootItemId", {{"RootItemId", item_id(item.number)},
                                 {"RootItemChangeKey", item_change_key(item.number, item.change)}});
      xml.close();
    } catch (const ItemError& error) {
      write_error_message(xml, "DeleteAttachment", error.code, error.what(), nullptr);
    }
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

ResponseBody handle_create_attachment(RequestContext& context, xmlNodePtr request) {
  XmlWriter xml;
  xml.open("m:CreateAttachmentResponse").open("m:ResponseMessages");
  StoredItem* item = nullptr;
  std::string parent_error_code, parent_error_text;
  try {
    item = &resolve_item(context, first_child(request, kMessagesNs, "ParentItemId"));
  } catch (const ItemError& error) {
    parent_error_code = error.code;
    parent_error_text = error.what();
  }
  for (xmlNodePtr element : child_elements(first_child(request, kMessagesNs, "Attachments"), kTypesNs)) {
    if (item == nullptr) {
      write_error_message(xml, "CreateAttachment", parent_error_code, parent_error_text, "m:Attachments");
      continue;
    }
    std::string kind = reinterpret_cast<const char*>(element->name);
    StoredAttachment attachment;
    attachment.number = item->next_attachment++;
    attachment.mime.name = node_text(first_child(element, kTypesNs, "Name"));
    attachment.mime.content_id = node_text(first_child(element, kTypesNs, "ContentId"));
    attachment.mime.is_inline = node_text(first_child(element, kTypesNs, "IsInline")) == "true";
    std::string content;
    if (kind == "FileAttachment") {
      attachment.mime.content_type = node_text(first_child(element, kTypesNs, "ContentType"));
      if (attachment.mime.content_type.empty()) attachment.mime.content_type = "application/octet-stream";
      content = base64_decode(node_text(first_child(element, kTypesNs, "Content"))).value_or("");
    } else {
      attachment.mime.is_item = true;
      attachment.mime.content_type = "message/rfc822";
      for (xmlNodePtr embedded : child_elements(element, kTypesNs)) {
        if (xmlNodePtr mime = first_child(embedded, kTypesNs, "MimeContent")) {
          content = base64_decode(node_text(mime)).value_or("");
        }
      }
    }
    attachment.mime.content = std::make_shared<const std::string>(std::move(content));
    item->size += attachment.size();
    std::uint32_t number = attachment.number;
    bool is_item = attachment.mime.is_item;
    item->attachments.push_back(std::move(attachment));
    context.store.touch(*item);
    open_success_message(xml, "CreateAttachment");
    xml.open("m:Attachments").open(is_item ? "t:ItemAttachment" : "t:FileAttachment");
    xml.empty("t:AttachmentId", {{"Id", attachment_id(item->number, number)},
                                 {"RootItemId", item_id(item->number)},
                                 {"RootItemChangeKey", item_change_key(item->number, item->change)}});
    xml.close().close().close();
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

}  // namespace mailprune::ews_test
