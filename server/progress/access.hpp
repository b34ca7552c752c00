// access.hpp: who may open a campaign's live progress page (schema/011_progress_page.sql).
//
// Per campaign, one of three modes, chosen by an admin (`mailprune campaign progress-page`, later
// the API and the admin console through these same functions):
//   off     (the default, also when the campaign has no row) the page does not exist: 404;
//   public  /progress/<campaign name>, no login: anyone who can reach the server;
//   link    /progress/<token>: a shareable link whose token is 32 random bytes (base64url, 43
//           characters). Only its SHA-256 is stored, so the token is shown once, when issued;
//           issuing a new one (set_page_access with link again) revokes the previous one.
// Each change is also recorded in campaign_event (step "progress-page", detail the new mode).
//
// Threads: plain functions over a connection the caller owns (one thread at a time).
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>

namespace mailprune::progress {

enum class PageMode { off, public_page, link };

const char* mode_name(PageMode mode);                       // "off", "public", "link"
std::optional<PageMode> parse_mode(std::string_view name);  // the inverse; nullopt otherwise

struct PageAccess {
  PageMode mode = PageMode::off;
  std::string changed_at;  // ISO 8601 UTC; "" when never set
};

// The campaign's current mode (off when never set). Throws campaign::CampaignError when there is
// no such campaign (name or id).
PageAccess page_access(pqxx::transaction_base& tx, int campaign_id);

struct SetAccessResult {
  PageMode mode = PageMode::off;
  PageMode previous = PageMode::off;
  // link: the new token, the only time it exists in clear; "" for the other modes.
  std::string token;
};

// Sets the mode in one transaction (and records it in campaign_event). `link` always issues a new
// token. Throws campaign::CampaignError for an unknown campaign id. The transaction form writes in
// `tx` and never commits (the API and the CLI commit it with their audit row); the connection
// form commits its own transaction.
SetAccessResult set_page_access(pqxx::transaction_base& tx, int campaign_id, PageMode mode);
SetAccessResult set_page_access(pqxx::connection& connection, int campaign_id, PageMode mode);

// The campaign that the path segment `key` of /progress/<key> opens: a link token of a campaign
// in link mode, or the name of a campaign in public mode; nullopt otherwise (off, unknown, a
// campaign's name while it is in link mode, a revoked token).
std::optional<int> resolve_page_key(pqxx::transaction_base& tx, std::string_view key);

// The page's path for a mode: "/progress/<campaign name, percent-encoded>" (public) or
// "/progress/<token>" (link); "" for off.
std::string page_path(PageMode mode, std::string_view campaign_name, std::string_view token);

}  // namespace mailprune::progress
