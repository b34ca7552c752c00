// The EWS test server's own tests: its responses validate against Microsoft's schemas; paging,
// SyncState, ChangeKey, impersonation, OAuth2 and fault behaviour; and exchangelib, an independent
// EWS client, crawls it to the same inventory as the server's model and inventory_truth.py.
#include <utility>

#include <array>
#include <chrono>
#include <cstdio>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "ews_server/ews_test_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using mailprune::ews_test::EwsTestServer;
using mailprune::ews_test::Fault;
using mailprune::ews_test::FaultKind;

constexpr const char* kService = "svc-mailprune";
constexpr const char* kServicePassword = "svc-secret";

struct Reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  bool failed = false;  // connection closed before a complete response
};

std::string basic(const std::string& user, const std::string& password) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = user + ":" + password, out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? alphabet[v & 63] : '=';
  }
  return "Basic " + out;
}

Reply post(std::uint16_t port, const std::string& target, const std::string& body, const std::string& authorization,
           const std::string& content_type = "text/xml; charset=utf-8") {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, content_type);
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  boost::system::error_code error;
  http::read(socket, buffer, response, error);
  Reply reply;
  reply.failed = static_cast<bool>(error);
  reply.status = response.result_int();
  reply.body = response.body();
  for (const auto& field : response) reply.headers[std::string(field.name_string())] = std::string(field.value());
  return reply;
}

std::string envelope(const std::string& body, const std::string& impersonate = {}) {
  std::string header = "<t:RequestServerVersion Version=\"Exchange2013_SP1\"/>";
  if (!impersonate.empty()) {
    header += "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>" + impersonate +
              "</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>";
  }
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
         "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" "
         "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">"
         "<soap:Header>" +
         header + "</soap:Header><soap:Body>" + body + "</soap:Body></soap:Envelope>";
}

std::vector<std::string> captures(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  std::regex re(pattern);
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.push_back((*it)[1].str());
  return out;
}

std::string capture(const std::string& text, const std::string& pattern) {
  auto all = captures(text, pattern);
  return all.empty() ? "" : all.front();
}

// A server loaded with a small generated set, and a service account that impersonates.
class EwsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mailprune::test::TempDir("ews-mail");
    set_ = new mailprune::test::SampleMailSet(mailprune::test::generate_sample_mail(
        *dir_ / "mail", {.users = 2, .messages = 24, .seed = 7, .size_scale = 0.05}));
  }
  static void TearDownTestSuite() {
    delete set_;
    delete dir_;
  }
  void SetUp() override {
    server_ = std::make_unique<EwsTestServer>();
    server_->load(*set_);
    server_->add_service_account(kService, kServicePassword, true);
    server_->add_user(user(), "alice-pw");
    server_->start();
  }
  void TearDown() override {
    for (const auto& violation : server_->schema_violations()) {
      ADD_FAILURE() << violation.direction << " " << violation.operation << ": " << violation.message;
    }
    server_.reset();
  }
  static std::string user() { return set_->users.at(0); }
  static std::string other_user() { return set_->users.at(1); }

  Reply call(const std::string& body, const std::string& impersonate) {
    return post(server_->port(), "/EWS/Exchange.asmx", envelope(body, impersonate), basic(kService, kServicePassword));
  }
  std::string inbox_id() {
    for (const auto& folder : server_->folders(user())) {
      if (folder.distinguished == "inbox") return folder.folder_id;
    }
    return {};
  }

  static mailprune::test::TempDir* dir_;
  static mailprune::test::SampleMailSet* set_;
  std::unique_ptr<EwsTestServer> server_;
};
mailprune::test::TempDir* EwsServerTest::dir_ = nullptr;
mailprune::test::SampleMailSet* EwsServerTest::set_ = nullptr;

std::string find_item_page(const std::string& folder_id, int offset, int max) {
  return "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
         "<t:AdditionalProperties><t:FieldURI FieldURI=\"item:Size\"/><t:FieldURI FieldURI=\"item:Subject\"/>"
         "</t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned=\"" +
         std::to_string(max) + "\" Offset=\"" + std::to_string(offset) +
         "\" BasePoint=\"Beginning\"/><m:ParentFolderIds><t:FolderId Id=\"" + folder_id +
         "\"/></m:ParentFolderIds></m:FindItem>";
}

