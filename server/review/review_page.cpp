#include "review/review_page.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace mailprune::review {
namespace {

using notify::counted;
using notify::format_bytes;
using notify::format_date;
using notify::html_escape;
using notify::one_line;

// Dark text on white (contrast 16:1), buttons 8.6:1, focus ring visible on both.
constexpr const char* kStyle =
    "*{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%}"
    "body{margin:0;background:#fff;color:#1a1a1a;font:1rem/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
    "sans-serif}"
    "main{max-width:48rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}"
    "h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
    "p,dd,legend{overflow-wrap:break-word}dd{min-width:0}"
    ".notice{border-left:.3rem solid #0b5394;background:#eef4fa;padding:.75rem 1rem;margin:1rem 0}"
    ".done{border-left-color:#1e6b2f;background:#edf7ef}"
    ".closed{border-left-color:#8a4b00;background:#fdf3e7}"
    ".summary dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0}"
    ".summary dt{font-weight:600}.summary dd{margin:0}"
    ".freed{font-size:1.15rem;font-weight:700}"
    "form{margin:1rem 0}"
    ".bulk{display:flex;flex-wrap:wrap;gap:.75rem}"
    "button{font:inherit;font-weight:600;min-height:2.75rem;padding:.5rem 1.25rem;border-radius:.4rem;"
    "border:2px solid #0b5394;background:#0b5394;color:#fff;cursor:pointer}"
    "button.secondary{background:#fff;color:#0b5394}"
    "button:focus-visible,input:focus-visible{outline:3px solid #b35900;outline-offset:2px}"
    ".rule-help{color:#333;margin:.25rem 0 .75rem}"
    "ul.items{list-style:none;margin:0;padding:0}"
    "fieldset{border:1px solid #8c8c8c;border-radius:.4rem;margin:0 0 .75rem;padding:.5rem .75rem .75rem}"
    "legend{font-weight:600;padding:0 .25rem}"
    ".meta{display:grid;grid-template-columns:max-content 1fr;gap:0 .75rem;margin:.25rem 0 .5rem}"
    ".meta dt{color:#333}.meta dd{margin:0}"
    ".choice{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}"
    ".choice label{display:flex;align-items:center;gap:.5rem;min-height:2.75rem;padding:0 .25rem;cursor:pointer}"
    ".choice input{width:1.4rem;height:1.4rem;margin:0}"
    ".state{font-weight:600;margin:.25rem 0 0}"
    ".save{position:sticky;bottom:0;background:#fff;padding:.75rem 0;border-top:1px solid #8c8c8c}"
    "@media (max-width:30rem){.meta,.summary dl{grid-template-columns:1fr;gap:0}.meta dt,.summary dt{margin-top:.25rem}"
    ".bulk button,.save button{width:100%}}";

struct Words {
  const char* title;
  const char* heading;
  const char* campaign;
  const char* hello_named;  // {} name
  const char* hello;
  const char* intro;     // {} mailbox size
  const char* deadline;  // {} date
  const char* no_deadline;
  const char* nothing;
  const char* closed_deadline;
  const char* closed_applying;
  const char* closed_other;
  const char* saved;  // {} count
  const char* saved_none;
  const char* ignored;  // {} count
  const char* summary;
  const char* approved;
  const char* refused;
  const char* pending_opt_out;
  const char* pending_opt_in;
  const char* automatic;
  const char* freed;
  const char* all_heading;
  const char* approve_all;
  const char* refuse_all;
  const char* items_heading;
  const char* save;
  const char* approve;
  const char* refuse;
  const char* date;
  const char* sender;
  const char* subject;
  const char* folder;
  const char* file;
  const char* size;
  const char* mailbox;
  const char* destination;
  const char* no_subject;
  const char* no_name;
  const char* unknown;
  const char* detach;
  const char* archive;
  const char* remove;  // {} grace days
  const char* mode_auto;
  const char* mode_opt_out;
  const char* mode_opt_in;
  const char* state_auto;
  const char* state_done;
  const char* state_undone;
  const char* state_not_done;
  const char* state_running;
  const char* your_choice;
  const char* choice_approved;
  const char* choice_refused;
  const char* choice_pending;
  const char* item_one;
  const char* item_many;
};

const Words kFrench = {
    "Vos propositions de nettoyage",
    "Nettoyage de votre messagerie",
    "Campagne « {} »",
    "Bonjour {},",
    "Bonjour,",
    "Votre messagerie occupe {}. Voici ce que nous proposons pour libérer de la place. Pour chaque élément, "
    "indiquez si vous acceptez ou si vous refusez.",
    "Vous pouvez donner ou changer vos choix jusqu'au {}.",
    "Vous pouvez donner ou changer vos choix tant que la campagne est ouverte.",
    "Rien n'est proposé pour votre messagerie dans cette campagne : vous n'avez rien à faire.",
    "L'échéance est passée : vos choix ne peuvent plus être modifiés. Voici ce qui a été retenu.",
    "Les choix sont clos : la campagne est en cours d'application. Voici ce qui a été retenu.",
    "Les choix ne sont pas encore ouverts pour cette campagne.",
    "Vos choix sont enregistrés ({}).",
    "Aucun changement : vos choix étaient déjà enregistrés.",
    "{} n'ont pas pu être modifiés (déjà traités).",
    "Résumé de vos choix",
    "Acceptés",
    "Refusés",
    "Sans réponse (faits à l'échéance)",
    "Sans réponse (non faits sans votre accord)",
    "Automatiques",
    "Espace libéré avec vos choix : {}",
    "Tout en une fois",
    "Tout accepter",
    "Tout refuser",
    "Élément par élément",
    "Enregistrer mes choix",
    "Accepter",
    "Refuser",
    "Date",
    "Expéditeur",
    "Objet",
    "Dossier",
    "Fichier",
    "Taille",
    "Boîte",
    "Déplacé vers",
    "(sans objet)",
    "(sans nom)",
    "inconnue",
    "Pièces jointes archivées : retirées du message, remplacées par un lien pour les récupérer.",
    "Messages déplacés dans un dossier d'archives de votre messagerie.",
    "Messages mis en quarantaine, puis supprimés définitivement après {} jours.",
    "Fait automatiquement, sans choix de votre part.",
    "Fait à l'échéance, sauf si vous refusez.",
    "Fait seulement si vous acceptez.",
    "Automatique : sera fait.",
    "Déjà fait.",
    "Annulé : remis en place.",
    "Non fait.",
    "En cours de traitement.",
    "Votre choix : {}",
    "accepté",
    "refusé",
    "sans réponse",
    "élément",
    "éléments",
};

const Words kEnglish = {
    "Your clean-up proposals",
    "Cleaning up your mailbox",
    "Campaign \"{}\"",
    "Hello {},",
    "Hello,",
    "Your mailbox holds {}. Here is what we propose to free some space. For each item, say whether you approve or "
    "refuse.",
    "You can make or change your choices until {}.",
    "You can make or change your choices while the campaign is open.",
    "Nothing is proposed for your mailbox in this campaign: there is nothing for you to do.",
    "The deadline has passed: your choices can no longer be changed. Here is what was recorded.",
    "Choices are closed: the campaign is being carried out. Here is what was recorded.",
    "Choices are not open yet for this campaign.",
    "Your choices are saved ({}).",
    "No change: your choices were already saved.",
    "{} could not be changed (already carried out).",
    "Summary of your choices",
    "Approved",
    "Refused",
    "No answer (done at the deadline)",
    "No answer (not done without your approval)",
    "Automatic",
    "Space freed with your choices: {}",
    "All at once",
    "Approve all",
    "Refuse all",
    "Item by item",
    "Save my choices",
    "Approve",
    "Refuse",
    "Date",
    "From",
    "Subject",
    "Folder",
    "File",
    "Size",
    "Mailbox",
    "Moved to",
    "(no subject)",
    "(no name)",
    "unknown",
    "Attachments archived: taken out of the message, replaced by a link to get them back.",
    "Messages moved to an archive folder of your mailbox.",
    "Messages moved to quarantine, then deleted for good after {} days.",
    "Done automatically, with no choice needed from you.",
    "Done at the deadline, unless you refuse.",
    "Done only if you approve.",
    "Automatic: will be done.",
    "Already done.",
    "Undone: put back.",
    "Not done.",
    "Being carried out.",
    "Your choice: {}",
    "approved",
    "refused",
    "no answer",
    "item",
    "items",
};

const Words& words(Language language) {
  return language == Language::en ? kEnglish : kFrench;
}

Language language_of(const std::string& code) {
  return notify::parse_language(code).value_or(Language::fr);
}

std::string text(std::string_view raw) {
  return html_escape(one_line(raw));
}

std::optional<notify::CalendarDate> parse_day(const std::string& iso) {
  int y = 0, m = 0, d = 0;
  if (iso.size() < 10 || std::sscanf(iso.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  notify::CalendarDate date;
  date.year = y;
  date.month = m;
  date.day = d;
  return date;
}

std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string document(Language language, const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{}</title>\n<style>{}</style>\n</head>\n"
      "<body>\n<main>\n{}</main>\n</body>\n</html>\n",
      notify::language_code(language), title, kStyle, body);
}

std::string items_text(std::uint64_t count, Language language) {
  const Words& w = words(language);
  return counted(count, language, w.item_one, w.item_many);
}

std::string state_text(const campaign::ReviewItem& item, const Words& w) {
  const std::string& step = item.apply_step;
  if (step == "done" || step == "purged") return w.state_done;
  if (step == "undone") return w.state_undone;
  if (step == "skipped" || step == "failed") return w.state_not_done;
  if (!step.empty()) return w.state_running;
  return w.state_auto;
}

std::string choice_text(const std::string& decision, const Words& w) {
  const char* value = decision == "approved"  ? w.choice_approved
                      : decision == "refused" ? w.choice_refused
                                              : w.choice_pending;
  return fmt::format(fmt::runtime(w.your_choice), value);
}

void render_item(std::string& out, const campaign::ReviewItem& item, Language language, bool accepting,
                 bool several_mailboxes) {
  const Words& w = words(language);
  const bool detach = item.action == "detach";
  std::string legend = detach ? (item.file_name.empty() ? w.no_name : text(item.file_name))
                              : (item.subject.empty() ? w.no_subject : text(item.subject));
  out += "<li><fieldset>\n";
  out += fmt::format(
      "<legend>{} <span class=\"size\">({})</span></legend>\n", legend,
      html_escape(format_bytes(static_cast<std::uint64_t>(std::max<std::int64_t>(item.size, 0)), language)));
  out += "<dl class=\"meta\">\n";
  auto field = [&](const char* name, const std::string& value) {
    out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", name, value);
  };
  auto day = item.date ? parse_day(*item.date) : std::nullopt;
  field(w.date, day ? html_escape(format_date(*day, language)) : std::string(w.unknown));
  field(w.sender, item.from.empty() ? std::string(w.unknown) : text(item.from));
  field(w.subject, item.subject.empty() ? std::string(w.no_subject) : text(item.subject));
  field(w.folder, text(item.folder));
  if (detach) field(w.file, item.file_name.empty() ? std::string(w.no_name) : text(item.file_name));
  if (!detach && !item.destination.empty()) field(w.destination, text(item.destination));
  field(w.size, html_escape(format_bytes(static_cast<std::uint64_t>(std::max<std::int64_t>(item.size, 0)), language)));
  if (several_mailboxes) field(w.mailbox, text(item.mailbox));
  out += "</dl>\n";
  if (item.locked) {
    out += fmt::format("<p class=\"state\">{}</p>\n", state_text(item, w));
  } else if (!accepting) {
    out += fmt::format("<p class=\"state\">{}</p>\n", choice_text(item.decision, w));
  } else {
    const std::string name = fmt::format("p{}", item.proposal_id);
    out += "<div class=\"choice\">\n";
    out += fmt::format("<label><input type=\"radio\" name=\"{}\" value=\"approved\"{}> {}</label>\n", name,
                       item.decision == "approved" ? " checked" : "", w.approve);
    out += fmt::format("<label><input type=\"radio\" name=\"{}\" value=\"refused\"{}> {}</label>\n", name,
                       item.decision == "refused" ? " checked" : "", w.refuse);
    out += "</div>\n";
  }
  out += "</fieldset></li>\n";
}

}  // namespace

ChoiceSummary summarize_choices(const campaign::ReviewData& data) {
  ChoiceSummary s;
  for (const auto& item : data.items) {
    auto bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(item.bytes, 0));
    if (item.approval == "auto") {
      ++s.automatic_count;
      s.automatic_bytes += bytes;
    } else if (item.decision == "approved") {
      ++s.approved_count;
      s.approved_bytes += bytes;
    } else if (item.decision == "refused") {
      ++s.refused_count;
      s.refused_bytes += bytes;
    } else if (item.approval == "opt-out") {
      ++s.pending_opt_out_count;
      s.pending_opt_out_bytes += bytes;
    } else {
      ++s.pending_opt_in_count;
      s.pending_opt_in_bytes += bytes;
    }
  }
  s.freed_bytes = s.approved_bytes + s.automatic_bytes + s.pending_opt_out_bytes;
  return s;
}

