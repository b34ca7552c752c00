#include "archive/links.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "security/encoding.hpp"
#include "security/hmac.hpp"

namespace mailprune::archive {
namespace {

constexpr std::string_view kPrefix = "/archive/";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A canonical non-negative decimal: digits only, no leading zero (except "0" itself), fits int64.
std::optional<std::int64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string signature_of(const security::Key& key, std::string_view input) {
  security::Mac mac = security::hmac_sha256(security::bytes_of(key), input);
  return std::string(security::bytes_of(mac));
}

}  // namespace

const char* to_string(LinkError error) {
  switch (error) {
    case LinkError::none:
      return "none";
    case LinkError::malformed:
      return "malformed";
    case LinkError::bad_signature:
      return "bad_signature";
    case LinkError::expired:
      return "expired";
  }
  return "unknown";
}

std::string percent_encode_segment(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (unreserved(b)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = hex_digit(text[i + 1]);
    int low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>((high << 4) | low));
    i += 2;
  }
  return out;
}

RequestTarget split_target(std::string_view target) {
  RequestTarget out;
  auto question = target.find('?');
  out.path = target.substr(0, question);
  if (question != std::string_view::npos) out.query = target.substr(question + 1);
  return out;
}

std::string link_signing_input(std::int64_t reference_id, const Sha256& sha256, std::string_view file_name,
                               std::int64_t expires) {
  return fmt::format("archive\n{}\n{}\n{}\n{}", reference_id, to_hex(sha256), file_name, expires);
}

std::string make_link(std::string_view public_url, std::int64_t reference_id, const Sha256& sha256,
                      std::string_view file_name, std::int64_t expires, const security::Key& key) {
  std::string signature = signature_of(key, link_signing_input(reference_id, sha256, file_name, expires));
  return fmt::format("{}{}{}/{}/{}?e={}&s={}", public_url, kPrefix, reference_id, to_hex(sha256),
                     percent_encode_segment(file_name), expires, security::base64url_encode(signature));
}

LinkCheck verify_link(std::string_view path, std::string_view query, const security::Key& key, std::int64_t now) {
  LinkCheck check;
  check.error = LinkError::malformed;
  if (path.substr(0, kPrefix.size()) != kPrefix) return check;
  std::string_view rest = path.substr(kPrefix.size());

  auto first = rest.find('/');
  if (first == std::string_view::npos) return check;
  auto second = rest.find('/', first + 1);
  if (second == std::string_view::npos) return check;
  std::string_view id_text = rest.substr(0, first);
  std::string_view sha_text = rest.substr(first + 1, second - first - 1);
  std::string_view name_text = rest.substr(second + 1);
  if (name_text.find('/') != std::string_view::npos) return check;

  auto id = parse_decimal(id_text);
  if (!id || *id <= 0) return check;
  auto sha = sha256_from_hex(sha_text);
  if (!sha) return check;
  auto name = percent_decode(name_text);
  if (!name || percent_encode_segment(*name) != name_text) return check;

  std::optional<std::string_view> expiry_text;
  std::optional<std::string_view> signature_text;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view field = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (field == "e" || field == "s") {
      auto& slot = field == "e" ? expiry_text : signature_text;
      if (slot || eq == std::string_view::npos) return check;
      slot = value;
    }
  }
  if (!expiry_text || !signature_text) return check;
  auto expires = parse_decimal(*expiry_text);
  if (!expires) return check;
  auto signature = security::base64url_decode(*signature_text);
  if (!signature || signature->size() != 32) return check;

  check.target.reference_id = *id;
  check.target.sha256 = *sha;
  check.target.file_name = std::move(*name);
  check.target.expires = *expires;

  std::string expected = signature_of(key, link_signing_input(*id, *sha, check.target.file_name, *expires));
  if (!security::equal_constant_time(expected, *signature)) {
    check.error = LinkError::bad_signature;
    return check;
  }
  check.error = (*expires != 0 && now >= *expires) ? LinkError::expired : LinkError::none;
  return check;
}

LinkSigner::LinkSigner(const config::Config& config)
    : LinkSigner(config.archive.public_url, config.archive.link_valid_days,
                 security::load_or_create_key(config, "links", config.archive.link_key)) {}

LinkSigner::LinkSigner(std::string public_url, int valid_days, const security::Key& key)
    : public_url_(std::move(public_url)), valid_days_(valid_days), key_(key) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
}

std::string LinkSigner::link_for(std::int64_t reference_id, const Sha256& sha256, std::string_view file_name,
                                 std::int64_t now) const {
  std::int64_t expires = valid_days_ == 0 ? 0 : now + static_cast<std::int64_t>(valid_days_) * 86400;
  return make_link(public_url_, reference_id, sha256, file_name, expires, key_);
}

}  // namespace mailprune::archive
