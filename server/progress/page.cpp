#include "progress/page.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "progress/assets.hpp"

namespace mailprune::progress {
namespace {

using notify::html_escape;

struct Words {
  const char* title;      // "Progression : {}"
  const char* freed;      // headline label
  const char* of_target;  // "sur un objectif de {}"
  const char* no_target;
  const char* measured;   // freed as measured by the servers
  const char* estimated;  // freed estimated from the actions done
  const char* approved;
  const char* proposed;
  const char* pending;
  const char* refused;
  const char* applied;
  const char* agents;
  const char* teams_heading;
  const char* rank;
  const char* team;
  const char* no_team;
  const char* freed_column;
  const char* approved_column;
  const char* decided_column;
  const char* no_teams;
  const char* timeline_heading;
  const char* timeline_caption;
  const char* timeline_empty;
  const char* breakdown_heading;
  const char* by_action;
  const char* by_type;
  const char* kind_column;
  const char* proposals_column;
  const char* proposed_column;
  const char* nothing_proposed;
  const char* updated;  // "Chiffres du {} à {} UTC"
  const char* state;
  const char* deadline;
  const char* other_language;
  const char* other_language_code;
  const char* not_found_title;
  const char* not_found_text;
  const char* live;
};

constexpr Words kFrench = {
    "Progression : {}",
    "Espace libéré",
    "sur un objectif de {}",
    "pas d’objectif fixé",
    "mesuré par les serveurs de messagerie",
    "estimé d’après les actions terminées",
    "Approuvé",
    "Proposé",
    "en attente",
    "refusés",
    "appliqués",
    "agents",
    "Classement des équipes",
    "Rang",
    "Équipe",
    "(sans équipe)",
    "Libéré",
    "Approuvé",
    "Choix faits",
    "Aucune équipe pour l’instant.",
    "Espace libéré au fil du temps",
    "Cumul des octets libérés (estimés d’après les actions terminées).",
    "Rien n’a encore été libéré.",
    "Répartition",
    "Par action",
    "Par type de fichier",
    "Type",
    "Éléments",
    "Proposé",
    "Aucune proposition pour l’instant.",
    "Chiffres du {} à {} UTC",
    "État de la campagne",
    "Date limite des choix",
    "English",
    "en",
    "Page introuvable",
    "Cette page de progression n’existe pas, n’est plus partagée, ou son lien a été remplacé.",
    "en direct",
};

constexpr Words kEnglish = {
    "Progress: {}",
    "Space freed",
    "of a {} target",
    "no target set",
    "measured by the mail servers",
    "estimated from the actions done",
    "Approved",
    "Proposed",
    "pending",
    "refused",
    "applied",
    "agents",
    "Team leaderboard",
    "Rank",
    "Team",
    "(no team)",
    "Freed",
    "Approved",
    "Decided",
    "No team yet.",
    "Space freed over time",
    "Cumulative bytes freed (estimated from the actions done).",
    "Nothing has been freed yet.",
    "Breakdown",
    "By action",
    "By file type",
    "Kind",
    "Items",
    "Proposed",
    "No proposal yet.",
    "Figures as of {} at {} UTC",
    "Campaign state",
    "Decisions deadline",
    "Français",
    "fr",
    "Page not found",
    "This progress page does not exist, is no longer shared, or its link was replaced.",
    "live",
};

const Words& words(Language language) {
  return language == Language::en ? kEnglish : kFrench;
}

std::string bytes(std::int64_t value, Language language) {
  return notify::format_bytes(static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0)), language);
}

std::string count(std::int64_t value, Language language) {
  return notify::format_count(static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0)), language);
}

std::string percent(std::int64_t part, std::int64_t whole, Language language) {
  if (whole <= 0) return "";
  return notify::format_percent(static_cast<std::uint64_t>(std::max<std::int64_t>(part, 0)),
                                static_cast<std::uint64_t>(whole), language);
}

std::string state_label(const std::string& state, Language language) {
  const bool en = language == Language::en;
  if (state == "draft") return en ? "in preparation" : "en préparation";
  if (state == "crawling") return en ? "inventory in progress" : "inventaire en cours";
  if (state == "proposing") return en ? "preparing proposals" : "propositions en préparation";
  if (state == "notifying") return en ? "agents being notified" : "agents en cours de notification";
  if (state == "collecting") return en ? "agents are choosing" : "choix des agents en cours";
  if (state == "applying") return en ? "clean-up in progress" : "nettoyage en cours";
  if (state == "closed") return en ? "over" : "terminée";
  return state;
}

