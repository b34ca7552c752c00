#include "nightly/admin_report.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include "campaign/progress.hpp"
#include "notify/email_message.hpp"
#include "notify/smtp_sender.hpp"

namespace mailprune::nightly {
namespace {

std::uint64_t positive(std::int64_t value) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0));
}

// "YYYY-MM-DD..." -> a calendar day.
notify::CalendarDate day_of(const std::string& text) {
  notify::CalendarDate date;
  if (text.size() >= 10) {
    date.year = std::stoi(text.substr(0, 4));
    date.month = std::stoi(text.substr(5, 2));
    date.day = std::stoi(text.substr(8, 2));
  }
  return date;
}

}  // namespace

AdminReportResult send_admin_report(pqxx::connection& connection, const config::Config& config, int campaign_id,
                                    const std::string& campaign_name, const notify::NightlySummary& night) {
  AdminReportResult result;
  const auto progress = campaign::campaign_progress(connection, campaign_name);
  const auto& row = progress.campaign;
  if (row.admins.empty()) return result;

  notify::AdminProgressData data;
  data.campaign_name = row.name;
  std::map<std::string, std::uint64_t> responded;  // team -> agents who decided on a review page
  std::uint64_t responded_total = 0;
  {
    // Days in the database's time zone, as the campaign's dates were entered.
    pqxx::read_transaction tx(connection);
    auto dates = tx.exec_params1(
        "SELECT to_char(now(), 'YYYY-MM-DD'), to_char(deadline, 'YYYY-MM-DD') FROM campaign WHERE id = $1",
        campaign_id);
    data.report_date = day_of(dates[0].as<std::string>());
    if (!dates[1].is_null()) data.deadline = day_of(dates[1].as<std::string>());
    for (const auto& r : tx.exec_params(
             "SELECT coalesce(t.name, ''), count(DISTINCT d.agent_id) FROM decision_audit d JOIN agent a ON a.id = "
             "d.agent_id LEFT JOIN team t ON t.id = a.team_id WHERE d.campaign_id = $1 AND d.origin = 'review' "
             "GROUP BY 1",
             campaign_id)) {
      responded[r[0].as<std::string>()] = r[1].as<std::uint64_t>();
      responded_total += r[1].as<std::uint64_t>();
    }
  }
  data.target_bytes = row.target_bytes ? positive(*row.target_bytes) : 0;
  const auto& total = progress.total;
  if (total.freed_measured) data.freed_bytes_measured = positive(*total.freed_measured);
  data.freed_bytes_estimated = positive(total.freed_estimated);
  data.proposed_count = positive(total.proposed);
  data.proposed_bytes = positive(total.proposed_bytes);
  data.approved_count = positive(total.approved);
  data.approved_bytes = positive(total.approved_bytes);
  data.refused_count = positive(total.refused);
  data.refused_bytes = positive(total.refused_bytes);
  data.pending_count = positive(total.pending);
  data.pending_bytes = positive(total.pending_bytes);
  data.applied_count = positive(total.applied);
  data.agents_total = progress.agents.size();
  data.agents_notified = static_cast<std::uint64_t>(std::max(progress.notifications.agents_notified, 0));
  data.agents_responded = responded_total;
  for (const auto& team : progress.teams) {
    notify::TeamProgress t;
    t.team = team.team;
    t.agents = static_cast<std::uint64_t>(std::max(team.agents, 0));
    t.agents_responded = responded.count(team.team) ? responded[team.team] : 0;
    t.proposed_bytes = positive(team.counts.proposed_bytes);
    t.approved_bytes = positive(team.counts.approved_bytes);
    t.refused_bytes = positive(team.counts.refused_bytes);
    t.freed_bytes = positive(team.counts.freed_measured.value_or(team.counts.freed_estimated));
    data.teams.push_back(std::move(t));
  }
  data.night = night;

  notify::SmtpSender sender(config.smtp);
  for (const auto& admin : row.admins) {
    const auto language = notify::parse_language(admin.language).value_or(notify::Language::fr);
    const auto email = notify::render_admin_progress(data, language);
    notify::Mailbox to;
    to.display_name = admin.display_name;
    to.address = admin.address;
    notify::EmailMessage message =
        notify::campaign_email(email, sender.from(), sender.reply_to(), to, std::time(nullptr), row.name);
    message.extra_headers.emplace_back("X-Mailprune-Report", "nightly");
    notify::SendResult sent;
    try {
      sent = sender.send({admin.address}, notify::build_message(message));
    } catch (const std::exception& e) {
      result.failed.push_back(admin.address + ": " + e.what());
      continue;
    }
    if (sent.ok()) {
      result.sent.push_back(admin.address);
    } else {
      result.failed.push_back(admin.address + ": " + (sent.error.empty() ? sent.reply : sent.error + " " + sent.reply));
    }
  }
  return result;
}

}  // namespace mailprune::nightly
