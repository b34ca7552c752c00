#include "ews/requests.hpp"

#include "mime/charset.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mailprune::ews {
namespace {

constexpr std::array<std::string_view, 19> kVersions = {
    "Exchange2007",     "Exchange2007_SP1", "Exchange2009", "Exchange2010",     "Exchange2010_SP1",
    "Exchange2010_SP2", "Exchange2012",     "Exchange2013", "Exchange2013_SP1", "Exchange2015",
    "Exchange2016",     "V2015_10_05",      "V2016_01_06",  "V2016_04_13",      "V2016_07_13",
    "V2016_10_10",      "V2017_01_07",      "V2017_04_14",  "V2017_07_11"};

std::size_t version_rank(std::string_view version) {
  const auto it = std::find(kVersions.begin(), kVersions.end(), version);
  return it == kVersions.end() ? kVersions.size() : static_cast<std::size_t>(it - kVersions.begin());
}

// Decodes one UTF-8 sequence at text[i]; returns the code point (0xFFFD when invalid) and advances i.
std::uint32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  int length = 0;
  std::uint32_t cp = 0;
  std::uint32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, minimum = 0x10000;
  } else {
    ++i;
    return 0xFFFD;
  }
  std::size_t k = i + 1;
  for (int n = 1; n < length; ++n, ++k) {
    if (k >= text.size() || (byte(k) & 0xC0) != 0x80) {
      i = k;  // resynchronise on the byte that broke the sequence
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  i = k;
  if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  return cp;
}

bool allowed_in_xml(std::uint32_t cp) {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
  return cp != 0xFFFE && cp != 0xFFFF;
}

// Builds one envelope.
class Envelope {
 public:
  explicit Envelope(const RequestContext& context) : context_(context) {
    out_.reserve(2048);
    out_ += R"(<?xml version="1.0" encoding="utf-8"?>)";
    out_ += "\n<soap:Envelope xmlns:soap=\"";
    out_ += soap_namespace;
    out_ += "\" xmlns:t=\"";
    out_ += types_namespace;
    out_ += "\" xmlns:m=\"";
    out_ += messages_namespace;
    out_ += "\"><soap:Header><t:RequestServerVersion Version=\"";
    out_ += xml_escape(context.server_version, true);
    out_ += "\"/>";
    if (!context.impersonate.empty()) {
      out_ += "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>";
      out_ += xml_escape(context.impersonate);
      out_ += "</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>";
    }
    out_ += "</soap:Header><soap:Body>";
  }

  Envelope& raw(std::string_view text) {
    out_ += text;
    return *this;
  }
  Envelope& text(std::string_view value) {
    out_ += xml_escape(value);
    return *this;
  }
  Envelope& attribute(std::string_view name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    out_ += xml_escape(value, true);
    out_ += '"';
    return *this;
  }
  // <t:name>value</t:name>
  Envelope& element(std::string_view name, std::string_view value) {
    out_ += '<';
    out_ += name;
    out_ += '>';
    out_ += xml_escape(value);
    out_ += "</";
    out_ += name;
    out_ += '>';
    return *this;
  }

  Envelope& item_id(const ItemId& id, std::string_view element = "t:ItemId") {
    raw("<").raw(element).attribute("Id", id.id);
    if (!id.change_key.empty()) attribute("ChangeKey", id.change_key);
    return raw("/>");
  }

  Envelope& folder_id(const FolderRef& folder) {
    if (!folder.distinguished) {
      raw("<t:FolderId").attribute("Id", folder.id);
      if (!folder.change_key.empty()) attribute("ChangeKey", folder.change_key);
      return raw("/>");
    }
    raw("<t:DistinguishedFolderId").attribute("Id", folder.id);
    if (!folder.change_key.empty()) attribute("ChangeKey", folder.change_key);
    if (context_.impersonate.empty() && !context_.delegate_mailbox.empty()) {
      raw("><t:Mailbox>")
          .element("t:EmailAddress", context_.delegate_mailbox)
          .raw("</t:Mailbox></t:DistinguishedFolderId>");
    } else {
      raw("/>");
    }
    return *this;
  }

  Envelope& item_shape(const std::vector<std::string>& fields, bool include_mime_content = false) {
    raw("<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>");
    if (include_mime_content) raw("<t:IncludeMimeContent>true</t:IncludeMimeContent>");
    additional_properties(fields);
    return raw("</m:ItemShape>");
  }

  Envelope& folder_shape() {
    raw("<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>");
    for (std::string_view field : {"folder:DisplayName", "folder:ParentFolderId", "folder:TotalCount",
                                   "folder:ChildFolderCount", "folder:FolderClass"}) {
      raw("<t:FieldURI").attribute("FieldURI", field).raw("/>");
    }
    // PR_MESSAGE_SIZE_EXTENDED: PT_I8, hence "Long" (0x0E08 with "Integer" is the 32-bit PR_MESSAGE_SIZE).
    raw(R"(<t:ExtendedFieldURI PropertyTag="0x0E08" PropertyType="Long"/>)");
    return raw("</t:AdditionalProperties></m:FolderShape>");
  }

  Envelope& item_ids(const std::vector<ItemId>& items) {
    if (items.empty()) throw std::invalid_argument("EWS request without item ids");
    raw("<m:ItemIds>");
    for (const ItemId& id : items) item_id(id);
    return raw("</m:ItemIds>");
  }

  Envelope& attachment_ids(const std::vector<std::string>& ids) {
    if (ids.empty()) throw std::invalid_argument("EWS request without attachment ids");
    raw("<m:AttachmentIds>");
    for (const std::string& id : ids) raw("<t:AttachmentId").attribute("Id", id).raw("/>");
    return raw("</m:AttachmentIds>");
  }

  Request finish(std::string operation, bool mutates) {
    out_ += "</soap:Body></soap:Envelope>\n";
    return Request{std::move(operation), std::move(out_), mutates};
  }

 private:
  void additional_properties(const std::vector<std::string>& fields) {
    if (fields.empty()) return;
    raw("<t:AdditionalProperties>");
    for (const std::string& field : fields) raw("<t:FieldURI").attribute("FieldURI", field).raw("/>");
    raw("</t:AdditionalProperties>");
  }

  const RequestContext& context_;
  std::string out_;
};

std::string_view delete_type_name(DeleteType type) {
  switch (type) {
    case DeleteType::hard_delete:
      return "HardDelete";
    case DeleteType::soft_delete:
      return "SoftDelete";
    case DeleteType::move_to_deleted_items:
      return "MoveToDeletedItems";
  }
  return "HardDelete";
}

std::string_view conflict_resolution_name(ConflictResolution resolution) {
  switch (resolution) {
    case ConflictResolution::never_overwrite:
      return "NeverOverwrite";
    case ConflictResolution::auto_resolve:
      return "AutoResolve";
    case ConflictResolution::always_overwrite:
      return "AlwaysOverwrite";
  }
  return "NeverOverwrite";
}

}  // namespace

