// The EWS transport and mailbox session against a scripted HTTP server on loopback: headers and
// auth, connection reuse, throttling (ErrorServerBusy BackOffMilliseconds, 429/503 Retry-After),
// backoff on 5xx, no retry of lost mutations, OAuth2 token fetch/refresh, content streaming with a
// limit, and the crawl logic (paged SyncFolderItems, GetItem per-item errors, invalid SyncState).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ews/ews_connector.hpp"
#include "ews/ews_mailbox_session.hpp"
#include "ews/transport.hpp"
#include "schema_check.hpp"
#include "scripted_http.hpp"

namespace mailprune::ews {
namespace {

using test::ScriptedHttpServer;
using namespace std::chrono_literals;

const std::string kNs = R"( xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" )"
                        R"(xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types")";

std::string envelope(const std::string& body) {
  return R"(<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">)"
         "<s:Body>" +
         body + "</s:Body></s:Envelope>";
}

std::string ok_get_folder() {
  return envelope("<m:GetFolderResponse" + kNs +
                  R"(><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                  R"(NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="ROOT"/></t:Folder></m:Folders>)"
                  R"(</m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>)");
}

std::string server_busy_fault(int back_off_ms) {
  return envelope(R"(<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">)"
                  R"(a:ErrorServerBusy</faultcode><faultstring>The server cannot service this request right now.)"
                  R"(</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/)"
                  R"(2006/errors">ErrorServerBusy</e:ResponseCode><t:MessageXml xmlns:t="http://schemas.microsoft.)"
                  R"(com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">)" +
                  std::to_string(back_off_ms) + "</t:Value></t:MessageXml></detail></s:Fault>");
}

struct Fixture {
  ScriptedHttpServer server;
  std::vector<std::chrono::milliseconds> sleeps;
  std::shared_ptr<ConcurrencyLimit> limit = std::make_shared<ConcurrencyLimit>(2);

  std::unique_ptr<Transport> transport(AuthKind auth = AuthKind::basic, std::shared_ptr<TokenSource> tokens = {}) {
    TransportSettings settings;
    settings.url = server.url();
    settings.auth = auth;
    settings.user = "svc-mailprune";
    settings.secret = "s3cret";
    settings.http.connect_timeout = 5s;
    settings.http.request_timeout = 20s;
    auto t = std::make_unique<Transport>(settings, limit, std::move(tokens), "alice@example.org");
    t->set_sleep([this](std::chrono::milliseconds delay) { sleeps.push_back(delay); });
    return t;
  }
};

Request sample_request(bool mutates = false) {
  RequestContext context;
  context.impersonate = "alice@example.org";
  return mutates ? delete_item(context, {ItemId{"A1", "K1"}}, DeleteType::hard_delete)
                 : get_folder(context, {FolderRef::distinguished_folder("msgfolderroot")});
}

TEST(EwsTransport, SendsTheEnvelopeWithHeadersAndReusesTheConnection) {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.server.reply_xml(ok_get_folder());
  auto transport = f.transport();
  for (int i = 0; i < 3; ++i) {
    auto result = transport->call(sample_request());
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(result->messages.at(0).folders.at(0).id.id, "ROOT");
  }
  const auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("Content-Type"), "text/xml; charset=utf-8");
  EXPECT_EQ(requests[0].header("X-AnchorMailbox"), "alice@example.org");
  EXPECT_EQ(requests[0].header("Authorization"), "Basic c3ZjLW1haWxwcnVuZTpzM2NyZXQ=");
  EXPECT_EQ(requests[0].header("SOAPAction"),
            "\"http://schemas.microsoft.com/exchange/services/2006/messages/GetFolder\"");
  EXPECT_EQ(requests[0].body, sample_request().envelope);
  EXPECT_EQ(test::schema_errors(requests[0].body), "");
  EXPECT_EQ(f.server.connections(), 1);  // keep-alive
  EXPECT_EQ(transport->stats().round_trips, 3u);
  EXPECT_GT(transport->stats().bytes_sent, 3 * sample_request().envelope.size());
  EXPECT_TRUE(f.sleeps.empty());
}

