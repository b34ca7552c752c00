#include "imap/command.hpp"

#include <cstdio>

#include "imap/mutf7.hpp"

namespace mailprune::imap {
namespace {

// RFC 3501 ATOM-CHAR plus `]` (ASTRING-CHAR).
bool is_astring_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7F) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
      return false;
    default:
      return true;
  }
}

enum class Form { atom, quoted, literal };

Form form_of(std::string_view text, bool allow_atom, bool utf8_accept) {
  // Long strings go as literals: some servers cap quoted strings (Exchange at about 1 KiB).
  if (text.size() > 1000) return Form::literal;
  bool atom = allow_atom && !text.empty() && !(text.size() == 3 && (text == "NIL" || text == "nil" || text == "Nil"));
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\0') return Form::literal;
    if (u >= 0x80 && !utf8_accept) return Form::literal;
    if (!is_astring_char(c)) atom = false;
  }
  return atom ? Form::atom : Form::quoted;
}

}  // namespace

bool Command::needs_continuation() const noexcept {
  for (const auto& segment : segments) {
    if (segment.wait_for_continuation) return true;
  }
  return false;
}

std::string Command::wire() const {
  std::string out;
  for (const auto& segment : segments) out += segment.bytes;
  return out;
}

std::string Command::loggable() const {
  std::string out;
  for (const auto& segment : segments) out += segment.sensitive ? std::string("***") : segment.bytes;
  return out;
}

std::uint64_t Command::size() const noexcept {
  std::uint64_t total = 0;
  for (const auto& segment : segments) total += segment.bytes.size();
  return total;
}

std::string TagGenerator::next() {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%04llu", static_cast<unsigned long long>(++counter_));
  return prefix_ + digits;
}

std::optional<Mailbox> Mailbox::from_utf8(std::string_view utf8, bool utf8_accept) {
  if (utf8.size() == 5 && (utf8[0] | 0x20) == 'i' && (utf8[1] | 0x20) == 'n' && (utf8[2] | 0x20) == 'b' &&
      (utf8[3] | 0x20) == 'o' && (utf8[4] | 0x20) == 'x') {
    return Mailbox("INBOX");
  }
  if (utf8_accept) {
    if (!mutf7_encode(utf8)) return std::nullopt;  // validates the UTF-8
    return Mailbox(std::string(utf8));
  }
  auto encoded = mutf7_encode(utf8);
  if (!encoded) return std::nullopt;
  return Mailbox(std::move(*encoded));
}

CommandWriter::CommandWriter(const CommandOptions& options, std::string tag, std::string name) : options_(options) {
  command_.tag = std::move(tag);
  command_.name = std::move(name);
  command_.segments.push_back({command_.tag + " " + command_.name, false, false});
}

CommandSegment& CommandWriter::current() {
  if (command_.segments.back().wait_for_continuation || command_.segments.back().sensitive) {
    command_.segments.push_back({});
  }
  return command_.segments.back();
}

CommandWriter& CommandWriter::raw(std::string_view text) {
  current().bytes.append(text);
  return *this;
}

CommandWriter& CommandWriter::astring(std::string_view text, bool sensitive) {
  if (form_of(text, true, options_.utf8_accept) == Form::atom) {
    if (sensitive) {
      command_.segments.push_back({std::string(text), false, true});
      return *this;
    }
    return raw(text);
  }
  return string(text, sensitive);
}

CommandWriter& CommandWriter::string(std::string_view text, bool sensitive) {
  if (form_of(text, false, options_.utf8_accept) == Form::literal) return literal(text, sensitive);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  if (sensitive) {
    command_.segments.push_back({std::move(quoted), false, true});
    return *this;
  }
  return raw(quoted);
}

CommandWriter& CommandWriter::literal(std::string_view data, bool sensitive) {
  const bool non_sync = options_.literal_plus || (options_.literal_minus && data.size() <= 4096);
  CommandSegment& header = current();
  header.bytes += "{" + std::to_string(data.size()) + (non_sync ? "+" : "") + "}\r\n";
  header.wait_for_continuation = !non_sync;
  if (sensitive) {
    command_.segments.push_back({std::string(data), false, true});
  } else {
    current().bytes.append(data);
  }
  return *this;
}

CommandWriter& CommandWriter::wait_for_continuation() {
  CommandSegment& segment = current();
  segment.bytes += "\r\n";
  segment.wait_for_continuation = true;
  return *this;
}

Command CommandWriter::finish() {
  current().bytes += "\r\n";
  return std::move(command_);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr std::string_view table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (i < bytes.size()) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace {

Command simple(std::string tag, std::string name) {
  const CommandOptions options;
  return CommandWriter(options, std::move(tag), std::move(name)).finish();
}

Command sasl(std::string tag, std::string_view mechanism, const std::string& response, bool sasl_ir) {
  Command command;
  command.tag = std::move(tag);
  command.name = "AUTHENTICATE";
  const std::string line = command.tag + " AUTHENTICATE " + std::string(mechanism);
  if (sasl_ir) {
    // RFC 4959: an empty initial response is written "=".
    command.segments.push_back({line + " ", false, false});
  } else {
    command.segments.push_back({line + "\r\n", true, false});
  }
  command.segments.push_back({response.empty() && sasl_ir ? "=" : response, false, true});
  command.segments.push_back({"\r\n", false, false});
  return command;
}

}  // namespace

Command capability(std::string tag) {
  return simple(std::move(tag), "CAPABILITY");
}
Command noop(std::string tag) {
  return simple(std::move(tag), "NOOP");
}
Command logout(std::string tag) {
  return simple(std::move(tag), "LOGOUT");
}
Command compress_deflate(std::string tag) {
  return simple(std::move(tag), "COMPRESS DEFLATE");
}
std::string sasl_cancel_line() {
  return "\r\n";
}

Command id(const CommandOptions& options, std::string tag,
           const std::vector<std::pair<std::string, std::string>>& fields) {
  CommandWriter writer(options, std::move(tag), "ID");
  if (fields.empty()) return writer.raw(" NIL").finish();
  writer.raw(" (");
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) writer.sp();
    first = false;
    writer.string(name).sp().string(value);
  }
  return writer.raw(")").finish();
}

Command login(const CommandOptions& options, std::string tag, std::string_view user, std::string_view password) {
  CommandWriter writer(options, std::move(tag), "LOGIN");
  writer.sp().astring(user).sp().astring(password, true);
  return writer.finish();
}

Command authenticate_plain(const CommandOptions& /*options*/, std::string tag, std::string_view authcid,
                           std::string_view password, std::string_view authzid, bool sasl_ir) {
  std::string message;
  message.append(authzid).push_back('\0');
  message.append(authcid).push_back('\0');
  message.append(password);
  return sasl(std::move(tag), "PLAIN", base64_encode(message), sasl_ir);
}

Command authenticate_xoauth2(const CommandOptions& /*options*/, std::string tag, std::string_view user,
                             std::string_view access_token, bool sasl_ir) {
  std::string message = "user=";
  message.append(user);
  message +=
      "\x01"
      "auth=Bearer ";
  message.append(access_token);
  message += "\x01\x01";
  return sasl(std::move(tag), "XOAUTH2", base64_encode(message), sasl_ir);
}

Command enable(std::string tag, const std::vector<std::string>& capabilities) {
  const CommandOptions options;
  CommandWriter writer(options, std::move(tag), "ENABLE");
  for (const auto& capability_name : capabilities) writer.sp().raw(capability_name);
  return writer.finish();
}

}  // namespace mailprune::imap
