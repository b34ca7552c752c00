#include "campaign/notify_email.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "campaign/review_store.hpp"
#include "notify/email_message.hpp"
#include "notify/notification.hpp"
#include "notify/smtp_sender.hpp"
#include "review/token.hpp"

namespace mailprune::campaign {
namespace {

std::int64_t now_of(const EmailSettings& settings) {
  return settings.now ? settings.now() : static_cast<std::int64_t>(std::time(nullptr));
}

std::optional<notify::CalendarDate> day_of(const std::string& iso) {
  int y = 0, m = 0, d = 0;
  if (iso.size() < 10 || std::sscanf(iso.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  notify::CalendarDate date;
  date.year = y;
  date.month = m;
  date.day = d;
  return date;
}

std::vector<notify::ProposalGroup> groups_of(const std::vector<const ReviewItem*>& items) {
  std::vector<notify::ProposalGroup> groups;
  for (const auto* item : items) {
    auto action = notify::parse_action(item->action).value_or(notify::ProposalAction::detach);
    auto approval = notify::parse_approval(item->approval).value_or(notify::ApprovalMode::opt_in);
    auto found = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& g) { return g.action == action && g.approval == approval; });
    if (found == groups.end()) {
      notify::ProposalGroup group;
      group.action = action;
      group.approval = approval;
      groups.push_back(group);
      found = groups.end() - 1;
    }
    ++found->count;
    found->bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(item->bytes, 0));
  }
  return groups;
}

}  // namespace

std::string review_url(const std::string& public_url, const std::string& token) {
  std::string base = public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/review/" + token;
}

PrepareFunction review_link_preparer(EmailSettings settings) {
  return [settings](pqxx::work& tx, OutgoingNotification& n) {
    auto row = tx.exec_params1(
        "SELECT coalesce(extract(epoch FROM deadline + make_interval(days => $2))::bigint, 0) FROM campaign"
        " WHERE id = $1",
        n.campaign_id, settings.link_grace_days);
    const std::int64_t now = now_of(settings);
    std::int64_t expires = row[0].as<std::int64_t>();
    if (expires != 0 && expires <= now) expires = now + 24 * 3600;  // a late e-mail still gets a usable link
    auto issued = review::issue_token(n.campaign_id, n.agent_id, now, expires, settings.review_key);
    std::string expires_text;
    if (expires != 0) {
      expires_text = tx.exec_params1("SELECT to_timestamp($1)::text", expires)[0].as<std::string>();
    }
    n.review_token_id = store_review_token(tx, n.campaign_id, n.agent_id, issued.token, expires_text);
    n.review_url = review_url(settings.public_url, issued.token);
    tx.exec_params0("UPDATE notification SET review_token_id = $2 WHERE id = $1", n.id, *n.review_token_id);
  };
}

NotificationContent render_notification_content(pqxx::connection& connection, const OutgoingNotification& n,
                                                const EmailSettings& settings) {
  std::optional<ReviewData> data;
  {
    pqxx::read_transaction tx(connection);
    data = load_review(tx, n.campaign_id, n.agent_id);
  }
  if (!data) throw std::runtime_error(fmt::format("campaign {} or agent {} is gone", n.campaign_id, n.agent_id));
  if (data->items.empty()) throw std::runtime_error(fmt::format("nothing is proposed to {} any more", n.recipient));
  auto deadline = data->deadline ? day_of(*data->deadline) : std::nullopt;
  if (!deadline) {
    throw std::runtime_error(fmt::format(
        "campaign '{}' has no approval deadline, which the e-mails state: set one when creating the campaign",
        data->campaign_name));
  }
  const auto language = notify::parse_language(n.language).value_or(notify::Language::fr);

  std::vector<const ReviewItem*> all;
  std::vector<const ReviewItem*> pending;
  for (const auto& item : data->items) {
    all.push_back(&item);
    if (item.decision == "pending" && item.approval != "auto" && !item.locked) pending.push_back(&item);
  }
  notify::RenderedEmail email;
  if (n.kind == "reminder") {
    notify::ReminderData reminder;
    reminder.agent_name = data->agent_name;
    reminder.campaign_name = data->campaign_name;
    reminder.today = notify::utc_date(static_cast<std::time_t>(now_of(settings)));
    reminder.deadline = *deadline;
    reminder.pending_count = pending.size();
    for (const auto* item : pending)
      reminder.pending_bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(item->bytes, 0));
    reminder.pending_groups = groups_of(pending);
    reminder.grace_days = data->grace_days;
    reminder.review_url = n.review_url;
    reminder.signature = settings.signature;
    email = notify::render_reminder(reminder, language);
  } else {
    notify::NotificationData notification;
    notification.agent_name = data->agent_name;
    notification.campaign_name = data->campaign_name;
    notification.mailbox_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(data->mailbox_bytes, 0));
    notification.proposed_count = all.size();
    for (const auto* item : all) {
      notification.proposed_bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(item->bytes, 0));
    }
    notification.groups = groups_of(all);
    std::vector<const ReviewItem*> largest = all;
    std::stable_sort(largest.begin(), largest.end(), [](const auto* a, const auto* b) { return a->bytes > b->bytes; });
    if (largest.size() > 10) largest.resize(10);
    for (const auto* item : largest) {
      notify::ProposedItem proposed;
      if (item->date) proposed.date = day_of(*item->date);
      proposed.sender = item->from;
      proposed.subject = item->subject;
      proposed.file_name = item->file_name;
      proposed.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(item->bytes, 0));
      notification.largest_items.push_back(std::move(proposed));
    }
    notification.deadline = *deadline;
    notification.grace_days = data->grace_days;
    notification.review_url = n.review_url;
    notification.tip_index = static_cast<std::size_t>(n.agent_id);
    notification.signature = settings.signature;
    email = notify::render_notification(notification, language);
  }
  return email;
}

SendFunction smtp_notification_sender(pqxx::connection& connection, const config::SmtpConfig& smtp,
                                      EmailSettings settings) {
  auto sender = std::make_shared<std::unique_ptr<notify::SmtpSender>>();
  return [&connection, smtp, settings, sender](const OutgoingNotification& n) {
    if (!*sender) *sender = std::make_unique<notify::SmtpSender>(smtp);
    notify::Mailbox to;
    to.display_name = n.display_name;
    to.address = n.recipient;
    const notify::EmailMessage message =
        notify::campaign_email(render_notification_content(connection, n, settings), (*sender)->from(),
                               (*sender)->reply_to(), to, static_cast<std::time_t>(now_of(settings)), n.campaign_name);
    auto result = (*sender)->send({n.recipient}, notify::build_message(message));
    SendOutcome outcome;
    outcome.ok = result.ok();
    outcome.permanent = result.status == notify::SendStatus::permanent_failure && !result.affects_every_message;
    outcome.stop_round = !result.ok() && result.affects_every_message;
    outcome.detail =
        result.ok() ? result.reply : (result.error.empty() ? result.reply : result.error + ": " + result.reply);
    if (result.ok()) outcome.message_id = message.message_id;
    return outcome;
  };
}

}  // namespace mailprune::campaign