TEST(EwsTransport, ServerBusyFaultSleepsBackOffMilliseconds) {
  Fixture f;
  f.server.reply_xml(server_busy_fault(1234), 500);
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport();
  auto result = transport->call(sample_request());
  ASSERT_TRUE(result.ok()) << result.error().describe();
  ASSERT_EQ(f.sleeps.size(), 1u);
  EXPECT_EQ(f.sleeps[0], 1234ms);
  EXPECT_EQ(transport->stats().throttled, 1u);
}

TEST(EwsTransport, ServerBusyBackOffIsCapped) {
  Fixture f;
  f.server.reply_xml(server_busy_fault(297749), 500);
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport();
  ASSERT_TRUE(transport->call(sample_request()).ok());
  ASSERT_EQ(f.sleeps.size(), 1u);
  EXPECT_EQ(f.sleeps[0], 297749ms);  // under the 300 s cap
}

TEST(EwsTransport, EveryMessageThrottledIsRetried) {
  Fixture f;
  f.server.reply_xml(
      envelope("<m:GetFolderResponse" + kNs +
               R"(><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>)"
               R"(busy</m:MessageText><m:ResponseCode>ErrorTooManyObjectsOpened</m:ResponseCode>)"
               R"(</m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>)"));
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport();
  ASSERT_TRUE(transport->call(sample_request()).ok());
  ASSERT_EQ(f.sleeps.size(), 1u);
  EXPECT_GE(f.sleeps[0], 250ms);
  EXPECT_LE(f.sleeps[0], 500ms);
}

TEST(EwsTransport, RetryAfterOn429And503) {
  Fixture f;
  f.server.reply("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n");
  f.server.reply("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nbusy");
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport();
  ASSERT_TRUE(transport->call(sample_request()).ok());
  ASSERT_EQ(f.sleeps.size(), 2u);
  EXPECT_EQ(f.sleeps[0], 7000ms);
  EXPECT_EQ(f.sleeps[1], 2000ms);
}

TEST(EwsTransport, HtmlErrorPageIsRetriedWithExponentialBackoffThenGivesUp) {
  Fixture f;
  const std::string page = "<html><body><h1>500 - Internal server error.</h1></body></html>";
  for (int i = 0; i < 6; ++i) {
    f.server.reply("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: " +
                   std::to_string(page.size()) + "\r\n\r\n" + page);
  }
  auto transport = f.transport();
  auto result = transport->call(sample_request());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().http_status, 500);
  EXPECT_TRUE(result.error().retriable());
  EXPECT_EQ(connector_error(result.error()).kind(), connector::ConnectorError::Kind::connection);
  ASSERT_EQ(f.sleeps.size(), 5u);  // 6 attempts
  for (std::size_t i = 0; i < f.sleeps.size(); ++i) {
    const auto ceiling = std::min<std::chrono::milliseconds>(500ms * (1 << i), 30'000ms);
    EXPECT_GE(f.sleeps[i], ceiling / 2) << i;
    EXPECT_LE(f.sleeps[i], ceiling) << i;
  }
}

TEST(EwsTransport, UnauthorizedIsNotRetried) {
  Fixture f;
  f.server.reply("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n");
  auto transport = f.transport();
  auto result = transport->call(sample_request());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::authentication);
  EXPECT_EQ(connector_error(result.error()).kind(), connector::ConnectorError::Kind::authentication);
  EXPECT_TRUE(f.sleeps.empty());
  EXPECT_EQ(result.error().describe().find("s3cret"), std::string::npos);
}

TEST(EwsTransport, LostAnswerToAMutationIsNotRetried) {
  Fixture f;
  f.server.reply(ScriptedHttpServer::kHalf);
  f.server.reply_xml(envelope("<m:DeleteItemResponse" + kNs + "><m:ResponseMessages/></m:DeleteItemResponse>"));
  auto transport = f.transport();
  auto result = transport->call(sample_request(true));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().outcome_unknown()) << result.error().describe();
  EXPECT_TRUE(f.sleeps.empty());
  EXPECT_EQ(f.server.requests().size(), 1u);
}

TEST(EwsTransport, LostAnswerToAReadIsRetried) {
  Fixture f;
  f.server.reply(ScriptedHttpServer::kClose);
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport();
  auto result = transport->call(sample_request());
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(f.sleeps.size(), 1u);
  EXPECT_EQ(f.server.connections(), 2);
}

