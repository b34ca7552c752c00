// ews_test_server.hpp: an Exchange Web Services stand-in for tests — no Exchange can run here.
//
// Serves /EWS/Exchange.asmx on 127.0.0.1 (port chosen by the OS) over plain HTTP or TLS
// (certificate from tests/harness/tls_certificate.hpp), HTTP/1.1 keep-alive, a thread per
// connection. Mailboxes live in memory (mailbox_store.hpp), loaded from the same generated mail as
// the IMAP tests; each message is parsed with GMime into an Exchange item (mime_item.hpp).
//
// Authentication: Basic (users and service accounts with passwords; 401 with
// `WWW-Authenticate: Basic realm="..."` otherwise) or Bearer tokens from the OAuth2 endpoint
// /oauth2/token (client_credentials grant; tokens expire). A user acts on its own mailbox; a
// service account or OAuth client with impersonation rights opens any mailbox through the
// ExchangeImpersonation header (SmtpAddress, PrimarySmtpAddress or PrincipalName) or, as a
// delegate, through <t:Mailbox> in a DistinguishedFolderId. Impersonating without the right
// gives the SOAP fault ErrorImpersonateUserDenied. X-AnchorMailbox is accepted (and counted).
//
// Fidelity: every request envelope and every response this server sends (SOAP faults excepted,
// see ../shared/ews-schema/README.md) is validated against soap11-min.xsd + messages.xsd +
// types.xsd, loaded once per process. A violation is recorded (schema_violations()) and
// answered with a SOAP fault: ErrorSchemaValidation for a request, ErrorInternalServerError for
// one of our responses. Tests assert the list is empty.
//
// Operations: GetFolder, FindFolder, SyncFolderHierarchy, CreateFolder, FindItem, SyncFolderItems,
// GetItem, UpdateItem, MoveItem, DeleteItem, GetAttachment, DeleteAttachment, CreateAttachment,
// ResolveNames. Anything else: SOAP fault ErrorInvalidRequest.
//
// Faults: scripted per operation (and optionally per mailbox), each for the next `count`
// matching requests, in the order injected.
//
// Threads: every public method may be called from any thread while the server runs. The
// destructor stops the server (closing open connections) and joins its threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/sample_mail.hpp"

namespace mailprune::ews_test {

struct EwsTestServerOptions {
  bool tls = false;
  // Where the TLS certificate is written (created if missing); empty: a temp dir of the server's.
  std::string certificate_dir;
  std::string schema_dir;              // empty: default_schema_dir() (../shared/ews-schema)
  bool validate = true;                // schema-check requests and responses
  std::size_t find_page_limit = 1000;  // most items one FindItem page returns
  std::size_t max_request_bytes = 64u * 1024 * 1024;
  std::string realm = "127.0.0.1";
};

enum class FaultKind {
  server_busy,              // SOAP fault ErrorServerBusy, MessageXml BackOffMilliseconds = back_off
  too_many_objects_opened,  // the operation's response message with ErrorTooManyObjectsOpened
  http_429,                 // 429 Too Many Requests, Retry-After: retry_after_seconds
  http_500,                 // 500 with an HTML body (IIS-style), no SOAP
  http_503,                 // 503 Service Unavailable, Retry-After: retry_after_seconds
  delay,                    // answer normally after `delay`
  close_mid_response,       // run the operation, send the headers and half the body, close
};

struct Fault {
  FaultKind kind = FaultKind::server_busy;
  std::string operation;  // "GetItem", ...; empty: any operation
  std::string mailbox;    // the target mailbox; empty: any
  int count = 1;          // matching requests it applies to
  std::chrono::milliseconds back_off{500};
  std::chrono::milliseconds delay{0};
  int retry_after_seconds = 1;
};

struct SchemaViolation {
  std::string direction;  // "request" or "response"
  std::string operation;
  std::string xml;      // the envelope (response contents over 4 MiB left empty)
  std::string message;  // libxml2's messages
};

// What a test can read of the model, independently of the wire.
struct ItemView {
  std::string item_id;
  std::string change_key;
  std::string folder;  // '/' path, "INBOX" for the inbox
  std::string subject;
  std::int64_t size = 0;
  bool is_read = false;
  std::string item_class;
  struct Attachment {
    std::string attachment_id;
    std::string name;
    std::string content_type;
    std::int64_t size = 0;
    bool is_inline = false;
    bool is_item = false;
  };
  std::vector<Attachment> attachments;
};

struct FolderView {
  std::string folder_id;
  std::string path;  // "" for msgfolderroot, "INBOX", "Deleted Items", "Projets/Clients été"
  std::string display_name;
  std::string distinguished;  // "root", "msgfolderroot", "inbox", "deleteditems" or ""
  std::uint64_t total_count = 0;
  std::int64_t size = 0;  // sum of item sizes (PR_MESSAGE_SIZE_EXTENDED)
};

class EwsTestServer {
 public:
  explicit EwsTestServer(EwsTestServerOptions options = {});
  ~EwsTestServer();
  EwsTestServer(const EwsTestServer&) = delete;
  EwsTestServer& operator=(const EwsTestServer&) = delete;

  // Binds 127.0.0.1:0 and starts accepting. Throws std::runtime_error on failure.
  void start();
  void stop();

  std::uint16_t port() const;
  std::string url() const;        // http(s)://127.0.0.1:<port>/EWS/Exchange.asmx
  std::string token_url() const;  // http(s)://127.0.0.1:<port>/oauth2/token
  std::string ca_path() const;    // the CA to trust (TLS only)

  // Accounts. add_user also creates the mailbox (login = address).
  void add_user(const std::string& address, const std::string& password, const std::string& display_name = {});
  void add_service_account(const std::string& login, const std::string& password, bool can_impersonate = true);
  void add_oauth_client(const std::string& client_id, const std::string& client_secret,
                        std::chrono::seconds token_lifetime = std::chrono::seconds(3600));
  void expire_tokens();  // every issued token is expired from now on

  // Mail. load() creates each user's mailbox, folders (empty ones too) and messages.
  void load(const test::SampleMailSet& set);
  std::string add_message(const std::string& user, const std::string& folder, std::string raw,
                          const std::vector<std::string>& flags = {}, std::time_t internal_date = 0);
  bool delete_message(const std::string& item_id);
  bool set_read(const std::string& item_id, bool is_read);
  std::vector<FolderView> folders(const std::string& user) const;
  std::vector<ItemView> items(const std::string& user, const std::string& folder) const;

  // Faults and counters.
  void inject(const Fault& fault);
  void clear_faults();
  std::uint64_t request_count(const std::string& operation = {}) const;  // empty: all EWS requests
  std::uint64_t mailbox_request_count(const std::string& mailbox) const;
  std::vector<SchemaViolation> schema_violations() const;
  void clear_schema_violations();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailprune::ews_test
