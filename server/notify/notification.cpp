#include "notify/notification.hpp"

#include <algorithm>
#include <array>

#include "notify/render_support.hpp"

namespace mailprune::notify {
namespace {

using render::colon;
using render::quoted;

struct Tip {
  std::string fr;
  std::string en;
};

const std::vector<Tip>& tips() {
  static const std::vector<Tip> all = {
      {"Pour envoyer un gros fichier, déposez-le dans l’espace de partage et envoyez le lien : la pièce jointe "
       "n’est alors pas copiée dans la boîte de chaque destinataire.",
       "To send a large file, put it on the shared drive and send the link: the attachment is then not copied "
       "into every recipient’s mailbox."},
      {"Une pièce jointe envoyée à dix collègues occupe dix fois sa taille sur le serveur. Un seul exemplaire "
       "dans le dossier partagé de l’équipe suffit.",
       "An attachment sent to ten colleagues takes up ten times its size on the server. One copy in the team’s "
       "shared folder is enough."},
      {"Les messages envoyés gardent une copie de chaque pièce jointe : pensez aussi au dossier « Éléments "
       "envoyés » quand vous faites du tri.",
       "Sent messages keep a copy of every attachment: remember the Sent Items folder when you tidy up."},
      {"Videz de temps en temps le dossier « Éléments supprimés » : ce qu’il contient occupe toujours de la "
       "place.",
       "Empty the Deleted Items folder now and then: what it holds still takes up space."},
      {"Une fois le document enregistré dans le dossier du projet, la pièce jointe reçue ne sert plus : le "
       "message peut rester, sans elle.",
       "Once a document is saved in the project folder, the attachment you received is no longer needed: the "
       "message can stay, without it."},
      {"Avant d’envoyer des photos, réduisez leur taille : une photo de téléphone pèse souvent plus de 3 Mo, "
       "une version pour l’écran dix fois moins.",
       "Before sending photos, make them smaller: a phone photo often weighs over 3 MB, a version for the "
       "screen ten times less."},
      {"Les lettres d’information et notifications automatiques s’accumulent vite : désabonnez-vous de celles "
       "que vous ne lisez plus.",
       "Newsletters and automatic notifications pile up quickly: unsubscribe from the ones you no longer read."},
  };
  return all;
}

// The words for one group: its noun with the count, and the future passive ("elles seront
// retirées...") in both polarities, agreeing in gender and number.
struct GroupWords {
  std::string noun;
  std::string will_be;      // "elles seront" / "they will be"
  std::string will_not_be;  // "elles ne seront" (French opt-in: "ne ... que si") / "they will be"
  std::string done;         // "retirées de leurs messages et mises en archive" / "removed from ..."
};

GroupWords words_for(const ProposalGroup& group, int grace_days, Language language) {
  GroupWords w;
  const std::uint64_t n = group.count;
  const bool fr = language == Language::fr;
  const bool one = plural(n, language, "1", "n") == "1";
  const std::string grace = counted(static_cast<std::uint64_t>(std::max(grace_days, 0)), language, fr ? "jour" : "day",
                                    fr ? "jours" : "days");
  if (fr) {
    const bool feminine = group.action == ProposalAction::detach;
    const std::string pronoun = feminine ? (one ? "elle" : "elles") : (one ? "il" : "ils");
    w.will_be = pronoun + (one ? " sera" : " seront");
    w.will_not_be = pronoun + (one ? " ne sera" : " ne seront");
    switch (group.action) {
      case ProposalAction::detach:
        w.noun = counted(n, language, "pièce jointe", "pièces jointes");
        w.done = one ? "retirée de son message et mise en archive" : "retirées de leurs messages et mises en archive";
        break;
      case ProposalAction::archive:
        w.noun = counted(n, language, "message", "messages");
        w.done = one ? "déplacé dans un dossier d’archives" : "déplacés dans un dossier d’archives";
        break;
      case ProposalAction::remove:
        w.noun = counted(n, language, "message", "messages");
        w.done = grace_days > 0 ? std::string("mis en quarantaine puis supprimé") + (one ? "" : "s") +
                                      " définitivement au bout de " + grace
                                : std::string("supprimé") + (one ? "" : "s") + " définitivement";
        break;
    }
  } else {
    w.will_be = one ? "it will be" : "they will be";
    w.will_not_be = w.will_be;
    switch (group.action) {
      case ProposalAction::detach:
        w.noun = counted(n, language, "attachment", "attachments");
        w.done = one ? "removed from its message and kept in the archive"
                     : "removed from their messages and kept in the archive";
        break;
      case ProposalAction::archive:
        w.noun = counted(n, language, "message", "messages");
        w.done = "moved to an archive folder";
        break;
      case ProposalAction::remove:
        w.noun = counted(n, language, "message", "messages");
        w.done = grace_days > 0 ? "moved to quarantine, then deleted for good after " + grace : "deleted for good";
        break;
    }
  }
  return w;
}

// What happens to one group if the agent does nothing, as one sentence.
std::string consequence(const ProposalGroup& group, const CalendarDate& deadline, int grace_days, Language language) {
  const GroupWords w = words_for(group, grace_days, language);
  const std::string date = format_date(deadline, language);
  const std::string head = w.noun + " (" + format_bytes(group.bytes, language) + ")" + std::string(colon(language));
  if (language == Language::fr) {
    switch (group.approval) {
      case ApprovalMode::automatic:
        return head + w.will_be + " automatiquement " + w.done + ", sans action de votre part.";
      case ApprovalMode::opt_out:
        return head + "sans réponse de votre part avant le " + date + ", " + w.will_be + " " + w.done + ".";
      case ApprovalMode::opt_in:
        return head + w.will_not_be + " " + w.done + " que si vous l’acceptez avant le " + date +
               "\u00a0; sans réponse, rien ne change.";
    }
  }
  switch (group.approval) {
    case ApprovalMode::automatic:
      return head + w.will_be + " automatically " + w.done + "; there is nothing for you to do.";
    case ApprovalMode::opt_out:
      return head + "if you do not answer before " + date + ", " + w.will_be + " " + w.done + ".";
    case ApprovalMode::opt_in:
      return head + w.will_be + " " + w.done + " only if you approve before " + date +
             "; without an answer, nothing changes.";
  }
  return head;
}

std::vector<std::string> consequences(const std::vector<ProposalGroup>& groups, const CalendarDate& deadline,
                                      int grace_days, Language language) {
  std::vector<std::string> out;
  for (const auto& group : groups) {
    if (group.count > 0) out.push_back(consequence(group, deadline, grace_days, language));
  }
  return out;
}

bool has_detach(const std::vector<ProposalGroup>& groups) {
  return std::any_of(groups.begin(), groups.end(),
                     [](const ProposalGroup& g) { return g.count > 0 && g.action == ProposalAction::detach; });
}

std::string detach_note(Language language) {
  return language == Language::fr
             ? "Une pièce jointe retirée n’est pas perdue\u00a0: un lien vers sa copie archivée la remplace dans "
               "le message."
             : "A removed attachment is not lost: a link to its archived copy takes its place in the message.";
}

// The largest items, largest first, ten at most.
std::vector<ProposedItem> largest(std::vector<ProposedItem> items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const ProposedItem& a, const ProposedItem& b) { return a.bytes > b.bytes; });
  if (items.size() > 10) items.resize(10);
  return items;
}