std::string sync_items(const std::string& folder_id, const std::string& state, int max) {
  return "<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>"
         "<t:FolderId Id=\"" +
         folder_id + "\"/></m:SyncFolderId>" + (state.empty() ? "" : "<m:SyncState>" + state + "</m:SyncState>") +
         "<m:MaxChangesReturned>" + std::to_string(max) + "</m:MaxChangesReturned></m:SyncFolderItems>";
}

std::string get_item(const std::vector<std::string>& ids) {
  std::string body =
      "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
      "<t:FieldURI FieldURI=\"item:Attachments\"/><t:FieldURI FieldURI=\"item:Size\"/>"
      "<t:FieldURI FieldURI=\"item:HasAttachments\"/><t:FieldURI FieldURI=\"item:ItemClass\"/>"
      "<t:FieldURI FieldURI=\"message:From\"/><t:FieldURI FieldURI=\"message:InternetMessageId\"/>"
      "<t:FieldURI FieldURI=\"item:DateTimeReceived\"/><t:FieldURI FieldURI=\"item:Flag\"/>"
      "<t:FieldURI FieldURI=\"message:IsRead\"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>";
  for (const auto& id : ids) body += "<t:ItemId Id=\"" + id + "\"/>";
  return body + "</m:ItemIds></m:GetItem>";
}

TEST_F(EwsServerTest, FolderOperationsAreSchemaValidAndMatchTheModel) {
  Reply hierarchy = call(
      "<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape>"
      "</m:FolderShape></m:SyncFolderHierarchy>",
      user());
  ASSERT_EQ(hierarchy.status, 200u) << hierarchy.body;
  auto model = server_->folders(user());  // msgfolderroot and below
  EXPECT_EQ(captures(hierarchy.body, "<t:Create>").size(), model.size());
  Reply deep = call(
      "<m:FindFolder Traversal=\"Deep\"><m:FolderShape><t:BaseShape>Default</t:BaseShape>"
      "<t:AdditionalProperties><t:FieldURI FieldURI=\"folder:ParentFolderId\"/>"
      "<t:ExtendedFieldURI PropertyTag=\"0x0e08\" PropertyType=\"Long\"/></t:AdditionalProperties>"
      "</m:FolderShape><m:IndexedPageFolderView MaxEntriesReturned=\"100\" Offset=\"0\" "
      "BasePoint=\"Beginning\"/><m:ParentFolderIds><t:DistinguishedFolderId Id=\"msgfolderroot\"/>"
      "</m:ParentFolderIds></m:FindFolder>",
      user());
  ASSERT_EQ(deep.status, 200u) << deep.body;
  EXPECT_EQ(capture(deep.body, "TotalItemsInView=\"(\\d+)\""), std::to_string(model.size() - 1));
  std::int64_t sizes = 0, model_sizes = 0;
  for (const auto& value : captures(deep.body, "<t:ExtendedFieldURI[^>]*/><t:Value>(\\d+)</t:Value>"))
    sizes += std::stoll(value);
  for (const auto& folder : model) model_sizes += folder.distinguished == "msgfolderroot" ? 0 : folder.size;
  EXPECT_EQ(sizes, model_sizes);
  Reply get = call(
      "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>"
      "<t:DistinguishedFolderId Id=\"inbox\"/><t:DistinguishedFolderId Id=\"calendar\"/>"
      "</m:FolderIds></m:GetFolder>",
      user());
  EXPECT_NE(get.body.find("<t:DisplayName>Inbox</t:DisplayName>"), std::string::npos) << get.body;
  EXPECT_NE(get.body.find("ErrorFolderNotFound"), std::string::npos);
}

