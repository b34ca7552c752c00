// Response parsing: one table row per real Exchange quirk, each ground (fed whole, split at every
// byte offset, one byte at a time: the same result every way), the real Exchange Online
// GetAttachment response, streamed content, limits and errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ews/responses.hpp"
#include "schema_check.hpp"

namespace mailprune::ews {
namespace {

// Everything observable about a parse, as text (content included, in chunks' order).
std::string describe(const Parsed<Response>& parsed, const std::string& content) {
  if (!parsed.ok()) return "error: " + parsed.error().message + " @" + parsed.error().path;
  const Response& r = parsed.value();
  std::ostringstream out;
  out << "op=" << r.operation << (r.stopped ? " stopped" : "");
  if (r.server_version) out << " server=" << r.server_version->major_version << "." << r.server_version->version;
  if (r.fault) {
    out << "\nfault " << r.fault->fault_code << " | " << r.fault->fault_string << " | " << r.fault->response_code
        << " | " << r.fault->message << " | backoff=" << r.fault->back_off_ms.value_or(0);
  }
  for (const ResponseMessage& m : r.messages) {
    out << "\nmsg " << m.operation << " " << to_string(m.status.response_class) << " " << m.status.code << " ["
        << m.status.message_text << "] backoff=" << m.status.back_off_ms.value_or(0) << " sync=" << m.sync_state
        << " last=" << (m.includes_last_in_range ? (*m.includes_last_in_range ? "y" : "n") : "-")
        << " offset=" << m.indexed_paging_offset.value_or(0) << " total=" << m.total_items_in_view.value_or(0)
        << " root=" << m.root_item.id << "/" << m.root_item.change_key;
    const auto item_text = [&](const Item& i) {
      out << " item " << i.element << " " << i.id.id << "/" << i.id.change_key << " class=" << i.item_class
          << " subj=" << i.subject << " size=" << i.size.value_or(0) << " recv=" << i.date_time_received
          << " sent=" << i.date_time_sent << " from=" << i.from.name << "<" << i.from.email_address << ">"
          << i.from.routing_type << " mid=" << i.internet_message_id
          << " read=" << (i.is_read ? (*i.is_read ? "y" : "n") : "-") << " flag=" << i.flag_status
          << " hasatt=" << (i.has_attachments ? (*i.has_attachments ? "y" : "n") : "-")
          << " atts=" << (i.attachments_present ? std::to_string(i.attachments.size()) : "-");
    };
    const auto attachment_text = [&](const Attachment& a) {
      out << "\n  att " << static_cast<int>(a.kind) << " " << a.id << " root=" << a.root_item.id << " name=" << a.name
          << " type=" << a.content_type << " cid=" << a.content_id << " size=" << a.size.value_or(0)
          << " inline=" << (a.is_inline ? (*a.is_inline ? "y" : "n") : "-") << " emb=" << a.embedded_element << ":"
          << a.embedded_item_class << ":" << a.embedded_subject << " content=" << a.has_content << "/"
          << a.content_bytes << (a.content_damaged ? " damaged" : "");
    };
    for (const Item& i : m.items) {
      out << "\n ";
      item_text(i);
      for (const Attachment& a : i.attachments) attachment_text(a);
    }
    for (const Attachment& a : m.attachments) attachment_text(a);
    for (const Folder& f : m.folders) {
      out << "\n folder " << f.element << " " << f.id.id << " parent=" << f.parent_folder_id
          << " name=" << f.display_name << " class=" << f.folder_class << " total=" << f.total_count.value_or(99)
          << " children=" << f.child_folder_count.value_or(99) << " bytes=" << f.size_bytes.value_or(0);
    }
    for (const ItemChange& c : m.item_changes) {
      out << "\n change " << static_cast<int>(c.kind) << " read=" << (c.is_read ? (*c.is_read ? "y" : "n") : "-");
      item_text(c.item);
    }
    for (const FolderChange& c : m.folder_changes) {
      out << "\n fchange " << static_cast<int>(c.kind) << " " << c.folder.id.id << " " << c.folder.display_name
          << " parent=" << c.folder.parent_folder_id << " bytes=" << c.folder.size_bytes.value_or(0);
    }
  }
  if (!content.empty()) out << "\ncontent=" << content;
  return out.str();
}

struct ParseRun {
  std::string described;
  Parsed<Response> parsed;
};

ParseRun run_cuts(std::string_view wire, const std::vector<std::size_t>& cuts, const Limits& limits = {}) {
  std::string content;
  ResponseParser parser(limits, [&](const ContentChunk& chunk) {
    content += "[" + std::to_string(chunk.message_index) + ":" + std::to_string(chunk.attachment_index) + "]";
    content += chunk.bytes;
    return true;
  });
  std::size_t begin = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(wire.size());
  for (std::size_t end : ends) {
    if (parser.feed(wire.substr(begin, end - begin)) != FeedStatus::need_more) break;
    begin = end;
  }
  Parsed<Response> parsed = parser.finish();
  // Chunk boundaries of the content depend on the split; compare the bytes only.
  std::string merged;
  for (std::size_t i = 0; i < content.size();) {
    if (content[i] == '[') {
      const std::size_t close = content.find(']', i);
      const std::string tag = content.substr(i, close - i + 1);
      if (merged.size() < tag.size() || merged.rfind(tag) == std::string::npos) merged += tag;
      i = close + 1;
    } else {
      merged += content[i++];
    }
  }
  std::string described = describe(parsed, merged);
  return {std::move(described), std::move(parsed)};
}

// Whole, at every split offset (for inputs up to 4 KiB) and one byte at a time: same result.
ParseRun grind(std::string_view wire, const Limits& limits = {}) {
  ParseRun whole = run_cuts(wire, {}, limits);
  if (wire.size() <= 4096) {
    for (std::size_t cut = 1; cut < wire.size(); ++cut) {
      const ParseRun split = run_cuts(wire, {cut}, limits);
      if (split.described != whole.described) {
        ADD_FAILURE() << "split at " << cut << " differs:\n" << split.described << "\nvs whole:\n" << whole.described;
        break;
      }
    }
  }
  std::vector<std::size_t> every;
  for (std::size_t cut = 1; cut < wire.size(); ++cut) every.push_back(cut);
  const ParseRun bytewise = run_cuts(wire, every, limits);
  EXPECT_EQ(bytewise.described, whole.described) << "byte by byte";
  return whole;
}

constexpr const char* kOpen =
    R"(<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">)"
    R"(<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="7" MinorBuildNumber="1" )"
    R"(Version="V2018_01_08" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>)"
    R"(<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">)";
