#include "ews_server/ids.hpp"

#include <array>

namespace mailprune::ews_test {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void put64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}
std::uint64_t get64(const std::string& in, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[at + i]);
  return value;
}

// A one-byte checksum over the record, so a flipped character reads as foreign.
char checksum(const std::string& record) {
  unsigned sum = 0x5a;
  for (unsigned char c : record) sum = (sum * 31 + c) & 0xff;
  return static_cast<char>(sum);
}

// Exchange ids start with 00 03 + a length-prefixed mailbox GUID; ours: 00 03 'M' 'P' kind.
std::string record(char kind, std::uint64_t a, std::uint64_t b) {
  std::string bytes{'\x00', '\x03', 'M', 'P', kind};
  put64(bytes, a);
  put64(bytes, b);
  bytes += checksum(bytes);
  return base64_encode(bytes);
}

std::optional<std::array<std::uint64_t, 2>> parse_record(const std::string& text, char kind) {
  auto bytes = base64_decode(text);
  if (!bytes || bytes->size() != 22) return std::nullopt;
  if (bytes->compare(0, 4, std::string{'\x00', '\x03', 'M', 'P'}) != 0 || (*bytes)[4] != kind) {
    return std::nullopt;
  }
  if (checksum(bytes->substr(0, 21)) != (*bytes)[21]) return std::nullopt;
  return std::array<std::uint64_t, 2>{get64(*bytes, 5), get64(*bytes, 13)};
}

std::string change_key(char first, std::uint64_t object, std::uint64_t change) {
  std::string bytes{first, '\x00', '\x00', '\x00', '\x16', '\x00', '\x00', '\x00'};
  put64(bytes, object);
  put64(bytes, change);
  bytes += checksum(bytes);
  return base64_encode(bytes);
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\r' || c == '\n' || c == '\t')
      continue;
    else
      return std::nullopt;
    if (padding) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string item_id(std::uint64_t item) {
  return record('I', item, 0);
}
std::string folder_id(std::uint64_t folder) {
  return record('F', folder, 0);
}
std::string attachment_id(std::uint64_t item, std::uint32_t attachment) {
  return record('A', item, attachment);
}
std::string item_change_key(std::uint64_t item, std::uint64_t change) {
  return change_key('\x09', item, change);
}
std::string folder_change_key(std::uint64_t folder, std::uint64_t change) {
  return change_key('\x01', folder, change);
}

std::optional<std::uint64_t> parse_item_id(const std::string& id) {
  auto parsed = parse_record(id, 'I');
  if (!parsed) return std::nullopt;
  return (*parsed)[0];
}
std::optional<std::uint64_t> parse_folder_id(const std::string& id) {
  auto parsed = parse_record(id, 'F');
  if (!parsed) return std::nullopt;
  return (*parsed)[0];
}
std::optional<AttachmentRef> parse_attachment_id(const std::string& id) {
  auto parsed = parse_record(id, 'A');
  if (!parsed || (*parsed)[1] > 0xffffffffu) return std::nullopt;
  return AttachmentRef{(*parsed)[0], static_cast<std::uint32_t>((*parsed)[1])};
}
std::optional<std::uint64_t> parse_item_change_key(const std::string& key, std::uint64_t item) {
  auto bytes = base64_decode(key);
  if (!bytes || bytes->size() != 25 || (*bytes)[0] != '\x09') return std::nullopt;
  if (checksum(bytes->substr(0, 24)) != (*bytes)[24] || get64(*bytes, 8) != item) return std::nullopt;
  return get64(*bytes, 16);
}

std::string encode_sync_state(const SyncState& state) {
  std::string bytes{'M', 'P', 'S', 'S', '\x01'};
  put64(bytes, state.folder);
  put64(bytes, state.base);
  put64(bytes, state.reached);
  bytes += checksum(bytes);
  return base64_encode(bytes);
}

std::optional<SyncState> decode_sync_state(const std::string& text) {
  auto bytes = base64_decode(text);
  if (!bytes || bytes->size() != 30 || bytes->compare(0, 5, std::string{'M', 'P', 'S', 'S', '\x01'}) != 0) {
    return std::nullopt;
  }
  if (checksum(bytes->substr(0, 29)) != (*bytes)[29]) return std::nullopt;
  SyncState state{get64(*bytes, 5), get64(*bytes, 13), get64(*bytes, 21)};
  if (state.base > state.reached) return std::nullopt;
  return state;
}

}  // namespace mailprune::ews_test
