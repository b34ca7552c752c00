// imap_connector.hpp: the IMAP implementation of connector::Connector (interface/connector.hpp).
//
//   auto connector = make_imap_connector(settings);           // shared by a source's workers
//   auto mailbox = connector->open("alice@example.org");     // one imap::Session, logged in as alice
//
// open() logs in AS the mailbox, with the admin's credentials:
//   master   authcid "<mailbox><master_separator><admin>" (Dovecot master user), no authzid;
//   authzid  authcid <admin>, authzid <mailbox> (SASL PLAIN; Cyrus admins);
//   self     authcid <mailbox> with the configured secret (one account, or a token per source).
// imap::Error from the session becomes ConnectorError: authentication refused -> authentication;
// connect/TLS/timeout/BYE/framing -> connection (retriable); a NO with a transient code
// (UNAVAILABLE, INUSE, LIMIT, SERVERBUG) -> connection too.
//
// The library never logs: turning certificate verification off is for the caller to warn about.
// Threads: the connector is immutable after construction; open() may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "imap/error.hpp"
#include "imap/session.hpp"
#include "interface/connector.hpp"

namespace mailprune::imap {

enum class LoginAs { master, authzid, self };

// How the crawl talks to the server; defaults suit Dovecot and Cyrus on a LAN.
struct FetchSettings {
  std::size_t metadata_batch = 500;  // UIDs per UID FETCH of metadata (BODYSTRUCTURE ...)
  std::size_t binary_batch = 500;    // UIDs per UID FETCH of BINARY.SIZE
  std::size_t window = 6;            // commands in flight
  // Without QRESYNC, removals are found as the gaps between the UIDs the server still has below
  // the previous UIDNEXT (removed() for each; harmless for UIDs never stored). More gaps than this:
  // the folder is rescanned in full instead.
  std::size_t max_gap_removals = 20'000;
  // Fresh connections per folder after the server dropped one over a BINARY fetch of a damaged part
  // (imap_mailbox_session.hpp); past this the drop is thrown and the mailbox fails.
  std::size_t max_reconnects_per_folder = 50;
};

// What the mailbox actions (imap_actions.hpp) may use.
struct ActionSettings {
  // APPEND CATENATE (RFC 4469) for detach when the server offers it: only the new bytes travel.
  // false: always the whole message (APPEND with LITERAL+), e.g. to measure the difference.
  bool catenate = true;
  // Where a message goes instead of being expunged on a server without UIDPLUS (a plain EXPUNGE
  // would also remove what other clients flagged \Deleted): decoded, '/' as separator; created
  // when missing.
  std::string quarantine_folder = "Quarantine";
};

struct ImapSettings {
  std::string host;
  std::uint16_t port = 993;
  Transport transport = Transport::implicit_tls;
  bool verify = true;
  std::string ca_file;
  AuthMechanism auth = AuthMechanism::plain;
  std::string admin_user;
  std::string password;  // or the XOAUTH2 access token; never logged
  LoginAs login_as = LoginAs::master;
  std::string master_separator = "*";
  std::chrono::milliseconds timeout{60'000};
  bool compress = true;
  std::string traffic_log;  // "" off; see session.hpp (secrets masked)
  FetchSettings fetch;
  ActionSettings actions;
};

// The session options that log in as `mailbox` (see above).
SessionOptions session_options(const ImapSettings& settings, const std::string& mailbox);

// The ConnectorError for an imap::Error. `during_login`: a NO means the credentials were refused.
connector::ConnectorError connector_error(const Error& error, bool during_login = false);

std::unique_ptr<connector::Connector> make_imap_connector(ImapSettings settings);

}  // namespace mailprune::imap