struct ItemCells {
  std::string date, sender, subject, file_name, size;
};

ItemCells cells_of(const ProposedItem& item, Language language) {
  const bool fr = language == Language::fr;
  ItemCells c;
  c.date = item.date ? format_date(*item.date, language) : "\u2014";
  c.sender = one_line(item.sender).empty() ? "\u2014" : one_line(item.sender);
  c.subject = one_line(item.subject).empty() ? (fr ? "(sans objet)" : "(no subject)") : one_line(item.subject);
  c.file_name =
      one_line(item.file_name).empty() ? (fr ? "(message entier)" : "(whole message)") : one_line(item.file_name);
  c.size = format_bytes(item.bytes, language);
  return c;
}

}  // namespace

std::optional<ProposalAction> parse_action(std::string_view text) {
  if (text == "detach") return ProposalAction::detach;
  if (text == "archive") return ProposalAction::archive;
  if (text == "delete") return ProposalAction::remove;
  return std::nullopt;
}

std::optional<ApprovalMode> parse_approval(std::string_view text) {
  if (text == "auto") return ApprovalMode::automatic;
  if (text == "opt-out") return ApprovalMode::opt_out;
  if (text == "opt-in") return ApprovalMode::opt_in;
  return std::nullopt;
}

std::size_t tip_count() {
  return tips().size();
}

