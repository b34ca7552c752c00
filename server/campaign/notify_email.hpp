// notify_email.hpp: the real prepare and send steps of the notification queue
// (notification_queue.hpp): a review link per e-mail, the e-mail's content from the agent's
// proposals (notify/notification.hpp), and SMTP (notify/smtp_sender.hpp).
//
// prepare (in the queue's committed transaction): issues a review token for (campaign, agent)
// signed with the review key (review/token.hpp), valid until the deadline + link_grace_days (0:
// never expires when the campaign has no deadline), stores its hash (review_token) and links it
// to the notification; the link is <public_url>/review/<token>.
// send: reads the agent's proposals (campaign/review_store.hpp load_review), renders the review
// e-mail (round 0) or a reminder in the agent's language, builds the message with the configured
// sender and sends it; the outcome maps SMTP's answer: 4xx and network failures are retried,
// 5xx are permanent, failures about the server or the configuration stop the round.
//
// The functions returned keep references to nothing but their own copies, except `connection`
// (send reads the database through it between the queue's transactions). Not thread-safe.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "campaign/notification_queue.hpp"
#include "config/config.hpp"
#include "notify/email_message.hpp"
#include "security/keys.hpp"

namespace mailprune::campaign {

struct EmailSettings {
  security::Key review_key{};
  std::string public_url = "http://localhost:8080";  // where agents reach `mailprune serve`
  int link_grace_days = 30;                          // links stay valid this long after the deadline
  std::string signature = "mailprune";
  // Unix seconds; defaults to the system clock.
  std::function<std::int64_t()> now;
};

// The review link of a token: <public_url without trailing '/'>/review/<token>.
std::string review_url(const std::string& public_url, const std::string& token);

PrepareFunction review_link_preparer(EmailSettings settings);

// Sends through an SmtpSender made from `smtp` (created on the first send, reused after).
// `connection` must stay open while the function is used.
SendFunction smtp_notification_sender(pqxx::connection& connection, const config::SmtpConfig& smtp,
                                      EmailSettings settings);

// The rendered e-mail for one notification (what smtp_notification_sender sends): subject, text
// and HTML. Throws std::runtime_error when the campaign has no deadline (e-mails state it) or the
// agent has nothing proposed.
using NotificationContent = notify::RenderedEmail;
NotificationContent render_notification_content(pqxx::connection& connection, const OutgoingNotification& n,
                                                const EmailSettings& settings);

}  // namespace mailprune::campaign