constexpr const char* kClose = "</s:Body></s:Envelope>";
constexpr const char* kNs = R"( xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" )"
                            R"(xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types")";

std::string envelope(const std::string& body) {
  return std::string(kOpen) + body + kClose;
}

struct Row {
  const char* name;       // <server>-<quirk>
  const char* reference;  // where it was learnt
  std::string wire;
  std::vector<std::string> expected;  // substrings of describe()
};

std::vector<Row> rows() {
  std::vector<Row> out;
  out.push_back(
      {"exchange-online-server-busy-fault",
       "learn.microsoft.com: EWS throttling in Exchange (ErrorServerBusy, BackOffMilliseconds in MessageXml)",
       envelope(
           R"(<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">)"
           R"(a:ErrorServerBusy</faultcode><faultstring xml:lang="en-US">The server cannot service this request )"
           R"(right now. Try again later.</faultstring><detail><e:ResponseCode )"
           R"(xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>)"
           R"(<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot )"
           R"(service this request right now. Try again later.</e:Message><t:MessageXml )"
           R"(xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value )"
           R"(Name="BackOffMilliseconds">297749</t:Value></t:MessageXml></detail></s:Fault>)"),
       {"fault a:ErrorServerBusy | The server cannot service this request right now. Try again later. | "
        "ErrorServerBusy |",
        "backoff=297749"}});
  out.push_back(
      {"exchange-server-busy-response-message",
       "ErrorServerBusy as a ResponseMessage error with MessageXml",
       envelope(
           std::string("<m:GetItemResponse") + kNs +
           R"(><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>The server )"
           R"(cannot service this request right now.</m:MessageText><m:ResponseCode>ErrorServerBusy</m:ResponseCode>)"
           R"(<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:MessageXml><t:Value Name="Policy">EWS</t:Value>)"
           R"(<t:Value Name="BackOffMilliseconds">2500</t:Value></m:MessageXml><m:Items/>)"
           R"(</m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>)"),
       {"msg GetItem Error ErrorServerBusy [The server cannot service this request right now.] backoff=2500"}});
  out.push_back(
      {"exchange-getitem-message-with-file-and-item-attachments",
       "GetItem with item:Attachments (MS docs GetItem operation, email message)",
       envelope(std::string("<m:GetItemResponse") + kNs +
                R"(><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError)"
                R"(</m:ResponseCode><m:Items><t:Message><t:ItemId Id="AAMkAD+/=" ChangeKey="CQAAABYA"/>)"
                R"(<t:ItemClass>IPM.Note</t:ItemClass><t:Subject>Réunion &amp; &lt;plan&gt; 😀</t:Subject>)"
                R"(<t:Attachments><t:FileAttachment><t:AttachmentId Id="AAMkAtt1"/><t:Name>rapport é.pdf</t:Name>)"
                R"(<t:ContentType>application/pdf</t:ContentType><t:Size>123456</t:Size>)"
                R"(<t:LastModifiedTime>2024-01-02T03:04:05</t:LastModifiedTime><t:IsInline>false</t:IsInline>)"
                R"(<t:IsContactPhoto>false</t:IsContactPhoto></t:FileAttachment><t:ItemAttachment><t:AttachmentId )"
                R"(Id="AAMkAtt2"/><t:Name>Fwd: hello</t:Name><t:ContentType>message/rfc822</t:ContentType>)"
                R"(<t:Size>4242</t:Size><t:IsInline>false</t:IsInline></t:ItemAttachment><t:FileAttachment>)"
                R"(<t:AttachmentId Id="AAMkAtt3"/><t:Name>image001.png</t:Name><t:ContentType>image/png)"
                R"(</t:ContentType><t:ContentId>image001.png@01D9</t:ContentId><t:Size>900</t:Size>)"
                R"(<t:IsInline>true</t:IsInline></t:FileAttachment></t:Attachments>)"
                R"(<t:Size>130000</t:Size><t:DateTimeSent>2024-01-02T03:04:00Z</t:DateTimeSent>)"
                R"(<t:DateTimeReceived>2024-01-02T03:04:05Z</t:DateTimeReceived><t:HasAttachments>true)"
                R"(</t:HasAttachments><t:Flag><t:FlagStatus>Flagged</t:FlagStatus></t:Flag><t:From><t:Mailbox>)"
                R"(<t:Name>Zoë</t:Name><t:EmailAddress>zoe@example.org</t:EmailAddress><t:RoutingType>SMTP)"
                R"(</t:RoutingType></t:Mailbox></t:From><t:InternetMessageId>&lt;abc@example.org&gt;)"
                R"(</t:InternetMessageId><t:IsRead>true</t:IsRead></t:Message></m:Items>)"
                R"(</m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>)"),
       {"server=15.V2018_01_08",
        "item Message AAMkAD+/=/CQAAABYA class=IPM.Note subj=Réunion & <plan> 😀 size=130000 "
        "recv=2024-01-02T03:04:05Z sent=2024-01-02T03:04:00Z from=Zoë<zoe@example.org>SMTP mid=<abc@example.org> "
        "read=y flag=Flagged hasatt=y atts=3",
        "att 0 AAMkAtt1 root= name=rapport é.pdf type=application/pdf cid= size=123456 inline=n",
        "att 1 AAMkAtt2 root= name=Fwd: hello type=message/rfc822 cid= size=4242 inline=n",
        "att 0 AAMkAtt3 root= name=image001.png type=image/png cid=image001.png@01D9 size=900 inline=y"}});
  out.push_back(
      {"exchange-getitem-partial-item-not-found",
       "GetItem answers one ResponseMessage per id, errors per item",
       envelope(std::string("<m:GetItemResponse") + kNs +
                R"(><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError)"
                R"(</m:ResponseCode><m:Items><t:MeetingRequest><t:ItemId Id="A1" ChangeKey="K1"/><t:ItemClass>)"
                R"(IPM.Schedule.Meeting.Request</t:ItemClass><t:Attachments/></t:MeetingRequest></m:Items>)"
                R"(</m:GetItemResponseMessage><m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>The )"
                R"(specified object was not found in the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound)"
                R"(</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/>)"
                R"(</m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>)"),
       {"item MeetingRequest A1/K1 class=IPM.Schedule.Meeting.Request", "atts=0",
        "msg GetItem Error ErrorItemNotFound [The specified object was not found in the store.]"}});
  out.push_back(
      {"exchange-syncfolderitems-all-change-kinds",
       "SyncFolderItems response (MS docs), ReadFlagChange",
       envelope(std::string("<m:SyncFolderItemsResponse") + kNs +
                R"(><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                R"(NoError</m:ResponseCode><m:SyncState>H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvVK1+B0ROAA==</m:SyncState>)"
                R"(<m:IncludesLastItemInRange>false</m:IncludesLastItemInRange><m:Changes><t:Create><t:Message>)"
                R"(<t:ItemId Id="C1" ChangeKey="CK1"/></t:Message></t:Create><t:Update><t:Message><t:ItemId Id="U1" )"
                R"(ChangeKey="CK2"/></t:Message></t:Update><t:Delete><t:ItemId Id="D1" ChangeKey="CK3"/></t:Delete>)"
                R"(<t:ReadFlagChange><t:ItemId Id="R1" ChangeKey="CK4"/><t:IsRead>true</t:IsRead></t:ReadFlagChange>)"
                R"(<t:Create><t:CalendarItem><t:ItemId Id="C2" ChangeKey="CK5"/></t:CalendarItem></t:Create>)"
                R"(</m:Changes></m:SyncFolderItemsResponseMessage></m:ResponseMessages></m:SyncFolderItemsResponse>)"),
       {"sync=H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvVK1+B0ROAA== last=n", "change 0 read=- item Message C1/CK1",
        "change 1 read=- item Message U1/CK2", "change 2 read=- item  D1/CK3", "change 3 read=y item  R1/CK4",
        "change 0 read=- item CalendarItem C2/CK5"}});
  out.push_back(
      {"exchange-syncfolderitems-invalid-sync-state",
       "ErrorInvalidSyncStateData: start over from an empty state",
       envelope(
           std::string("<m:SyncFolderItemsResponse") + kNs +
           R"(><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass="Error"><m:MessageText>Synchronization )"
           R"(state data is corrupt or otherwise invalid.</m:MessageText><m:ResponseCode>ErrorInvalidSyncStateData)"
           R"(</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:SyncState/>)"
           R"(<m:IncludesLastItemInRange>true</m:IncludesLastItemInRange></m:SyncFolderItemsResponseMessage>)"
           R"(</m:ResponseMessages></m:SyncFolderItemsResponse>)"),
       {"msg SyncFolderItems Error ErrorInvalidSyncStateData", "last=y"}});
  out.push_back(
      {"exchange-syncfolderhierarchy-extended-size-lowercase-tag",
       "Exchange answers PropertyTag=\"0xe08\" (lower case, no leading zero) for 0x0E08",
       envelope(std::string("<m:SyncFolderHierarchyResponse") + kNs +
                R"(><m:ResponseMessages><m:SyncFolderHierarchyResponseMessage ResponseClass="Success">)"
                R"(<m:ResponseCode>NoError</m:ResponseCode><m:SyncState>H4sIFH</m:SyncState>)"
                R"(<m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange><m:Changes><t:Create><t:Folder>)"
                R"(<t:FolderId Id="F1" ChangeKey="AQ"/><t:ParentFolderId Id="ROOT" ChangeKey="AQ"/><t:FolderClass>)"
                R"(IPF.Note</t:FolderClass><t:DisplayName>Inbox</t:DisplayName><t:TotalCount>12</t:TotalCount>)"
                R"(<t:ChildFolderCount>1</t:ChildFolderCount><t:ExtendedProperty><t:ExtendedFieldURI )"
                R"(PropertyTag="0xe08" PropertyType="Long"/><t:Value>987654321</t:Value></t:ExtendedProperty>)"
                R"(</t:Folder></t:Create><t:Create><t:CalendarFolder><t:FolderId Id="F2"/><t:ParentFolderId )"
                R"(Id="ROOT"/><t:DisplayName>Calendar</t:DisplayName></t:CalendarFolder></t:Create><t:Delete>)"
                R"(<t:FolderId Id="F3" ChangeKey="AQ"/></t:Delete></m:Changes>)"
                R"(</m:SyncFolderHierarchyResponseMessage></m:ResponseMessages></m:SyncFolderHierarchyResponse>)"),
       {"fchange 0 F1 Inbox parent=ROOT bytes=987654321", "fchange 0 F2 Calendar parent=ROOT bytes=0",
        "fchange 2 F3  parent= bytes=0", "sync=H4sIFH last=y"}});
  out.push_back(
      {"exchange-finditem-rootfolder-paging",
       "FindItem RootFolder attributes (IndexedPageItemView paging)",
       envelope(std::string("<m:FindItemResponse") + kNs +
                R"(><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError)"
                R"(</m:ResponseCode><m:RootFolder IndexedPagingOffset="2" TotalItemsInView="5" )"
                R"(IncludesLastItemInRange="false"><t:Items><t:Message><t:ItemId Id="M1" ChangeKey="K"/><t:Size>10)"
                R"(</t:Size></t:Message><t:Message><t:ItemId Id="M2" ChangeKey="K"/><t:IsRead>false</t:IsRead>)"
                R"(</t:Message></t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages>)"
                R"(</m:FindItemResponse>)"),
       {"last=n offset=2 total=5", "item Message M1/K class= subj= size=10", "item Message M2/K", "read=n"}});
  out.push_back(
      {"exchange2010-default-namespace-no-prefixes",
       "namespace-aware: a default xmlns instead of m:/t: prefixes",
       envelope(R"(<GetFolderResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">)"
                R"(<ResponseMessages><GetFolderResponseMessage ResponseClass="Success"><ResponseCode>NoError)"
                R"(</ResponseCode><Folders><Folder xmlns="http://schemas.microsoft.com/exchange/services/2006/types">)"
                R"(<FolderId Id="ROOTID" ChangeKey="AQAAAA=="/><DisplayName>Top of Information Store</DisplayName>)"
                R"(<TotalCount>0</TotalCount></Folder></Folders></GetFolderResponseMessage></ResponseMessages>)"
                R"(</GetFolderResponse>)"),
       {"op=GetFolder", "folder Folder ROOTID parent= name=Top of Information Store class= total=0"}});
  out.push_back({"exchange-foreign-namespace-is-not-ews",
                 "an element with the right name in another namespace is skipped",
                 envelope(R"(<x:GetFolderResponse xmlns:x="urn:not-ews"><x:ResponseMessages/></x:GetFolderResponse>)"),
                 {"op= "}});
  out.push_back(
      {"exchange-warning-batch-stopped",
       "ResponseClass Warning: ErrorBatchProcessingStopped after an error",
       envelope(std::string("<m:DeleteItemResponse") + kNs +
                R"(><m:ResponseMessages><m:DeleteItemResponseMessage ResponseClass="Warning"><m:MessageText>Batch )"
                R"(stopped</m:MessageText><m:ResponseCode>ErrorBatchProcessingStopped</m:ResponseCode>)"
                R"(</m:DeleteItemResponseMessage></m:ResponseMessages></m:DeleteItemResponse>)"),
       {"msg DeleteItem Warning ErrorBatchProcessingStopped [Batch stopped]"}});
  out.push_back(
      {"exchange-deleteattachment-root-item",
       "DeleteAttachment gives the item's new ChangeKey in RootItemId",
       envelope(std::string("<m:DeleteAttachmentResponse") + kNs +
                R"(><m:ResponseMessages><m:DeleteAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                R"(NoError</m:ResponseCode><m:RootItemId RootItemId="AAMkItem" RootItemChangeKey="CQAAABYAAAN"/>)"
                R"(</m:DeleteAttachmentResponseMessage></m:ResponseMessages></m:DeleteAttachmentResponse>)"),
       {"root=AAMkItem/CQAAABYAAAN"}});
  out.push_back(
      {"exchange-createattachment-ids",
       "CreateAttachment returns AttachmentId with RootItemId/RootItemChangeKey",
       envelope(std::string("<m:CreateAttachmentResponse") + kNs +
                R"(><m:ResponseMessages><m:CreateAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                R"(NoError</m:ResponseCode><m:Attachments><t:FileAttachment><t:AttachmentId Id="NEW" )"
                R"(RootItemId="ITEM" RootItemChangeKey="CK9"/></t:FileAttachment></m:Attachments>)"
                R"(</m:CreateAttachmentResponseMessage></m:ResponseMessages></m:CreateAttachmentResponse>)"),
       {"att 0 NEW root=ITEM name="}});
  out.push_back(
      {"exchange-getattachment-item-attachment-mime",
       "ItemAttachment with IncludeMimeContent: t:Message/t:MimeContent",
       envelope(std::string("<m:GetAttachmentResponse") + kNs +
                R"(><m:ResponseMessages><m:GetAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                R"(NoError</m:ResponseCode><m:Attachments><t:ItemAttachment><t:AttachmentId Id="IA1"/><t:Name>Fwd)"
                R"(</t:Name><t:Message><t:MimeContent CharacterSet="UTF-8">U3ViamVjdDogaGkNCg0KYm9keQ0K)"
                R"(</t:MimeContent><t:ItemClass>IPM.Note</t:ItemClass><t:Subject>hi</t:Subject><t:Attachments>)"
                R"(<t:FileAttachment><t:AttachmentId Id="NESTED"/></t:FileAttachment></t:Attachments></t:Message>)"
                R"(</t:ItemAttachment></m:Attachments></m:GetAttachmentResponseMessage></m:ResponseMessages>)"
                R"(</m:GetAttachmentResponse>)"),
       {"att 1 IA1 root= name=Fwd", "emb=Message:IPM.Note:hi content=1/21",
        "content=[0:0]Subject: hi\r\n\r\nbody\r\n"}});
  out.push_back(
      {"exchange-getattachment-base64-line-breaks",
       "Content base64 with CRLF line breaks (older Exchange builds)",
       envelope(std::string("<m:GetAttachmentResponse") + kNs +
                R"(><m:ResponseMessages><m:GetAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>)"
                "NoError</m:ResponseCode><m:Attachments><t:FileAttachment><t:AttachmentId Id=\"A\"/><t:Content>"
                "SGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n</t:Content></t:FileAttachment><t:FileAttachment><t:AttachmentId "
                "Id=\"B\"/><t:Content>***</t:Content></t:FileAttachment></m:Attachments>"
                "</m:GetAttachmentResponseMessage></m:ResponseMessages></m:GetAttachmentResponse>"),
       {"content=1/11", "att 0 B root= name= type= cid= size=0 inline=- emb=:: content=1/0 damaged",
        "content=[0:0]Hello world"}});
  return out;
}