bool is_known_server_version(std::string_view version) {
  return version_rank(version) < kVersions.size();
}

bool server_version_at_least(std::string_view version, std::string_view minimum) {
  return version_rank(version) >= version_rank(minimum);
}

std::vector<std::string> message_fields(std::string_view server_version, bool with_attachments) {
  std::vector<std::string> fields = {
      "item:ItemClass",    "item:Subject",        "item:Size",    "item:DateTimeReceived",
      "item:DateTimeSent", "item:HasAttachments", "message:From", "message:InternetMessageId",
      "message:IsRead"};
  if (server_version_at_least(server_version, "Exchange2013")) fields.emplace_back("item:Flag");
  if (with_attachments) fields.emplace_back("item:Attachments");
  return fields;
}

Request sync_folder_hierarchy(const RequestContext& context, const FolderRef& root, std::string_view sync_state) {
  Envelope e(context);
  e.raw("<m:SyncFolderHierarchy>").folder_shape().raw("<m:SyncFolderId>").folder_id(root).raw("</m:SyncFolderId>");
  if (!sync_state.empty()) e.element("m:SyncState", sync_state);
  e.raw("</m:SyncFolderHierarchy>");
  return e.finish("SyncFolderHierarchy", false);
}

Request find_folder_deep(const RequestContext& context, const FolderRef& root, std::uint32_t offset,
                         std::uint32_t max_entries) {
  Envelope e(context);
  e.raw(R"(<m:FindFolder Traversal="Deep">)").folder_shape();
  e.raw("<m:IndexedPageFolderView")
      .attribute("MaxEntriesReturned", std::to_string(std::clamp<std::uint32_t>(max_entries, 1, 1000)))
      .attribute("Offset", std::to_string(std::min<std::uint32_t>(offset, 0x7FFFFFFF)))
      .raw(R"( BasePoint="Beginning"/>)");
  e.raw("<m:ParentFolderIds>").folder_id(root).raw("</m:ParentFolderIds></m:FindFolder>");
  return e.finish("FindFolder", false);
}