TEST_F(EwsServerTest, FindItemPagesThroughEveryItemAndGetItemDescribesAttachments) {
  std::string inbox = inbox_id();
  auto model = server_->items(user(), "INBOX");
  ASSERT_GT(model.size(), 5u);
  std::vector<std::string> ids;
  int offset = 0;
  for (int page = 0; page < 100; ++page) {
    Reply reply = call(find_item_page(inbox, offset, 4), user());
    ASSERT_EQ(reply.status, 200u) << reply.body;
    auto found = captures(reply.body, "<t:ItemId Id=\"([^\"]+)\"");
    ids.insert(ids.end(), found.begin(), found.end());
    EXPECT_EQ(capture(reply.body, "TotalItemsInView=\"(\\d+)\""), std::to_string(model.size()));
    offset = std::stoi(capture(reply.body, "IndexedPagingOffset=\"(\\d+)\""));
    if (capture(reply.body, "IncludesLastItemInRange=\"(\\w+)\"") == "true") break;
    EXPECT_EQ(found.size(), 4u);
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), model.size());

  Reply items = call(get_item(ids), user());
  ASSERT_EQ(items.status, 200u) << items.body;
  std::size_t model_attachments = 0;
  std::int64_t model_bytes = 0;
  for (const auto& item : model) {
    model_attachments += item.attachments.size();
    for (const auto& attachment : item.attachments) model_bytes += attachment.size;
  }
  auto sizes = captures(items.body, "<t:IsInline>\\w+</t:IsInline>|<t:Size>(\\d+)</t:Size><t:LastModifiedTime>");
  std::int64_t bytes = 0;
  std::size_t count = 0;
  for (const auto& size : sizes) {
    if (size.empty()) continue;
    bytes += std::stoll(size);
    ++count;
  }
  EXPECT_EQ(count, model_attachments);
  EXPECT_EQ(bytes, model_bytes);

  // GetAttachment: content comes back base64, as long as the model says.
  for (const auto& item : model) {
    for (const auto& attachment : item.attachments) {
      Reply content = call(
          "<m:GetAttachment><m:AttachmentShape><t:IncludeMimeContent>true</t:IncludeMimeContent>"
          "</m:AttachmentShape><m:AttachmentIds><t:AttachmentId Id=\"" +
              attachment.attachment_id + "\"/></m:AttachmentIds></m:GetAttachment>",
          user());
      ASSERT_EQ(content.status, 200u) << content.body;
      // (std::regex recurses per character: no regex over large contents.)
      std::string open_tag = attachment.is_item ? "<t:MimeContent CharacterSet=\"UTF-8\">" : "<t:Content>";
      std::size_t begin = content.body.find(open_tag);
      ASSERT_NE(begin, std::string::npos) << content.body.substr(0, 2000);
      begin += open_tag.size();
      std::string base64 = content.body.substr(begin, content.body.find('<', begin) - begin);
      std::size_t padding =
          base64.size() >= 2 ? (base64[base64.size() - 1] == '=') + (base64[base64.size() - 2] == '=') : 0;
      EXPECT_EQ(static_cast<std::int64_t>(base64.size() / 4 * 3 - padding), attachment.size) << attachment.name;
    }
  }
}