TEST(EwsTransport, OAuth2TokenIsCachedAndRefreshedOnceOn401) {
  Fixture f;
  OAuth2Settings oauth;
  oauth.token_url = f.server.url("/oauth2/token");
  oauth.client_id = "client-1";
  oauth.client_secret = "p&ss word";
  oauth.scope = "https://outlook.office365.com/.default";
  auto tokens = std::make_shared<OAuth2ClientCredentials>(oauth);
  const auto token_reply = [](const std::string& token) {
    const std::string body = R"({"token_type":"Bearer","expires_in":3599,"access_token":")" + token + "\"}";
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  f.server.reply(token_reply("tok-1"));
  f.server.reply_xml(ok_get_folder());
  f.server.reply_xml(ok_get_folder());
  f.server.reply("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  f.server.reply(token_reply("tok-2"));
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport(AuthKind::oauth2, tokens);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(transport->call(sample_request()).ok()) << i;
  const auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].body,
            "grant_type=client_credentials&client_id=client-1&client_secret=p%26ss%20word&scope=https%3A%2F%2F"
            "outlook.office365.com%2F.default");
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer tok-1");
  EXPECT_EQ(requests[2].header("Authorization"), "Bearer tok-1");
  EXPECT_EQ(requests[5].header("Authorization"), "Bearer tok-2");
  EXPECT_EQ(tokens->tokens_fetched(), 2u);
  EXPECT_TRUE(f.sleeps.empty());
}

TEST(EwsTransport, TokenEndpointAnswers) {
  EXPECT_EQ(parse_token_answer(200, R"({"access_token":"x","expires_in":"3600"})")->expires_in, 3600s);
  const auto refused = parse_token_answer(400, R"({"error":"invalid_client","error_description":"AADSTS7000215"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::authentication);
  EXPECT_FALSE(parse_token_answer(200, "not json").ok());
  EXPECT_FALSE(parse_token_answer(200, R"({"access_token":""})").ok());
}

std::string attachment_response(std::size_t bytes) {
  std::string raw(bytes, 'x');
  return envelope("<m:GetAttachmentResponse" + kNs +
                  R"(><m:ResponseMessages><m:GetAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                  R"(NoError</m:ResponseCode><m:Attachments><t:FileAttachment><t:AttachmentId Id="ATT"/>)"
                  R"(<t:Name>a.bin</t:Name><t:Content>)" +
                  base64_encode(raw) +
                  "</t:Content></t:FileAttachment></m:Attachments></m:GetAttachmentResponseMessage>"
                  "</m:ResponseMessages></m:GetAttachmentResponse>");
}

// open(): GetFolder root + 5 special folders.
std::string open_reply() {
  std::string messages;
  const char* ids[] = {"ROOT", "INBOXID", "SENTID", "TRASHID", "DRAFTSID", ""};
  for (const char* id : ids) {
    if (*id == '\0') {
      messages += R"(<m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>no</m:MessageText>)"
                  R"(<m:ResponseCode>ErrorFolderNotFound</m:ResponseCode></m:GetFolderResponseMessage>)";
    } else {
      messages += std::string(R"(<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError)"
                              R"(</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id=")") +
                  id + R"("/></t:Folder></m:Folders></m:GetFolderResponseMessage>)";
    }
  }
  return envelope("<m:GetFolderResponse" + kNs + "><m:ResponseMessages>" + messages +
                  "</m:ResponseMessages></m:GetFolderResponse>");
}

std::unique_ptr<EwsMailboxSession> open_session(Fixture& f, CrawlSettings crawl = {}) {
  f.server.reply_xml(open_reply());
  RequestContext context;
  context.impersonate = "alice@example.org";
  auto session = std::make_unique<EwsMailboxSession>(f.transport(), context, crawl);
  session->open();
  return session;
}

