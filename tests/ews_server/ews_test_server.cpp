// EwsTestServer's public API: construction, accounts, mail loading, the model views tests read,
// faults, counters and violations. I/O is in http_session.cpp, SOAP in soap_dispatch.cpp.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ews_server/ids.hpp"
#include "ews_server/schema_validator.hpp"
#include "ews_server/server_impl.hpp"
#include "harness/tls_certificate.hpp"

namespace mailprune::ews_test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

EwsTestServer::EwsTestServer(EwsTestServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.schema_dir.empty()) impl_->options.schema_dir = default_schema_dir();
  if (impl_->options.validate) SchemaValidator::shared(impl_->options.schema_dir);  // load once, fail early
  if (impl_->options.tls) {
    std::string dir = impl_->options.certificate_dir;
    if (dir.empty()) {
      impl_->certificate_temp.emplace("ews-cert");
      dir = impl_->certificate_temp->path();
    }
    test::TestCertificate certificate = test::make_test_certificate(dir);
    impl_->ca_path = certificate.ca_path;
    impl_->cert_path = certificate.cert_path;
    impl_->key_path = certificate.key_path;
  }
}

EwsTestServer::~EwsTestServer() {
  stop();
}

std::uint16_t EwsTestServer::port() const {
  return impl_->port;
}

std::string EwsTestServer::url() const {
  return std::string(impl_->options.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) +
         "/EWS/Exchange.asmx";
}

std::string EwsTestServer::token_url() const {
  return std::string(impl_->options.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) +
         "/oauth2/token";
}

std::string EwsTestServer::ca_path() const {
  return impl_->ca_path;
}

void EwsTestServer::add_user(const std::string& address, const std::string& password, const std::string& display_name) {
  std::lock_guard lock(impl_->mutex);
  Mailbox& mailbox = impl_->store.add_mailbox(address, display_name);
  impl_->accounts[lower(address)] = {password, Principal{mailbox.address, mailbox.address, false}};
}

void EwsTestServer::add_service_account(const std::string& login, const std::string& password, bool can_impersonate) {
  std::lock_guard lock(impl_->mutex);
  impl_->accounts[lower(login)] = {password, Principal{login, "", can_impersonate}};
}

void EwsTestServer::add_oauth_client(const std::string& client_id, const std::string& client_secret,
                                     std::chrono::seconds token_lifetime) {
  std::lock_guard lock(impl_->mutex);
  impl_->oauth_clients[client_id] = {client_secret, token_lifetime};
}

void EwsTestServer::expire_tokens() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [token, entry] : impl_->tokens) entry.expires = std::chrono::steady_clock::now();
}

void EwsTestServer::load(const test::SampleMailSet& set) {
  // Parse outside the lock: GMime work is the slow part.
  struct Loaded {
    const test::SampleMessage* message;
    std::string raw;
  };
  std::vector<Loaded> loaded;
  for (const auto& message : set.messages) loaded.push_back({&message, read_file(message.path)});
  std::lock_guard lock(impl_->mutex);
  for (const auto& user : set.users) impl_->store.add_mailbox(user);
  for (const auto& folder : set.folders) {
    impl_->store.add_mailbox(folder.user);
    impl_->store.folder_at(folder.user, folder.folder);
  }
  for (auto& entry : loaded) {
    const auto& message = *entry.message;
    impl_->store.add_mailbox(message.user);
    StoredFolder& folder = impl_->store.folder_at(message.user, message.folder);
    auto has = [&](const char* flag) {
      return std::find(message.flags.begin(), message.flags.end(), flag) != message.flags.end();
    };
    impl_->store.add_item(folder, std::move(entry.raw), message.internal_date, has("\\Seen"), has("\\Flagged"));
  }
}

std::string EwsTestServer::add_message(const std::string& user, const std::string& folder, std::string raw,
                                       const std::vector<std::string>& flags, std::time_t internal_date) {
  std::lock_guard lock(impl_->mutex);
  impl_->store.add_mailbox(user);
  StoredFolder& target = impl_->store.folder_at(user, folder);
  auto has = [&](const char* flag) { return std::find(flags.begin(), flags.end(), flag) != flags.end(); };
  StoredItem& item = impl_->store.add_item(target, std::move(raw), internal_date ? internal_date : std::time(nullptr),
                                           has("\\Seen"), has("\\Flagged"));
  return item_id(item.number);
}

bool EwsTestServer::delete_message(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  auto number = parse_item_id(id);
  if (!number || impl_->store.item(*number) == nullptr) return false;
  impl_->store.delete_item(*number);
  return true;
}

bool EwsTestServer::set_read(const std::string& id, bool is_read) {
  std::lock_guard lock(impl_->mutex);
  auto number = parse_item_id(id);
  StoredItem* item = number ? impl_->store.item(*number) : nullptr;
  if (item == nullptr) return false;
  item->is_read = is_read;
  impl_->store.touch(*item);
  return true;
}

std::vector<FolderView> EwsTestServer::folders(const std::string& user) const {
  std::lock_guard lock(impl_->mutex);
  std::vector<FolderView> out;
  for (StoredFolder* folder : impl_->store.folders_of(user)) {
    if (folder->distinguished == "root") continue;
    out.push_back({folder_id(folder->number), folder->path, folder->name, folder->distinguished, folder->items.size(),
                   impl_->store.folder_size(*folder)});
  }
  return out;
}

std::vector<ItemView> EwsTestServer::items(const std::string& user, const std::string& folder_path) const {
  std::lock_guard lock(impl_->mutex);
  std::vector<ItemView> out;
  for (StoredFolder* folder : impl_->store.folders_of(user)) {
    if (folder->path != folder_path || folder->distinguished == "root") continue;
    for (std::uint64_t number : folder->items) {
      const StoredItem* item = impl_->store.item(number);
      ItemView view{item_id(number),
                    item_change_key(number, item->change),
                    folder->path,
                    item->mime.subject,
                    item->size,
                    item->is_read,
                    item->mime.item_class,
                    {}};
      for (const auto& attachment : item->attachments) {
        view.attachments.push_back({attachment_id(number, attachment.number), attachment.mime.name,
                                    attachment.mime.content_type, attachment.size(), attachment.mime.is_inline,
                                    attachment.mime.is_item});
      }
      out.push_back(std::move(view));
    }
  }
  return out;
}

void EwsTestServer::inject(const Fault& fault) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(fault);
}

void EwsTestServer::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.clear();
}

std::uint64_t EwsTestServer::request_count(const std::string& operation) const {
  std::lock_guard lock(impl_->mutex);
  if (!operation.empty()) {
    auto found = impl_->operation_counts.find(operation);
    return found == impl_->operation_counts.end() ? 0 : found->second;
  }
  std::uint64_t total = 0;
  for (const auto& [name, count] : impl_->operation_counts) total += count;
  return total;
}

std::uint64_t EwsTestServer::mailbox_request_count(const std::string& mailbox) const {
  std::lock_guard lock(impl_->mutex);
  auto found = impl_->mailbox_counts.find(lower(mailbox));
  return found == impl_->mailbox_counts.end() ? 0 : found->second;
}

std::vector<SchemaViolation> EwsTestServer::schema_violations() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->violations;
}

void EwsTestServer::clear_schema_violations() {
  std::lock_guard lock(impl_->mutex);
  impl_->violations.clear();
}

}  // namespace mailprune::ews_test