TEST_F(EwsServerTest, SyncFolderItemsReportsCreatesUpdatesAndDeletesSinceItsState) {
  std::string inbox = inbox_id();
  auto model = server_->items(user(), "INBOX");
  std::string state;
  std::set<std::string> created;
  for (int round = 0; round < 100; ++round) {
    Reply reply = call(sync_items(inbox, state, 3), user());
    ASSERT_EQ(reply.status, 200u) << reply.body;
    for (const auto& id : captures(reply.body, "<t:Create><t:\\w+><t:ItemId Id=\"([^\"]+)\"")) created.insert(id);
    state = capture(reply.body, "<m:SyncState>([^<]+)</m:SyncState>");
    if (capture(reply.body, "<m:IncludesLastItemInRange>(\\w+)<") == "true") break;
  }
  EXPECT_EQ(created.size(), model.size());

  // Nothing new: no changes.
  Reply quiet = call(sync_items(inbox, state, 3), user());
  EXPECT_NE(quiet.body.find("<m:Changes></m:Changes>"), std::string::npos) << quiet.body;

  std::string added = server_->add_message(user(), "INBOX",
                                           "From: a@example.org\r\nSubject: new\r\nMessage-ID: <n@x>\r\n\r\nhello\r\n");
  ASSERT_TRUE(server_->delete_message(model[0].item_id));
  ASSERT_TRUE(server_->set_read(model[1].item_id, !model[1].is_read));
  Reply changes = call(sync_items(inbox, state, 10), user());
  EXPECT_EQ(captures(changes.body, "<t:Create><t:\\w+><t:ItemId Id=\"([^\"]+)\""), std::vector<std::string>{added});
  EXPECT_EQ(captures(changes.body, "<t:Update><t:\\w+><t:ItemId Id=\"([^\"]+)\""),
            std::vector<std::string>{model[1].item_id});
  EXPECT_EQ(captures(changes.body, "<t:Delete><t:ItemId Id=\"([^\"]+)\""), std::vector<std::string>{model[0].item_id});

  Reply foreign = call(sync_items(inbox, "bm90IGEgc3luYyBzdGF0ZQ==", 10), user());
  EXPECT_NE(foreign.body.find("ErrorInvalidSyncStateData"), std::string::npos) << foreign.body;
  std::string other_inbox;
  for (const auto& folder : server_->folders(user())) {
    if (folder.distinguished == "deleteditems") other_inbox = folder.folder_id;
  }
  Reply wrong_folder = call(sync_items(other_inbox, state, 10), user());
  EXPECT_NE(wrong_folder.body.find("ErrorInvalidSyncStateData"), std::string::npos) << wrong_folder.body;
}

TEST_F(EwsServerTest, ChangeKeysDetectConflictsAndActionsUpdateThem) {
  auto model = server_->items(user(), "INBOX");
  const mailprune::ews_test::ItemView* with_attachment = nullptr;
  for (const auto& item : model) {
    if (!item.attachments.empty() && !with_attachment) with_attachment = &item;
  }
  ASSERT_NE(with_attachment, nullptr);
  std::string id = with_attachment->item_id, stale = with_attachment->change_key;
  auto update = [&](const std::string& key) {
    return call(
        "<m:UpdateItem ConflictResolution=\"AutoResolve\" MessageDisposition=\"SaveOnly\"><m:ItemChanges>"
        "<t:ItemChange><t:ItemId Id=\"" +
            id + "\" ChangeKey=\"" + key +
            "\"/><t:Updates><t:SetItemField>"
            "<t:FieldURI FieldURI=\"message:IsRead\"/><t:Message><t:IsRead>true</t:IsRead></t:Message>"
            "</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>",
        user());
  };
  Reply first = update(stale);
  ASSERT_NE(first.body.find("NoError"), std::string::npos) << first.body;
  std::string fresh = capture(first.body, "ChangeKey=\"([^\"]+)\"");
  EXPECT_NE(fresh, stale);
  Reply conflict = update(stale);
  EXPECT_NE(conflict.body.find("ErrorIrresolvableConflict"), std::string::npos) << conflict.body;

  Reply detach = call("<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id=\"" +
                          with_attachment->attachments[0].attachment_id + "\"/></m:AttachmentIds></m:DeleteAttachment>",
                      user());
  EXPECT_EQ(capture(detach.body, "RootItemId=\"([^\"]+)\""), id) << detach.body;
  std::string after_detach = capture(detach.body, "RootItemChangeKey=\"([^\"]+)\"");
  EXPECT_NE(after_detach, fresh);
  Reply link = call("<m:CreateAttachment><m:ParentItemId Id=\"" + id + "\" ChangeKey=\"" + after_detach +
                        "\"/><m:Attachments><t:FileAttachment><t:Name>detached.txt</t:Name><t:ContentType>text/plain"
                        "</t:ContentType><t:Content>aHR0cHM6Ly9leGFtcGxlLm9yZy9h</t:Content></t:FileAttachment>"
                        "</m:Attachments></m:CreateAttachment>",
                    user());
  EXPECT_NE(link.body.find("NoError"), std::string::npos) << link.body;
  bool found_link = false;
  for (const auto& item : server_->items(user(), "INBOX")) {
    for (const auto& attachment : item.attachments)
      found_link = found_link || (item.item_id == id && attachment.name == "detached.txt" && attachment.size == 21);
  }
  EXPECT_TRUE(found_link);

  Reply moved = call(
      "<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id=\"deleteditems\"/></m:ToFolderId>"
      "<m:ItemIds><t:ItemId Id=\"" +
          id + "\"/></m:ItemIds></m:MoveItem>",
      user());
  std::string new_id = capture(moved.body, "<t:ItemId Id=\"([^\"]+)\"");
  EXPECT_FALSE(new_id.empty()) << moved.body;
  EXPECT_NE(new_id, id);
  EXPECT_EQ(server_->items(user(), "Deleted Items").size(), 1u);
  Reply gone = call(get_item({id}), user());
  EXPECT_NE(gone.body.find("ErrorItemNotFound"), std::string::npos);
  for (const char* type : {"MoveToDeletedItems", "SoftDelete", "HardDelete"}) {
    std::string victim = server_->items(user(), "INBOX").front().item_id;
    Reply deleted = call(std::string("<m:DeleteItem DeleteType=\"") + type + "\"><m:ItemIds><t:ItemId Id=\"" + victim +
                             "\"/></m:ItemIds></m:DeleteItem>",
                         user());
    EXPECT_NE(deleted.body.find("NoError"), std::string::npos) << type << deleted.body;
  }
  EXPECT_EQ(server_->items(user(), "Deleted Items").size(), 2u);
  EXPECT_EQ(server_->items(user(), "INBOX").size(), model.size() - 4);
}