const std::string& tip(std::size_t index, Language language) {
  const Tip& t = tips()[index % tips().size()];
  return language == Language::fr ? t.fr : t.en;
}

RenderedEmail render_notification(const NotificationData& data, Language language) {
  const bool fr = language == Language::fr;
  const std::string campaign = quoted(data.campaign_name, language);
  const std::string deadline = format_date(data.deadline, language);
  const std::string url = one_line(data.review_url);
  const std::uint64_t n = data.proposed_count;
  RenderedEmail email;

  if (n == 0) {
    email.subject = one_line(data.campaign_name) + std::string(colon(language)) +
                    (fr ? "rien à faire pour votre messagerie" : "nothing to do for your mailbox");
  } else {
    email.subject = one_line(data.campaign_name) + std::string(colon(language)) +
                    counted(n, language, fr ? "élément" : "item", fr ? "éléments" : "items") +
                    (fr ? " à vérifier avant le " : " to review before ") + deadline;
  }

  const std::string hello = render::greeting(data.agent_name, language);
  const std::string intro =
      fr ? "Dans le cadre de la campagne " + campaign +
               ", nous vous proposons de libérer de la place dans votre "
               "messagerie."
         : "As part of the " + campaign + " campaign, we suggest freeing some space in your mailbox.";
  std::string summary = (fr ? "Votre boîte aux lettres occupe " : "Your mailbox holds ") +
                        format_bytes(data.mailbox_bytes, language) + ". ";
  if (n == 0) {
    summary += fr ? "Aucun de ses éléments n’est proposé au nettoyage\u00a0: vous n’avez rien à faire."
                  : "None of its items is proposed for clean-up: there is nothing for you to do.";
  } else if (fr) {
    summary += counted(n, language, "élément est proposé", "éléments sont proposés") + " au nettoyage\u00a0; " +
               std::string(plural(n, language, "il libérerait ", "ils libéreraient ")) +
               format_bytes(data.proposed_bytes, language) + ".";
  } else {
    summary += counted(n, language, "item is", "items are") + " proposed for clean-up, freeing " +
               format_bytes(data.proposed_bytes, language) + ".";
  }
  const std::vector<std::string> what_happens = consequences(data.groups, data.deadline, data.grace_days, language);
  const std::string what_happens_title = fr ? "Si vous ne faites rien\u00a0:" : "If you do nothing:";
  const std::string review =
      fr ? "Vous avez jusqu’au " + deadline +
               " pour vérifier ces propositions, et les accepter ou les refuser, en bloc ou une par une\u00a0:"
         : "You have until " + deadline +
               " to review these proposals and approve or refuse them, all at once or "
               "one by one:";
  const std::string link_label = fr ? "Vérifier mes propositions" : "Review my proposals";
  const std::vector<ProposedItem> items = largest(data.largest_items);
  const std::string items_title = fr ? "Les plus gros éléments proposés" : "The largest items proposed";
  const std::string tip_title = fr ? "Bon à savoir" : "Good to know";
  const std::string& tip_text = tip(data.tip_index, language);
  const std::string closing = fr ? "Merci de votre participation," : "Thank you for taking part,";
  const std::string signature = one_line(data.signature);

  // text/plain
  std::string& t = email.text;
  t += hello + "\n\n" + intro + "\n\n" + summary + "\n";
  if (n > 0) {
    if (!what_happens.empty()) t += "\n" + what_happens_title + "\n" + render::text_list(what_happens);
    if (has_detach(data.groups)) t += "\n" + detach_note(language) + "\n";
    t += "\n" + review + "\n" + url + "\n";
    if (!items.empty()) {
      t += "\n" + items_title + (fr ? "\u00a0:" : ":") + "\n";
      for (std::size_t i = 0; i < items.size(); ++i) {
        const ItemCells c = cells_of(items[i], language);
        t += std::to_string(i + 1) + ". " + c.file_name + " \u2014 " + c.size + "\n";
        t += "   " + c.date + ", " + c.sender + ", " + quoted(c.subject, language) + "\n";
      }
    }
  }
  t += "\n" + tip_title + "\n" + tip_text + "\n\n" + closing + "\n" + signature + "\n";

  // text/html
  std::string body;
  body += render::html_paragraph(hello);
  body += render::html_paragraph(intro);
  body += render::html_paragraph(summary);
  if (n > 0) {
    if (!what_happens.empty()) body += render::html_paragraph(what_happens_title) + render::html_list(what_happens);
    if (has_detach(data.groups)) body += render::html_paragraph(detach_note(language));
    body += render::html_paragraph(review);
    body += render::html_link(url, link_label);
    if (!items.empty()) {
      render::Table table;
      table.caption = items_title;
      table.headers = fr ? std::vector<std::string>{"Date", "Expéditeur", "Objet", "Pièce jointe", "Taille"}
                         : std::vector<std::string>{"Date", "Sender", "Subject", "Attachment", "Size"};
      table.numeric_columns = {4};
      for (const auto& item : items) {
        const ItemCells c = cells_of(item, language);
        table.rows.push_back({c.date, c.sender, c.subject, c.file_name, c.size});
      }
      body += render::html_table(table);
    }
  }
  body += "<p><strong>" + html_escape(tip_title) + "</strong><br>\n" + html_escape(tip_text) + "</p>\n";
  body += "<p>" + html_escape(closing) + "<br>\n" + html_escape(signature) + "</p>\n";
  email.html = render::html_document(language, email.subject, body);
  return email;
}

