// The review page and error pages as HTML: both languages, escaping of what comes from mail,
// accessible structure, the forms offered in each situation, the summary of bytes freed, and a
// Content-Security-Policy that allows exactly the page's inline style.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <tuple>
#include <vector>

#include "review/review_page.hpp"

namespace mailprune::test {
namespace {

using review::ErrorPage;
using review::Language;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

campaign::ReviewItem item(std::int64_t id, const std::string& rule, const std::string& approval,
                          const std::string& decision, std::int64_t bytes) {
  campaign::ReviewItem i;
  i.proposal_id = id;
  i.rule_name = rule;
  i.action = "detach";
  i.approval = approval;
  i.decision = decision;
  i.locked = approval == "auto";
  i.mailbox = "alice@example.org";
  i.folder = "INBOX/Projets";
  i.date = "2023-05-04";
  i.from = "Jean Dupont <jean@example.org>";
  i.subject = "Rapport trimestriel";
  i.file_name = "rapport.pdf";
  i.size = bytes;
  i.bytes = bytes;
  return i;
}

campaign::ReviewData sample(const std::string& language = "fr") {
  campaign::ReviewData data;
  data.campaign_id = 1;
  data.campaign_name = "Printemps 2025";
  data.campaign_state = "collecting";
  data.deadline = "2025-04-11T21:59:59Z";
  data.grace_days = 30;
  data.agent_id = 7;
  data.agent_address = "alice@example.org";
  data.agent_name = "Alice Martin";
  data.language = language;
  data.mailbox_bytes = 2500000000;
  data.accepting = true;
  data.items.push_back(item(11, "grosses-pieces-jointes", "opt-out", "pending", 3000000));
  data.items.push_back(item(12, "grosses-pieces-jointes", "opt-out", "refused", 2000000));
  data.items.push_back(item(13, "anciens-messages", "opt-in", "approved", 1000000));
  data.items.push_back(item(14, "anciens-messages", "opt-in", "pending", 500000));
  data.items.push_back(item(15, "doublons", "auto", "approved", 400000));
  data.items[2].action = data.items[3].action = "delete";
  data.items[2].file_name = data.items[3].file_name = "";
  data.items[2].destination = data.items[3].destination = "mailprune/Quarantine";
  return data;
}

review::ReviewPageOptions options() {
  review::ReviewPageOptions o;
  o.csrf_token = "csrf-value-123";
  return o;
}

TEST(ReviewPage, FrenchByDefaultWithEveryFieldAndForm) {
  auto html = review::render_review_page(sample(), options());
  EXPECT_TRUE(contains(html, "<html lang=\"fr\">"));
  EXPECT_TRUE(contains(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
  EXPECT_TRUE(contains(html, "Bonjour Alice Martin,"));
  EXPECT_TRUE(contains(html, "Campagne « Printemps 2025 »"));
  EXPECT_TRUE(contains(html, "jusqu'au 11 avril 2025"));
  EXPECT_TRUE(contains(html, "<dt>Date</dt><dd>4 mai 2023</dd>"));
  EXPECT_TRUE(contains(html, "<dt>Expéditeur</dt><dd>Jean Dupont &lt;jean@example.org&gt;</dd>"));
  EXPECT_TRUE(contains(html, "<dt>Dossier</dt><dd>INBOX/Projets</dd>"));
  EXPECT_TRUE(contains(html, "<dt>Fichier</dt><dd>rapport.pdf</dd>"));
  EXPECT_TRUE(contains(html, "<dt>Taille</dt><dd>3\u00a0Mo</dd>")) << html;
  EXPECT_TRUE(contains(html, "<dt>Déplacé vers</dt><dd>mailprune/Quarantine</dd>")) << html;
  // Grouped by rule, with what the rule does and what happens without an answer.
  EXPECT_EQ(count(html, "<section class=\"rule\""), 3u);
  EXPECT_TRUE(contains(html, "Fait à l'échéance, sauf si vous refusez."));
  EXPECT_TRUE(contains(html, "Fait seulement si vous acceptez."));
  EXPECT_TRUE(contains(html, "supprimés définitivement après 30 jours"));
  // Two forms with the anti-forgery token; "save" is in the items form only.
  EXPECT_EQ(count(html, "<form method=\"post\""), 2u);
  EXPECT_EQ(count(html, "<input type=\"hidden\" name=\"csrf\" value=\"csrf-value-123\">"), 2u);
  EXPECT_TRUE(contains(html, "value=\"approved\">Tout accepter</button>"));
  EXPECT_TRUE(contains(html, "value=\"refused\" class=\"secondary\">Tout refuser</button>"));
  EXPECT_TRUE(contains(html, "value=\"items\">Enregistrer mes choix</button>"));
  // One radio pair per item that can be chosen, current decisions checked, every radio labelled.
  EXPECT_EQ(count(html, "type=\"radio\""), 8u);
  EXPECT_EQ(count(html, "<label><input type=\"radio\""), 8u);
  EXPECT_TRUE(contains(html, "name=\"p12\" value=\"refused\" checked"));
  EXPECT_TRUE(contains(html, "name=\"p13\" value=\"approved\" checked"));
  EXPECT_FALSE(contains(html, "name=\"p11\" value=\"approved\" checked"));
  EXPECT_FALSE(contains(html, "name=\"p15\""));  // automatic
  EXPECT_TRUE(contains(html, "Automatique : sera fait."));
  EXPECT_EQ(count(html, "<fieldset>"), 5u);
  EXPECT_EQ(count(html, "<legend>"), 5u);
  EXPECT_EQ(count(html, "</fieldset>"), 5u);
  EXPECT_FALSE(contains(html, "<script"));
}

TEST(ReviewPage, SummaryCountsWhatTheChoicesFree) {
  auto s = review::summarize_choices(sample());
  EXPECT_EQ(s.approved_count, 1u);
  EXPECT_EQ(s.approved_bytes, 1000000u);
  EXPECT_EQ(s.refused_bytes, 2000000u);
  EXPECT_EQ(s.pending_opt_out_bytes, 3000000u);
  EXPECT_EQ(s.pending_opt_in_bytes, 500000u);
  EXPECT_EQ(s.automatic_bytes, 400000u);
  EXPECT_EQ(s.freed_bytes, 1000000u + 400000u + 3000000u);
  auto html = review::render_review_page(sample(), options());
  EXPECT_TRUE(contains(html, "Espace libéré avec vos choix : 4,4\u00a0Mo")) << html;
}

TEST(ReviewPage, EnglishPage) {
  auto html = review::render_review_page(sample("en"), options());
  EXPECT_TRUE(contains(html, "<html lang=\"en\">"));
  EXPECT_TRUE(contains(html, "Hello Alice Martin,"));
  EXPECT_TRUE(contains(html, "until 11 April 2025"));
  EXPECT_TRUE(contains(html, "<dt>Date</dt><dd>4 May 2023</dd>"));
  EXPECT_TRUE(contains(html, "<dt>Size</dt><dd>3\u00a0MB</dd>")) << html;
  EXPECT_TRUE(contains(html, ">Approve all</button>"));
  EXPECT_TRUE(contains(html, ">Save my choices</button>"));
  EXPECT_TRUE(contains(html, "Done at the deadline, unless you refuse."));
  EXPECT_FALSE(contains(html, "Tout accepter"));
}

TEST(ReviewPage, TextFromMailIsEscaped) {
  auto data = sample();
  data.campaign_name = "<b>camp</b>";
  data.agent_name = "Eve <script>alert('name')</script>";
  data.items[0].subject = "<script>alert(1)</script>";
  data.items[0].file_name = "\"><img src=x onerror=alert(2)>.pdf";
  data.items[0].from = "a&b <x@example.org>";
  data.items[0].folder = "INBOX/<i>";
  data.items[0].rule_name = "rule<script>";
  auto html = review::render_review_page(data, options());
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<img"));
  EXPECT_FALSE(contains(html, "<b>camp"));
  EXPECT_FALSE(contains(html, "<i>"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;.pdf"));
  EXPECT_TRUE(contains(html, "a&amp;b &lt;x@example.org&gt;"));
  // A CR/LF in a subject cannot break out of its line either.
  data.items[0].subject = "line1\r\nline2";
  html = review::render_review_page(data, options());
  EXPECT_FALSE(contains(html, "line1\r\n"));
}

TEST(ReviewPage, ClosedDecisionsShowStatesAndNoForm) {
  auto data = sample();
  data.accepting = false;
  data.deadline_passed = true;
  data.items[1].apply_step = "done";
  data.items[1].locked = true;
  auto html = review::render_review_page(data, options());
  EXPECT_FALSE(contains(html, "<form"));
  EXPECT_FALSE(contains(html, "type=\"radio\""));
  EXPECT_TRUE(contains(html, "L'échéance est passée"));
  EXPECT_TRUE(contains(html, "Votre choix : sans réponse"));
  EXPECT_TRUE(contains(html, "Votre choix : accepté"));
  EXPECT_TRUE(contains(html, "Déjà fait."));
}

TEST(ReviewPage, ConfirmationAfterAPost) {
  auto o = options();
  review::Confirmation c;
  c.changed = 2;
  c.ignored = 1;
  o.confirmation = c;
  auto html = review::render_review_page(sample(), o);
  EXPECT_TRUE(contains(html, "role=\"status\""));
  EXPECT_TRUE(contains(html, "Vos choix sont enregistrés (2\u00a0éléments).")) << html;
  EXPECT_TRUE(contains(html, "n'ont pas pu être modifiés"));
  c.changed = 0;
  c.ignored = 0;
  o.confirmation = c;
  EXPECT_TRUE(contains(review::render_review_page(sample("en"), o), "No change: your choices were already saved."));
}

TEST(ReviewPage, NothingProposed) {
  auto data = sample();
  data.items.clear();
  auto html = review::render_review_page(data, options());
  EXPECT_TRUE(contains(html, "vous n'avez rien à faire"));
  EXPECT_FALSE(contains(html, "<form"));
}

TEST(ReviewPage, TheContentSecurityPolicyAllowsExactlyTheInlineStyle) {
  auto html = review::render_review_page(sample(), options());
  std::smatch match;
  ASSERT_TRUE(std::regex_search(html, match, std::regex("<style>([^<]*)</style>")));
  std::string style = match[1];
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(style.data()), style.size(), digest);
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, digest, sizeof digest);
  const auto& csp = review::review_csp();
  EXPECT_TRUE(contains(csp, std::string("style-src 'sha256-") + reinterpret_cast<char*>(b64) + "'")) << csp;
  EXPECT_TRUE(contains(csp, "default-src 'none'"));
  EXPECT_TRUE(contains(csp, "form-action 'self'"));
  EXPECT_FALSE(contains(csp, "unsafe-inline"));
  // The error pages use the same style, so the same policy.
  auto error = review::render_error_page(ErrorPage::expired, Language::fr);
  ASSERT_TRUE(std::regex_search(error, match, std::regex("<style>([^<]*)</style>")));
  EXPECT_EQ(std::string(match[1]), style);
}

// WCAG 2.x relative luminance of "#rgb" or "#rrggbb".
double luminance(const std::string& hex) {
  std::string h = hex.substr(1);
  if (h.size() == 3) h = {h[0], h[0], h[1], h[1], h[2], h[2]};
  double channels[3] = {};
  for (int i = 0; i < 3; ++i) {
    const double c = std::stoi(h.substr(static_cast<std::size_t>(i) * 2, 2), nullptr, 16) / 255.0;
    channels[i] = c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  }
  return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
}

double contrast(const std::string& a, const std::string& b) {
  const double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// The colours of the page's own style, read from the page as served: every rule's text colour on
// its background (the body's when it sets none) and every background under the body's text reach
// WCAG AA for normal text (4.5:1); the keyboard focus ring stands out from white (3:1), and no
// rule hides the focus outline or reorders the keyboard.
TEST(ReviewPage, TextColoursReachWcagAaContrast) {
  auto html = review::render_review_page(sample(), options());
  std::smatch match;
  ASSERT_TRUE(std::regex_search(html, match, std::regex("<style>([^<]*)</style>")));
  const std::string style = match[1];
  const std::regex rule_pattern("([^{}]+)\\{([^{}]*)\\}");
  const std::regex color_pattern("(?:^|;)color:(#[0-9a-fA-F]{3,6})\\b");
  const std::regex background_pattern("(?:^|;)background(?:-color)?:(#[0-9a-fA-F]{3,6})\\b");
  const std::regex outline_pattern("(?:^|;)outline:[^;]*(#[0-9a-fA-F]{3,6})");

  std::string body_color, body_background;
  std::vector<std::tuple<std::string, std::string, std::string>> rules;  // selector, colour, background
  std::vector<std::string> outlines;
  for (auto it = std::sregex_iterator(style.begin(), style.end(), rule_pattern); it != std::sregex_iterator(); ++it) {
    const std::string selector = (*it)[1], declarations = (*it)[2];
    std::smatch found;
    std::string color, background;
    if (std::regex_search(declarations, found, color_pattern)) color = found[1];
    if (std::regex_search(declarations, found, background_pattern)) background = found[1];
    if (std::regex_search(declarations, found, outline_pattern)) outlines.push_back(found[1]);
    EXPECT_FALSE(contains(declarations, "outline:none") || contains(declarations, "outline:0")) << selector;
    if (selector == "body") {
      body_color = color;
      body_background = background;
    }
    if (!color.empty() || !background.empty()) rules.emplace_back(selector, color, background);
  }
  ASSERT_FALSE(body_color.empty());
  ASSERT_FALSE(body_background.empty());
  std::set<std::string> checked;
  for (const auto& [selector, color, background] : rules) {
    const std::string fg = color.empty() ? body_color : color;
    const std::string bg = background.empty() ? body_background : background;
    EXPECT_GE(contrast(fg, bg), 4.5) << selector << ": " << fg << " on " << bg;
    checked.insert(selector);
  }
  for (const auto& selector : {"body", "button", "button.secondary", ".notice", ".done", ".closed", ".rule-help"}) {
    EXPECT_TRUE(checked.count(selector)) << selector << " sets no colour any more: " << style;
  }
  ASSERT_FALSE(outlines.empty()) << "no visible focus ring";
  for (const auto& outline : outlines) EXPECT_GE(contrast(outline, body_background), 3.0) << outline;
  EXPECT_FALSE(std::regex_search(html, std::regex("tabindex=\"[1-9]")));
}

TEST(ReviewPage, ErrorPagesInBothLanguagesSayNothingChanged) {
  for (auto page :
       {ErrorPage::tampered, ErrorPage::expired, ErrorPage::revoked, ErrorPage::campaign_closed, ErrorPage::bad_form}) {
    auto fr = review::render_error_page(page, Language::fr);
    auto en = review::render_error_page(page, Language::en);
    EXPECT_TRUE(contains(fr, "<html lang=\"fr\">"));
    EXPECT_TRUE(contains(fr, "Rien n'a été modifié."));
    EXPECT_TRUE(contains(en, "<html lang=\"en\">"));
    EXPECT_TRUE(contains(en, "Nothing was changed."));
    EXPECT_TRUE(contains(fr, "role=\"alert\""));
    EXPECT_FALSE(contains(fr, "<form"));
  }
  EXPECT_TRUE(contains(review::render_error_page(ErrorPage::expired, Language::fr), "Ce lien a expiré"));
  EXPECT_TRUE(contains(review::render_error_page(ErrorPage::campaign_closed, Language::en), "This campaign is over"));
  EXPECT_EQ(review::error_status(ErrorPage::tampered), 404);
  EXPECT_EQ(review::error_status(ErrorPage::expired), 410);
  EXPECT_EQ(review::error_status(ErrorPage::revoked), 410);
  EXPECT_EQ(review::error_status(ErrorPage::campaign_closed), 410);
  EXPECT_EQ(review::error_status(ErrorPage::bad_form), 403);
}

TEST(ReviewPage, LanguageFromAcceptLanguage) {
  EXPECT_EQ(review::language_from_accept(""), Language::fr);
  EXPECT_EQ(review::language_from_accept("en-GB,en;q=0.9,fr;q=0.8"), Language::en);
  EXPECT_EQ(review::language_from_accept("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"), Language::fr);
  EXPECT_EQ(review::language_from_accept("de-DE, en;q=0.5"), Language::en);
  EXPECT_EQ(review::language_from_accept("de-DE"), Language::fr);
  EXPECT_EQ(review::language_from_accept("en;q=0, de"), Language::fr);
  EXPECT_EQ(review::language_from_accept("fr;q=0.2, en;q=0.8"), Language::en);
}

}  // namespace
}  // namespace mailprune::test
