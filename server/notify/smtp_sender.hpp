// smtp_sender.hpp: sends one RFC 5322 message over SMTP with libcurl, and says what the caller
// should do next.
//
//   notify::SmtpSender sender(config.smtp);                      // [smtp] of mailprune.toml
//   notify::SendResult result = sender.send({"alice@example.org"}, build_message(email));
//   if (result.status == SendStatus::temporary_failure) ...       // retry this one later
//
// Transport, from SmtpConfig: smtp:// with STARTTLS required (`starttls`, the default: nothing is
// sent in clear), taken when offered (`opportunistic`) or not used (`none`); smtps:// with TLS from
// the first byte (`implicit`). TLS 1.2 at least; the certificate and host name verified against
// `ca_file` or the system CAs unless tls_verify = false. SMTP AUTH with user + password when a
// user is set (the mechanism the server offers: PLAIN, LOGIN, ...). The envelope sender is the
// address of `from`. `timeout_seconds` bounds connecting, twice it the whole exchange.
//
// The outcome is a value, never an exception (bad configuration aside, see the constructor):
//   sent               the server took the message (its final 250 reply in `reply`);
//   temporary_failure  a 4xx reply, no connection, a timeout, a dropped connection: try again later;
//   permanent_failure  a 5xx reply (the recipient does not exist, the message was refused), or a
//                      failure that a retry cannot fix (TLS verification, authentication refused,
//                      STARTTLS required but not offered): do not retry as is.
// `affects_every_message` marks failures that are about the server or the configuration rather
// than this message (no connection, authentication, TLS, the sender refused): a campaign stops
// its round there instead of failing every agent. `outcome_unknown` marks a failure after the
// whole message was handed over (the final reply never came): the server may have accepted it,
// so a retry may deliver it twice. Replies keep the server's text (enhanced status codes
// included); secrets (the password, our AUTH lines) never appear in results or logs.
//
// Threads: one SmtpSender per thread (it owns a libcurl handle and reuses the connection between
// messages). curl_global_init runs once per process, thread-safely.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "notify/email_message.hpp"

namespace mailprune::notify {

enum class SendStatus { sent, temporary_failure, permanent_failure };

struct SendResult {
  SendStatus status = SendStatus::temporary_failure;
  // The last SMTP reply code received (250 when sent; 0 when none came, e.g. no connection).
  int smtp_code = 0;
  // The server's last reply, lines joined with "\n" ("250 2.0.0 Ok: queued as 4Xy", "550 5.1.1
  // <bob@example.org>: Recipient address rejected: User unknown"); "" when none came.
  std::string reply;
  // What went wrong, for logs and the send record ("" when sent): the step and libcurl's message.
  std::string error;
  bool affects_every_message = false;
  bool outcome_unknown = false;

  bool ok() const { return status == SendStatus::sent; }
  bool retriable() const { return status == SendStatus::temporary_failure; }
};

// "sent", "temporary_failure", "permanent_failure".
const char* to_string(SendStatus status);

class SmtpSender {
 public:
  // Throws std::invalid_argument when `from` (or `reply_to`) is not a usable address or the URL's
  // scheme does not match `tls`; config::load_config already reports these with file and line.
  explicit SmtpSender(config::SmtpConfig config);
  ~SmtpSender();
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;

  // Sends `message` (CRLF line ends, as build_message() writes it; dot-stuffing is done here) to
  // `recipients` ("local@domain" or "<local@domain>", ASCII; at least one). Any recipient refused
  // fails the whole send; an unusable address fails it before connecting (permanent_failure).
  SendResult send(const std::vector<std::string>& recipients, std::string_view message);

  // The configured sender and reply-to, parsed: what build_message() should put in From/Reply-To.
  const Mailbox& from() const { return from_; }
  const std::optional<Mailbox>& reply_to() const { return reply_to_; }
  const config::SmtpConfig& config() const { return config_; }

 private:
  struct Handle;
  config::SmtpConfig config_;
  Mailbox from_;
  std::optional<Mailbox> reply_to_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace mailprune::notify
