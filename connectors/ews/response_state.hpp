// response_state.hpp: the state of one ResponseParser (internal to mailprune_ews): how the open
// elements map onto the Response being built. responses.cpp drives it from libxml2's SAX2
// callbacks; response_mapping.cpp decides, element by element, what each one fills.
#pragma once

#include <libxml/parser.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ews/responses.hpp"
#include "mime/transfer_decode.hpp"

namespace mailprune::ews::detail {

enum class Ns { soap, ews, other };

// What an open element is, decided from its parent's role and its name.
enum class Role : std::uint8_t {
  skip,
  envelope,
  header,
  body,
  fault,
  fault_detail,
  response,
  response_messages,
  message,
  message_xml,
  root_folder,
  items,
  folders,
  changes,
  change,
  item,
  item_from,
  item_from_mailbox,
  item_flag,
  attachments,
  attachment,
  embedded_item,
  folder,
  extended_property,
  text,
  content
};

// Which text field a `text` element fills.
enum class Field : std::uint8_t {
  none,
  fault_code,
  fault_string,
  fault_response_code,
  fault_message,
  xml_value,
  response_code,
  message_text,
  sync_state,
  includes_last,
  item_class,
  subject,
  size,
  received,
  sent,
  has_attachments,
  message_id,
  is_read,
  from_name,
  from_email,
  from_routing,
  flag_status,
  change_is_read,
  att_name,
  att_content_type,
  att_content_id,
  att_content_location,
  att_size,
  att_modified,
  att_inline,
  att_contact_photo,
  embedded_class,
  embedded_subject,
  folder_name,
  folder_class,
  total_count,
  child_count,
  unread_count,
  ext_value
};

struct Frame {
  Role role;
  Field field = Field::none;
  std::string name;             // local name, for the error path
  bool back_off_value = false;  // MessageXml Value Name="BackOffMilliseconds"
};

std::string_view trim(std::string_view text);

}  // namespace mailprune::ews::detail

namespace mailprune::ews {

struct ResponseParser::State {
  Limits limits;
  ContentSink content_sink;
  xmlParserCtxtPtr ctxt = nullptr;
  xmlSAXHandler sax{};

  Response response;
  std::vector<detail::Frame> frames;
  std::uint64_t elements = 0;
  std::uint64_t fed = 0;
  bool envelope_closed = false;
  bool stopped = false;
  std::optional<ParseError> error;
  std::optional<ParseError> xml_error;  // first libxml2 error (structured callback)

  std::string text;  // the open text field's content
  // Current objects (pointers into `response`; stable while they are open, see open_* below).
  ResponseMessage* message = nullptr;
  Item* item = nullptr;
  ItemChange* item_change = nullptr;
  FolderChange* folder_change = nullptr;
  Folder* folder = nullptr;
  Attachment* attachment = nullptr;
  std::vector<Attachment>* attachment_list = nullptr;
  std::optional<std::uint64_t> extended_tag;
  // Streamed content.
  std::optional<mime::TransferDecoder> decoder;

  // response_mapping.cpp
  std::string path() const;
  void fail(std::string what);
  void emit_content(std::string_view bytes);
  detail::Role open_role(const detail::Frame* parent, detail::Ns ns, std::string_view local, const xmlChar** attributes,
                         int attribute_count, detail::Frame& frame);
  detail::Role open_content();
  void close_text(const detail::Frame& frame);
  void start(const xmlChar* localname, const xmlChar* uri, int attribute_count, const xmlChar** attributes);
  void end();
  void characters(const xmlChar* bytes, int length);
};

}  // namespace mailprune::ews