std::string render_review_page(const campaign::ReviewData& data, const ReviewPageOptions& options) {
  const Language language = language_of(data.language);
  const Words& w = words(language);
  std::string body;
  body += fmt::format("<h1>{}</h1>\n<p>{}</p>\n", w.heading,
                      fmt::format(fmt::runtime(w.campaign), text(data.campaign_name)));

  if (options.confirmation) {
    const auto& c = *options.confirmation;
    body += "<div class=\"notice done\" role=\"status\">\n<p>";
    body += c.changed > 0
                ? fmt::format(fmt::runtime(w.saved), items_text(static_cast<std::uint64_t>(c.changed), language))
                : std::string(w.saved_none);
    body += "</p>\n";
    if (c.ignored > 0) {
      body += fmt::format("<p>{}</p>\n", fmt::format(fmt::runtime(w.ignored),
                                                     items_text(static_cast<std::uint64_t>(c.ignored), language)));
    }
    body += "</div>\n";
  }

  body += fmt::format("<p>{}</p>\n", data.agent_name.empty()
                                         ? std::string(w.hello)
                                         : fmt::format(fmt::runtime(w.hello_named), text(data.agent_name)));
  if (data.items.empty()) {
    body += fmt::format("<p>{}</p>\n", w.nothing);
    return document(language, fmt::format("{} – {}", w.title, text(data.campaign_name)), body);
  }
  body += fmt::format(
      "<p>{}</p>\n",
      fmt::format(fmt::runtime(w.intro),
                  html_escape(format_bytes(static_cast<std::uint64_t>(std::max<std::int64_t>(data.mailbox_bytes, 0)),
                                           language))));
  if (data.accepting) {
    auto day = data.deadline ? parse_day(*data.deadline) : std::nullopt;
    body +=
        fmt::format("<p>{}</p>\n", day ? fmt::format(fmt::runtime(w.deadline), html_escape(format_date(*day, language)))
                                       : std::string(w.no_deadline));
  } else {
    const char* why = data.deadline_passed                ? w.closed_deadline
                      : data.campaign_state == "applying" ? w.closed_applying
                                                          : w.closed_other;
    body += fmt::format("<div class=\"notice closed\" role=\"note\"><p>{}</p></div>\n", why);
  }

  // Summary of the choices as recorded.
  const ChoiceSummary s = summarize_choices(data);
  body += fmt::format("<section class=\"summary\" aria-labelledby=\"summary\">\n<h2 id=\"summary\">{}</h2>\n<dl>\n",
                      w.summary);
  auto line = [&](const char* name, std::uint64_t count, std::uint64_t bytes) {
    body += fmt::format("<dt>{}</dt><dd>{}, {}</dd>\n", name, html_escape(items_text(count, language)),
                        html_escape(format_bytes(bytes, language)));
  };
  line(w.approved, s.approved_count, s.approved_bytes);
  line(w.refused, s.refused_count, s.refused_bytes);
  if (s.pending_opt_out_count > 0) line(w.pending_opt_out, s.pending_opt_out_count, s.pending_opt_out_bytes);
  if (s.pending_opt_in_count > 0) line(w.pending_opt_in, s.pending_opt_in_count, s.pending_opt_in_bytes);
  if (s.automatic_count > 0) line(w.automatic, s.automatic_count, s.automatic_bytes);
  body += "</dl>\n";
  body += fmt::format("<p class=\"freed\">{}</p>\n</section>\n",
                      fmt::format(fmt::runtime(w.freed), html_escape(format_bytes(s.freed_bytes, language))));

  const bool choosable =
      data.accepting && std::any_of(data.items.begin(), data.items.end(), [](const auto& i) { return !i.locked; });
  const std::string csrf =
      fmt::format("<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n", html_escape(options.csrf_token));
  if (choosable) {
    body += fmt::format("<h2 id=\"bulk\">{}</h2>\n<form method=\"post\" aria-labelledby=\"bulk\">\n{}", w.all_heading,
                        csrf);
    body += fmt::format(
        "<div class=\"bulk\">\n<button type=\"submit\" name=\"all\" value=\"approved\">{}</button>\n"
        "<button type=\"submit\" name=\"all\" value=\"refused\" class=\"secondary\">{}</button>\n</div>\n</form>\n",
        w.approve_all, w.refuse_all);
    body += fmt::format("<h2 id=\"items\">{}</h2>\n<form method=\"post\" aria-labelledby=\"items\">\n{}",
                        w.items_heading, csrf);
  }

  bool several_mailboxes = false;
  for (const auto& item : data.items) several_mailboxes |= item.mailbox != data.items.front().mailbox;

  // Items arrive ordered by rule: one section per rule.
  int rule_index = 0;
  for (std::size_t i = 0; i < data.items.size();) {
    const auto& first = data.items[i];
    ++rule_index;
    body += fmt::format("<section class=\"rule\" aria-labelledby=\"rule-{}\">\n<h3 id=\"rule-{}\">{}</h3>\n",
                        rule_index, rule_index, text(first.rule_name));
    std::string what = first.action == "detach"    ? std::string(w.detach)
                       : first.action == "archive" ? std::string(w.archive)
                                                   : fmt::format(fmt::runtime(w.remove), data.grace_days);
    const char* mode = first.approval == "auto"      ? w.mode_auto
                       : first.approval == "opt-out" ? w.mode_opt_out
                                                     : w.mode_opt_in;
    body += fmt::format("<p class=\"rule-help\">{} {}</p>\n<ul class=\"items\">\n", what, mode);
    std::size_t j = i;
    for (; j < data.items.size() && data.items[j].rule_name == first.rule_name; ++j) {
      render_item(body, data.items[j], language, data.accepting, several_mailboxes);
    }
    body += "</ul>\n</section>\n";
    i = j;
  }
  if (choosable) {
    body += fmt::format(
        "<div class=\"save\"><button type=\"submit\" name=\"all\" value=\"items\">{}</button></div>\n</form>\n",
        w.save);
  }
  return document(language, fmt::format("{} – {}", w.title, text(data.campaign_name)), body);
}