std::string kind_label(const std::string& key, Language language) {
  const bool en = language == Language::en;
  if (key == "detach")
    return en ? "Attachments detached (kept in the archive)" : "Pièces jointes détachées (archivées)";
  if (key == "archive") return en ? "Messages moved to the archive" : "Messages archivés";
  if (key == "delete") return en ? "Messages deleted (quarantine first)" : "Messages supprimés (quarantaine d’abord)";
  if (key == "pdf") return "PDF";
  if (key == "images") return "Images";
  if (key == "documents") return en ? "Text documents" : "Documents texte";
  if (key == "spreadsheets") return en ? "Spreadsheets" : "Tableurs";
  if (key == "presentations") return en ? "Presentations" : "Présentations";
  if (key == "archives") return en ? "Compressed archives" : "Archives compressées";
  if (key == "media") return en ? "Audio and video" : "Audio et vidéo";
  if (key == "attached_messages") return en ? "Attached messages" : "Messages joints";
  if (key == "messages") return en ? "Whole messages" : "Messages entiers";
  return en ? "Other" : "Autres";
}

// "2026-11-29T12:40:05Z" -> ("29 novembre 2026", "12:40").
std::pair<std::string, std::string> day_and_time(const std::string& iso, Language language) {
  if (iso.size() < 16) return {iso, ""};
  notify::CalendarDate date;
  date.year = std::atoi(iso.substr(0, 4).c_str());
  date.month = std::atoi(iso.substr(5, 2).c_str());
  date.day = std::atoi(iso.substr(8, 2).c_str());
  return {notify::format_date(date, language), iso.substr(11, 5)};
}

std::string team_name(const std::string& team, Language language) {
  return team.empty() ? words(language).no_team : html_escape(team);
}

std::string render_summary(const ProgressSnapshot& s, Language language) {
  const Words& w = words(language);
  std::string out;
  const std::int64_t goal = s.target_bytes.value_or(std::max<std::int64_t>(s.proposed_bytes, 1));
  const char* colon = language == Language::en ? ":" : "\u00a0:";  // French: no-break space before ':'
  out += fmt::format("<p class=\"state\">{}{} <strong>{}</strong>", w.state, colon,
                     html_escape(state_label(s.state, language)));
  if (s.deadline) {
    out += fmt::format(" · {}{} {}", w.deadline, colon, html_escape(day_and_time(*s.deadline, language).first));
  }
  out += "</p>\n";
  out += fmt::format(
      "<div class=\"headline\"><span class=\"label\">{}</span> <span class=\"big\" data-k=\"freed\">{}</span> ",
      w.freed, html_escape(bytes(s.freed(), language)));
  if (s.target_bytes) {
    out += fmt::format("<span class=\"of\">{}</span> <span class=\"percent\">{}</span>",
                       html_escape(fmt::format(fmt::runtime(w.of_target), bytes(*s.target_bytes, language))),
                       html_escape(percent(s.freed(), *s.target_bytes, language)));
  } else {
    out += fmt::format("<span class=\"of\">({})</span>", w.no_target);
  }
  out += "</div>\n";
  out += fmt::format("<progress class=\"freed\" max=\"{}\" value=\"{}\"></progress>\n", goal,
                     std::clamp<std::int64_t>(s.freed(), 0, goal));
  out += fmt::format("<p class=\"note\">{}", s.freed_measured ? w.measured : w.estimated);
  if (s.freed_measured) {
    out += fmt::format(" · {} {}", html_escape(bytes(s.freed_estimated, language)), w.estimated);
  }
  out += "</p>\n<dl class=\"figures\">\n";
  auto figure = [&](const char* label, std::int64_t value, const char* css) {
    out += fmt::format("<div class=\"{}\"><dt>{}</dt><dd>{} <span class=\"percent\">{}</span></dd>", css, label,
                       html_escape(bytes(value, language)), html_escape(percent(value, goal, language)));
    out += fmt::format("<dd><progress max=\"{}\" value=\"{}\"></progress></dd></div>\n", goal,
                       std::clamp<std::int64_t>(value, 0, goal));
  };
  figure(w.approved, s.approved_bytes, "approved");
  figure(w.proposed, s.proposed_bytes, "proposed");
  out += "</dl>\n";
  out += fmt::format("<p class=\"counts\">{} {} · {} {} · {} {} · {} {} · {} {}</p>\n",
                     html_escape(count(s.approved, language)), language == Language::en ? "approved" : "approuvés",
                     html_escape(count(s.pending, language)), w.pending, html_escape(count(s.refused, language)),
                     w.refused, html_escape(count(s.applied, language)), w.applied,
                     html_escape(count(s.agents, language)), w.agents);
  return out;
}

