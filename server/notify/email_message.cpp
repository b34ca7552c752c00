#include "notify/email_message.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace mailprune::notify {
namespace {

constexpr std::size_t kMaxLine = 76;
constexpr char kHex[] = "0123456789ABCDEF";

bool is_ascii_printable(unsigned char c) {
  return c >= 0x20 && c < 0x7f;
}

bool is_atext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Header text with every control character (CR and LF included) turned into a space.
std::string sanitize(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

bool all_ascii_printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_ascii_printable(static_cast<unsigned char>(c)); });
}

std::vector<std::string> split_spaces(std::string_view text) {
  std::vector<std::string> words;
  std::size_t start = 0;
  for (;;) {
    auto space = text.find(' ', start);
    words.emplace_back(text.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
    if (space == std::string_view::npos) return words;
    start = space + 1;
  }
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

// Unstructured text as header tokens: its words when it is plain ASCII that no reader could take
// for an encoded word, encoded words otherwise.
std::vector<std::string> text_tokens(std::string_view raw) {
  const std::string text = trim(sanitize(raw));
  if (all_ascii_printable(text) && text.find("=?") == std::string::npos) {
    auto words = split_spaces(text);
    if (std::all_of(words.begin(), words.end(), [](const std::string& w) { return w.size() <= 70; })) return words;
  }
  return split_spaces(encode_words(text));
}

// "Name:" and the tokens separated by single spaces, folded before a token when the line would
// pass 76 characters (never before an empty token: a line of only white space is not allowed).
std::string fold(std::string_view name, const std::vector<std::string>& tokens) {
  std::string out = std::string(name) + ":";
  std::size_t line = out.size();
  bool first = true;
  for (const auto& token : tokens) {
    if (!first && !token.empty() && line + 1 + token.size() > kMaxLine) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += token;
    line += 1 + token.size();
    first = false;
  }
  return out + "\r\n";
}

bool plausible_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  return std::none_of(address.begin(), address.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return !is_ascii_printable(u) || c == ' ' || c == '<' || c == '>' || c == ',' || c == '"' || c == '(' || c == ')' ||
           c == ';' || c == '\\';
  });
}

std::vector<std::string> mailbox_tokens(const Mailbox& mailbox) {
  if (!plausible_address(mailbox.address)) {
    throw std::invalid_argument("not a usable ASCII email address: '" + sanitize(mailbox.address) + "'");
  }
  const std::string name = trim(sanitize(mailbox.display_name));
  if (name.empty()) return {mailbox.address};
  std::vector<std::string> tokens;
  if (!all_ascii_printable(name) || name.find("=?") != std::string::npos) {
    tokens = split_spaces(encode_words(name));
  } else if (std::all_of(name.begin(), name.end(), [](char c) { return c == ' ' || is_atext(c); })) {
    for (auto& word : split_spaces(name)) {
      if (!word.empty()) tokens.push_back(std::move(word));
    }
  } else {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    tokens.push_back(quoted + "\"");
  }
  tokens.push_back("<" + mailbox.address + ">");
  return tokens;
}

std::vector<std::string> mailbox_list_tokens(const std::vector<Mailbox>& mailboxes) {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < mailboxes.size(); ++i) {
    auto one = mailbox_tokens(mailboxes[i]);
    if (i + 1 < mailboxes.size()) one.back() += ",";
    tokens.insert(tokens.end(), one.begin(), one.end());
  }
  return tokens;
}

// Length of the UTF-8 sequence starting at `i`, 1 for a byte that does not start a valid one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = lead < 0x80             ? 1
                       : (lead & 0xE0) == 0xC0 ? 2
                       : (lead & 0xF0) == 0xE0 ? 3
                       : (lead & 0xF8) == 0xF0 ? 4
                                               : 1;
  if (i + length > text.size()) return 1;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
  }
  return length;
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string hex64(std::uint64_t value) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = "0123456789abcdef"[value & 15];
  return out;
}

bool valid_message_id(std::string_view id) {
  auto at = id.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == id.size() || id.size() > 250) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '<' && c != '>' && c != '"' && c != '\\';
  });
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<Mailbox> parse_mailbox(std::string_view raw) {
  const std::string text = trim(raw);
  Mailbox mailbox;
  auto open = text.rfind('<');
  if (open == std::string::npos) {
    mailbox.address = text;
  } else {
    auto close = text.find('>', open);
    if (close == std::string::npos || trim(std::string_view(text).substr(close + 1)) != "") return std::nullopt;
    mailbox.address = text.substr(open + 1, close - open - 1);
    std::string name = trim(std::string_view(text).substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      std::string unquoted;
      for (std::size_t i = 1; i + 1 < name.size(); ++i) {
        if (name[i] == '\\' && i + 2 < name.size()) ++i;
        unquoted += name[i];
      }
      name = unquoted;
    }
    mailbox.display_name = name;
  }
  if (!plausible_address(mailbox.address)) return std::nullopt;
  return mailbox;
}