int error_status(ErrorPage page) {
  switch (page) {
    case ErrorPage::tampered:
      return 404;
    case ErrorPage::expired:
    case ErrorPage::revoked:
    case ErrorPage::campaign_closed:
      return 410;
    case ErrorPage::bad_form:
      return 403;
  }
  return 400;
}

std::string render_error_page(ErrorPage page, Language language) {
  const bool fr = language != Language::en;
  std::string title;
  std::string explanation;
  switch (page) {
    case ErrorPage::tampered:
      title = fr ? "Ce lien n'est pas valide" : "This link is not valid";
      explanation = fr ? "Il est peut-être incomplet ou a été modifié. Ouvrez le lien tel que vous l'avez reçu par "
                         "courriel, ou copiez-le en entier."
                       : "It may be incomplete or altered. Open the link exactly as you received it by e-mail, or "
                         "copy all of it.";
      break;
    case ErrorPage::expired:
      title = fr ? "Ce lien a expiré" : "This link has expired";
      explanation = fr ? "La période pendant laquelle il permettait de donner vos choix est terminée. Pour toute "
                         "question, contactez votre service informatique."
                       : "The time during which it let you make your choices is over. For any question, contact "
                         "your IT department.";
      break;
    case ErrorPage::revoked:
      title = fr ? "Ce lien n'est plus valide" : "This link is no longer valid";
      explanation = fr ? "Il a été désactivé. Si un courriel plus récent vous a été envoyé, utilisez son lien ; "
                         "sinon, contactez votre service informatique."
                       : "It has been disabled. If a more recent e-mail was sent to you, use its link; otherwise, "
                         "contact your IT department.";
      break;
    case ErrorPage::campaign_closed:
      title = fr ? "Cette campagne est terminée" : "This campaign is over";
      explanation = fr ? "Les choix ne peuvent plus être consultés ni modifiés. Merci de votre participation."
                       : "Choices can no longer be viewed or changed. Thank you for taking part.";
      break;
    case ErrorPage::bad_form:
      title = fr ? "Le formulaire n'a pas pu être pris en compte" : "The form could not be accepted";
      explanation = fr ? "Il a peut-être été envoyé depuis une page trop ancienne. Revenez à la page de vos choix "
                         "par le lien reçu par courriel, puis recommencez."
                       : "It may have been sent from an outdated page. Go back to your choices through the link you "
                         "received by e-mail, then try again.";
      break;
  }
  std::string unchanged = fr ? "Rien n'a été modifié." : "Nothing was changed.";
  std::string body =
      fmt::format("<h1>{}</h1>\n<div class=\"notice closed\" role=\"alert\"><p>{}</p></div>\n<p>{}</p>\n", title,
                  unchanged, explanation);
  return document(language, title + " – mailprune", body);
}

