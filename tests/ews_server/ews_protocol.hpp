// ews_protocol.hpp: what the EWS test server's operation handlers share — namespace-aware DOM
// helpers over libxml2, the request context (who asks, for which mailbox), response shapes,
// rendering of items, attachments and folders in schema order, and the error values.
//
// Handlers are pure functions of (request body element, context) -> response body; they run with
// the store locked by the caller. A handler throws SoapFault for a request-level error (Exchange
// answers those with HTTP 500 and a SOAP fault: ErrorImpersonateUserDenied, ErrorServerBusy,
// ErrorSchemaValidation, ErrorInvalidRequest); per-item errors are response messages.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <libxml/tree.h>

#include "ews_server/mailbox_store.hpp"
#include "ews_server/xml_writer.hpp"

namespace mailprune::ews_test {

inline constexpr const char* kSoapNs = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr const char* kMessagesNs = "http://schemas.microsoft.com/exchange/services/2006/messages";
inline constexpr const char* kTypesNs = "http://schemas.microsoft.com/exchange/services/2006/types";
inline constexpr const char* kErrorsNs = "http://schemas.microsoft.com/exchange/services/2006/errors";

// ---- DOM helpers (elements only; `ns` nullptr matches any namespace) ----
xmlNodePtr first_child(xmlNodePtr parent, const char* ns, const char* name);
std::vector<xmlNodePtr> child_elements(xmlNodePtr parent, const char* ns = nullptr, const char* name = nullptr);
std::string node_text(xmlNodePtr node);
std::string attribute(xmlNodePtr node, const char* name);  // "" when absent
bool is_element(xmlNodePtr node, const char* ns, const char* name);

// A request-level error: HTTP 500 with a SOAP fault carrying the EWS ResponseCode.
struct SoapFault : std::runtime_error {
  SoapFault(std::string code_, std::string message_, std::string message_xml_ = {})
      : std::runtime_error(message_),
        code(std::move(code_)),
        message(std::move(message_)),
        message_xml(std::move(message_xml_)) {}
  std::string code;  // e.g. "ErrorImpersonateUserDenied"
  std::string message;
  std::string message_xml;  // inner XML of <t:MessageXml>, e.g. the BackOffMilliseconds value
};

// A per-item error, turned into a ResponseMessage with ResponseClass="Error".
struct ItemError : std::runtime_error {
  ItemError(std::string code_, std::string message_) : std::runtime_error(message_), code(std::move(code_)) {}
  std::string code;
};

struct RequestContext {
  MailboxStore& store;
  std::string principal;     // authenticated user or OAuth client
  bool full_access = false;  // may open every mailbox (impersonation / application rights)
  std::string mailbox;       // the mailbox the request acts on (impersonated or own)
  bool impersonating = false;
  std::size_t find_page_limit = 1000;  // Exchange's EWSFindCountLimit-like cap per FindItem page
};

// A response body: text pieces and attachment contents to be written base64-encoded between
// them, so that a large attachment is never held encoded in memory.
struct ResponseBody {
  struct Piece {
    std::string text;
    std::shared_ptr<const std::string> base64_of;  // when set, `text` is empty
  };
  std::vector<Piece> pieces;
  void append_text(std::string text);
  void append_base64(std::shared_ptr<const std::string> content);
  std::uint64_t content_bytes() const;  // sum of the sizes of the base64 pieces (decoded)
  // The whole body; with `content_placeholder`, base64 pieces are written empty (for validating
  // a response whose contents are too large to materialise).
  std::string materialise(bool content_placeholder = false) const;
};

// Response shape: which properties to write. Field names are the FieldURI values
// ("item:Subject", "message:IsRead", "folder:TotalCount"); "ext:0xe08" is the folder size
// extended property (PR_MESSAGE_SIZE_EXTENDED).
struct Shape {
  std::string base = "IdOnly";
  bool include_mime_content = false;
  std::set<std::string> fields;
  bool has(const std::string& field) const;
};
Shape parse_item_shape(xmlNodePtr shape_element, bool for_find);
Shape parse_folder_shape(xmlNodePtr shape_element);

std::string iso_time(std::time_t when);

// Rendering, in the schema's element order.
void write_item(XmlWriter& xml, ResponseBody* body, RequestContext& context, const StoredItem& item,
                const Shape& shape);
void write_attachment_summary(XmlWriter& xml, const StoredItem& item, const StoredAttachment& attachment);
void write_folder(XmlWriter& xml, RequestContext& context, const StoredFolder& folder, const Shape& shape);
const char* item_element_name(const StoredItem& item);  // "t:Message" or "t:MeetingRequest"

// <m:{op}ResponseMessage ResponseClass="Error"> with code and text; `empty_container` (e.g.
// "m:Items") is written empty when the message type requires it.
void write_error_message(XmlWriter& xml, const std::string& operation, const std::string& code, const std::string& text,
                         const char* empty_container);
void open_success_message(XmlWriter& xml, const std::string& operation);

// Folder id resolution (FolderId or DistinguishedFolderId, with an optional <t:Mailbox>). Throws
// ItemError: ErrorFolderNotFound, ErrorInvalidIdMalformed, ErrorAccessDenied,
// ErrorNonExistentMailbox.
StoredFolder& resolve_folder(RequestContext& context, xmlNodePtr id_element);
// An ItemId (Id attribute) to the stored item the principal may see; throws ItemError.
StoredItem& resolve_item(RequestContext& context, xmlNodePtr id_element);

// Operation handlers: the body element of the request -> the response body element's text.
ResponseBody handle_get_folder(RequestContext& context, xmlNodePtr request);
ResponseBody handle_find_folder(RequestContext& context, xmlNodePtr request);
ResponseBody handle_sync_folder_hierarchy(RequestContext& context, xmlNodePtr request);
ResponseBody handle_create_folder(RequestContext& context, xmlNodePtr request);
ResponseBody handle_find_item(RequestContext& context, xmlNodePtr request);
ResponseBody handle_sync_folder_items(RequestContext& context, xmlNodePtr request);
ResponseBody handle_get_item(RequestContext& context, xmlNodePtr request);
ResponseBody handle_update_item(RequestContext& context, xmlNodePtr request);
ResponseBody handle_move_item(RequestContext& context, xmlNodePtr request);
ResponseBody handle_delete_item(RequestContext& context, xmlNodePtr request);
ResponseBody handle_get_attachment(RequestContext& context, xmlNodePtr request);
ResponseBody handle_delete_attachment(RequestContext& context, xmlNodePtr request);
ResponseBody handle_create_attachment(RequestContext& context, xmlNodePtr request);
ResponseBody handle_resolve_names(RequestContext& context, xmlNodePtr request);

// Dispatch by the body element's local name; throws SoapFault(ErrorInvalidRequest) for an
// operation this server does not implement.
ResponseBody handle_operation(const std::string& operation, RequestContext& context, xmlNodePtr request);

}  // namespace mailprune::ews_test