TEST(EwsSession, ReadAttachmentStreamsAndStopsAtTheLimit) {
  Fixture f;
  auto session = open_session(f);
  f.server.reply_xml(attachment_response(200'000));
  f.server.reply_xml(attachment_response(200'000));
  f.server.reply_xml(attachment_response(10));
  connector::FolderState folder;
  std::string got;
  const auto sink = [&](std::string_view bytes) {
    got += bytes;
    return true;
  };
  EXPECT_TRUE(session->read_attachment(folder, {}, "ATT", 0, sink));
  EXPECT_EQ(got, std::string(200'000, 'x'));
  got.clear();
  EXPECT_TRUE(session->read_attachment(folder, {}, "ATT", 1000, sink));
  EXPECT_EQ(got, std::string(1000, 'x'));
  got.clear();
  // The aborted transfer cost the connection; the next read opens a new one.
  EXPECT_TRUE(session->read_attachment(folder, {}, "ATT", 0, sink));
  EXPECT_EQ(got, std::string(10, 'x'));
  EXPECT_EQ(f.server.connections(), 2);
  EXPECT_GT(session->traffic().bytes_for_content, 200'000u);
  const auto requests = f.server.requests();
  EXPECT_NE(requests.back().body.find(R"(<t:AttachmentId Id="ATT"/>)"), std::string::npos);
  for (const auto& request : requests) EXPECT_EQ(test::schema_errors(request.body), "");
}

struct RecordingSink : connector::FolderSink {
  std::vector<std::string> events;
  void begin(bool full) override { events.push_back(full ? "begin full" : "begin"); }
  void message(connector::MessageRecord&& record) override {
    std::string text =
        "message " + record.ref.item_id + "/" + record.ref.change_key + " size=" + std::to_string(record.size);
    for (const auto& flag : record.flags) text += " " + flag;
    for (const auto& a : record.attachments) text += " [" + a.section + " " + a.name + " " + a.content_type + "]";
    events.push_back(text);
  }
  void removed(const connector::MessageRef& ref) override { events.push_back("removed " + ref.item_id); }
  void error(const connector::MessageRef* ref, const std::string& message) override {
    events.push_back("error " + (ref ? ref->item_id : std::string("-")) + " " + message.substr(0, 40));
  }
};

std::string sync_reply(const std::string& state, bool last, const std::string& changes) {
  return envelope("<m:SyncFolderItemsResponse" + kNs +
                  R"(><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                  R"(NoError</m:ResponseCode><m:SyncState>)" +
                  state + "</m:SyncState><m:IncludesLastItemInRange>" + (last ? "true" : "false") +
                  "</m:IncludesLastItemInRange><m:Changes>" + changes +
                  "</m:Changes></m:SyncFolderItemsResponseMessage></m:ResponseMessages></m:SyncFolderItemsResponse>");
}

std::string get_item_message(const std::string& id, const std::string& extra) {
  return R"(<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items>)"
         R"(<t:Message><t:ItemId Id=")" +
         id + R"(" ChangeKey="CK-)" + id + R"("/><t:Size>1000</t:Size>)" + extra +
         "</t:Message></m:Items></m:GetItemResponseMessage>";
}

TEST(EwsSession, CrawlRestartsOnInvalidSyncStateAndPagesThrough) {
  Fixture f;
  CrawlSettings crawl;
  crawl.get_item_batch = 2;
  auto session = open_session(f, crawl);
  // Stored state rejected -> start over.
  f.server.reply_xml(
      envelope("<m:SyncFolderItemsResponse" + kNs +
               R"(><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass="Error"><m:MessageText>bad)"
               R"(</m:MessageText><m:ResponseCode>ErrorInvalidSyncStateData</m:ResponseCode>)"
               R"(</m:SyncFolderItemsResponseMessage></m:ResponseMessages></m:SyncFolderItemsResponse>)"));
  f.server.reply_xml(
      sync_reply("S1", false,
                 R"(<t:Create><t:Message><t:ItemId Id="M1" ChangeKey="x"/></t:Message></t:Create>)"
                 R"(<t:Create><t:Message><t:ItemId Id="M2" ChangeKey="x"/></t:Message></t:Create>)"
                 R"(<t:ReadFlagChange><t:ItemId Id="M1" ChangeKey="y"/><t:IsRead>true</t:IsRead>)"
                 R"(</t:ReadFlagChange><t:Create><t:Message><t:ItemId Id="M3"/></t:Message></t:Create>)"));
  // GetItem M1, M2 (batch of 2), then M3.
  f.server.reply_xml(envelope(
      "<m:GetItemResponse" + kNs + "><m:ResponseMessages>" +
      get_item_message("M1", R"(<t:Attachments><t:FileAttachment><t:AttachmentId Id="A1"/><t:Name>r.pdf</t:Name>)"
                             R"(<t:ContentType>Application/PDF; name=r.pdf</t:ContentType><t:Size>10</t:Size>)"
                             R"(</t:FileAttachment><t:ItemAttachment><t:AttachmentId Id="A2"/><t:Name>fwd</t:Name>)"
                             R"(</t:ItemAttachment></t:Attachments><t:IsRead>true</t:IsRead>)") +
      R"(<m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>gone</m:MessageText><m:ResponseCode>)"
      R"(ErrorItemNotFound</m:ResponseCode><m:Items/></m:GetItemResponseMessage>)"
      "</m:ResponseMessages></m:GetItemResponse>"));
  f.server.reply_xml(envelope(
      "<m:GetItemResponse" + kNs + "><m:ResponseMessages>" +
      R"(<m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>corrupt</m:MessageText><m:ResponseCode>)"
      R"(ErrorCorruptData</m:ResponseCode><m:Items/></m:GetItemResponseMessage>)"
      "</m:ResponseMessages></m:GetItemResponse>"));
  f.server.reply_xml(sync_reply("S2", true, R"(<t:Delete><t:ItemId Id="M9" ChangeKey="x"/></t:Delete>)"));

  connector::FolderState folder;
  folder.name = "INBOX";
  folder.server_name = "INBOXID";
  connector::FolderState stored = folder;
  stored.sync_state = "STALE";
  RecordingSink sink;
  const connector::FolderState next = session->crawl_folder(folder, stored, sink);
  EXPECT_EQ(next.sync_state, "S2");
  const std::vector<std::string> expected = {
      "begin full", "message M1/CK-M1 size=1000 \\Seen [A1 r.pdf application/pdf] [A2 fwd message/rfc822]",
      "removed M2", "error M3 GetItem: ErrorCorruptData: corrupt",
      "removed M9",
  };
  EXPECT_EQ(sink.events, expected);
  const auto requests = f.server.requests();
  for (const auto& request : requests) EXPECT_EQ(test::schema_errors(request.body), "") << request.body;
  ASSERT_GE(requests.size(), 4u);
  EXPECT_NE(requests[1].body.find("<m:SyncState>STALE</m:SyncState>"), std::string::npos);
  EXPECT_EQ(requests[2].body.find("<m:SyncState>"), std::string::npos);
  EXPECT_NE(requests.back().body.find("<m:SyncState>S1</m:SyncState>"), std::string::npos);
}

TEST(EwsConnector, SettingsAreChecked) {
  EwsSettings settings;
  EXPECT_THROW(make_ews_connector(settings), std::invalid_argument);
  settings.url = "https://mail.example.org/EWS/Exchange.asmx";
  settings.server_version = "Exchange2019";
  EXPECT_THROW(make_ews_connector(settings), std::invalid_argument);
  settings.server_version = "Exchange2016";
  settings.auth = AuthKind::oauth2;
  EXPECT_THROW(make_ews_connector(settings), std::invalid_argument);
  settings.auth = AuthKind::ntlm;
  EXPECT_EQ(make_ews_connector(settings)->kind(), "ews");
}

TEST(EwsConnector, ErrorMapping) {
  using Kind = connector::ConnectorError::Kind;
  const auto kind_of = [](ErrorKind kind, const std::string& code, long status = 0) {
    Error error;
    error.kind = kind;
    error.code = code;
    error.http_status = status;
    return connector_error(error).kind();
  };
  EXPECT_EQ(kind_of(ErrorKind::fault, "ErrorImpersonateUserDenied"), Kind::authentication);
  EXPECT_EQ(kind_of(ErrorKind::response, "ErrorNonExistentMailbox"), Kind::not_found);
  EXPECT_EQ(kind_of(ErrorKind::fault, "ErrorServerBusy"), Kind::connection);
  EXPECT_EQ(kind_of(ErrorKind::timeout, ""), Kind::connection);
  EXPECT_EQ(kind_of(ErrorKind::parse, ""), Kind::protocol);
  EXPECT_EQ(kind_of(ErrorKind::fault, "ErrorSchemaValidation"), Kind::protocol);
  EXPECT_EQ(kind_of(ErrorKind::response, "ErrorQuotaExceeded"), Kind::refused);
  EXPECT_EQ(kind_of(ErrorKind::http, "", 503), Kind::connection);
}

}  // namespace
}  // namespace mailprune::ews

namespace mailprune::ews {
namespace {

TEST(EwsConcurrencyLimit, NeverMoreThanThePermits) {
  ConcurrencyLimit limit(2);
  std::atomic<int> inside{0};
  std::atomic<int> worst{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        limit.acquire();
        const int now = ++inside;
        int seen = worst.load();
        while (now > seen && !worst.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        --inside;
        limit.release();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(worst.load(), 2);
  EXPECT_EQ(limit.peak_in_use(), 2u);
}

}  // namespace
}  // namespace mailprune::ews

namespace mailprune::ews {
namespace {

std::string base64_decode(const std::string& text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : text) {
    auto at = alphabet.find(c);
    if (at == std::string::npos) continue;
    value = (value << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

// NTLM (on-premises Exchange): libcurl runs the three-message handshake on one connection. The
// scripted server answers the Type 1 message with a minimal Type 2 challenge; the client must then
// send a Type 3 message carrying the service account's name.
TEST(EwsTransport, NtlmHandshakeOnOneConnection) {
  Fixture f;
  // Type 2: signature, type 2, empty target name (offset 32), flags UNICODE|NTLM, an 8-byte challenge.
  std::string type2("NTLMSSP\0", 8);
  type2 += std::string("\x02\x00\x00\x00", 4);
  type2 += std::string("\x00\x00\x00\x00\x20\x00\x00\x00", 8);
  type2 += std::string("\x01\x02\x00\x00", 4);
  type2 += "\x11\x22\x33\x44\x55\x66\x77\x88";
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < type2.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(type2[i]) << 16;
    if (i + 1 < type2.size()) n |= static_cast<unsigned char>(type2[i + 1]) << 8;
    if (i + 2 < type2.size()) n |= static_cast<unsigned char>(type2[i + 2]);
    encoded += alphabet[(n >> 18) & 63];
    encoded += alphabet[(n >> 12) & 63];
    encoded += i + 1 < type2.size() ? alphabet[(n >> 6) & 63] : '=';
    encoded += i + 2 < type2.size() ? alphabet[n & 63] : '=';
  }
  f.server.reply("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM " + encoded + "\r\nContent-Length: 0\r\n\r\n");
  f.server.reply_xml(ok_get_folder());
  auto transport = f.transport(AuthKind::ntlm);
  auto result = transport->call(sample_request());
  ASSERT_TRUE(result.ok()) << result.error().describe();
  const auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 2u);
  const std::string first = requests[0].header("Authorization");
  const std::string second = requests[1].header("Authorization");
  ASSERT_EQ(first.rfind("NTLM ", 0), 0u) << first;
  ASSERT_EQ(second.rfind("NTLM ", 0), 0u) << second;
  const std::string type1 = base64_decode(first.substr(5));
  const std::string type3 = base64_decode(second.substr(5));
  EXPECT_EQ(type1.substr(0, 12), std::string("NTLMSSP\0\x01\x00\x00\x00", 12));
  EXPECT_EQ(type3.substr(0, 12), std::string("NTLMSSP\0\x03\x00\x00\x00", 12));
  std::string user_utf16;
  for (char c : std::string("svc-mailprune")) {
    user_utf16 += c;
    user_utf16 += '\0';
  }
  EXPECT_NE(type3.find(user_utf16), std::string::npos) << "the Type 3 message names the account";
  EXPECT_EQ(requests[1].body, sample_request().envelope) << "the authenticated request carries the envelope";
  EXPECT_EQ(f.server.connections(), 1) << "NTLM authenticates the connection: one connection";
}

}  // namespace
}  // namespace mailprune::ews