Language language_from_accept(std::string_view accept_language) {
  // Pick the highest q among fr and en (the first listed on ties); French when neither is named.
  double best_q = -1;
  Language best = Language::fr;
  std::size_t pos = 0;
  while (pos <= accept_language.size()) {
    auto comma = accept_language.find(',', pos);
    std::string_view item =
        accept_language.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? accept_language.size() + 1 : comma + 1;
    auto semicolon = item.find(';');
    std::string tag(item.substr(0, semicolon));
    tag.erase(std::remove_if(tag.begin(), tag.end(), [](unsigned char c) { return std::isspace(c); }), tag.end());
    double q = 1.0;
    if (semicolon != std::string_view::npos) {
      std::string params(item.substr(semicolon + 1));
      auto at = params.find("q=");
      if (at != std::string::npos) q = std::atof(params.c_str() + at + 2);
    }
    auto language = notify::parse_language(tag);
    if (language && q > 0 && q > best_q) {
      best_q = q;
      best = *language;
    }
  }
  return best;
}

const std::string& review_csp() {
  static const std::string csp = [] {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    std::string_view style(kStyle);
    SHA256(reinterpret_cast<const unsigned char*>(style.data()), style.size(), digest);
    return fmt::format(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'",
        base64(digest, sizeof digest));
  }();
  return csp;
}

}  // namespace mailprune::review
