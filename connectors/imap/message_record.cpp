#include "imap/message_record.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "imap/mutf7.hpp"
#include "interface/civil_date.hpp"
#include "mime/attachments.hpp"
#include "mime/charset.hpp"
#include "mime/header_decode.hpp"

namespace mailprune::imap {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::string address_of(const std::vector<Address>& addresses) {
  for (const auto& address : addresses) {
    if (!address.host) continue;  // group syntax markers
    std::string out = address.mailbox.value_or("");
    if (!address.host->empty()) out += "@" + *address.host;
    return mime::bytes_to_utf8(out);
  }
  return {};
}

std::optional<std::string> parameter(const std::vector<mime::Parameter>& parameters, std::string_view name) {
  for (const auto& p : parameters) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

// Encrypted / signed parts, not descending into message/* (a forwarded signed message is just an
// attachment, as in mime::message_protection).
void find_crypto(const mime::MimePart& part, bool& is_signed, bool& is_encrypted) {
  if (part.type == "multipart") {
    if (part.subtype == "encrypted") is_encrypted = true;
    if (part.subtype == "signed") is_signed = true;
    for (const auto& child : part.children) find_crypto(child, is_signed, is_encrypted);
    return;
  }
  if (part.type == "application" && (part.subtype == "pkcs7-mime" || part.subtype == "x-pkcs7-mime")) {
    auto smime = parameter(part.content_type_params, "smime-type");
    if (smime && (iequals(*smime, "signed-data") || iequals(*smime, "certs-only"))) {
      is_signed = true;
    } else {
      is_encrypted = true;
    }
  }
}

// ---- RFC 5322 dates ----

struct DateTokens {
  std::vector<std::string> words;
};

DateTokens tokenize_date(std::string_view text) {
  DateTokens tokens;
  std::string current;
  int comment = 0;
  for (char c : text) {
    if (c == '(') {
      ++comment;
      continue;
    }
    if (c == ')' && comment > 0) {
      --comment;
      continue;
    }
    if (comment > 0) continue;
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      if (!current.empty()) tokens.words.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.words.push_back(std::move(current));
  return tokens;
}

std::optional<int> number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<int> month_of(std::string_view word) {
  static constexpr std::array<const char*, 12> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                         "jul", "aug", "sep", "oct", "nov", "dec"};
  if (word.size() < 3) return std::nullopt;
  for (int i = 0; i < 12; ++i) {
    if (iequals(word.substr(0, 3), months[static_cast<std::size_t>(i)])) return i + 1;
  }
  return std::nullopt;
}

std::optional<int> zone_minutes(std::string_view zone) {
  if ((zone.front() == '+' || zone.front() == '-') && zone.size() == 5) {
    auto hhmm = number(zone.substr(1));
    if (!hhmm) return std::nullopt;
    int minutes = (*hhmm / 100) * 60 + *hhmm % 100;
    return zone.front() == '-' ? -minutes : minutes;
  }
  static const std::array<std::pair<const char*, int>, 10> names = {{{"UT", 0},
                                                                     {"UTC", 0},
                                                                     {"GMT", 0},
                                                                     {"Z", 0},
                                                                     {"EST", -300},
                                                                     {"EDT", -240},
                                                                     {"CST", -360},
                                                                     {"CDT", -300},
                                                                     {"MST", -420},
                                                                     {"PST", -480}}};
  for (const auto& [name, minutes] : names) {
    if (iequals(zone, name)) return minutes;
  }
  if (iequals(zone, "MDT")) return -360;
  if (iequals(zone, "PDT")) return -420;
  return 0;  // RFC 5322 4.3: unknown zones are read as +0000
}

}  // namespace

std::optional<std::int64_t> parse_rfc5322_date(std::string_view text) {
  DateTokens tokens = tokenize_date(text);
  auto& w = tokens.words;
  std::size_t i = 0;
  if (i < w.size() && !number(w[i]) && !month_of(w[i]).has_value()) ++i;  // day name
  if (i + 3 > w.size()) return std::nullopt;
  auto day = number(w[i]);
  auto month = month_of(w[i + 1]);
  auto year = number(w[i + 2]);
  if (!day || !month || !year || *day < 1 || *day > 31) return std::nullopt;
  if (*year < 50) {
    *year += 2000;
  } else if (*year < 1000) {
    *year += 1900;
  }
  i += 3;
  int hour = 0, minute = 0, second = 0;
  if (i < w.size()) {
    const std::string& time = w[i];
    auto first = time.find(':');
    if (first != std::string::npos) {
      auto second_colon = time.find(':', first + 1);
      auto h = number(std::string_view(time).substr(0, first));
      auto m = number(std::string_view(time).substr(
          first + 1, second_colon == std::string::npos ? std::string::npos : second_colon - first - 1));
      std::optional<int> s = 0;
      if (second_colon != std::string::npos) s = number(std::string_view(time).substr(second_colon + 1));
      if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
      hour = *h;
      minute = *m;
      second = *s;
      ++i;
    }
  }
  int zone = 0;
  if (i < w.size() && !w[i].empty()) zone = zone_minutes(w[i]).value_or(0);
  const std::int64_t days =
      connector::days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  return days * 86400 + hour * 3600 + minute * 60 + second - static_cast<std::int64_t>(zone) * 60;
}

std::string protection_of(const mime::MimePart& root) {
  bool is_signed = false;
  bool is_encrypted = false;
  find_crypto(root, is_signed, is_encrypted);
  if (is_encrypted) return "encrypted";
  if (is_signed) return "signed";
  const mime::MessageProtection protection = mime::message_protection(root);
  if (protection.signed_or_encrypted) return "signed";
  if (protection.calendar_invitation) return "calendar";
  if (protection.tnef) return "tnef";
  return {};
}

connector::MessageRecord message_record(const FetchMessage& fetch) {
  connector::MessageRecord record;
  record.ref.uid = fetch.uid.value_or(0);
  if (fetch.modseq) record.ref.change_key = std::to_string(*fetch.modseq);
  record.size = fetch.rfc822_size.value_or(0);
  record.internal_date = fetch.internal_date;
  if (fetch.flags) {
    for (const auto& flag : *fetch.flags) {
      if (!iequals(flag, "\\Recent")) record.flags.push_back(flag);  // per session, not the message's
    }
  }
  if (fetch.envelope) {
    const Envelope& envelope = *fetch.envelope;
    if (envelope.date) record.sent_date = parse_rfc5322_date(*envelope.date);
    if (envelope.subject) record.subject = mime::decode_rfc2047(*envelope.subject);
    record.from_address = address_of(envelope.from);
    if (envelope.message_id) record.message_id = mime::bytes_to_utf8(trim(*envelope.message_id));
  }
  if (fetch.email_id) {
    record.object_id = *fetch.email_id;
  } else if (fetch.x_guid) {
    record.object_id = *fetch.x_guid;
  } else if (fetch.gm_msgid) {
    record.object_id = std::to_string(*fetch.gm_msgid);
  }

  if (fetch.body_structure_error) {
    record.parse_error = "BODYSTRUCTURE: " + fetch.body_structure_error->message;
    return record;
  }
  if (!fetch.body_structure) {
    record.parse_error = "the server sent no BODYSTRUCTURE";
    return record;
  }
  const mime::MimePart& root = *fetch.body_structure;
  record.protection = protection_of(root);
  for (auto& attachment : mime::classify_attachments(root)) {
    connector::AttachmentRecord out;
    out.section = std::move(attachment.section);
    out.name = std::move(attachment.name);
    out.content_type = std::move(attachment.content_type);
    out.size = attachment.size;
    out.size_exact = attachment.size_exact;
    out.is_inline = attachment.is_inline;
    out.damaged = attachment.damaged;
    record.attachments.push_back(std::move(out));
  }
  return record;
}

std::vector<std::string> inexact_sections(const connector::MessageRecord& record) {
  std::vector<std::string> sections;
  for (const auto& attachment : record.attachments) {
    if (!attachment.size_exact) sections.push_back(attachment.section);
  }
  return sections;
}

std::string decode_folder_name(std::string_view wire, std::optional<char> delimiter) {
  std::string name;
  if (auto decoded = mutf7_decode(wire)) {
    name = std::move(*decoded);
  } else {
    name = mime::bytes_to_utf8(wire);  // a server sending raw 8-bit names: keep what it means
  }
  if (delimiter && *delimiter != '/') std::replace(name.begin(), name.end(), *delimiter, '/');
  // INBOX is case-insensitive (RFC 3501 5.1), also as the first level of a hierarchy.
  if (name.size() >= 5 && iequals(std::string_view(name).substr(0, 5), "INBOX") &&
      (name.size() == 5 || name[5] == '/')) {
    name.replace(0, 5, "INBOX");
  }
  return name;
}

std::string special_use_of(const std::vector<std::string>& attributes) {
  static constexpr std::array<const char*, 8> uses = {"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
                                                      "\\Junk", "\\Sent",    "\\Trash",  "\\Important"};
  for (const auto& attribute : attributes) {
    for (const char* use : uses) {
      if (iequals(attribute, use)) return use;
    }
  }
  return {};
}

}  // namespace mailprune::imap
