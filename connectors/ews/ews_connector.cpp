#include "ews/ews_connector.hpp"

#include <stdexcept>

#include "ews/ews_mailbox_session.hpp"

namespace mailprune::ews {
namespace {

using connector::ConnectorError;

class EwsConnector final : public connector::Connector {
 public:
  explicit EwsConnector(EwsSettings settings)
      : settings_(std::move(settings)), limit_(std::make_shared<ConcurrencyLimit>(settings_.max_connections)) {
    transport_.url = settings_.url;
    transport_.auth = settings_.auth;
    transport_.user = settings_.user;
    transport_.secret = settings_.auth == AuthKind::oauth2 ? std::string() : settings_.secret;
    transport_.http.verify = settings_.verify;
    transport_.http.ca_file = settings_.ca_file;
    transport_.http.connect_timeout = settings_.timeout;
    transport_.http.low_speed_time =
        std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(settings_.timeout));
    transport_.retry = settings_.retry;
    transport_.limits = settings_.limits;
    if (settings_.auth == AuthKind::oauth2) {
      OAuth2Settings oauth;
      oauth.token_url = settings_.token_url;
      oauth.client_id = settings_.client_id;
      oauth.client_secret = settings_.secret;
      oauth.scope = settings_.scope;
      oauth.http = transport_.http;
      tokens_ = std::make_shared<OAuth2ClientCredentials>(std::move(oauth));
    }
  }

  std::string kind() const override { return "ews"; }

  std::unique_ptr<connector::MailboxSession> open(const std::string& mailbox) override {
    RequestContext context;
    context.server_version = settings_.server_version;
    if (settings_.impersonation) {
      context.impersonate = mailbox;
    } else if (mailbox != settings_.user) {
      context.delegate_mailbox = mailbox;
    }
    auto transport = std::make_unique<Transport>(transport_, limit_, tokens_, mailbox);
    auto session = std::make_unique<EwsMailboxSession>(std::move(transport), std::move(context), settings_.crawl);
    session->open();
    return session;
  }

 private:
  EwsSettings settings_;
  TransportSettings transport_;
  std::shared_ptr<ConcurrencyLimit> limit_;
  std::shared_ptr<TokenSource> tokens_;
};

}  // namespace

Error status_error(std::string_view operation, const Status& status) {
  Error error;
  error.kind = ErrorKind::response;
  error.code = status.code;
  error.message = status.message_text;
  error.operation = std::string(operation);
  return error;
}

connector::ConnectorError connector_error(const Error& error) {
  const std::string message = error.describe();
  if (error.authentication()) return ConnectorError(ConnectorError::Kind::authentication, message);
  if (error.not_found()) return ConnectorError(ConnectorError::Kind::not_found, message);
  switch (error.kind) {
    case ErrorKind::connection:
    case ErrorKind::timeout:
    case ErrorKind::tls:
    case ErrorKind::http:
      return ConnectorError(ConnectorError::Kind::connection, message);
    case ErrorKind::authentication:
      return ConnectorError(ConnectorError::Kind::authentication, message);
    case ErrorKind::parse:
      return ConnectorError(ConnectorError::Kind::protocol, message);
    case ErrorKind::fault:
    case ErrorKind::response:
      if (error.retriable()) return ConnectorError(ConnectorError::Kind::connection, message);
      if (error.code == "ErrorSchemaValidation" || error.code == "ErrorInvalidRequest" ||
          error.code == "ErrorInvalidServerVersion") {
        return ConnectorError(ConnectorError::Kind::protocol, message);
      }
      return ConnectorError(ConnectorError::Kind::refused, message);
  }
  return ConnectorError(ConnectorError::Kind::protocol, message);
}

std::unique_ptr<connector::Connector> make_ews_connector(EwsSettings settings) {
  if (settings.url.empty()) throw std::invalid_argument("EWS: url is empty");
  if (!is_known_server_version(settings.server_version)) {
    throw std::invalid_argument("EWS: unknown server_version '" + settings.server_version + "'");
  }
  if (settings.auth == AuthKind::oauth2 && (settings.token_url.empty() || settings.client_id.empty())) {
    throw std::invalid_argument("EWS: oauth2 needs token_url and client_id");
  }
  if (settings.crawl.get_item_batch == 0) settings.crawl.get_item_batch = 1;
  return std::make_unique<EwsConnector>(std::move(settings));
}

}  // namespace mailprune::ews
