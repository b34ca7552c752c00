#include "ews/message_record.hpp"

#include <algorithm>
#include <cctype>

namespace mailprune::ews {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "Text/Plain; charset=utf-8" -> "text/plain".
std::string media_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  if (semicolon != std::string_view::npos) content_type = content_type.substr(0, semicolon);
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.back()))) {
    content_type.remove_suffix(1);
  }
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.front()))) {
    content_type.remove_prefix(1);
  }
  return lower(content_type);
}

}  // namespace

std::string protection_of(std::string_view item_class) {
  const std::string cls = lower(item_class);
  if (cls.starts_with("ipm.note.smime.multipartsigned")) return "signed";
  if (cls.starts_with("ipm.note.smime")) return "encrypted";
  if (cls.starts_with("ipm.schedule.meeting") || cls.starts_with("ipm.appointment")) return "calendar";
  return "";
}

connector::AttachmentRecord attachment_record(const Attachment& attachment, const RecordOptions& options) {
  connector::AttachmentRecord record;
  record.section = attachment.id;
  record.name = attachment.name;
  record.content_type = media_type(attachment.content_type);
  if (record.content_type.empty() || record.content_type.find('/') == std::string::npos) {
    record.content_type = attachment.kind == AttachmentKind::item ? "message/rfc822" : "application/octet-stream";
  }
  record.size = attachment.size.value_or(0);
  record.size_exact = options.attachment_sizes_exact && attachment.size.has_value();
  record.is_inline = attachment.is_inline.value_or(false);
  return record;
}

connector::MessageRecord message_record(const Item& item, const RecordOptions& options) {
  connector::MessageRecord record;
  record.ref.item_id = item.id.id;
  record.ref.change_key = item.id.change_key;
  record.size = item.size.value_or(0);
  record.internal_date = parse_date_time(item.date_time_received);
  record.sent_date = parse_date_time(item.date_time_sent);
  record.from_address = item.from.email_address;
  record.subject = item.subject;
  record.message_id = item.internet_message_id;
  if (item.is_read.value_or(false)) record.flags.emplace_back("\\Seen");
  if (item.flag_status == "Flagged") record.flags.emplace_back("\\Flagged");
  record.protection = protection_of(item.item_class);
  for (const Attachment& attachment : item.attachments) {
    if (attachment.kind == AttachmentKind::reference) continue;
    record.attachments.push_back(attachment_record(attachment, options));
  }
  return record;
}

}  // namespace mailprune::ews
