#include "progress/access.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

#include <unistd.h>

#include "campaign/campaign_store.hpp"
#include "http/encoding.hpp"
#include "security/encoding.hpp"

namespace mailprune::progress {
namespace {

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return security::hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string new_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no randomness available for a progress page link");
  }
  return security::base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "";
  return name.data();
}

}  // namespace

const char* mode_name(PageMode mode) {
  switch (mode) {
    case PageMode::public_page:
      return "public";
    case PageMode::link:
      return "link";
    case PageMode::off:
      break;
  }
  return "off";
}

std::optional<PageMode> parse_mode(std::string_view name) {
  if (name == "off") return PageMode::off;
  if (name == "public") return PageMode::public_page;
  if (name == "link") return PageMode::link;
  return std::nullopt;
}

PageAccess page_access(pqxx::transaction_base& tx, int campaign_id) {
  campaign::campaign_by_id(tx, campaign_id);  // throws for an unknown campaign
  PageAccess access;
  auto rows = tx.exec_params(
      "SELECT mode, to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      " FROM progress_page WHERE campaign_id = $1",
      campaign_id);
  if (!rows.empty()) {
    access.mode = parse_mode(rows[0][0].as<std::string>()).value_or(PageMode::off);
    access.changed_at = rows[0][1].as<std::string>();
  }
  return access;
}

SetAccessResult set_page_access(pqxx::transaction_base& tx, int campaign_id, PageMode mode) {
  auto campaign = campaign::campaign_by_id(tx, campaign_id);
  SetAccessResult result;
  result.mode = mode;
  auto previous = tx.exec_params("SELECT mode FROM progress_page WHERE campaign_id = $1 FOR UPDATE", campaign_id);
  if (!previous.empty()) result.previous = parse_mode(previous[0][0].as<std::string>()).value_or(PageMode::off);
  std::optional<std::string> hash;
  if (mode == PageMode::link) {
    result.token = new_token();
    hash = sha256_hex(result.token);
  }
  tx.exec_params0(
      "INSERT INTO progress_page (campaign_id, mode, link_sha256, changed_at)"
      " VALUES ($1, $2, decode($3, 'hex'), now())"
      " ON CONFLICT (campaign_id) DO UPDATE SET mode = EXCLUDED.mode, link_sha256 = EXCLUDED.link_sha256,"
      " changed_at = EXCLUDED.changed_at",
      campaign_id, mode_name(mode), hash);
  tx.exec_params0(
      "INSERT INTO campaign_event (campaign_id, step, from_state, to_state, detail, host, pid)"
      " VALUES ($1, 'progress-page', $2, $2, $3, $4, $5)",
      campaign_id, campaign.state, fmt::format("progress page: {}", mode_name(mode)), host_name(),
      static_cast<int>(::getpid()));
  return result;
}

SetAccessResult set_page_access(pqxx::connection& connection, int campaign_id, PageMode mode) {
  pqxx::work tx(connection);
  auto result = set_page_access(tx, campaign_id, mode);
  tx.commit();
  return result;
}

std::optional<int> resolve_page_key(pqxx::transaction_base& tx, std::string_view key) {
  if (key.empty() || key.size() > 200) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT p.campaign_id FROM progress_page p JOIN campaign c ON c.id = p.campaign_id"
      " WHERE (p.mode = 'link' AND p.link_sha256 = decode($1, 'hex')) OR (p.mode = 'public' AND c.name = $2)"
      " ORDER BY (p.mode = 'link') DESC LIMIT 1",
      sha256_hex(key), std::string(key));
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<int>();
}

std::string page_path(PageMode mode, std::string_view campaign_name, std::string_view token) {
  switch (mode) {
    case PageMode::public_page:
      return "/progress/" + http::percent_encode(campaign_name);
    case PageMode::link:
      return "/progress/" + http::percent_encode(token);
    case PageMode::off:
      break;
  }
  return "";
}

}  // namespace mailprune::progress
