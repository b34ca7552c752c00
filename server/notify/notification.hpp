// notification.hpp: what the campaign emails say (issue 6 item 3), as pure functions from data to
// {subject, text, html}, in French (the default) or English:
//
//  - render_notification(): the email each agent gets once per campaign: how much their mailbox
//    holds, what is proposed and how much it frees, what happens to each group of proposals if
//    they do nothing (by approval mode: auto, opt-out, opt-in), the ten largest items, the
//    deadline, one good-practice tip, and the link to their review page;
//  - render_reminder(): the shorter reminder before the deadline, for what is still undecided;
//  - render_admin_progress(): the nightly progress report to the campaign's admins (progress
//    against the target, decisions, what the night did, per team).
//
// The text alternative is plain UTF-8 (lines end with "\n"); the HTML alternative is a whole
// document: `lang` set, a title, real table headers (`<th scope="col">`) and a caption, inline
// styles only (mail clients drop <style>), dark text on white, a link that says where it goes.
// Everything that comes from mail or users (names, subjects, file names, senders, the campaign
// name, the link) is put on one line (control characters removed) and HTML-escaped, so a subject
// like `<script>` shows as text. Dates are calendar days (the caller converts timestamps in the
// campaign's time zone; utc_date() for UTC).
//
// Pure: no I/O, no clock, no randomness (the tip is picked by `tip_index`). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/email_message.hpp"
#include "notify/text_format.hpp"

namespace mailprune::notify {

// The policy engine's actions and approval modes (schema/002_policy.sql: proposal.action,
// proposal.approval).
enum class ProposalAction { detach, archive, remove };   // 'detach', 'archive', 'delete'
enum class ApprovalMode { automatic, opt_out, opt_in };  // 'auto', 'opt-out', 'opt-in'
std::optional<ProposalAction> parse_action(std::string_view text);
std::optional<ApprovalMode> parse_approval(std::string_view text);

// Proposals of one mailbox that share an action and an approval mode (the caller groups; groups
// are shown in the order given).
struct ProposalGroup {
  ProposalAction action = ProposalAction::detach;
  ApprovalMode approval = ApprovalMode::opt_out;
  std::uint64_t count = 0;  // attachments (detach) or messages (archive, delete)
  std::uint64_t bytes = 0;
};

// One proposed item, for the "largest items" table.
struct ProposedItem {
  std::optional<CalendarDate> date;  // the message's date; nullopt: unknown
  std::string sender;                // as it should show: "Jean Dupont <jean@example.org>" or an address
  std::string subject;
  std::string file_name;  // the attachment's name; "" for a whole message
  std::uint64_t bytes = 0;
};

struct NotificationData {
  std::string agent_name;  // display name; "" greets without a name
  std::string campaign_name;
  std::uint64_t mailbox_bytes = 0;   // what the mailbox holds now
  std::uint64_t proposed_count = 0;  // items proposed in total
  std::uint64_t proposed_bytes = 0;  // and what they free
  std::vector<ProposalGroup> groups;
  // The largest items: shown largest first, ten at most (more are ignored).
  std::vector<ProposedItem> largest_items;
  CalendarDate deadline;                // the last day to decide
  int grace_days = 30;                  // quarantine before deleted messages are purged
  std::string review_url;               // the agent's review page (signed link)
  std::size_t tip_index = 0;            // which good-practice tip (modulo tip_count())
  std::string signature = "mailprune";  // last line, e.g. the IT department's name
};

struct ReminderData {
  std::string agent_name;
  std::string campaign_name;
  CalendarDate today;  // when the reminder is sent
  CalendarDate deadline;
  std::uint64_t pending_count = 0;  // proposals still without a decision
  std::uint64_t pending_bytes = 0;
  std::vector<ProposalGroup> pending_groups;  // the same, by action and mode
  int grace_days = 30;
  std::string review_url;
  std::string signature = "mailprune";
};

struct TeamProgress {
  std::string team;  // "" shows as "(no team)"
  std::uint64_t agents = 0;
  std::uint64_t agents_responded = 0;  // agents who decided at least once
  std::uint64_t proposed_bytes = 0;
  std::uint64_t approved_bytes = 0;
  std::uint64_t refused_bytes = 0;
  std::uint64_t freed_bytes = 0;
};

// What the nightly run did, for the admins' report.
struct NightlySummary {
  std::uint64_t actions_applied = 0;
  std::uint64_t bytes_applied = 0;  // estimated bytes of the actions applied
  std::uint64_t actions_failed = 0;
  std::uint64_t opt_out_approved = 0;  // opt-out proposals approved at the deadline
  std::uint64_t reminders_sent = 0;
  std::uint64_t emails_failed = 0;      // notifications/reminders that could not be sent
  std::uint64_t quarantine_purged = 0;  // messages purged after their grace period
  std::uint64_t crawl_errors = 0;
};

struct AdminProgressData {
  std::string campaign_name;
  CalendarDate report_date;
  std::optional<CalendarDate> deadline;
  std::uint64_t target_bytes = 0;  // 0: no target
  // Freed so far, as the servers measure it (nullopt: not measured yet) and as estimated.
  std::optional<std::uint64_t> freed_bytes_measured;
  std::uint64_t freed_bytes_estimated = 0;
  std::uint64_t proposed_count = 0, proposed_bytes = 0;
  std::uint64_t approved_count = 0, approved_bytes = 0;
  std::uint64_t refused_count = 0, refused_bytes = 0;
  std::uint64_t pending_count = 0, pending_bytes = 0;
  std::uint64_t applied_count = 0;
  std::uint64_t agents_total = 0, agents_notified = 0, agents_responded = 0;
  std::vector<TeamProgress> teams;
  NightlySummary night;
  std::string console_url;  // "" when there is none
};

RenderedEmail render_notification(const NotificationData& data, Language language = Language::fr);
RenderedEmail render_reminder(const ReminderData& data, Language language = Language::fr);
RenderedEmail render_admin_progress(const AdminProgressData& data, Language language = Language::fr);

// The good-practice tips (the same number in both languages); render_notification shows
// tip(data.tip_index % tip_count()).
std::size_t tip_count();
const std::string& tip(std::size_t index, Language language);

}  // namespace mailprune::notify