std::string render_teams(const ProgressSnapshot& s, Language language) {
  const Words& w = words(language);
  if (s.teams.empty()) return fmt::format("<p class=\"empty\">{}</p>\n", w.no_teams);
  std::int64_t best = 1;
  for (const auto& t : s.teams) best = std::max({best, t.freed_bytes, t.approved_bytes});
  std::string out = fmt::format(
      "<table class=\"leaderboard\">\n<thead><tr><th>{}</th><th>{}</th><th class=\"n\">{}</th><th></th>"
      "<th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>\n",
      w.rank, w.team, w.freed_column, w.approved_column, w.decided_column);
  int rank = 0;
  for (const auto& t : s.teams) {
    ++rank;
    out += fmt::format(
        "<tr><td class=\"rank\">{}</td><td class=\"team\">{}</td><td class=\"n\">{}</td>"
        "<td><meter min=\"0\" max=\"{}\" value=\"{}\"></meter></td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td></tr>\n",
        rank, team_name(t.team, language), html_escape(bytes(t.freed_bytes, language)), best,
        std::max<std::int64_t>(t.freed_bytes, 0), html_escape(bytes(t.approved_bytes, language)),
        html_escape(percent(t.decided, t.proposed, language)));
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string render_breakdown_table(const std::vector<Breakdown>& rows, const char* heading, Language language) {
  const Words& w = words(language);
  std::string out = fmt::format(
      "<div class=\"part\"><h3>{}</h3>\n<table>\n<thead><tr><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>"
      "<th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>\n",
      heading, w.kind_column, w.proposals_column, w.proposed_column, w.approved_column, w.freed_column);
  for (const auto& b : rows) {
    out += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td></tr>\n",
        html_escape(kind_label(b.key, language)), html_escape(count(b.proposals, language)),
        html_escape(bytes(b.proposed_bytes, language)), html_escape(bytes(b.approved_bytes, language)),
        html_escape(bytes(b.freed_bytes, language)));
  }
  out += "</tbody>\n</table></div>\n";
  return out;
}

std::string render_breakdown(const ProgressSnapshot& s, Language language) {
  const Words& w = words(language);
  if (s.by_action.empty() && s.by_type.empty()) return fmt::format("<p class=\"empty\">{}</p>\n", w.nothing_proposed);
  return render_breakdown_table(s.by_action, w.by_action, language) +
         render_breakdown_table(s.by_type, w.by_type, language);
}

// An inline SVG line of the cumulative bytes freed: the chart when scripts do not run.
std::string render_timeline(const ProgressSnapshot& s, Language language) {
  const Words& w = words(language);
  if (s.timeline.empty()) return fmt::format("<p class=\"empty\">{}</p>\n", w.timeline_empty);
  constexpr double width = 640, height = 180;
  const std::int64_t t0 = s.timeline.front().at;
  const std::int64_t t1 = std::max(s.timeline.back().at, t0 + 60);
  const double top = static_cast<double>(std::max<std::int64_t>(s.timeline.back().freed_bytes, 1));
  std::string points = fmt::format("0,{:.1f}", height);
  for (const auto& p : s.timeline) {
    const double x = width * static_cast<double>(p.at - t0) / static_cast<double>(t1 - t0);
    const double y = height - height * static_cast<double>(p.freed_bytes) / top;
    points += fmt::format(" {:.1f},{:.1f}", x, y);
  }
  if (s.timeline.size() == 1) points += fmt::format(" {:.1f},0.0", width);
  auto [first_day, first_time] =
      day_and_time(fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time_t(t0))), language);
  auto [last_day, last_time] =
      day_and_time(fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time_t(t1))), language);
  std::string out = fmt::format(
      "<svg class=\"fallback\" viewBox=\"0 -20 {0} {1}\" role=\"img\" aria-label=\"{2}\">"
      "<polyline fill=\"none\" stroke=\"#1f6f8b\" stroke-width=\"2\" points=\"{3}\"/>"
      "<text x=\"0\" y=\"-6\" font-size=\"12\">{4}</text>"
      "<text x=\"0\" y=\"{5}\" font-size=\"12\">{6} {7}</text>"
      "<text x=\"{0}\" y=\"{5}\" font-size=\"12\" text-anchor=\"end\">{8} {9}</text></svg>\n",
      width, height + 40, html_escape(w.timeline_heading), points,
      html_escape(bytes(s.timeline.back().freed_bytes, language)), height + 16, html_escape(first_day), first_time,
      html_escape(last_day), last_time);
  out += fmt::format("<p class=\"note\">{}</p>\n", w.timeline_caption);
  return out;
}

std::string render_updated(const ProgressSnapshot& s, Language language) {
  auto [day, time] = day_and_time(s.computed_at, language);
  return html_escape(fmt::format(fmt::runtime(words(language).updated), day, time));
}

