#include "ews_server/mime_item.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <string_view>

#include <gmime/gmime.h>

namespace mailprune::ews_test {
namespace {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Valid UTF-8 as is; otherwise the bytes taken as Latin-1 (INVENTORY.md rule 5).
std::string valid_utf8(const std::string& text) {
  if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return text;
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// The raw (undecoded, unfolded) value of header `name` of `object`, or "".
std::string raw_header(GMimeObject* object, const char* name) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  GMimeHeader* header = headers ? g_mime_header_list_get_header(headers, name) : nullptr;
  const char* value = header ? g_mime_header_get_raw_value(header) : nullptr;
  std::string text = value ? value : "";
  std::string unfolded;
  for (char c : text) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  return unfolded;
}

// An RFC 2231 parameter (`name*=` or `name*0*=`, `name*1*=`...) from a raw header value: the
// pieces are joined before percent-decoding (a %XX split across pieces is common), then the
// charset is applied. Empty when the parameter has no RFC 2231 form.
std::string rfc2231_parameter(const std::string& header, const std::string& name) {
  std::map<int, std::pair<std::string, bool>> pieces;  // index -> (value, extended)
  std::string lowered = lower(header);
  std::size_t at = 0;
  while ((at = lowered.find(name + "*", at)) != std::string::npos) {
    bool starts = at == 0 || lowered[at - 1] == ';' || lowered[at - 1] == ' ' || lowered[at - 1] == '\t';
    std::size_t cursor = at + name.size() + 1;
    at = cursor;
    if (!starts) continue;
    int index = 0;
    bool extended = true;
    if (cursor < header.size() && std::isdigit(static_cast<unsigned char>(header[cursor]))) {
      std::size_t digits = cursor;
      while (digits < header.size() && std::isdigit(static_cast<unsigned char>(header[digits]))) ++digits;
      index = std::stoi(header.substr(cursor, digits - cursor));
      cursor = digits;
      extended = cursor < header.size() && header[cursor] == '*';
      if (extended) ++cursor;
    }
    while (cursor < header.size() && header[cursor] == ' ') ++cursor;
    if (cursor >= header.size() || header[cursor] != '=') continue;
    ++cursor;
    while (cursor < header.size() && header[cursor] == ' ') ++cursor;
    std::string value;
    if (cursor < header.size() && header[cursor] == '"') {
      std::size_t end = header.find('"', cursor + 1);
      value = header.substr(cursor + 1, end == std::string::npos ? std::string::npos : end - cursor - 1);
    } else {
      std::size_t end = header.find(';', cursor);
      value = header.substr(cursor, end == std::string::npos ? std::string::npos : end - cursor);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    pieces[index] = {value, extended};
  }
  if (pieces.empty()) return {};
  std::string charset;
  std::string encoded;
  for (auto& [index, piece] : pieces) {
    std::string value = piece.first;
    if (index == 0 && piece.second) {
      std::size_t first = value.find('\'');
      std::size_t second = first == std::string::npos ? std::string::npos : value.find('\'', first + 1);
      if (second != std::string::npos) {
        charset = lower(value.substr(0, first));
        value = value.substr(second + 1);
      }
    }
    if (!piece.second) {
      // A plain piece: escape '%' so the decoding below leaves it alone.
      std::string escaped;
      for (char c : value) escaped += c == '%' ? std::string("%25") : std::string(1, c);
      value = escaped;
    }
    encoded += value;
  }
  std::string decoded;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size() && std::isxdigit(static_cast<unsigned char>(encoded[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(encoded[i + 2]))) {
      decoded += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += encoded[i];
    }
  }
  if (!charset.empty() && charset != "utf-8" && charset != "us-ascii") {
    gsize written = 0;
    gchar* converted = g_convert(decoded.data(), static_cast<gssize>(decoded.size()), "UTF-8", charset.c_str(), nullptr,
                                 &written, nullptr);
    if (converted) {
      decoded.assign(converted, written);
      g_free(converted);
    }
  }
  return valid_utf8(decoded);
}

// The attachment's file name by INVENTORY.md rule 5: RFC 2231 first (disposition filename,
// then type name), then GMime's reading (RFC 2047 encoded words, plain values).
std::string file_name(GMimeObject* object) {
  std::string name = rfc2231_parameter(raw_header(object, "Content-Disposition"), "filename");
  if (name.empty()) name = rfc2231_parameter(raw_header(object, "Content-Type"), "name");
  if (!name.empty()) return name;
  const char* fallback = nullptr;
  if (GMIME_IS_PART(object)) {
    fallback = g_mime_part_get_filename(GMIME_PART(object));
  } else if (GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object)) {
    fallback = g_mime_content_disposition_get_parameter(disposition, "filename");
  }
  return valid_utf8(fallback ? fallback : "");
}

std::string media_type(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "text/plain";
  const char* major = g_mime_content_type_get_media_type(type);
  const char* minor = g_mime_content_type_get_media_subtype(type);
  return lower(std::string(major ? major : "text") + "/" + (minor ? minor : "plain"));
}

std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) return {};
  GMimeStream* out = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(wrapper, out);
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
  std::string content(reinterpret_cast<const char*>(bytes->data), bytes->len);
  g_object_unref(out);
  return content;
}