class EwsResponseTable : public ::testing::TestWithParam<Row> {};

TEST_P(EwsResponseTable, ParsesTheSameWhateverTheSplit) {
  const Row& row = GetParam();
  SCOPED_TRACE(std::string(row.name) + " (" + row.reference + ")");
  const ParseRun run = grind(row.wire);
  for (const std::string& expected : row.expected) {
    EXPECT_NE(run.described.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << run.described;
  }
}

INSTANTIATE_TEST_SUITE_P(Quirks, EwsResponseTable, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& param_info) {
                           std::string name = param_info.param.name;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(EwsResponses, RealExchangeOnlineGetAttachment) {
  const std::string wire = read_file(test::schema_dir() + "/sample-getattachment-response-exchange-online.xml");
  ASSERT_FALSE(wire.empty());
  EXPECT_EQ(test::schema_errors(wire), "");  // the sample itself is valid EWS
  const ParseRun run = grind(wire);
  ASSERT_TRUE(run.parsed.ok()) << run.described;
  const Response& response = run.parsed.value();
  EXPECT_EQ(response.operation, "GetAttachment");
  ASSERT_TRUE(response.server_version.has_value());
  EXPECT_EQ(response.server_version->major_version, 15u);
  EXPECT_EQ(response.server_version->major_build, 172u);
  EXPECT_EQ(response.server_version->version, "V2_42");
  ASSERT_EQ(response.messages.size(), 1u);
  const ResponseMessage& message = response.messages[0];
  EXPECT_EQ(message.status.code, "NoError");
  ASSERT_EQ(message.attachments.size(), 1u);
  const Attachment& attachment = message.attachments[0];
  EXPECT_EQ(attachment.name, "tiny.txt");
  EXPECT_EQ(attachment.content_type, "text/plain");
  EXPECT_EQ(attachment.content_id, "E41D9674A54FFC48B2E88018AD000288@namprd04.prod.outlook.com");
  EXPECT_TRUE(attachment.id.starts_with("AAMkAGMwZTcxZWUx"));
  EXPECT_TRUE(attachment.id.ends_with("f0Y="));
  EXPECT_TRUE(attachment.has_content);
  EXPECT_EQ(attachment.content_bytes, 4u);
  EXPECT_FALSE(attachment.content_damaged);
  EXPECT_NE(run.described.find("content=[0:0]Tiny"), std::string::npos);
}

TEST(EwsResponses, LargeContentStreamsInBoundedChunksAndCanStop) {
  // 8 MiB of content, base64 in 76-character lines, fed 64 KiB at a time.
  std::string raw(8u << 20, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>((i * 131) ^ (i >> 9));
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(raw[i]) << 16) | (static_cast<unsigned char>(raw[i + 1]) << 8) |
                            static_cast<unsigned char>(raw[i + 2]);
    for (int k = 3; k >= 0; --k) b64 += kAlphabet[(n >> (6 * k)) & 63];
    if (b64.size() % 77 == 76) b64 += '\n';
  }
  // 8 MiB is not a multiple of 3: the last quantum is padded.
  const std::string wire =
      envelope(std::string("<m:GetAttachmentResponse") + kNs +
               R"(><m:ResponseMessages><m:GetAttachmentResponseMessage ResponseClass="Success"><m:ResponseCode>NoError)"
               R"(</m:ResponseCode><m:Attachments><t:FileAttachment><t:AttachmentId Id="BIG"/><t:Content>)" +
               b64 +
               "</t:Content></t:FileAttachment></m:Attachments></m:GetAttachmentResponseMessage></m:ResponseMessages>"
               "</m:GetAttachmentResponse>");
  std::size_t largest = 0;
  std::string decoded;
  {
    ResponseParser parser({}, [&](const ContentChunk& chunk) {
      largest = std::max(largest, chunk.bytes.size());
      EXPECT_EQ(chunk.attachment_id, "BIG");
      decoded += chunk.bytes;
      return true;
    });
    for (std::size_t at = 0; at < wire.size(); at += 65536) {
      ASSERT_EQ(parser.feed(std::string_view(wire).substr(at, 65536)), FeedStatus::need_more);
    }
    const auto parsed = parser.finish();
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    // The generator above emitted 2 padding bytes as data: compare the prefix the encoder covered.
    EXPECT_EQ(parsed->messages[0].attachments[0].content_bytes, decoded.size());
  }
  EXPECT_LE(largest, 64u * 1024);
  EXPECT_GE(decoded.size(), raw.size());
  EXPECT_EQ(decoded.substr(0, raw.size() - 2), raw.substr(0, raw.size() - 2));

  // Stopping after 1 MiB: feed() says stopped, finish() gives the partial response.
  std::size_t seen = 0;
  ResponseParser parser({}, [&](const ContentChunk& chunk) {
    seen += chunk.bytes.size();
    return seen < (1u << 20);
  });
  FeedStatus status = FeedStatus::need_more;
  std::size_t fed = 0;
  for (; fed < wire.size() && status == FeedStatus::need_more; fed += 65536) {
    status = parser.feed(std::string_view(wire).substr(fed, 65536));
  }
  EXPECT_EQ(status, FeedStatus::stopped);
  EXPECT_LT(fed, wire.size() / 2);
  const auto parsed = parser.finish();
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->stopped);
}

