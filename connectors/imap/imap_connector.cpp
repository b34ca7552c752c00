#include "imap/imap_connector.hpp"

#include "imap/imap_mailbox_session.hpp"

namespace mailprune::imap {
namespace {

class ImapConnector final : public connector::Connector {
 public:
  explicit ImapConnector(ImapSettings settings) : settings_(std::move(settings)) {}
  std::string kind() const override { return "imap"; }

  std::unique_ptr<connector::MailboxSession> open(const std::string& mailbox) override {
    SessionOptions options = session_options(settings_, mailbox);
    std::unique_ptr<Session> session;
    try {
      session = Session::open(options);
    } catch (const Error& error) {
      throw connector_error(error, true);
    }
    return std::make_unique<ImapMailboxSession>(
        std::move(session), settings_.fetch, [options] { return Session::open(options); }, settings_.actions);
  }

 private:
  const ImapSettings settings_;
};

bool transient(const std::string& code) {
  return code == "UNAVAILABLE" || code == "INUSE" || code == "LIMIT" || code == "SERVERBUG";
}

}  // namespace

SessionOptions session_options(const ImapSettings& settings, const std::string& mailbox) {
  SessionOptions options;
  options.host = settings.host;
  options.port = settings.port;
  options.transport = settings.transport;
  options.verify_certificate = settings.verify;
  options.ca_file = settings.ca_file;
  options.auth = settings.auth;
  options.password = settings.password;
  options.timeout = settings.timeout;
  options.compress = settings.compress;
  options.traffic_log = settings.traffic_log;
  switch (settings.login_as) {
    case LoginAs::master:
      options.authcid = mailbox + settings.master_separator + settings.admin_user;
      break;
    case LoginAs::authzid:
      options.authcid = settings.admin_user;
      options.authzid = mailbox;
      break;
    case LoginAs::self:
      options.authcid = mailbox;
      break;
  }
  return options;
}

connector::ConnectorError connector_error(const Error& error, bool during_login) {
  using Kind = connector::ConnectorError::Kind;
  std::string message = "IMAP " + std::string(to_string(error.kind));
  if (!error.code.empty()) message += " [" + error.code + "]";
  if (!error.message.empty()) message += ": " + error.message;
  switch (error.kind) {
    case ErrorKind::no:
      if (transient(error.code)) return {Kind::connection, message};
      return {during_login ? Kind::authentication : Kind::refused, message};
    case ErrorKind::bad:
    case ErrorKind::parse:
      return {Kind::protocol, message};
    case ErrorKind::protocol:
    case ErrorKind::bye:
    case ErrorKind::timeout:
    case ErrorKind::connection:
      break;
  }
  return {Kind::connection, message};
}

std::unique_ptr<connector::Connector> make_imap_connector(ImapSettings settings) {
  return std::make_unique<ImapConnector>(std::move(settings));
}

}  // namespace mailprune::imap
