// review_page.hpp: the agent's review page and the review error pages, as HTML, in French (the
// default) or English. Pure functions from data to a whole HTML document: no I/O, no clock.
//
// The review page (render_review_page) shows the agent's proposals grouped by rule (what the rule
// does and what happens without an answer: automatic, done unless refused, done only if
// approved), each with its date, sender, subject, folder, file name and size, and a summary of
// what their choices free. Two forms, both POSTed to the page's own address with the
// anti-forgery token: one with "approve all" / "refuse all", one with a pair of radio buttons per
// item and "save my choices" (separate forms, so that pressing Enter on a radio button saves the
// choices and never approves everything). Automatic items and items already taken up by apply
// show their state instead of a choice; when decisions are closed (deadline passed, campaign being
// applied) every item shows its state and no form is offered.
//
// Works without JavaScript (there is none), on a phone (fluid layout, large touch targets),
// accessible: `lang` on the document, a heading per rule, a fieldset and legend per item with
// labelled radio buttons, visible keyboard focus, dark-on-light text with contrast above WCAG AA.
// The CSS is inline in one <style> element; review_csp() is the Content-Security-Policy that
// allows exactly that element (by its SHA-256) and nothing else from anywhere.
//
// Everything that comes from mail or users (names, subjects, senders, file names, folders, rule
// and campaign names) is put on one line and HTML-escaped: a subject "<script>" shows as text.
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "campaign/review_store.hpp"
#include "notify/text_format.hpp"

namespace mailprune::review {

using notify::Language;

// What the choices amount to (computed from the proposals' decisions, so after a POST it is what
// the server recorded).
struct ChoiceSummary {
  std::uint64_t approved_count = 0, approved_bytes = 0;
  std::uint64_t refused_count = 0, refused_bytes = 0;
  std::uint64_t pending_opt_out_count = 0, pending_opt_out_bytes = 0;  // done at the deadline
  std::uint64_t pending_opt_in_count = 0, pending_opt_in_bytes = 0;    // not done without a yes
  std::uint64_t automatic_count = 0, automatic_bytes = 0;              // auto rules
  // Bytes freed if nothing changes from here: approved + automatic + pending opt-out.
  std::uint64_t freed_bytes = 0;
};
ChoiceSummary summarize_choices(const campaign::ReviewData& data);

// After a POST: what was recorded.
struct Confirmation {
  int changed = 0;  // decisions that changed
  int ignored = 0;  // items that could not be changed (already applied, not the agent's)
};

struct ReviewPageOptions {
  std::string csrf_token;  // the forms' anti-forgery token
  std::optional<Confirmation> confirmation;
};

std::string render_review_page(const campaign::ReviewData& data, const ReviewPageOptions& options);

enum class ErrorPage {
  tampered,         // not a token, or not signed by us
  expired,          // genuine, past its expiry
  revoked,          // revoked, or unknown to the database
  campaign_closed,  // the campaign is closed
  bad_form,         // a POST without the right anti-forgery token, or an unreadable form
};
// The HTTP status that goes with the page: 404 tampered, 410 expired/revoked/closed, 403 bad_form.
int error_status(ErrorPage page);
// A short page saying what happened, that nothing was changed, and what to do.
std::string render_error_page(ErrorPage page, Language language);

// The language to answer in when the agent is unknown (tampered links): English when the
// Accept-Language header's most preferred language of fr/en is English, French otherwise.
Language language_from_accept(std::string_view accept_language);

// The Content-Security-Policy header value for these pages (inline style allowed by its hash,
// forms to the same origin, nothing else).
const std::string& review_csp();

}  // namespace mailprune::review