Request get_folder(const RequestContext& context, const std::vector<FolderRef>& folders) {
  if (folders.empty()) throw std::invalid_argument("EWS GetFolder without folder ids");
  Envelope e(context);
  e.raw("<m:GetFolder>").folder_shape().raw("<m:FolderIds>");
  for (const FolderRef& folder : folders) e.folder_id(folder);
  e.raw("</m:FolderIds></m:GetFolder>");
  return e.finish("GetFolder", false);
}

Request find_item(const RequestContext& context, const FolderRef& folder, std::uint32_t offset,
                  std::uint32_t max_entries, const std::vector<std::string>& fields) {
  Envelope e(context);
  e.raw(R"(<m:FindItem Traversal="Shallow">)").item_shape(fields);
  e.raw("<m:IndexedPageItemView")
      .attribute("MaxEntriesReturned", std::to_string(std::clamp<std::uint32_t>(max_entries, 1, 1000)))
      .attribute("Offset", std::to_string(std::min<std::uint32_t>(offset, 0x7FFFFFFF)))
      .raw(R"( BasePoint="Beginning"/>)");
  e.raw("<m:ParentFolderIds>").folder_id(folder).raw("</m:ParentFolderIds></m:FindItem>");
  return e.finish("FindItem", false);
}

Request sync_folder_items(const RequestContext& context, const FolderRef& folder, std::string_view sync_state,
                          std::uint32_t max_changes) {
  Envelope e(context);
  e.raw("<m:SyncFolderItems>").item_shape({});
  e.raw("<m:SyncFolderId>").folder_id(folder).raw("</m:SyncFolderId>");
  if (!sync_state.empty()) e.element("m:SyncState", sync_state);
  e.element("m:MaxChangesReturned", std::to_string(std::clamp<std::uint32_t>(max_changes, 1, 512)));
  e.raw("<m:SyncScope>NormalItems</m:SyncScope></m:SyncFolderItems>");
  return e.finish("SyncFolderItems", false);
}

Request get_item(const RequestContext& context, const std::vector<ItemId>& items,
                 const std::vector<std::string>& fields) {
  Envelope e(context);
  e.raw("<m:GetItem>").item_shape(fields).item_ids(items).raw("</m:GetItem>");
  return e.finish("GetItem", false);
}

Request get_attachment(const RequestContext& context, const std::vector<std::string>& attachment_ids,
                       bool include_mime_content) {
  Envelope e(context);
  e.raw("<m:GetAttachment>");
  if (include_mime_content) {
    e.raw("<m:AttachmentShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:AttachmentShape>");
  }
  e.attachment_ids(attachment_ids).raw("</m:GetAttachment>");
  return e.finish("GetAttachment", false);
}

Request delete_attachment(const RequestContext& context, const std::vector<std::string>& attachment_ids) {
  Envelope e(context);
  e.raw("<m:DeleteAttachment>").attachment_ids(attachment_ids).raw("</m:DeleteAttachment>");
  return e.finish("DeleteAttachment", true);
}