TEST_F(EwsServerTest, AuthenticationAndImpersonation) {
  std::string body = envelope(find_item_page(inbox_id(), 0, 1), other_user());
  Reply anonymous = post(server_->port(), "/EWS/Exchange.asmx", body, "");
  EXPECT_EQ(anonymous.status, 401u);
  EXPECT_EQ(anonymous.headers["WWW-Authenticate"].rfind("Basic realm=", 0), 0u);
  EXPECT_EQ(post(server_->port(), "/EWS/Exchange.asmx", body, basic(kService, "wrong")).status, 401u);
  // alice may not impersonate: SOAP fault, as Exchange answers.
  Reply denied = post(server_->port(), "/EWS/Exchange.asmx", body, basic(user(), "alice-pw"));
  EXPECT_EQ(denied.status, 500u);
  EXPECT_NE(denied.body.find("<e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">"
                             "ErrorImpersonateUserDenied</e:ResponseCode>"),
            std::string::npos)
      << denied.body;
  // alice's own mailbox, without impersonation.
  Reply own = post(server_->port(), "/EWS/Exchange.asmx", envelope(find_item_page(inbox_id(), 0, 1)),
                   basic(user(), "alice-pw"));
  EXPECT_EQ(own.status, 200u) << own.body;
  // A request that violates the schema is refused and recorded.
  Reply invalid = call("<m:GetItem><m:ItemIds><t:ItemId Id=\"x\"/></m:ItemIds></m:GetItem>", user());
  EXPECT_EQ(invalid.status, 500u);
  EXPECT_NE(invalid.body.find("ErrorSchemaValidation"), std::string::npos);
  ASSERT_EQ(server_->schema_violations().size(), 1u);
  EXPECT_EQ(server_->schema_violations()[0].direction, "request");
  server_->clear_schema_violations();
}