RenderedEmail render_reminder(const ReminderData& data, Language language) {
  const bool fr = language == Language::fr;
  const long days = std::max(0L, days_between(data.today, data.deadline));
  const std::string deadline = format_date(data.deadline, language);
  const std::string url = one_line(data.review_url);
  RenderedEmail email;

  std::string left;
  if (fr) {
    left = days == 0 ? "dernier jour" : days == 1 ? "plus qu’un jour" : "plus que " + std::to_string(days) + " jours";
  } else {
    left = days == 0 ? "last day" : days == 1 ? "1 day left" : std::to_string(days) + " days left";
  }
  email.subject =
      (fr ? "Rappel" : "Reminder") + std::string(colon(language)) + one_line(data.campaign_name) + ", " + left;

  const std::string hello = render::greeting(data.agent_name, language);
  std::string when;
  if (fr) {
    when = days == 0   ? "c’est aujourd’hui le dernier jour"
           : days == 1 ? "il reste un jour"
                       : "il reste " + std::to_string(days) + " jours";
  } else {
    when = days == 0 ? "today is the last day" : days == 1 ? "one day left" : std::to_string(days) + " days left";
  }
  const std::string intro = fr ? "La campagne " + quoted(data.campaign_name, language) +
                                     " se termine bientôt\u00a0: vous avez jusqu’au " + deadline + " pour décider (" +
                                     when + ")."
                               : "The " + quoted(data.campaign_name, language) +
                                     " campaign ends soon: you have until " + deadline + " to decide (" + when + ").";
  const std::string pending =
      fr ? counted(data.pending_count, language, "proposition attend", "propositions attendent") +
               " encore votre décision (" + format_bytes(data.pending_bytes, language) + ")."
         : counted(data.pending_count, language, "proposal is", "proposals are") +
               " still waiting for your decision (" + format_bytes(data.pending_bytes, language) + ").";
  const std::vector<std::string> what_happens =
      consequences(data.pending_groups, data.deadline, data.grace_days, language);
  const std::string what_happens_title = fr ? "Si vous ne faites rien\u00a0:" : "If you do nothing:";
  const std::string review = fr ? "Pour les vérifier\u00a0:" : "To review them:";
  const std::string link_label = fr ? "Vérifier mes propositions" : "Review my proposals";
  const std::string signature = one_line(data.signature);

  std::string& t = email.text;
  t += hello + "\n\n" + intro + "\n" + pending + "\n";
  if (!what_happens.empty()) t += "\n" + what_happens_title + "\n" + render::text_list(what_happens);
  t += "\n" + review + "\n" + url + "\n\n" + signature + "\n";

  std::string body;
  body += render::html_paragraph(hello);
  body += render::html_paragraph(intro);
  body += render::html_paragraph(pending);
  if (!what_happens.empty()) body += render::html_paragraph(what_happens_title) + render::html_list(what_happens);
  body += render::html_link(url, link_label);
  body += render::html_paragraph(signature);
  email.html = render::html_document(language, email.subject, body);
  return email;
}

}  // namespace mailprune::notify
