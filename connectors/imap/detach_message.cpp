#include "imap/detach_message.hpp"

#include <algorithm>
#include <cctype>

#include "imap/bodystructure.hpp"
#include "imap/mutf7.hpp"

namespace mailprune::imap {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// RFC 5092 bchar minus pct-encoded: what may stand for itself in an enc-mailbox.
bool url_safe(unsigned char c) {
  if (std::isalnum(c)) return true;
  static constexpr std::string_view others = "-._~!$'()*+,&=:@/";
  return others.find(static_cast<char>(c)) != std::string_view::npos;
}

std::string boundary_of(const mime::MimePart& part) {
  for (const auto& parameter : part.content_type_params) {
    if (parameter.name == "boundary") return parameter.value;
  }
  return {};
}

// One field of a header block: its bytes [begin, end) in the block (continuation lines and the
// line break included), its name and unfolded, trimmed value.
struct FieldSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string name;
  std::string value;
};

// The fields of the header at the start of `text`, up to the blank line (or the end).
std::vector<FieldSpan> field_spans(std::string_view text) {
  std::vector<FieldSpan> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    const std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    const std::string_view line = text.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") break;  // the blank line ending the header
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      FieldSpan& field = fields.back();
      field.end = next;
      const std::string_view more = trim(line);
      if (!more.empty()) field.value += (field.value.empty() ? "" : " ") + std::string(more);
    } else {
      FieldSpan field;
      field.begin = pos;
      field.end = next;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        field.name = std::string(trim(line));
      } else {
        field.name = std::string(trim(line.substr(0, colon)));
        field.value = std::string(trim(line.substr(colon + 1)));
      }
      fields.push_back(std::move(field));
    }
    pos = next;
  }
  return fields;
}

class CatenatePlan {
 public:
  CatenatePlan(const std::string& message_url, const std::map<std::string, std::string>& replacements)
      : url_(message_url + "/;SECTION="), replacements_(replacements) {}

  bool multipart_body(const mime::MimePart& part, bool top) {
    const std::string boundary = boundary_of(part);
    if (boundary.empty() || part.children.empty()) return false;
    text("--" + boundary + "\r\n");
    for (std::size_t i = 0; i < part.children.size(); ++i) {
      if (i > 0) text("\r\n--" + boundary + "\r\n");
      if (!child(part.children[i])) return false;
    }
    text("\r\n--" + boundary + (top ? "--\r\n" : "--"));
    return true;
  }

  void text(const std::string& bytes) {
    if (bytes.empty()) return;
    if (!parts_.empty() && !parts_.back().is_url) {
      parts_.back().data += bytes;
      return;
    }
    CatenatePart part;
    part.is_url = false;
    part.data = bytes;
    parts_.push_back(std::move(part));
  }

  void url(const std::string& section) {
    CatenatePart part;
    part.is_url = true;
    part.data = url_ + section;
    parts_.push_back(std::move(part));
  }

  std::vector<CatenatePart> take() { return std::move(parts_); }

 private:
  bool replaced_inside(const std::string& section) const {
    const std::string prefix = section + ".";
    return std::any_of(replacements_.begin(), replacements_.end(),
                       [&](const auto& entry) { return entry.first.rfind(prefix, 0) == 0; });
  }

  bool child(const mime::MimePart& part) {
    if (part.section.empty()) return false;
    auto replacement = replacements_.find(part.section);
    if (replacement != replacements_.end()) {
      text(replacement->second);
      return true;
    }
    url(part.section + ".MIME");
    if (replaced_inside(part.section)) {
      if (part.type != "multipart") return false;
      return multipart_body(part, false);
    }
    if (part.type != "multipart" && part.encoded_size && *part.encoded_size == 0) return false;
    url(part.section);
    return true;
  }

  std::string url_;
  const std::map<std::string, std::string>& replacements_;
  std::vector<CatenatePart> parts_;
};

}  // namespace