TEST_F(EwsServerTest, OAuth2ClientCredentialsTokens) {
  server_->add_oauth_client("mailprune-app", "app-secret", std::chrono::seconds(3600));
  Reply refused =
      post(server_->port(), "/oauth2/token", "grant_type=client_credentials&client_id=mailprune-app&client_secret=no",
           "", "application/x-www-form-urlencoded");
  EXPECT_EQ(refused.status, 401u);
  Reply token = post(server_->port(), "/oauth2/token",
                     "grant_type=client_credentials&client_id=mailprune-app&client_secret=app-secret&scope=https%3A%2F%"
                     "2Foutlook.office365.com%2F.default",
                     "", "application/x-www-form-urlencoded");
  ASSERT_EQ(token.status, 200u) << token.body;
  auto json = nlohmann::json::parse(token.body);
  EXPECT_EQ(json["token_type"], "Bearer");
  EXPECT_EQ(json["expires_in"], 3600);
  std::string bearer = "Bearer " + json["access_token"].get<std::string>();
  std::string body = envelope(find_item_page(inbox_id(), 0, 2), user());
  EXPECT_EQ(post(server_->port(), "/EWS/Exchange.asmx", body, bearer).status, 200u);
  server_->expire_tokens();
  Reply expired = post(server_->port(), "/EWS/Exchange.asmx", body, bearer);
  EXPECT_EQ(expired.status, 401u);
  EXPECT_NE(expired.headers["WWW-Authenticate"].find("invalid_token"), std::string::npos);
}

Fault fault(FaultKind kind, std::string operation = {}) {
  Fault out;
  out.kind = kind;
  out.operation = std::move(operation);
  return out;
}

TEST_F(EwsServerTest, ScriptedFaultsAndCounters) {
  std::string find = find_item_page(inbox_id(), 0, 2);
  Fault busy = fault(FaultKind::server_busy, "FindItem");
  busy.count = 2;
  busy.back_off = std::chrono::milliseconds(1234);
  server_->inject(busy);
  for (int i = 0; i < 2; ++i) {
    Reply busy_reply = call(find, user());
    EXPECT_EQ(busy_reply.status, 500u);
    EXPECT_NE(busy_reply.body.find("<t:Value Name=\"BackOffMilliseconds\">1234</t:Value>"), std::string::npos)
        << busy_reply.body;
  }
  EXPECT_EQ(call(find, user()).status, 200u);
  Fault limited_fault = fault(FaultKind::http_429);
  limited_fault.retry_after_seconds = 7;
  server_->inject(limited_fault);
  Reply limited = call(find, user());
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.headers["Retry-After"], "7");
  server_->inject(fault(FaultKind::http_503));
  EXPECT_EQ(call(find, user()).status, 503u);
  server_->inject(fault(FaultKind::http_500));
  EXPECT_EQ(call(find, user()).status, 500u);
  server_->inject(fault(FaultKind::too_many_objects_opened, "GetItem"));
  Reply objects = call(get_item({server_->items(user(), "INBOX")[0].item_id}), user());
  EXPECT_NE(objects.body.find("<m:ResponseCode>ErrorTooManyObjectsOpened</m:ResponseCode>"), std::string::npos)
      << objects.status << objects.body;
  Fault slow = fault(FaultKind::delay);
  slow.delay = std::chrono::milliseconds(300);
  server_->inject(slow);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(call(find, user()).status, 200u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  server_->inject(fault(FaultKind::close_mid_response));
  EXPECT_TRUE(call(find, user()).failed);
  EXPECT_EQ(call(find, user()).status, 200u);
  EXPECT_EQ(server_->request_count("FindItem"), 9u);
  EXPECT_EQ(server_->request_count("GetItem"), 1u);
  EXPECT_EQ(server_->mailbox_request_count(user()), 10u);
  EXPECT_EQ(server_->mailbox_request_count(other_user()), 0u);
}

// ---- exchangelib ----

struct ProcessOutput {
  int status = -1;
  std::string out;
};

ProcessOutput run(const std::string& command) {
  ProcessOutput result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 65536> buffer{};
  std::size_t count;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), count);
  result.status = pclose(pipe);
  return result;
}

bool have_exchangelib() {
  return run("/usr/bin/python3 -c 'import exchangelib' 2>/dev/null").status == 0;
}