TEST(EwsResponses, Errors) {
  struct Case {
    const char* name;
    std::string wire;
    const char* expected;
  };
  const std::string deep = [] {
    std::string body;
    for (int i = 0; i < 100; ++i) body += "<t:X xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">";
    for (int i = 0; i < 100; ++i) body += "</t:X>";
    return envelope(body);
  }();
  const std::vector<Case> cases = {
      {"empty", "", "empty response"},
      {"html-error-page", "<html><body>Service Unavailable</body></html>", "not a SOAP envelope"},
      {"truncated-in-header", envelope("<m:GetItemResponse").substr(0, 300), "error: "},
      {"truncated-after-body", std::string(kOpen) + "<m:GetItemResponse xmlns:m=\"urn:x\"/>", "error: "},
      {"not-xml", "HTTP/1.1 garbage \x01\x02", "error"},
      {"doctype-entity",
       std::string("<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY x \"boom\">]>") + kOpen + kClose,
       "DOCTYPE is not allowed"},
      {"undefined-entity", envelope("<a>&xxe;</a>"), "error"},
      {"too-deep", deep, "nesting deeper than 64"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto parsed = parse_response(c.wire);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(("error: " + parsed.error().message).find(c.expected), std::string::npos) << parsed.error().describe();
  }
  // The error carries a location.
  const auto truncated = parse_response(envelope("<m:GetItemResponse xmlns:m=\"urn:x\"><b>").substr(0, 420));
  ASSERT_FALSE(truncated.ok());
  EXPECT_GT(truncated.error().offset, 0u);
  EXPECT_FALSE(truncated.error().describe().empty());
}

TEST(EwsResponses, TextLimit) {
  Limits limits;
  limits.max_text = 16;
  const std::string wire = envelope(std::string("<m:GetItemResponse") + kNs +
                                    R"(><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success">)"
                                    R"(<m:MessageText>0123456789abcdefXYZ</m:MessageText>)"
                                    R"(</m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>)");
  const ParseRun run = grind(wire, limits);
  EXPECT_NE(run.described.find("text longer than 16 bytes"), std::string::npos) << run.described;
  EXPECT_TRUE(parse_response(wire).ok());
}

TEST(EwsDates, ParseDateTime) {
  EXPECT_EQ(parse_date_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_date_time("2024-01-02T03:04:05Z"), 1704164645);
  EXPECT_EQ(parse_date_time("2024-01-02T03:04:05"), 1704164645);
  EXPECT_EQ(parse_date_time("2024-01-02T04:04:05.123+01:00"), 1704164645);
  EXPECT_EQ(parse_date_time("2024-01-01T22:04:05-05:00"), 1704164645);
  EXPECT_EQ(parse_date_time("yesterday"), std::nullopt);
  EXPECT_EQ(parse_date_time("2024-13-02T03:04:05Z"), std::nullopt);
  EXPECT_EQ(parse_date_time("2024-01-02T03:04:05Zjunk"), std::nullopt);
}

}  // namespace
}  // namespace mailprune::ews
