// ews_connector.hpp: the Exchange Web Services implementation of connector::Connector.
//
//   auto connector = make_ews_connector(settings);        // shared by a source's workers
//   auto mailbox = connector->open("alice@example.org");  // one EwsMailboxSession (own HTTP handle)
//
// Access to every mailbox from one service account: with `impersonation` each request carries
// t:ExchangeImpersonation/t:ConnectingSID/t:SmtpAddress = the mailbox (the account needs the
// ApplicationImpersonation role); without it, the mailbox is reached by delegate access
// (t:Mailbox in DistinguishedFolderIds; folder ids are global anyway) or is the account's own.
// X-AnchorMailbox = the mailbox on every request (routing in Exchange Online / multi-server
// sites). Auth: basic | ntlm (user + secret) | oauth2 (client credentials: token_url, client_id,
// secret, scope; one token cache for the whole source).
//
// Concurrency: at most `max_connections` HTTP requests in flight to the server across all the
// sessions of this connector (a counting semaphore), whatever the number of crawl workers.
//
// Errors (ConnectorError): HTTP 401/403, ErrorImpersonateUserDenied, ErrorAccessDenied ->
// authentication; ErrorNonExistentMailbox, ErrorFolderNotFound, ErrorItemNotFound... -> not_found;
// network, timeouts, 5xx and throttling still there after the retries -> connection; a body that
// is not EWS -> protocol; any other EWS error -> refused.
// The library never logs; turning TLS verification off is for the caller to warn about.
// Threads: the connector is immutable after construction; open() may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "ews/error.hpp"
#include "ews/responses.hpp"
#include "ews/transport.hpp"
#include "interface/connector.hpp"

namespace mailprune::ews {

// How the crawl talks to the server.
struct CrawlSettings {
  std::size_t get_item_batch = 100;  // ids per GetItem (metadata with item:Attachments)
  std::uint32_t sync_page = 512;     // MaxChangesReturned per SyncFolderItems (schema max 512)
  std::uint32_t find_page = 1000;    // FindItem page (fallback full crawl), at most 1000
  // List calendar, contacts, tasks... folders too (default: mail folders, FolderClass IPF.Note*
  // or none). Search folders are never listed (their items live in other folders).
  bool all_folder_classes = false;
  // The server's attachment Size is the decoded content size (see message_record.hpp).
  bool attachment_sizes_exact = false;
  int item_retry_rounds = 3;  // per-item retriable errors (ErrorServerBusy for some ids of a batch)
};

struct EwsSettings {
  std::string url;  // https://mail.example.org/EWS/Exchange.asmx
  AuthKind auth = AuthKind::ntlm;
  std::string user;       // basic/ntlm account ("svc-mailprune", "DOMAIN\\svc" or a UPN)
  std::string secret;     // its password, or the OAuth2 client secret; never logged
  std::string token_url;  // oauth2
  std::string client_id;  // oauth2
  std::string scope;      // oauth2, e.g. https://outlook.office365.com/.default
  bool impersonation = true;
  std::string server_version = "Exchange2013_SP1";  // RequestServerVersion (ExchangeVersionType)
  std::size_t max_connections = 4;
  std::chrono::milliseconds timeout{60'000};  // connect timeout, and no progress for this long aborts
  std::string ca_file;
  bool verify = true;
  RetryPolicy retry;
  Limits limits;
  CrawlSettings crawl;
};

// Throws std::invalid_argument for settings that cannot work (no url, unknown server_version,
// oauth2 without token_url/client_id).
std::unique_ptr<connector::Connector> make_ews_connector(EwsSettings settings);

// The ConnectorError for an ews::Error (mapping above).
connector::ConnectorError connector_error(const Error& error);

// The Error for a ResponseMessage that did not succeed: its ResponseCode and MessageText, and the
// operation that got it.
Error status_error(std::string_view operation, const Status& status);

}  // namespace mailprune::ews