void crawl_with_exchangelib(bool tls, const std::string& access_type) {
  if (!have_exchangelib()) GTEST_SKIP() << "python3-exchangelib is not installed (apt-get install python3-exchangelib)";
  mailprune::test::TempDir dir("ews-exchangelib");
  auto set =
      mailprune::test::generate_sample_mail(dir / "mail", {.users = 2, .messages = 30, .seed = 11, .size_scale = 0.05});
  auto truth = mailprune::test::inventory_truth(set.dir);
  mailprune::ews_test::EwsTestServerOptions options;
  options.tls = tls;
  options.certificate_dir = dir.make_subdir("cert", false);
  EwsTestServer server(options);
  server.load(set);
  server.add_service_account(kService, kServicePassword, true);
  server.start();
  std::string command = std::string("/usr/bin/python3 ") + MAILPRUNE_EXCHANGELIB_CRAWL + " --url " + server.url() +
                        " --user " + kService + " --password " + kServicePassword + " --access-type " + access_type +
                        " --fetch-content 4";
  if (tls) command += " --ca " + server.ca_path();
  for (const auto& user : set.users) command += " --mailbox " + user;
  ProcessOutput output = run(command + " 2>" + (dir / "crawl.err"));
  ASSERT_EQ(output.status, 0) << output.out << "\n(stderr in " << dir / "crawl.err"
                              << ", keep with MAILPRUNE_KEEP_TEST_DIRS=1)";
  auto crawl = nlohmann::json::parse(output.out);

  // Against inventory_truth.py (independent MIME reading of the same files).
  EXPECT_EQ(crawl["totals"]["messages"], truth["messages"]);
  EXPECT_EQ(crawl["totals"]["message_bytes"], truth["message_bytes"]);
  EXPECT_EQ(crawl["totals"]["attachments"], truth["attachments"]);
  EXPECT_EQ(crawl["totals"]["attachment_bytes"], truth["attachment_bytes"]);

  // Against the server's own model, folder by folder, attachment by attachment.
  for (const auto& mailbox : crawl["mailboxes"]) {
    std::string address = mailbox["address"];
    std::set<std::string> model_paths;
    for (const auto& folder : server.folders(address)) {
      if (folder.distinguished != "msgfolderroot") model_paths.insert(folder.path);
    }
    std::set<std::string> crawled_paths;
    for (const auto& folder : mailbox["folders"]) {
      std::string path = folder["path"];
      crawled_paths.insert(path);
      auto model = server.items(address, path);
      ASSERT_EQ(folder["items"].size(), model.size()) << address << " " << path;
      EXPECT_EQ(folder["total_count"], model.size());
      std::multiset<std::string> crawled_attachments, model_attachments;
      std::int64_t crawled_bytes = 0, model_bytes = 0;
      for (const auto& item : folder["items"]) {
        crawled_bytes += item["size"].get<std::int64_t>();
        for (const auto& attachment : item["attachments"]) {
          crawled_attachments.insert(attachment["name"].get<std::string>() + "|" +
                                     std::to_string(attachment["size"].get<std::int64_t>()));
          if (attachment.contains("fetched_bytes") && attachment["kind"] == "file") {
            EXPECT_EQ(attachment["fetched_bytes"], attachment["size"]) << attachment["name"];
          }
          if (attachment.contains("fetched_bytes") && attachment["kind"] == "item") {
            EXPECT_EQ(attachment["fetched_bytes"], attachment["size"]) << attachment["name"];
          }
        }
      }
      for (const auto& item : model) {
        model_bytes += item.size;
        for (const auto& attachment : item.attachments)
          model_attachments.insert(attachment.name + "|" + std::to_string(attachment.size));
      }
      EXPECT_EQ(crawled_bytes, model_bytes) << path;
      EXPECT_EQ(crawled_attachments, model_attachments) << path;
    }
    EXPECT_EQ(crawled_paths, model_paths) << address;
  }
  for (const auto& violation : server.schema_violations()) {
    ADD_FAILURE() << violation.direction << " " << violation.operation << ": " << violation.message;
  }
  EXPECT_GT(server.request_count("GetAttachment"), 0u);
}

TEST(ExchangelibCrawl, ImpersonationOverTlsMatchesModelAndTruth) {
  crawl_with_exchangelib(true, "impersonation");
}

TEST(ExchangelibCrawl, DelegateOverPlainHttpMatchesModelAndTruth) {
  crawl_with_exchangelib(false, "delegate");
}

}  // namespace
