#include "inventory/connectors.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

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
  settings.timeout = std::chrono::seconds(source.timeout_seconds > 0 ? source.timeout_seconds : 60);
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
  throw std::runtime_error("source '" + source.name + "': no connector for kind '" + source.kind + "'");
}

}  // namespace mailprune::inventory
