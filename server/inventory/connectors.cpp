#include "inventory/connectors.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "ews/ews_connector.hpp"
#include "imap/imap_connector.hpp"

namespace mailprune::inventory {
namespace {

imap::ImapSettings imap_settings(const config::SourceConfig& source) {
  imap::ImapSettings settings;
  settings.host = source.host;
  if (source.port <= 0 || source.port > 65535) {
    throw std::runtime_error("source '" + source.name + "': port " + std::to_string(source.port) + " is out of range");
  }
  settings.port = static_cast<std::uint16_t>(source.port);
  switch (source.tls) {
    case config::TlsMode::implicit:
      settings.transport = imap::Transport::implicit_tls;
      break;
    case config::TlsMode::starttls:
      settings.transport = imap::Transport::starttls;
      break;
    case config::TlsMode::none:
      settings.transport = imap::Transport::plain;
      break;
  }
  settings.verify = source.tls_verify;
  settings.ca_file = source.ca_file;
  switch (source.auth) {
    case config::ImapAuth::plain:
      settings.auth = imap::AuthMechanism::plain;
      break;
    case config::ImapAuth::login:
      settings.auth = imap::AuthMechanism::login;
      break;
    case config::ImapAuth::xoauth2:
      settings.auth = imap::AuthMechanism::xoauth2;
      break;
  }
  settings.admin_user = source.user;
  settings.password = source.password.reveal();
  switch (source.login_as) {
    case config::LoginAs::master:
      settings.login_as = imap::LoginAs::master;
      break;
    case config::LoginAs::authzid:
      settings.login_as = imap::LoginAs::authzid;
      break;
    case config::LoginAs::self:
      settings.login_as = imap::LoginAs::self;
      break;
  }
  settings.master_separator = source.master_separator;
  settings.compress = source.compress;
  settings.actions.catenate = source.catenate;
  settings.timeout = std::chrono::seconds(source.timeout_seconds > 0 ? source.timeout_seconds : 60);
  return settings;
}

ews::EwsSettings ews_settings(const config::SourceConfig& source) {
  ews::EwsSettings settings;
  settings.url = source.url;
  switch (source.ews_auth) {
    case config::EwsAuth::basic:
      settings.auth = ews::AuthKind::basic;
      break;
    case config::EwsAuth::ntlm:
      settings.auth = ews::AuthKind::ntlm;
      break;
    case config::EwsAuth::oauth2:
      settings.auth = ews::AuthKind::oauth2;
      break;
  }
  settings.user = source.user;
  settings.secret =
      source.ews_auth == config::EwsAuth::oauth2 ? source.client_secret.reveal() : source.password.reveal();
  settings.token_url = source.token_url;
  settings.client_id = source.client_id;
  settings.scope = source.scope;
  settings.impersonation = source.impersonation;
  settings.server_version = source.server_version;
  settings.max_connections = static_cast<std::size_t>(source.max_connections > 0 ? source.max_connections : 4);
  settings.timeout = std::chrono::seconds(source.timeout_seconds > 0 ? source.timeout_seconds : 60);
  settings.ca_file = source.ca_file;
  settings.verify = source.tls_verify;
  settings.crawl.attachment_sizes_exact = source.attachment_sizes_exact;
  return settings;
}

}  // namespace

std::unique_ptr<connector::Connector> make_connector(const config::SourceConfig& source) {
  if (source.kind == "imap") {
    imap::ImapSettings settings = imap_settings(source);
    if (settings.transport != imap::Transport::plain && !settings.verify) {
      spdlog::warn("source '{}': TLS certificate and host name verification is OFF for {}:{} (tls_verify = false)",
                   source.name, source.host, source.port);
    }
    if (settings.transport == imap::Transport::plain) {
      spdlog::warn("source '{}': IMAP without TLS to {}:{} (tls = \"none\"): credentials travel in clear", source.name,
                   source.host, source.port);
    }
    return imap::make_imap_connector(std::move(settings));
  }
  if (source.kind == "ews") {
    ews::EwsSettings settings = ews_settings(source);
    if (!settings.verify) {
      spdlog::warn("source '{}': TLS certificate and host name verification is OFF for {} (tls_verify = false)",
                   source.name, source.url);
    }
    if (source.url.rfind("http://", 0) == 0) {
      spdlog::warn("source '{}': EWS without TLS ({}): credentials travel in clear", source.name, source.url);
    }
    try {
      return ews::make_ews_connector(std::move(settings));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("source '" + source.name + "': " + e.what());
    }
  }
  throw std::runtime_error("source '" + source.name + "': no connector for kind '" + source.kind + "'");
}

}  // namespace mailprune::inventory
