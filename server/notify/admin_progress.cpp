// render_admin_progress(): the nightly progress report to a campaign's admins (notification.hpp).
#include <algorithm>

#include "notify/notification.hpp"
#include "notify/render_support.hpp"

namespace mailprune::notify {
namespace {

using render::colon;

// "12 345 (1,2 Go)" / "12,345 (1.2 GB)".
std::string count_and_bytes(std::uint64_t count, std::uint64_t bytes, Language language) {
  return format_count(count, language) + " (" + format_bytes(bytes, language) + ")";
}

}  // namespace

RenderedEmail render_admin_progress(const AdminProgressData& data, Language language) {
  const bool fr = language == Language::fr;
  const std::string campaign = one_line(data.campaign_name);
  const std::uint64_t freed = data.freed_bytes_measured.value_or(data.freed_bytes_estimated);
  RenderedEmail email;

  const std::string freed_text = format_bytes(freed, language);
  if (data.target_bytes > 0) {
    email.subject =
        campaign + std::string(colon(language)) + format_percent(freed, data.target_bytes, language) +
        (fr ? " de l’objectif (" + freed_text + " libérés sur " : " of the target (" + freed_text + " freed of ") +
        format_bytes(data.target_bytes, language) + ")";
  } else {
    email.subject = campaign + std::string(colon(language)) + freed_text + (fr ? " libérés" : " freed");
  }

  const std::string title = fr ? "Campagne " + render::quoted(campaign, language) + ", point du " +
                                     format_date(data.report_date, language) + "."
                               : "Campaign " + render::quoted(campaign, language) + ", progress on " +
                                     format_date(data.report_date, language) + ".";
  // Progress against the target: measured when the servers said, estimated otherwise.
  std::string progress;
  if (data.target_bytes > 0) {
    progress =
        (fr ? "Objectif" : "Target") + std::string(colon(language)) + format_bytes(data.target_bytes, language) + ". ";
  }
  if (data.freed_bytes_measured) {
    progress += (fr ? "Libéré" : "Freed") + std::string(colon(language)) +
                format_bytes(*data.freed_bytes_measured, language) +
                (fr ? " mesurés sur les serveurs (" : " measured on the servers (") +
                format_bytes(data.freed_bytes_estimated, language) + (fr ? " estimés)" : " estimated)");
  } else {
    progress += (fr ? "Libéré" : "Freed") + std::string(colon(language)) +
                format_bytes(data.freed_bytes_estimated, language) +
                (fr ? " estimés (pas encore mesuré sur les serveurs)" : " estimated (not measured on the servers yet)");
  }
  if (data.target_bytes > 0) {
    progress += (fr ? ", soit " : ", that is ") + format_percent(freed, data.target_bytes, language) +
                (fr ? " de l’objectif" : " of the target");
    if (freed >= data.target_bytes) progress += fr ? "\u00a0: objectif atteint" : ": target reached";
  }
  progress += ".";

  const std::string proposals_title =
      (fr ? "Propositions" : "Proposals") + std::string(colon(language)) +
      counted(data.proposed_count, language, fr ? "élément" : "item", fr ? "éléments" : "items") + ", " +
      format_bytes(data.proposed_bytes, language) + ".";
  const std::vector<std::string> proposals = {
      (fr ? "acceptées" : "approved") + std::string(colon(language)) +
          count_and_bytes(data.approved_count, data.approved_bytes, language),
      (fr ? "refusées" : "refused") + std::string(colon(language)) +
          count_and_bytes(data.refused_count, data.refused_bytes, language),
      (fr ? "en attente" : "pending") + std::string(colon(language)) +
          count_and_bytes(data.pending_count, data.pending_bytes, language),
      (fr ? "appliquées" : "applied") + std::string(colon(language)) + format_count(data.applied_count, language),
  };
  std::string agents = "Agents" + std::string(colon(language)) + format_count(data.agents_total, language) +
                       (fr ? "\u00a0; notifiés" : "; notified") + std::string(colon(language)) +
                       format_count(data.agents_notified, language) + (fr ? "\u00a0; ont répondu" : "; answered") +
                       std::string(colon(language)) + format_count(data.agents_responded, language) + ".";
  if (data.deadline) {
    agents += (fr ? " Date limite des décisions" : " Decision deadline") + std::string(colon(language)) +
              format_date(*data.deadline, language) + ".";
  }

  const NightlySummary& night = data.night;
  const std::string night_title = fr ? "Cette nuit\u00a0:" : "Last night:";
  std::vector<std::string> night_lines;
  night_lines.push_back(counted(night.actions_applied, language, fr ? "action appliquée" : "action applied",
                                fr ? "actions appliquées" : "actions applied") +
                        " (" + format_bytes(night.bytes_applied, language) + "), " +
                        format_count(night.actions_failed, language) + (fr ? " en échec" : " failed"));
  if (night.opt_out_approved > 0) {
    night_lines.push_back(counted(night.opt_out_approved, language, fr ? "proposition acceptée" : "proposal approved",
                                  fr ? "propositions acceptées" : "proposals approved") +
                          (fr ? " à l’échéance, faute de refus (opt-out)" : " at the deadline, not refused (opt-out)"));
  }
  night_lines.push_back(counted(night.reminders_sent, language, fr ? "rappel envoyé" : "reminder sent",
                                fr ? "rappels envoyés" : "reminders sent") +
                        ", " +
                        counted(night.emails_failed, language, fr ? "email non envoyé" : "email not sent",
                                fr ? "emails non envoyés" : "emails not sent"));
  night_lines.push_back(counted(night.quarantine_purged, language,
                                fr ? "message purgé de la quarantaine" : "message purged from quarantine",
                                fr ? "messages purgés de la quarantaine" : "messages purged from quarantine"));
  night_lines.push_back(counted(night.crawl_errors, language, fr ? "erreur d’inventaire" : "inventory error",
                                fr ? "erreurs d’inventaire" : "inventory errors"));

  const std::string teams_title = fr ? "Par équipe" : "By team";
  std::vector<TeamProgress> teams = data.teams;
  std::stable_sort(teams.begin(), teams.end(),
                   [](const TeamProgress& a, const TeamProgress& b) { return a.team < b.team; });
  auto team_name = [&](const TeamProgress& team) {
    const std::string name = one_line(team.team);
    return name.empty() ? std::string(fr ? "(sans équipe)" : "(no team)") : name;
  };
  const std::string console = one_line(data.console_url);
  const std::string console_label = fr ? "Ouvrir la console" : "Open the console";

  std::string& t = email.text;
  t += title + "\n\n" + progress + "\n\n" + proposals_title + "\n" + render::text_list(proposals) + "\n" + agents +
       "\n\n" + night_title + "\n" + render::text_list(night_lines);
  if (!teams.empty()) {
    t += "\n" + teams_title + (fr ? "\u00a0:" : ":") + "\n";
    for (const auto& team : teams) {
      t += "- " + team_name(team) + std::string(colon(language)) + format_count(team.agents_responded, language) + "/" +
           format_count(team.agents, language) +
           (fr ? " agents ont répondu\u00a0; proposé " : " agents answered; proposed ") +
           format_bytes(team.proposed_bytes, language) + (fr ? ", accepté " : ", approved ") +
           format_bytes(team.approved_bytes, language) + (fr ? ", refusé " : ", refused ") +
           format_bytes(team.refused_bytes, language) + (fr ? ", libéré " : ", freed ") +
           format_bytes(team.freed_bytes, language) + "\n";
    }
  }
  if (!console.empty()) t += "\n" + console + "\n";

  std::string body;
  body += "<h1 style=\"font-size:1.25em\">" + html_escape(title) + "</h1>\n";
  body += render::html_paragraph(progress);
  body += render::html_paragraph(proposals_title) + render::html_list(proposals);
  body += render::html_paragraph(agents);
  body += render::html_paragraph(night_title) + render::html_list(night_lines);
  if (!teams.empty()) {
    render::Table table;
    table.caption = teams_title;
    table.headers =
        fr ? std::vector<std::string>{"Équipe", "Agents ayant répondu", "Proposé", "Accepté", "Refusé", "Libéré"}
           : std::vector<std::string>{"Team", "Agents who answered", "Proposed", "Approved", "Refused", "Freed"};
    table.numeric_columns = {1, 2, 3, 4, 5};
    table.row_headers = true;
    for (const auto& team : teams) {
      table.rows.push_back({team_name(team),
                            format_count(team.agents_responded, language) + "/" + format_count(team.agents, language),
                            format_bytes(team.proposed_bytes, language), format_bytes(team.approved_bytes, language),
                            format_bytes(team.refused_bytes, language), format_bytes(team.freed_bytes, language)});
    }
    body += render::html_table(table);
  }
  if (!console.empty()) body += render::html_link(console, console_label);
  email.html = render::html_document(language, email.subject, body);
  return email;
}

}  // namespace mailprune::notify
