#include "review/review_handlers.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "campaign/review_store.hpp"
#include "http/encoding.hpp"
#include "review/review_page.hpp"
#include "review/token.hpp"

namespace mailprune::review {
namespace {

http::Response page(int status, std::string html) {
  http::Response response = http::html_response(status, std::move(html));
  response.headers.set("Content-Security-Policy", review_csp());
  response.headers.set("X-Robots-Tag", "noindex, nofollow");
  return response;
}

http::Response error(ErrorPage kind, Language language) {
  return page(error_status(kind), render_error_page(kind, language));
}

Language accept_language(const http::Request& request) {
  return language_from_accept(request.headers.get("Accept-Language").value_or(""));
}

std::int64_t now_of(const ReviewHandlerContext& context) {
  return context.now ? context.now() : static_cast<std::int64_t>(std::time(nullptr));
}

// A link that passed every check: who it is for, in which language, and the agent's view.
struct Link {
  std::string token;
  campaign::StoredToken stored;
  campaign::ReviewData data;
};

// Checks the link of `request` within `tx`; the error response when it fails.
std::variant<Link, http::Response> check_link(const ReviewHandlerContext& context, const http::Request& request,
                                              pqxx::transaction_base& tx) {
  const std::string_view prefix(kReviewPrefix);
  std::string token = request.path.size() > prefix.size() ? request.path.substr(prefix.size()) : std::string();
  auto verified = verify_token(token, context.key, now_of(context));
  if (!verified && verified.error() != TokenError::expired) return error(ErrorPage::tampered, accept_language(request));

  auto stored = campaign::find_review_token(tx, token);
  if (!stored) return error(ErrorPage::revoked, accept_language(request));
  if (verified && (verified->campaign_id != stored->campaign_id || verified->agent_id != stored->agent_id)) {
    return error(ErrorPage::tampered, accept_language(request));
  }
  auto data = campaign::load_review(tx, stored->campaign_id, stored->agent_id);
  if (!data) return error(ErrorPage::revoked, accept_language(request));
  const Language language = notify::parse_language(data->language).value_or(Language::fr);
  if (stored->revoked) return error(ErrorPage::revoked, language);
  if (!verified) return error(ErrorPage::expired, language);
  if (data->campaign_state == "closed") return error(ErrorPage::campaign_closed, language);

  Link link;
  link.token = std::move(token);
  link.stored = *stored;
  link.data = std::move(*data);
  return link;
}

std::string csrf_for(const ReviewHandlerContext& context, const std::string& token) {
  return csrf_token(token_sha256(token), context.key);
}

// The decisions a form asks for, over the items that can be chosen.
std::vector<campaign::DecisionInput> decisions_of(const http::Params& form, const campaign::ReviewData& data) {
  std::vector<campaign::DecisionInput> decisions;
  const std::string all = form.get("all").value_or("items");
  for (const auto& item : data.items) {
    if (item.locked) continue;
    std::string decision;
    if (all == "approved" || all == "refused") {
      decision = all;
    } else {
      decision = form.get("p" + std::to_string(item.proposal_id)).value_or("");
    }
    if (decision != "approved" && decision != "refused") continue;
    campaign::DecisionInput input;
    input.proposal_id = item.proposal_id;
    input.decision = decision;
    decisions.push_back(input);
  }
  return decisions;
}

// Proposal ids the form names that are not choosable items of this page (another agent's,
// automatic, taken up by apply): counted as ignored in the confirmation.
int foreign_items(const http::Params& form, const campaign::ReviewData& data) {
  int count = 0;
  for (const auto& [name, value] : form) {
    if (name.size() < 2 || name[0] != 'p' || name.find_first_not_of("0123456789", 1) != std::string::npos) continue;
    if (value != "approved" && value != "refused") continue;
    bool choosable = false;
    for (const auto& item : data.items) {
      if ("p" + std::to_string(item.proposal_id) == name) choosable = !item.locked;
    }
    if (!choosable) ++count;
  }
  return count;
}

}  // namespace

http::Response handle_review_get(const ReviewHandlerContext& context, const http::Request& request) {
  http::Response response;
  context.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction tx(connection);
    auto checked = check_link(context, request, tx);
    if (auto* error_response = std::get_if<http::Response>(&checked)) {
      response = std::move(*error_response);
      return;
    }
    auto& link = std::get<Link>(checked);
    ReviewPageOptions options;
    options.csrf_token = csrf_for(context, link.token);
    response = page(200, render_review_page(link.data, options));
  });
  return response;
}

http::Response handle_review_post(const ReviewHandlerContext& context, const http::Request& request) {
  http::Response response;
  context.with_connection([&](pqxx::connection& connection) {
    pqxx::work tx(connection);
    auto checked = check_link(context, request, tx);
    if (auto* error_response = std::get_if<http::Response>(&checked)) {
      response = std::move(*error_response);
      return;
    }
    auto& link = std::get<Link>(checked);
    const Language language = notify::parse_language(link.data.language).value_or(Language::fr);

    auto form = http::parse_form(request);
    auto presented = form ? form->get("csrf") : std::nullopt;
    if (!presented || !verify_csrf(*presented, token_sha256(link.token), context.key)) {
      response = error(ErrorPage::bad_form, language);
      return;
    }
    ReviewPageOptions options;
    options.csrf_token = csrf_for(context, link.token);
    if (!link.data.accepting) {
      response = page(409, render_review_page(link.data, options));
      return;
    }

    campaign::DecisionContext decision_context;
    decision_context.review_token_id = link.stored.id;
    decision_context.origin = "review";
    decision_context.ip = request.remote_address;
    decision_context.user_agent = request.headers.get("User-Agent").value_or("");
    auto recorded = campaign::record_decisions(tx, link.stored.campaign_id, link.stored.agent_id,
                                               decisions_of(*form, link.data), decision_context);
    auto updated = campaign::load_review(tx, link.stored.campaign_id, link.stored.agent_id);
    tx.commit();

    Confirmation confirmation;
    confirmation.changed = recorded.changed;
    confirmation.ignored = recorded.refused + foreign_items(*form, link.data);
    options.confirmation = confirmation;
    response = page(200, render_review_page(updated ? *updated : link.data, options));
  });
  return response;
}

void add_review_routes(http::Router& router, ReviewHandlerContext context) {
  auto shared = std::make_shared<const ReviewHandlerContext>(std::move(context));
  http::RouteOptions options;
  options.max_body_bytes = kReviewMaxBody;
  router.add_prefix("GET", kReviewPrefix,
                    [shared](const http::Request& request) { return handle_review_get(*shared, request); });
  router.add_prefix(
      "POST", kReviewPrefix, [shared](const http::Request& request) { return handle_review_post(*shared, request); },
      options);
}

}  // namespace mailprune::review
