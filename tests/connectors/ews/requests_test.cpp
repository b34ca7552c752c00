// Every request builder, validated against Microsoft's EWS schemas, with hostile strings.
#include <gtest/gtest.h>

#include <string>

#include "ews/requests.hpp"
#include "ews/responses.hpp"
#include "schema_check.hpp"

namespace mailprune::ews {
namespace {

using test::schema_errors;

// Accents, markup characters, quotes, emoji, a CR, a TAB, a control character, invalid UTF-8.
const std::string kNasty = "Zoë <&> \"quoted\" 'single' 😀 line\r\nnext\tcol \x01 bad\xff\xfe end";

RequestContext impersonating() {
  RequestContext context;
  context.server_version = "Exchange2013_SP1";
  context.impersonate = "zoë.o'brien+tag@example.org";
  return context;
}

std::vector<ItemId> some_items() {
  return {ItemId{"AAMkAGI2+/=" + kNasty, "CQAAABYAAA<&>"}, ItemId{"AAMkSecond==", ""}};
}

void expect_valid(const Request& request) {
  SCOPED_TRACE(request.envelope);
  EXPECT_EQ(schema_errors(request.envelope), "");
  EXPECT_TRUE(parse_response(request.envelope).ok() || true);  // well-formedness is checked above
}

TEST(EwsRequests, HeaderWithImpersonation) {
  const Request request = get_folder(impersonating(), {FolderRef::distinguished_folder("msgfolderroot")});
  expect_valid(request);
  EXPECT_NE(request.envelope.find(R"(<t:RequestServerVersion Version="Exchange2013_SP1"/>)"), std::string::npos);
  EXPECT_NE(request.envelope.find("<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>zoë.o'brien+tag@"
                                  "example.org</t:SmtpAddress>"),
            std::string::npos);
  EXPECT_FALSE(request.mutates);
}

TEST(EwsRequests, DelegateMailboxWithoutImpersonation) {
  RequestContext context;
  context.server_version = "Exchange2010_SP2";
  context.delegate_mailbox = "shared@example.org";
  const Request request = sync_folder_hierarchy(context, FolderRef::distinguished_folder("msgfolderroot"), "");
  expect_valid(request);
  EXPECT_EQ(request.envelope.find("ExchangeImpersonation"), std::string::npos);
  EXPECT_NE(request.envelope.find("<t:Mailbox><t:EmailAddress>shared@example.org</t:EmailAddress></t:Mailbox>"),
            std::string::npos);
}

TEST(EwsRequests, EveryServerVersionIsSchemaValid) {
  for (const char* version : {"Exchange2007_SP1", "Exchange2010", "Exchange2013", "Exchange2016", "V2017_07_11"}) {
    RequestContext context;
    context.server_version = version;
    EXPECT_TRUE(is_known_server_version(version));
    expect_valid(get_item(context, some_items(), message_fields(version, true)));
  }
  EXPECT_FALSE(is_known_server_version("Exchange2019"));
  EXPECT_TRUE(server_version_at_least("Exchange2016", "Exchange2013"));
  EXPECT_FALSE(server_version_at_least("Exchange2010_SP2", "Exchange2013"));
}

TEST(EwsRequests, SyncFolderHierarchy) {
  expect_valid(sync_folder_hierarchy(impersonating(), FolderRef::distinguished_folder("msgfolderroot"), ""));
  const Request request =
      sync_folder_hierarchy(impersonating(), FolderRef::distinguished_folder("msgfolderroot"), "H4sI" + kNasty);
  expect_valid(request);
  EXPECT_NE(request.envelope.find(R"(<t:ExtendedFieldURI PropertyTag="0x0E08" PropertyType="Long"/>)"),
            std::string::npos);
}

TEST(EwsRequests, FindFolderDeep) {
  const Request request =
      find_folder_deep(impersonating(), FolderRef::distinguished_folder("msgfolderroot"), 1000, 5000);
  expect_valid(request);
  EXPECT_NE(request.envelope.find(R"(MaxEntriesReturned="1000" Offset="1000")"), std::string::npos);
}

TEST(EwsRequests, GetFolderSeveral) {
  expect_valid(get_folder(
      impersonating(), {FolderRef::distinguished_folder("msgfolderroot"), FolderRef::distinguished_folder("sentitems"),
                        FolderRef::folder("AQMkAD" + kNasty, "AQAAAA==")}));
}

TEST(EwsRequests, FindItemPagesAtMost1000) {
  const Request request = find_item(impersonating(), FolderRef::folder("AQMkADAw" + kNasty), 4000, 100000,
                                    message_fields("Exchange2013_SP1", false));
  expect_valid(request);
  EXPECT_NE(request.envelope.find(R"(MaxEntriesReturned="1000" Offset="4000" BasePoint="Beginning")"),
            std::string::npos);
  EXPECT_NE(request.envelope.find(R"(<m:FindItem Traversal="Shallow">)"), std::string::npos);
  EXPECT_EQ(request.envelope.find("item:Attachments"), std::string::npos);
}

TEST(EwsRequests, SyncFolderItems) {
  expect_valid(sync_folder_items(impersonating(), FolderRef::folder("AQMk"), "", 512));
  const Request request = sync_folder_items(impersonating(), FolderRef::folder("AQMk"), "MmX0" + kNasty, 9999);
  expect_valid(request);
  EXPECT_NE(request.envelope.find("<m:MaxChangesReturned>512</m:MaxChangesReturned>"), std::string::npos);
  expect_valid(sync_folder_items(impersonating(), FolderRef::distinguished_folder("inbox"), "", 0));
}

TEST(EwsRequests, GetItemWithAttachmentsAndFlag) {
  const Request request = get_item(impersonating(), some_items(), message_fields("Exchange2013_SP1", true));
  expect_valid(request);
  for (const char* field : {"item:Attachments", "item:ItemClass", "item:Flag", "message:IsRead", "item:Size"}) {
    EXPECT_NE(request.envelope.find(field), std::string::npos) << field;
  }
  EXPECT_EQ(get_item({}, some_items(), message_fields("Exchange2010_SP2", true)).envelope.find("item:Flag"),
            std::string::npos);
  EXPECT_THROW(get_item(impersonating(), {}, {}), std::invalid_argument);
}

TEST(EwsRequests, GetAttachment) {
  expect_valid(get_attachment(impersonating(), {"AAMkAtt1" + kNasty}, false));
  const Request request = get_attachment(impersonating(), {"AAMkAtt1", "AAMkAtt2"}, true);
  expect_valid(request);
  EXPECT_NE(request.envelope.find("<t:IncludeMimeContent>true</t:IncludeMimeContent>"), std::string::npos);
}

TEST(EwsRequests, DeleteAttachment) {
  const Request request = delete_attachment(impersonating(), {"AAMkAtt1" + kNasty});
  expect_valid(request);
  EXPECT_TRUE(request.mutates);
}

TEST(EwsRequests, CreateAttachment) {
  NewFileAttachment note;
  note.name = "Removed attachment " + kNasty + ".txt";
  note.content_type = "text/plain; charset=utf-8";
  note.content = "The attachment was moved to https://files.example.org/x?a=1&b=2\n" + kNasty;
  NewFileAttachment empty;
  empty.name = "";
  empty.is_inline = true;
  empty.content_id = "cid-1@example.org";
  const Request request = create_attachment(impersonating(), some_items()[0], {note, empty});
  expect_valid(request);
  EXPECT_TRUE(request.mutates);
}

TEST(EwsRequests, UpdateItemBody) {
  for (BodyType type : {BodyType::html, BodyType::text}) {
    for (ConflictResolution resolution : {ConflictResolution::never_overwrite, ConflictResolution::auto_resolve,
                                          ConflictResolution::always_overwrite}) {
      expect_valid(update_item_body(impersonating(), some_items()[0], type, "<p>" + kNasty + "</p>", resolution));
    }
  }
}

TEST(EwsRequests, MoveItem) {
  expect_valid(move_item(impersonating(), some_items(), FolderRef::distinguished_folder("deleteditems")));
  expect_valid(move_item(impersonating(), some_items(), FolderRef::folder("AQMkArchive", "AQAAAA==")));
}

TEST(EwsRequests, CreateFolder) {
  const Request request =
      create_folder(impersonating(), FolderRef::distinguished_folder("msgfolderroot"), {"Archives", kNasty});
  expect_valid(request);
  EXPECT_TRUE(request.mutates);
  EXPECT_EQ(request.operation, "CreateFolder");
  EXPECT_NE(request.envelope.find("<t:Folder><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>Archives"
                                  "</t:DisplayName></t:Folder>"),
            std::string::npos);
  expect_valid(create_folder(impersonating(), FolderRef::folder("AQMkParent", "AQAAAA=="), {"2024"}, ""));
  RequestContext delegate;
  delegate.delegate_mailbox = "shared@example.org";
  expect_valid(create_folder(delegate, FolderRef::distinguished_folder("inbox"), {"Sub"}));
  EXPECT_THROW(create_folder(impersonating(), FolderRef::distinguished_folder("inbox"), {}), std::invalid_argument);
}

TEST(EwsRequests, DeleteItemAllTypes) {
  for (DeleteType type : {DeleteType::hard_delete, DeleteType::soft_delete, DeleteType::move_to_deleted_items}) {
    const Request request = delete_item(impersonating(), some_items(), type);
    expect_valid(request);
    EXPECT_TRUE(request.mutates);
  }
}

TEST(EwsXmlEscape, Cases) {
  EXPECT_EQ(xml_escape("a<b>&c\"d'e"), "a&lt;b&gt;&amp;c\"d'e");
  EXPECT_EQ(xml_escape("a\"b\tc\nd\re", true), "a&quot;b&#9;c&#10;d&#13;e");
  EXPECT_EQ(xml_escape("x\ry"), "x&#13;y");
  EXPECT_EQ(xml_escape("é😀"), "é😀");
  EXPECT_EQ(xml_escape("\x01"), "\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("a\xff"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(xml_escape("\xC3"), "\xEF\xBF\xBD");          // truncated sequence
  EXPECT_EQ(xml_escape("\xC0\xAF"), "\xEF\xBF\xBD");      // overlong '/'
  EXPECT_EQ(xml_escape("\xED\xA0\x80"), "\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(xml_escape("\xEF\xBF\xBE"), "\xEF\xBF\xBD");  // U+FFFE
  EXPECT_EQ(xml_escape("\xC3"
                       "A"),
            "\xEF\xBF\xBD"
            "A");  // resynchronises on 'A'
}

TEST(EwsBase64, RoundTripsThroughTheDecoder) {
  for (std::string text : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                           std::string("abcd"), std::string("\0\xff\x10", 3), kNasty}) {
    const std::string encoded = base64_encode(text);
    EXPECT_EQ(encoded.size() % 4, 0u);
    // Decoded by the response parser's decoder, via a GetAttachment response.
    const std::string response =
        std::string(R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)") +
        R"(<m:GetAttachmentResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" )"
        R"(xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>)"
        R"(<m:GetAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>)"
        R"(<m:Attachments><t:FileAttachment><t:Content>)" +
        encoded +
        "</t:Content></t:FileAttachment></m:Attachments></m:GetAttachmentResponseMessage>"
        "</m:ResponseMessages></m:GetAttachmentResponse></s:Body></s:Envelope>";
    std::string decoded;
    const auto parsed = parse_response(response, {}, [&](const ContentChunk& chunk) {
      decoded += chunk.bytes;
      return true;
    });
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(decoded, text);
  }
}

}  // namespace
}  // namespace mailprune::ews