Request create_attachment(const RequestContext& context, const ItemId& parent,
                          const std::vector<NewFileAttachment>& attachments) {
  if (attachments.empty()) throw std::invalid_argument("EWS CreateAttachment without attachments");
  Envelope e(context);
  e.raw("<m:CreateAttachment>").item_id(parent, "m:ParentItemId").raw("<m:Attachments>");
  for (const NewFileAttachment& attachment : attachments) {
    // AttachmentType order: Name, ContentType, ContentId, ..., IsInline; then Content.
    e.raw("<t:FileAttachment>").element("t:Name", attachment.name);
    if (!attachment.content_type.empty()) e.element("t:ContentType", attachment.content_type);
    if (!attachment.content_id.empty()) e.element("t:ContentId", attachment.content_id);
    e.element("t:IsInline", attachment.is_inline ? "true" : "false");
    e.raw("<t:Content>").raw(base64_encode(attachment.content)).raw("</t:Content></t:FileAttachment>");
  }
  e.raw("</m:Attachments></m:CreateAttachment>");
  return e.finish("CreateAttachment", true);
}

Request update_item_body(const RequestContext& context, const ItemId& item, BodyType type, std::string_view body,
                         ConflictResolution conflict_resolution) {
  Envelope e(context);
  e.raw("<m:UpdateItem MessageDisposition=\"SaveOnly\"")
      .attribute("ConflictResolution", conflict_resolution_name(conflict_resolution))
      .raw("><m:ItemChanges><t:ItemChange>")
      .item_id(item)
      .raw(R"(<t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Body"/><t:Message><t:Body BodyType=")")
      .raw(type == BodyType::html ? "HTML" : "Text")
      .raw("\">")
      .text(body)
      .raw("</t:Body></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>");
  return e.finish("UpdateItem", true);
}

Request create_folder(const RequestContext& context, const FolderRef& parent,
                      const std::vector<std::string>& display_names, std::string_view folder_class) {
  if (display_names.empty()) throw std::invalid_argument("EWS CreateFolder without folders");
  Envelope e(context);
  e.raw("<m:CreateFolder><m:ParentFolderId>").folder_id(parent).raw("</m:ParentFolderId><m:Folders>");
  for (const std::string& name : display_names) {
    // BaseFolderType order: FolderClass before DisplayName.
    e.raw("<t:Folder>");
    if (!folder_class.empty()) e.element("t:FolderClass", folder_class);
    e.element("t:DisplayName", name).raw("</t:Folder>");
  }
  e.raw("</m:Folders></m:CreateFolder>");
  return e.finish("CreateFolder", true);
}

Request move_item(const RequestContext& context, const std::vector<ItemId>& items, const FolderRef& to) {
  Envelope e(context);
  e.raw("<m:MoveItem><m:ToFolderId>").folder_id(to).raw("</m:ToFolderId>").item_ids(items).raw("</m:MoveItem>");
  return e.finish("MoveItem", true);
}

Request delete_item(const RequestContext& context, const std::vector<ItemId>& items, DeleteType type) {
  Envelope e(context);
  // The calendar/task attributes are required when the item is a meeting or a task and harmless
  // otherwise: nobody gets a cancellation, all occurrences go.
  e.raw("<m:DeleteItem")
      .attribute("DeleteType", delete_type_name(type))
      .raw(R"( SendMeetingCancellations="SendToNone" AffectedTaskOccurrences="AllOccurrences">)")
      .item_ids(items)
      .raw("</m:DeleteItem>");
  return e.finish("DeleteItem", true);
}

std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::uint32_t cp = next_code_point(text, i);
      if (!allowed_in_xml(cp)) cp = 0xFFFD;
      mime::append_utf8(out, cp);
      continue;
    }
    ++i;
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          if (c == 0x7F) {
            out += static_cast<char>(c);  // DEL is allowed in XML 1.0
          } else {
            mime::append_utf8(out, 0xFFFD);
          }
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace mailprune::ews