// The body of `object` as it stands in `raw`: from the blank line after its last header to the
// delimiter of the enclosing multipart (`boundary`), or to the end of the input.
std::string raw_body(const std::string& raw, GMimeObject* object, const std::string& boundary) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  gint64 last = 0;
  int count = headers ? g_mime_header_list_get_count(headers) : 0;
  for (int i = 0; i < count; ++i) {
    last = std::max(last, g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, i)));
  }
  std::size_t from = static_cast<std::size_t>(std::max<gint64>(last, 0));
  std::size_t blank = raw.find("\n\r\n", from);
  std::size_t blank_lf = raw.find("\n\n", from);
  std::size_t start;
  if (blank != std::string::npos && (blank_lf == std::string::npos || blank < blank_lf)) {
    start = blank + 3;
  } else if (blank_lf != std::string::npos) {
    start = blank_lf + 2;
  } else {
    return {};
  }
  std::size_t end = raw.size();
  if (!boundary.empty()) {
    std::size_t delimiter = raw.find("\n--" + boundary, start - 1);
    if (delimiter != std::string::npos) {
      end = delimiter;
      if (end > start && raw[end - 1] == '\r') --end;
    }
  }
  return raw.substr(start, end > start ? end - start : 0);
}

struct Walker {
  const std::string& raw;
  MimeItem& item;
  std::vector<std::string> html_bodies;
  std::vector<bool> in_related;  // per attachment: inside a multipart/related

  void walk(GMimeObject* object, const std::string& parent_boundary, bool related, int depth) {
    if (depth > 64) return;
    std::string type = media_type(object);
    if (GMIME_IS_MULTIPART(object)) {
      GMimeMultipart* multipart = GMIME_MULTIPART(object);
      const char* boundary = g_mime_multipart_get_boundary(multipart);
      if (type == "multipart/signed" && item.item_class == "IPM.Note") {
        item.item_class = "IPM.Note.SMIME.MultipartSigned";
      }
      bool child_related = related || type == "multipart/related";
      int count = g_mime_multipart_get_count(multipart);
      for (int i = 0; i < count; ++i) {
        walk(g_mime_multipart_get_part(multipart, i), boundary ? boundary : "", child_related, depth + 1);
      }
      return;
    }
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
    const char* disposition_value = disposition ? g_mime_content_disposition_get_disposition(disposition) : nullptr;
    std::string disposition_name = lower(disposition_value ? disposition_value : "");
    const char* content_id = g_mime_object_get_content_id(object);
    MimeAttachment attachment;
    attachment.content_type = type;
    attachment.content_id = content_id ? content_id : "";
    if (type.rfind("message/", 0) == 0) {
      std::string body = raw_body(raw, object, parent_boundary);
      attachment.is_item = type == "message/rfc822" || type == "message/global";
      attachment.name = file_name(object);
      if (attachment.is_item && attachment.name.empty() && GMIME_IS_MESSAGE_PART(object)) {
        // Exchange names an attached message after its subject.
        GMimeMessage* embedded = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        const char* subject = embedded ? g_mime_message_get_subject(embedded) : nullptr;
        attachment.name = valid_utf8(subject ? subject : "");
      }
      attachment.content = std::make_shared<const std::string>(std::move(body));
    } else if (GMIME_IS_PART(object)) {
      GMimePart* part = GMIME_PART(object);
      std::string filename = file_name(object);
      bool is_attachment = disposition_name == "attachment" || !filename.empty() || type.rfind("text/", 0) != 0;
      if (type == "text/calendar" && item.item_class == "IPM.Note") {
        GMimeContentType* content_type = g_mime_object_get_content_type(object);
        const char* method = g_mime_content_type_get_parameter(content_type, "method");
        if (method && lower(method) == "request") item.item_class = "IPM.Schedule.Meeting.Request";
      }
      if (type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime") {
        item.item_class = "IPM.Note.SMIME";
      }
      if (!is_attachment) {
        if (type == "text/html") html_bodies.push_back(decoded_content(part));
        return;
      }
      attachment.name = filename;
      attachment.content = std::make_shared<const std::string>(decoded_content(part));
    } else {
      return;
    }
    attachment.is_inline = related && (disposition_name.empty() || disposition_name == "inline");
    in_related.push_back(related);
    item.attachments.push_back(std::move(attachment));
  }

  void resolve_inline() {
    for (auto& attachment : item.attachments) {
      if (attachment.is_inline || attachment.content_id.empty()) continue;
      std::string reference = "cid:" + attachment.content_id;
      for (const auto& html : html_bodies) {
        if (html.find(reference) != std::string::npos) {
          attachment.is_inline = true;
          break;
        }
      }
    }
  }
};

}  // namespace

MimeItem parse_mime_item(const std::string& raw) {
  ensure_gmime();
  MimeItem item;
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
  if (message != nullptr) {
    item.parsed = true;
    const char* subject = g_mime_message_get_subject(message);
    item.subject = valid_utf8(subject ? subject : "");
    InternetAddressList* from = g_mime_message_get_from(message);
    if (from && internet_address_list_length(from) > 0) {
      InternetAddress* address = internet_address_list_get_address(from, 0);
      const char* name = internet_address_get_name(address);
      item.from_name = valid_utf8(name ? name : "");
      if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
        const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
        item.from_address = addr ? addr : "";
      }
    }
    const char* message_id = g_mime_message_get_message_id(message);
    if (message_id && *message_id) item.internet_message_id = std::string("<") + message_id + ">";
    if (GDateTime* date = g_mime_message_get_date(message)) {
      item.date_sent = static_cast<std::time_t>(g_date_time_to_unix(date));
    }
    if (GMimeObject* body = g_mime_message_get_mime_part(message)) {
      Walker walker{raw, item, {}, {}};
      walker.walk(body, "", false, 0);
      walker.resolve_inline();
    }
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
  return item;
}

}  // namespace mailprune::ews_test
