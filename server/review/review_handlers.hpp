// review_handlers.hpp: the review link's HTTP handlers, `GET /review/<token>` and
// `POST /review/<token>`, as pure request -> response functions (http/router.hpp).
//
// Both first check the link, and answer an error page (review_page.hpp) that changes nothing when
// it fails, in this order:
//   not a token or not signed with the review key   -> 404 "not valid" (language from
//                                                      Accept-Language: the agent is unknown)
//   unknown to the database, or revoked             -> 410 "no longer valid"
//   expired (the expiry signed in the token)        -> 410 "expired"
//   its campaign is closed                          -> 410 "campaign over"
// (in the agent's language once the database names the agent).
//
// GET shows the agent's page. It never changes anything: it runs in a read-only transaction
// (mail security scanners open every link of every e-mail).
// POST needs the form's anti-forgery token (review/token.hpp csrf_token, bound to this link); a
// missing or wrong one, or an unreadable form, gets 403 and changes nothing. Then, when the
// campaign accepts decisions (notifying or collecting, deadline not passed), the decisions are
// recorded in one transaction (campaign/review_store.hpp record_decisions: proposal.decision,
// decided_at, and a decision_audit row with time, client address and User-Agent), and the
// updated page is shown with a confirmation (200). When decisions are closed, the page is shown
// as it stands with status 409 and nothing is recorded.
// Form fields: `csrf`; `all` = approved | refused (every item that can be chosen) or items;
// `p<proposal id>` = approved | refused per item (other values and unknown ids are ignored).
//
// Threads: handlers run on the HTTP server's I/O threads at once; each request runs its queries
// on a connection that `with_connection` lends to the calling thread for the duration of the call
// (one per thread, as `serve` keeps them, or a new one per call). `with_connection` must be
// thread-safe; exceptions from the database propagate (the server answers 500).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <memory>

#include "http/message.hpp"
#include "http/router.hpp"
#include "security/keys.hpp"

namespace mailprune::review {

// Calls `work` with a connection that only the calling thread uses meanwhile.
using WithConnection = std::function<void(const std::function<void(pqxx::connection&)>& work)>;

struct ReviewHandlerContext {
  WithConnection with_connection;
  security::Key key{};  // the review key (security::load_or_create_key(config, "review", ...))
  // Unix seconds; defaults to the system clock when empty.
  std::function<std::int64_t()> now;
};

// The path prefix of review links.
inline constexpr const char* kReviewPrefix = "/review/";
// Body limit of the review form (one small field per item).
inline constexpr std::size_t kReviewMaxBody = 4 * 1024 * 1024;

http::Response handle_review_get(const ReviewHandlerContext& context, const http::Request& request);
http::Response handle_review_post(const ReviewHandlerContext& context, const http::Request& request);

// Adds GET and POST on kReviewPrefix (the access log never shows the token).
void add_review_routes(http::Router& router, ReviewHandlerContext context);

}  // namespace mailprune::review
