#include "mime/attachments.hpp"

#include "mime/ascii.hpp"
#include "mime/header_decode.hpp"

namespace mailprune::mime {
namespace {

using ascii::to_lower;

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (to_lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

struct WalkContext {
  const CidSet* html_cids;
  std::vector<Attachment>* out;
};

// A part whose Content-Type could not be read (Dovecot's BODYSTRUCTURE then says `"" ""`) is
// text/plain, as RFC 2045 section 5.2 says of an invalid Content-Type.
std::string effective_type(const MimePart& part) {
  return part.type.empty() ? "text" : part.type;
}
std::string effective_subtype(const MimePart& part) {
  return part.type.empty() ? "plain" : part.subtype;
}

bool is_attachment_leaf(const MimePart& part, const std::string& name) {
  return part.disposition == "attachment" || !name.empty() || effective_type(part) != "text";
}

void walk(const MimePart& part, bool inside_related, const WalkContext& context) {
  if (part.type == "multipart") {
    const bool related = inside_related || part.subtype == "related";
    for (const MimePart& child : part.children) walk(child, related, context);
    return;
  }
  std::string name = attachment_name(part);
  if (part.type != "message" && !is_attachment_leaf(part, name)) return;

  Attachment attachment;
  attachment.section = part.section.empty() ? "1" : part.section;
  attachment.name = std::move(name);
  attachment.content_type = effective_type(part) + "/" + effective_subtype(part);
  attachment.transfer_encoding = part.transfer_encoding;
  attachment.content_id = part.content_id;
  const bool related_inline = inside_related && (part.disposition.empty() || part.disposition == "inline");
  const bool referenced = context.html_cids != nullptr && !part.content_id.empty() &&
                          context.html_cids->count(normalize_content_id(part.content_id)) > 0;
  attachment.is_inline = related_inline || referenced;
  if (part.decoded_size) {
    attachment.size = *part.decoded_size;
    attachment.size_exact = true;
  } else if (part.encoded_size) {
    const SizeEstimate estimate = estimate_decoded_size(*part.encoded_size, part.transfer_encoding);
    attachment.size = estimate.size;
    attachment.size_exact = estimate.exact;
  }
  attachment.sha256 = part.sha256;
  attachment.damaged = part.damaged;
  context.out->push_back(std::move(attachment));
}

void protect(const MimePart& part, MessageProtection& protection) {
  const std::string& type = part.type;
  const std::string& subtype = part.subtype;
  if ((type == "multipart" && (subtype == "signed" || subtype == "encrypted")) ||
      (type == "application" && (subtype == "pkcs7-mime" || subtype == "x-pkcs7-mime"))) {
    protection.signed_or_encrypted = true;
  }
  if ((type == "text" && (subtype == "calendar" || subtype == "x-vcalendar")) ||
      (type == "application" && subtype == "ics")) {
    protection.calendar_invitation = true;
  }
  if ((type == "application" && (subtype == "ms-tnef" || subtype == "vnd.ms-tnef")) ||
      (type != "multipart" && to_lower(attachment_name(part)) == "winmail.dat")) {
    protection.tnef = true;
  }
  if (type == "multipart") {
    for (const MimePart& child : part.children) protect(child, protection);
  }
}

}  // namespace

std::string normalize_content_id(std::string_view content_id) {
  content_id = ascii::trim(content_id);
  if (starts_with_ignoring_case(content_id, "cid:")) content_id.remove_prefix(4);
  if (!content_id.empty() && content_id.front() == '<') content_id.remove_prefix(1);
  if (!content_id.empty() && content_id.back() == '>') content_id.remove_suffix(1);
  return to_lower(ascii::percent_decode(content_id));
}

void add_cid_references(std::string_view html, CidSet& cids) {
  constexpr std::string_view stops = "\"' \t\r\n<>)&";
  for (std::size_t i = 0; i + 4 <= html.size(); ++i) {
    if (!starts_with_ignoring_case(html.substr(i), "cid:")) continue;
    const std::size_t start = i + 4;
    std::size_t end = html.find_first_of(stops, start);
    if (end == std::string_view::npos) end = html.size();
    if (end > start) cids.insert(normalize_content_id(html.substr(start, end - start)));
    i = end == start ? start : end - 1;
  }
}

std::vector<Attachment> classify_attachments(const MimePart& root, const CidSet* html_cids) {
  std::vector<Attachment> attachments;
  walk(root, false, WalkContext{html_cids, &attachments});
  return attachments;
}

SizeEstimate estimate_decoded_size(std::uint64_t encoded_size, std::string_view transfer_encoding) {
  const std::string encoding = to_lower(transfer_encoding);
  if (encoding == "base64") {
    const std::uint64_t line_breaks = encoded_size / 78;
    const std::uint64_t characters = encoded_size - 2 * line_breaks;
    return {characters / 4 * 3 + (characters % 4) * 3 / 4, false};
  }
  if (encoding == "quoted-printable") return {encoded_size, false};
  if (encoding.empty() || encoding == "7bit" || encoding == "8bit" || encoding == "binary") {
    return {encoded_size, true};
  }
  return {encoded_size, false};
}

MessageProtection message_protection(const MimePart& root) {
  MessageProtection protection;
  protect(root, protection);
  return protection;
}

}  // namespace mailprune::mime