std::string format_mailbox(const Mailbox& mailbox) {
  std::string out;
  for (const auto& token : mailbox_tokens(mailbox)) out += (out.empty() ? "" : " ") + token;
  return out;
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? "" : std::string(address.substr(at + 1));
}

std::string make_message_id(std::string_view domain) {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  std::string random;
  for (int i = 0; i < 2; ++i) random += hex64(engine());
  const std::string host = domain.empty() ? "localhost" : std::string(domain);
  return std::to_string(static_cast<long long>(std::time(nullptr))) + "." + random + "@" + host;
}

std::string rfc5322_date(std::time_t time) {
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::string encode_words(std::string_view text, std::size_t max_word) {
  if (max_word < 16) max_word = 16;
  static constexpr std::string_view kOpen = "=?UTF-8?Q?";
  static constexpr std::string_view kClose = "?=";
  std::string out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += ' ';
    out += kOpen;
    out += word;
    out += kClose;
    word.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    std::string piece;
    for (std::size_t k = 0; k < length; ++k) {
      const char c = text[i + k];
      const auto u = static_cast<unsigned char>(c);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        piece += c;
      } else if (c == ' ') {
        piece += '_';
      } else {
        piece += '=';
        piece += kHex[u >> 4];
        piece += kHex[u & 15];
      }
    }
    if (kOpen.size() + word.size() + piece.size() + kClose.size() > max_word) flush();
    word += piece;
    i += length;
  }
  flush();
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto newline = text.find('\n', start);
    const bool last_line = newline == std::string_view::npos;
    std::string_view line = text.substr(start, last_line ? std::string_view::npos : newline - start);
    if (!last_line && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      const auto u = static_cast<unsigned char>(c);
      const bool at_end = i + 1 == line.size();
      // The token for this byte, when it lands at `col`.
      auto token_at = [&](std::size_t col) -> std::string {
        const bool literal = (u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end);
        const bool line_start_hazard = col == 0 && (c == '.' || (c == 'F' && line.substr(i).rfind("From ", 0) == 0));
        if (literal && !line_start_hazard) return std::string(1, c);
        return std::string{'=', kHex[u >> 4], kHex[u & 15]};
      };
      std::string token = token_at(column);
      // Keep room for the soft break's '=' unless this is the line's last byte.
      const std::size_t limit = at_end ? kMaxLine : kMaxLine - 1;
      if (column + token.size() > limit) {
        out += "=\r\n";
        column = 0;
        token = token_at(0);
      }
      out += token;
      column += token.size();
    }
    if (last_line) break;
    out += "\r\n";
    start = newline + 1;
  }
  return out;
}

std::string build_message(const EmailMessage& message) {
  if (message.to.empty()) throw std::invalid_argument("a message needs at least one recipient");
  if (!valid_message_id(message.message_id)) {
    throw std::invalid_argument("malformed message id '" + sanitize(message.message_id) + "'");
  }
  static const std::array<std::string_view, 13> reserved = {"date",
                                                            "from",
                                                            "to",
                                                            "cc",
                                                            "bcc",
                                                            "reply-to",
                                                            "subject",
                                                            "message-id",
                                                            "mime-version",
                                                            "auto-submitted",
                                                            "content-type",
                                                            "content-transfer-encoding",
                                                            "x-auto-response-suppress"};
  std::string out;
  out += "Date: " + rfc5322_date(message.date) + "\r\n";
  out += fold("From", mailbox_tokens(message.from));
  out += fold("To", mailbox_list_tokens(message.to));
  if (message.reply_to) out += fold("Reply-To", mailbox_tokens(*message.reply_to));
  out += fold("Subject", text_tokens(message.subject));
  out += "Message-ID: <" + message.message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "X-Auto-Response-Suppress: OOF, AutoReply\r\n";
  for (const auto& [name, value] : message.extra_headers) {
    if (!valid_header_name(name) || std::find(reserved.begin(), reserved.end(), lower(name)) != reserved.end()) {
      throw std::invalid_argument("unusable extra header name '" + sanitize(name) + "'");
    }
    out += fold(name, text_tokens(value));
  }
  // Quoted-printable never writes "=_", so this boundary cannot occur in either body.
  const std::string boundary = "=_mp_" + hex64(fnv1a(message.message_id));
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a multi-part message in MIME format.\r\n";
  for (const auto& [type, body] : {std::pair{"text/plain", &message.text}, std::pair{"text/html", &message.html}}) {
    out += "\r\n--" + boundary + "\r\n";
    out += std::string("Content-Type: ") + type + "; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += quoted_printable(*body);
  }
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

EmailMessage campaign_email(const RenderedEmail& content, const Mailbox& from, const std::optional<Mailbox>& reply_to,
                            const Mailbox& to, std::time_t date, const std::string& campaign) {
  EmailMessage message;
  message.from = from;
  message.reply_to = reply_to;
  message.to.push_back(to);
  message.subject = content.subject;
  message.text = content.text;
  message.html = content.html;
  message.date = date;
  message.message_id = make_message_id(domain_of(from.address));
  message.extra_headers.emplace_back("X-Mailprune-Campaign", campaign);
  return message;
}

}  // namespace mailprune::notify
