// What the campaign emails say, in French and English: numbers, sizes, dates and plurals as
// agents read them; every piece of the agent notification, the reminder and the admins' report;
// escaping of whatever comes from mail or users.
#include <gtest/gtest.h>

#include <set>

#include "notify/notification.hpp"

namespace mailprune::notify {
namespace {

const std::string nbsp = "\u00a0";
const std::string nnbsp = "\u202f";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t occurrences(const std::string& haystack, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++count;
  return count;
}

TEST(TextFormat, Bytes) {
  struct Case {
    std::uint64_t bytes;
    std::string fr, en;
  };
  const Case cases[] = {
      {0, "0" + nbsp + "octet", "0" + nbsp + "bytes"},
      {1, "1" + nbsp + "octet", "1" + nbsp + "byte"},
      {2, "2" + nbsp + "octets", "2" + nbsp + "bytes"},
      {999, "999" + nbsp + "octets", "999" + nbsp + "bytes"},
      {1000, "1" + nbsp + "ko", "1" + nbsp + "kB"},
      {1500, "1,5" + nbsp + "ko", "1.5" + nbsp + "kB"},
      {9949, "9,9" + nbsp + "ko", "9.9" + nbsp + "kB"},
      {9950, "10" + nbsp + "ko", "10" + nbsp + "kB"},
      {999499, "999" + nbsp + "ko", "999" + nbsp + "kB"},
      {999500, "1" + nbsp + "Mo", "1" + nbsp + "MB"},
      {45'000'000, "45" + nbsp + "Mo", "45" + nbsp + "MB"},
      {1'234'567'890, "1,2" + nbsp + "Go", "1.2" + nbsp + "GB"},
      {3'200'000'000'000, "3,2" + nbsp + "To", "3.2" + nbsp + "TB"},
      {1'500'000'000'000'000, "1" + nnbsp + "500" + nbsp + "To", "1,500" + nbsp + "TB"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format_bytes(c.bytes, Language::fr), c.fr) << c.bytes;
    EXPECT_EQ(format_bytes(c.bytes, Language::en), c.en) << c.bytes;
  }
}

TEST(TextFormat, DatesCountsPercentsPlurals) {
  EXPECT_EQ(format_date({2026, 12, 12}, Language::fr), "12 décembre 2026");
  EXPECT_EQ(format_date({2027, 3, 1}, Language::fr), "1er mars 2027");
  EXPECT_EQ(format_date({2027, 8, 15}, Language::fr), "15 août 2027");
  EXPECT_EQ(format_date({2027, 3, 1}, Language::en), "1 March 2027");
  EXPECT_EQ(format_count(1234567, Language::fr), "1" + nnbsp + "234" + nnbsp + "567");
  EXPECT_EQ(format_count(1234567, Language::en), "1,234,567");
  EXPECT_EQ(format_count(0, Language::en), "0");
  EXPECT_EQ(format_count(999, Language::fr), "999");
  EXPECT_EQ(format_percent(420, 1000, Language::fr), "42" + nbsp + "%");
  EXPECT_EQ(format_percent(420, 1000, Language::en), "42%");
  EXPECT_EQ(format_percent(999, 1000, Language::en), "99%");  // not 100 before it is reached
  EXPECT_EQ(format_percent(1500, 1000, Language::en), "150%");
  EXPECT_EQ(format_percent(5, 0, Language::en), "0%");
  EXPECT_EQ(counted(0, Language::fr, "élément", "éléments"), "0" + nbsp + "élément");
  EXPECT_EQ(counted(1, Language::fr, "élément", "éléments"), "1" + nbsp + "élément");
  EXPECT_EQ(counted(2, Language::fr, "élément", "éléments"), "2" + nbsp + "éléments");
  EXPECT_EQ(counted(0, Language::en, "item", "items"), "0" + nbsp + "items");
  EXPECT_EQ(counted(1, Language::en, "item", "items"), "1" + nbsp + "item");
  EXPECT_EQ(counted(1001, Language::en, "item", "items"), "1,001" + nbsp + "items");
  EXPECT_EQ(days_between({2026, 12, 31}, {2027, 1, 1}), 1);
  EXPECT_EQ(days_between({2028, 2, 28}, {2028, 3, 1}), 2);
  EXPECT_EQ(days_between({2026, 12, 12}, {2026, 12, 9}), -3);
  EXPECT_EQ(utc_date(0).year, 1970);
  EXPECT_EQ(utc_date(1797067800).day, 12);
  EXPECT_EQ(parse_language("fr"), Language::fr);
  EXPECT_EQ(parse_language("EN"), Language::en);
  EXPECT_EQ(parse_language("fr-FR"), Language::fr);
  EXPECT_EQ(parse_language("en_GB"), Language::en);
  EXPECT_FALSE(parse_language("de").has_value());
  EXPECT_FALSE(parse_language("french").has_value());
  EXPECT_FALSE(parse_language("").has_value());
  EXPECT_EQ(html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(one_line(" a\r\nb\tc "), "a  b c");
  EXPECT_EQ(one_line("ok\xff"), "ok\ufffd");
  EXPECT_EQ(one_line("é\xc3"), "é\ufffd");
  EXPECT_EQ(parse_action("delete"), ProposalAction::remove);
  EXPECT_EQ(parse_approval("opt-out"), ApprovalMode::opt_out);
  EXPECT_FALSE(parse_approval("optout").has_value());
}

ProposedItem item(std::uint64_t bytes, std::string file_name, std::string subject = "Rapport") {
  ProposedItem i;
  i.date = CalendarDate{2024, 3, 12};
  i.sender = "Jean Dupont <jean.dupont@example.org>";
  i.subject = std::move(subject);
  i.file_name = std::move(file_name);
  i.bytes = bytes;
  return i;
}

ProposalGroup group(ProposalAction action, ApprovalMode approval, std::uint64_t count, std::uint64_t bytes) {
  ProposalGroup g;
  g.action = action;
  g.approval = approval;
  g.count = count;
  g.bytes = bytes;
  return g;
}

NotificationData sample() {
  NotificationData d;
  d.agent_name = "Élodie Dupré";
  d.campaign_name = "Grand ménage 2026";
  d.mailbox_bytes = 3'200'000'000;
  d.proposed_count = 42;
  d.proposed_bytes = 1'100'000'000;
  d.groups = {group(ProposalAction::detach, ApprovalMode::opt_out, 30, 800'000'000),
              group(ProposalAction::archive, ApprovalMode::opt_in, 1, 12'000'000),
              group(ProposalAction::remove, ApprovalMode::automatic, 11, 288'000'000)};
  for (int i = 1; i <= 12; ++i)
    d.largest_items.push_back(item(static_cast<std::uint64_t>(i) * 1'000'000, "f" + std::to_string(i) + ".pdf"));
  d.largest_items.push_back(item(99'000'000, ""));  // a whole message, the largest
  d.deadline = {2026, 12, 12};
  d.grace_days = 30;
  d.review_url = "https://mailprune.example.org/review/eyJjIjoxMiwiYSI6NDJ9.sig?lang=fr&v=1";
  d.signature = "Direction du numérique";
  return d;
}

TEST(Notification, FrenchSaysEverything) {
  const RenderedEmail e = render_notification(sample(), Language::fr);
  EXPECT_EQ(e.subject, "Grand ménage 2026" + nbsp + ": 42" + nbsp + "éléments à vérifier avant le 12 décembre 2026");
  const std::string& t = e.text;
  EXPECT_TRUE(contains(t, "Bonjour Élodie Dupré,\n")) << t;
  EXPECT_TRUE(contains(t, "campagne «" + nbsp + "Grand ménage 2026" + nbsp + "»")) << t;
  EXPECT_TRUE(contains(t, "Votre boîte aux lettres occupe 3,2" + nbsp + "Go.")) << t;
  EXPECT_TRUE(
      contains(t, "42" + nbsp + "éléments sont proposés au nettoyage" + nbsp + "; ils libéreraient 1,1" + nbsp + "Go."))
      << t;
  EXPECT_TRUE(contains(t, "Si vous ne faites rien" + nbsp + ":\n")) << t;
  EXPECT_TRUE(contains(t, "- 30" + nbsp + "pièces jointes (800" + nbsp + "Mo)" + nbsp +
                              ": sans réponse de votre part avant le 12 décembre 2026, elles seront retirées de leurs "
                              "messages et mises en archive.\n"))
      << t;
  EXPECT_TRUE(contains(t, "- 1" + nbsp + "message (12" + nbsp + "Mo)" + nbsp +
                              ": il ne sera déplacé dans un dossier d’archives que si vous l’acceptez avant le 12 "
                              "décembre 2026" +
                              nbsp + "; sans réponse, rien ne change.\n"))
      << t;
  EXPECT_TRUE(
      contains(t, "- 11" + nbsp + "messages (288" + nbsp + "Mo)" + nbsp +
                      ": ils seront automatiquement mis en quarantaine puis supprimés définitivement au bout de "
                      "30" +
                      nbsp + "jours, sans action de votre part.\n"))
      << t;
  EXPECT_TRUE(contains(t, "Une pièce jointe retirée n’est pas perdue")) << t;
  EXPECT_TRUE(contains(t, "Vous avez jusqu’au 12 décembre 2026 pour vérifier")) << t;
  EXPECT_TRUE(contains(t, "\n" + sample().review_url + "\n")) << t;
  // The ten largest, largest first: the whole message, then f12 ... f3; not f2 nor f1.
  EXPECT_TRUE(contains(t, "1. (message entier) \u2014 99" + nbsp + "Mo\n")) << t;
  EXPECT_TRUE(contains(t, "2. f12.pdf \u2014 12" + nbsp + "Mo\n")) << t;
  EXPECT_TRUE(contains(t, "10. f4.pdf")) << t;
  EXPECT_FALSE(contains(t, "11. ")) << t;
  EXPECT_FALSE(contains(t, "f2.pdf")) << t;
  EXPECT_TRUE(contains(t, "   12 mars 2024, Jean Dupont <jean.dupont@example.org>, «" + nbsp + "Rapport" + nbsp + "»"))
      << t;
  EXPECT_TRUE(contains(t, "\nBon à savoir\n" + tip(0, Language::fr) + "\n")) << t;
  EXPECT_TRUE(contains(t, "\nDirection du numérique\n")) << t;
  // Nothing English, units French.
  EXPECT_FALSE(contains(t, nbsp + "MB")) << t;
  EXPECT_FALSE(contains(t, nbsp + "GB")) << t;
}

TEST(Notification, HtmlIsAccessibleAndEscaped) {
  NotificationData d = sample();
  d.agent_name = "<b>Bob</b>";
  d.campaign_name = "Ménage & <i>co</i>";
  d.largest_items.back().subject = "<script>alert('x')</script>";  // the largest: shown
  d.largest_items[11].file_name = "\"><img src=x onerror=alert(1)>.pdf";
  d.review_url = "https://mailprune.example.org/review/t?a=1&b=\"2\"";
  const RenderedEmail e = render_notification(d, Language::fr);
  const std::string& h = e.html;
  EXPECT_EQ(h.rfind("<!DOCTYPE html>\n<html lang=\"fr\">", 0), 0u) << h;
  EXPECT_TRUE(contains(h, "<meta charset=\"utf-8\">"));
  EXPECT_TRUE(contains(h, "<title>"));
  EXPECT_TRUE(contains(h, "<caption"));
  EXPECT_EQ(occurrences(h, "<th scope=\"col\""), 5u);
  EXPECT_EQ(occurrences(h, "<tr>"), 11u);  // header + ten rows
  EXPECT_FALSE(contains(h, "<script>"));
  EXPECT_FALSE(contains(h, "<b>Bob"));
  EXPECT_FALSE(contains(h, "<i>co"));
  EXPECT_FALSE(contains(h, "<img"));
  EXPECT_TRUE(contains(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_TRUE(contains(h, "Bonjour &lt;b&gt;Bob&lt;/b&gt;,"));
  EXPECT_TRUE(contains(h, "M\u00e9nage &amp; &lt;i&gt;co&lt;/i&gt;"));
  EXPECT_TRUE(contains(h, "href=\"https://mailprune.example.org/review/t?a=1&amp;b=&quot;2&quot;\""));
  EXPECT_TRUE(contains(h, ">V\u00e9rifier mes propositions</a>"));
  // The text alternative is text: it keeps the characters as they are.
  EXPECT_TRUE(contains(e.text, "<script>alert('x')</script>"));
}

TEST(Notification, EnglishSaysEverything) {
  const RenderedEmail e = render_notification(sample(), Language::en);
  EXPECT_EQ(e.subject, "Grand ménage 2026: 42" + nbsp + "items to review before 12 December 2026");
  const std::string& t = e.text;
  EXPECT_TRUE(contains(t, "Hello Élodie Dupré,\n")) << t;
  EXPECT_TRUE(contains(t, "Your mailbox holds 3.2" + nbsp + "GB.")) << t;
  EXPECT_TRUE(contains(t, "42" + nbsp + "items are proposed for clean-up, freeing 1.1" + nbsp + "GB.")) << t;
  EXPECT_TRUE(contains(t, "- 30" + nbsp + "attachments (800" + nbsp +
                              "MB): if you do not answer before 12 December 2026, they will be removed from their "
                              "messages and kept in the archive.\n"))
      << t;
  EXPECT_TRUE(contains(t, "- 1" + nbsp + "message (12" + nbsp +
                              "MB): it will be moved to an archive folder only if you approve before 12 December 2026; "
                              "without an answer, nothing changes.\n"))
      << t;
  EXPECT_TRUE(
      contains(t, "they will be automatically moved to quarantine, then deleted for good after 30" + nbsp + "days"))
      << t;
  EXPECT_TRUE(contains(t, "1. (whole message)")) << t;
  EXPECT_TRUE(contains(t, "12 March 2024")) << t;
  EXPECT_TRUE(contains(e.html, "<html lang=\"en\">"));
  EXPECT_TRUE(contains(e.html, ">Attachment</th>"));
  EXPECT_FALSE(contains(t, nbsp + "Mo")) << t;
  EXPECT_FALSE(contains(t, nbsp + "Go")) << t;
}

TEST(Notification, SingularAndNothingProposed) {
  NotificationData d = sample();
  d.proposed_count = 1;
  d.proposed_bytes = 45'000'000;
  d.groups = {group(ProposalAction::detach, ApprovalMode::opt_out, 1, 45'000'000)};
  d.largest_items = {item(45'000'000, "plan.dwg")};
  d.grace_days = 0;
  RenderedEmail fr = render_notification(d, Language::fr);
  EXPECT_TRUE(contains(fr.subject, ": 1" + nbsp + "élément à vérifier")) << fr.subject;
  EXPECT_TRUE(
      contains(fr.text, "1" + nbsp + "élément est proposé au nettoyage" + nbsp + "; il libérerait 45" + nbsp + "Mo."))
      << fr.text;
  EXPECT_TRUE(contains(fr.text, "- 1" + nbsp + "pièce jointe (45" + nbsp + "Mo)" + nbsp +
                                    ": sans réponse de votre part avant le 12 décembre 2026, elle sera retirée de son "
                                    "message et mise en archive.\n"))
      << fr.text;
  RenderedEmail en = render_notification(d, Language::en);
  EXPECT_TRUE(contains(en.text, "1" + nbsp + "item is proposed for clean-up, freeing 45" + nbsp + "MB.")) << en.text;
  EXPECT_TRUE(contains(en.text, "it will be removed from its message")) << en.text;

  d.groups = {group(ProposalAction::remove, ApprovalMode::opt_out, 2, 2'000)};
  fr = render_notification(d, Language::fr);
  EXPECT_TRUE(contains(fr.text, "ils seront supprimés définitivement.")) << fr.text;  // no quarantine

  d.proposed_count = 0;
  d.proposed_bytes = 0;
  d.groups.clear();
  d.largest_items.clear();
  fr = render_notification(d, Language::fr);
  EXPECT_EQ(fr.subject, "Grand ménage 2026" + nbsp + ": rien à faire pour votre messagerie");
  EXPECT_TRUE(contains(fr.text, "vous n’avez rien à faire")) << fr.text;
  EXPECT_FALSE(contains(fr.html, "<table")) << fr.html;
  EXPECT_FALSE(contains(fr.text, "Si vous ne faites rien")) << fr.text;
}

TEST(Notification, TipsRotateInBothLanguages) {
  ASSERT_GE(tip_count(), 5u);
  std::set<std::string> fr;
  std::set<std::string> en;
  for (std::size_t i = 0; i < tip_count(); ++i) {
    EXPECT_FALSE(tip(i, Language::fr).empty());
    fr.insert(tip(i, Language::fr));
    en.insert(tip(i, Language::en));
  }
  EXPECT_EQ(fr.size(), tip_count());
  EXPECT_EQ(en.size(), tip_count());
  NotificationData d = sample();
  d.tip_index = 1;
  EXPECT_TRUE(contains(render_notification(d, Language::en).text, tip(1, Language::en)));
  d.tip_index = tip_count() + 2;
  EXPECT_TRUE(contains(render_notification(d, Language::fr).text, tip(2, Language::fr)));
}

ReminderData reminder(CalendarDate today) {
  ReminderData r;
  r.agent_name = "Élodie";
  r.campaign_name = "Grand ménage 2026";
  r.today = today;
  r.deadline = {2026, 12, 12};
  r.pending_count = 12;
  r.pending_bytes = 300'000'000;
  r.pending_groups = {group(ProposalAction::detach, ApprovalMode::opt_out, 12, 300'000'000)};
  r.review_url = "https://mailprune.example.org/review/x";
  return r;
}

TEST(Reminder, SaysHowLongIsLeft) {
  EXPECT_EQ(render_reminder(reminder({2026, 12, 9}), Language::fr).subject,
            "Rappel" + nbsp + ": Grand ménage 2026, plus que 3 jours");
  EXPECT_EQ(render_reminder(reminder({2026, 12, 11}), Language::fr).subject,
            "Rappel" + nbsp + ": Grand ménage 2026, plus qu’un jour");
  EXPECT_EQ(render_reminder(reminder({2026, 12, 12}), Language::fr).subject,
            "Rappel" + nbsp + ": Grand ménage 2026, dernier jour");
  EXPECT_EQ(render_reminder(reminder({2026, 12, 14}), Language::en).subject, "Reminder: Grand ménage 2026, last day");
  EXPECT_EQ(render_reminder(reminder({2026, 12, 9}), Language::en).subject, "Reminder: Grand ménage 2026, 3 days left");
  const RenderedEmail e = render_reminder(reminder({2026, 12, 9}), Language::fr);
  EXPECT_TRUE(contains(e.text, "vous avez jusqu’au 12 décembre 2026 pour décider (il reste 3 jours)")) << e.text;
  EXPECT_TRUE(contains(e.text, "12" + nbsp + "propositions attendent encore votre décision (300" + nbsp + "Mo)."))
      << e.text;
  EXPECT_TRUE(contains(e.text, "elles seront retirées de leurs messages")) << e.text;
  EXPECT_TRUE(contains(e.text, "\nhttps://mailprune.example.org/review/x\n")) << e.text;
  EXPECT_TRUE(contains(e.html, "href=\"https://mailprune.example.org/review/x\"")) << e.html;
  ReminderData one = reminder({2026, 12, 9});
  one.pending_count = 1;
  EXPECT_TRUE(contains(render_reminder(one, Language::fr).text, "1" + nbsp + "proposition attend encore"));
  EXPECT_TRUE(contains(render_reminder(one, Language::en).text, "1" + nbsp + "proposal is still waiting"));
  // Shorter than the notification: no table, no tip.
  EXPECT_FALSE(contains(e.html, "<table"));
}

AdminProgressData progress() {
  AdminProgressData p;
  p.campaign_name = "Grand ménage 2026";
  p.report_date = {2026, 12, 5};
  p.deadline = CalendarDate{2026, 12, 12};
  p.target_bytes = 1'000'000'000'000;
  p.freed_bytes_measured = 420'000'000'000;
  p.freed_bytes_estimated = 450'000'000'000;
  p.proposed_count = 12345;
  p.proposed_bytes = 1'200'000'000'000;
  p.approved_count = 8000;
  p.approved_bytes = 900'000'000'000;
  p.refused_count = 1000;
  p.refused_bytes = 100'000'000'000;
  p.pending_count = 3345;
  p.pending_bytes = 200'000'000'000;
  p.applied_count = 7500;
  p.agents_total = 450;
  p.agents_notified = 440;
  p.agents_responded = 300;
  TeamProgress finance;
  finance.team = "Finances";
  finance.agents = 20;
  finance.agents_responded = 12;
  finance.proposed_bytes = 120'000'000'000;
  finance.freed_bytes = 60'000'000'000;
  TeamProgress roads;
  roads.team = "<Routes>";
  roads.agents = 30;
  p.teams = {roads, finance};
  p.night.actions_applied = 1;
  p.night.reminders_sent = 120;
  p.console_url = "https://mailprune.example.org/console";
  return p;
}

TEST(AdminProgress, ProgressAgainstTheTarget) {
  RenderedEmail e = render_admin_progress(progress(), Language::fr);
  EXPECT_EQ(e.subject, "Grand ménage 2026" + nbsp + ": 42" + nbsp + "% de l’objectif (420" + nbsp + "Go libérés sur 1" +
                           nbsp + "To)");
  const std::string& t = e.text;
  EXPECT_TRUE(contains(t, "point du 5 décembre 2026")) << t;
  EXPECT_TRUE(contains(t, "420" + nbsp + "Go mesurés sur les serveurs (450" + nbsp + "Go estimés)")) << t;
  EXPECT_TRUE(contains(t, "12" + nnbsp + "345" + nbsp + "éléments")) << t;
  EXPECT_TRUE(contains(t, "- acceptées" + nbsp + ": 8" + nnbsp + "000 (900" + nbsp + "Go)")) << t;
  EXPECT_TRUE(contains(t, "Date limite des décisions" + nbsp + ": 12 décembre 2026")) << t;
  EXPECT_TRUE(contains(t, "- 1" + nbsp + "action appliquée (0" + nbsp + "octet), 0 en échec")) << t;
  EXPECT_TRUE(contains(t, "- 120" + nbsp + "rappels envoyés, 0" + nbsp + "email non envoyé")) << t;
  EXPECT_FALSE(contains(t, "opt-out")) << t;  // nothing approved at a deadline tonight
  // Teams sorted by name; the HTML table has row headers.
  ASSERT_NE(t.find("- Finances"), std::string::npos) << t;
  EXPECT_LT(t.find("- <Routes>"), t.find("- Finances")) << t;
  EXPECT_TRUE(contains(t, "- Finances" + nbsp + ": 12/20 agents ont répondu")) << t;
  EXPECT_TRUE(contains(e.html, "<th scope=\"row\"")) << e.html;
  EXPECT_TRUE(contains(e.html, "&lt;Routes&gt;")) << e.html;
  EXPECT_FALSE(contains(e.html, "<Routes>")) << e.html;
  EXPECT_TRUE(contains(e.html, "href=\"https://mailprune.example.org/console\"")) << e.html;

  AdminProgressData p = progress();
  p.freed_bytes_measured.reset();
  p.target_bytes = 0;
  e = render_admin_progress(p, Language::en);
  EXPECT_EQ(e.subject, "Grand ménage 2026: 450" + nbsp + "GB freed");
  EXPECT_TRUE(contains(e.text, "450" + nbsp + "GB estimated (not measured on the servers yet)")) << e.text;
  EXPECT_FALSE(contains(e.text, "target")) << e.text;

  p = progress();
  p.freed_bytes_measured = 1'100'000'000'000;
  p.night.opt_out_approved = 50;
  e = render_admin_progress(p, Language::en);
  EXPECT_EQ(e.subject, "Grand ménage 2026: 110% of the target (1.1" + nbsp + "TB freed of 1" + nbsp + "TB)");
  EXPECT_TRUE(contains(e.text, ": target reached")) << e.text;
  EXPECT_TRUE(contains(e.text, "50" + nbsp + "proposals approved at the deadline")) << e.text;
  EXPECT_TRUE(contains(e.text, "1" + nbsp + "action applied")) << e.text;
}

}  // namespace
}  // namespace mailprune::notify