constexpr const char* kHead =
    "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"robots\" content=\"noindex\">\n<link rel=\"icon\" href=\"data:,\">\n"
    "<title>{title}</title>\n"
    "<link rel=\"stylesheet\" href=\"{uplot_css}\">\n<link rel=\"stylesheet\" href=\"{page_css}\">\n";

}  // namespace

PageSections render_sections(const ProgressSnapshot& snapshot, Language language) {
  PageSections sections;
  sections.summary = render_summary(snapshot, language);
  sections.teams = render_teams(snapshot, language);
  sections.breakdown = render_breakdown(snapshot, language);
  sections.timeline = render_timeline(snapshot, language);
  sections.updated = render_updated(snapshot, language);
  return sections;
}

std::string render_page(const ProgressSnapshot& snapshot, Language language, const PageLinks& links) {
  const Words& w = words(language);
  const PageSections sections = render_sections(snapshot, language);
  const std::string title = html_escape(fmt::format(fmt::runtime(w.title), snapshot.campaign));
  std::string out =
      fmt::format(fmt::runtime(kHead), fmt::arg("lang", notify::language_code(language)), fmt::arg("title", title),
                  fmt::arg("uplot_css", asset_url("uPlot.min.css")), fmt::arg("page_css", asset_url("progress.css")));
  // Without scripts the page reloads itself now and then; with them, the event stream updates it.
  out += "<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript>\n";
  out += fmt::format("<script src=\"{}\" defer></script>\n<script src=\"{}\" defer></script>\n",
                     asset_url("uPlot.iife.min.js"), asset_url("progress.js"));
  out += "</head>\n<body>\n";
  out += fmt::format(
      "<main id=\"progress\" data-events=\"{}?lang={}\" data-snapshot=\"{}\" data-lang=\"{}\" data-version=\"{}\">\n",
      html_escape(links.events), notify::language_code(language), html_escape(links.snapshot),
      notify::language_code(language), snapshot_version(snapshot));
  out += fmt::format(
      "<header><h1>{}</h1><a class=\"lang\" href=\"{}?lang={}\" hreflang=\"{}\">{}</a>"
      "<span id=\"live\" class=\"live\" hidden>{}</span></header>\n",
      title, html_escape(links.self), w.other_language_code, w.other_language_code, w.other_language, w.live);
  out += fmt::format("<section id=\"summary\">\n{}</section>\n", sections.summary);
  out += fmt::format("<section><h2>{}</h2>\n<div id=\"timeline\">\n{}</div>\n<div id=\"chart\"></div>\n</section>\n",
                     w.timeline_heading, sections.timeline);
  out +=
      fmt::format("<section><h2>{}</h2>\n<div id=\"teams\">\n{}</div>\n</section>\n", w.teams_heading, sections.teams);
  out += fmt::format("<section><h2>{}</h2>\n<div id=\"breakdown\">\n{}</div>\n</section>\n", w.breakdown_heading,
                     sections.breakdown);
  out += fmt::format("<footer><span id=\"updated\">{}</span> · mailprune</footer>\n</main>\n</body>\n</html>\n",
                     sections.updated);
  return out;
}

std::string render_not_found(Language language) {
  const Words& w = words(language);
  std::string out = fmt::format(fmt::runtime(kHead), fmt::arg("lang", notify::language_code(language)),
                                fmt::arg("title", w.not_found_title), fmt::arg("uplot_css", asset_url("uPlot.min.css")),
                                fmt::arg("page_css", asset_url("progress.css")));
  out += fmt::format("</head>\n<body>\n<main><h1>{}</h1>\n<p>{}</p></main>\n</body>\n</html>\n", w.not_found_title,
                     w.not_found_text);
  return out;
}

Language choose_language(const std::string& lang_parameter, const std::string& accept_language) {
  if (auto chosen = notify::parse_language(lang_parameter)) return *chosen;
  // Accept-Language: "en-GB,en;q=0.9,fr;q=0.8": the fr or en entry with the highest weight.
  double best_weight = -1;
  Language best = Language::fr;
  std::size_t at = 0;
  while (at <= accept_language.size()) {
    auto comma = accept_language.find(',', at);
    std::string item = accept_language.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? accept_language.size() + 1 : comma + 1;
    double weight = 1.0;
    auto semicolon = item.find(';');
    if (semicolon != std::string::npos) {
      auto q = item.find("q=", semicolon);
      if (q != std::string::npos) weight = std::atof(item.c_str() + q + 2);
      item.resize(semicolon);
    }
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    auto language = notify::parse_language(item);
    if (!language && item.size() > 2) language = notify::parse_language(item.substr(0, 2));
    if (language && weight > 0 && weight > best_weight) {
      best_weight = weight;
      best = *language;
    }
  }
  return best;
}

}  // namespace mailprune::progress
