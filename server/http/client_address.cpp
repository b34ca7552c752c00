#include "http/client_address.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <optional>

namespace mailprune::http {
namespace {

// An address in a comparable form: 4 or 16 bytes; nullopt when not an IP literal.
std::optional<std::string> binary_address(std::string_view text) {
  std::string copy(text);
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, copy.c_str(), bytes.data()) == 1) return std::string(bytes.begin(), bytes.begin() + 4);
  if (::inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1) return std::string(bytes.begin(), bytes.end());
  return std::nullopt;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string client_address(std::string_view peer, const Headers& headers,
                           const std::vector<std::string>& trusted_proxies) {
  if (trusted_proxies.empty()) return std::string(peer);
  auto peer_binary = binary_address(peer);
  if (!peer_binary) return std::string(peer);
  bool trusted = false;
  for (const auto& proxy : trusted_proxies) {
    if (binary_address(proxy) == peer_binary) trusted = true;
  }
  if (!trusted) return std::string(peer);
  // Several X-Forwarded-For fields count as one list, in order: the last entry of the last field.
  std::optional<std::string> last_field;
  for (const auto& [name, value] : headers) {
    if (iequals(name, "X-Forwarded-For")) last_field = value;
  }
  if (!last_field) return std::string(peer);
  std::string_view list = *last_field;
  auto comma = list.rfind(',');
  std::string_view entry = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
  if (!binary_address(entry)) return std::string(peer);
  return std::string(entry);
}

}  // namespace mailprune::http