std::string imap_message_url(std::string_view mailbox_wire, std::uint64_t uidvalidity, std::uint32_t uid) {
  const std::optional<std::string> utf8 = mutf7_decode(mailbox_wire);
  const std::string name = utf8 ? *utf8 : std::string(mailbox_wire);
  std::string url = "/";
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (url_safe(u)) {
      url += c;
    } else {
      url += '%';
      url += hex[u >> 4];
      url += hex[u & 15];
    }
  }
  url += ";UIDVALIDITY=" + std::to_string(uidvalidity) + "/;UID=" + std::to_string(uid);
  return url;
}

const mime::MimePart* find_part(const mime::MimePart& root, std::string_view section) {
  if (content_section(root) == section) return &root;
  for (const auto& child : root.children) {
    if (child.section == section) return &child;
    if (section.size() > child.section.size() && section.substr(0, child.section.size()) == child.section &&
        section[child.section.size()] == '.') {
      return find_part(child, section);
    }
  }
  return nullptr;
}

std::optional<std::vector<CatenatePart>> catenate_parts(const std::string& message_url, const mime::MimePart& root,
                                                        const std::string& new_header_fields,
                                                        const std::map<std::string, std::string>& replacements) {
  if (root.type != "multipart" || replacements.empty()) return std::nullopt;
  for (const auto& [section, part] : replacements) {
    const mime::MimePart* found = find_part(root, section);
    if (found == nullptr || found == &root || part.empty()) return std::nullopt;
  }
  CatenatePlan plan(message_url, replacements);
  plan.text(new_header_fields);
  plan.url("HEADER");
  if (!plan.multipart_body(root, true)) return std::nullopt;
  return plan.take();
}

std::string compare_structure(const mime::MimePart& before, const mime::MimePart& after,
                              const std::set<std::string>& replaced) {
  const std::string section = content_section(before);
  if (replaced.count(section)) return {};
  const std::string where = "part " + (section.empty() ? std::string("(root)") : section) + ": ";
  if (before.type != after.type || before.subtype != after.subtype) {
    return where + before.type + "/" + before.subtype + " became " + after.type + "/" + after.subtype;
  }
  if (before.transfer_encoding != after.transfer_encoding) {
    return where + "encoding " + before.transfer_encoding + " became " + after.transfer_encoding;
  }
  if (before.encoded_size && after.encoded_size && *before.encoded_size != *after.encoded_size) {
    return where + std::to_string(*before.encoded_size) + " bytes became " + std::to_string(*after.encoded_size);
  }
  if (before.encoded_size.has_value() != after.encoded_size.has_value()) return where + "size missing";
  if (before.children.size() != after.children.size()) {
    return where + std::to_string(before.children.size()) + " parts became " + std::to_string(after.children.size());
  }
  for (std::size_t i = 0; i < before.children.size(); ++i) {
    std::string difference = compare_structure(before.children[i], after.children[i], replaced);
    if (!difference.empty()) return difference;
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> header_fields(std::string_view header) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& field : field_spans(header)) out.emplace_back(std::move(field.name), std::move(field.value));
  return out;
}

bool has_field(std::string_view header, std::string_view name, std::string_view value) {
  for (const auto& field : field_spans(header)) {
    if (iequals(field.name, name) && field.value == value) return true;
  }
  return false;
}

std::string strip_detach_fields(std::string_view raw, std::string_view action_id) {
  const std::vector<FieldSpan> fields = field_spans(raw);
  std::vector<bool> drop(fields.size(), false);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!iequals(fields[i].name, "X-Mailprune-Action") || fields[i].value != action_id) continue;
    drop[i] = true;
    for (std::size_t j = i + 1; j < fields.size(); ++j) {
      const std::string& name = fields[j].name;
      if (!istarts_with(name, "X-Mailprune-") || iequals(name, "X-Mailprune-Action") ||
          iequals(name, "X-Mailprune-Restored") || iequals(name, "X-Mailprune-Notice")) {
        break;
      }
      drop[j] = true;
    }
  }
  std::string out;
  out.reserve(raw.size());
  std::size_t pos = 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!drop[i]) continue;
    out.append(raw.substr(pos, fields[i].begin - pos));
    pos = fields[i].end;
  }
  out.append(raw.substr(pos));
  return out;
}

bool valid_header_field(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace mailprune::imap
