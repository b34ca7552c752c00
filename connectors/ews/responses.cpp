#include "ews/responses.hpp"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <cstring>
#include <mutex>

#include "ews/response_state.hpp"

namespace mailprune::ews {

using detail::trim;

namespace {

std::once_flag libxml_once;

}  // namespace

namespace {

ResponseParser::State* state_of(void* user) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(user);
  return static_cast<ResponseParser::State*>(ctxt->_private);
}

void on_start(void* user, const xmlChar* localname, const xmlChar* /*prefix*/, const xmlChar* uri,
              int /*nb_namespaces*/, const xmlChar** /*namespaces*/, int nb_attributes, int /*nb_defaulted*/,
              const xmlChar** attributes) {
  state_of(user)->start(localname, uri, nb_attributes, attributes);
}

void on_end(void* user, const xmlChar* /*localname*/, const xmlChar* /*prefix*/, const xmlChar* /*uri*/) {
  state_of(user)->end();
}

void on_characters(void* user, const xmlChar* bytes, int length) {
  state_of(user)->characters(bytes, length);
}

void on_internal_subset(void* user, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
                        const xmlChar* /*system_id*/) {
  state_of(user)->fail("a DOCTYPE is not allowed in an EWS response");
}

void on_error(void* user, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  auto* state = state_of(user);
  if (state->xml_error) return;
  ParseError e;
  e.message = error->message != nullptr ? std::string(trim(error->message)) : std::string("XML error");
  e.line = error->line > 0 ? static_cast<std::uint64_t>(error->line) : 0;
  e.column = error->int2 > 0 ? static_cast<std::uint64_t>(error->int2) : 0;
  e.offset = state->ctxt != nullptr ? static_cast<std::uint64_t>(xmlByteConsumed(state->ctxt)) : state->fed;
  e.path = state->path();
  state->xml_error = std::move(e);
}

}  // namespace

ResponseParser::ResponseParser(Limits limits, ContentSink content) : state_(std::make_unique<State>()) {
  std::call_once(libxml_once, [] { xmlInitParser(); });
  state_->limits = limits;
  state_->content_sink = std::move(content);
  xmlSAXHandler& sax = state_->sax;
  std::memset(&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = on_start;
  sax.endElementNs = on_end;
  sax.characters = on_characters;
  sax.cdataBlock = on_characters;
  sax.internalSubset = on_internal_subset;
  sax.serror = on_error;
  // user_data null: callbacks receive the parser context, whose _private points at the state.
  state_->ctxt = xmlCreatePushParserCtxt(&sax, nullptr, nullptr, 0, nullptr);
  if (state_->ctxt == nullptr) throw std::bad_alloc();
  state_->ctxt->_private = state_.get();
  // NOENT: attribute values come with &amp; etc. resolved (without it SAX2 hands "&#38;"). Safe:
  // no DTD is accepted, so no entity can be declared. NONET: never fetch anything.
  xmlCtxtUseOptions(state_->ctxt, XML_PARSE_NOENT | XML_PARSE_NONET);
}

ResponseParser::~ResponseParser() {
  if (state_->ctxt != nullptr) xmlFreeParserCtxt(state_->ctxt);
}

std::uint64_t ResponseParser::bytes_fed() const {
  return state_->fed;
}

FeedStatus ResponseParser::feed(std::string_view bytes) {
  State& s = *state_;
  if (s.error || s.xml_error) return FeedStatus::error;
  if (s.stopped) return FeedStatus::stopped;
  // xmlParseChunk takes an int size: feed large inputs in slices.
  while (!bytes.empty()) {
    const std::string_view piece = bytes.substr(0, 1u << 20);
    bytes.remove_prefix(piece.size());
    s.fed += piece.size();
    xmlParseChunk(s.ctxt, piece.data(), static_cast<int>(piece.size()), 0);
    if (s.stopped) return FeedStatus::stopped;
    if (s.error || s.xml_error) return FeedStatus::error;
  }
  return FeedStatus::need_more;
}

Parsed<Response> ResponseParser::finish() {
  State& s = *state_;
  if (s.fed == 0) return ParseError{"empty response", 0, 0, 0, ""};
  if (!s.error && !s.xml_error && !s.stopped) xmlParseChunk(s.ctxt, nullptr, 0, 1);
  if (s.stopped) return std::move(s.response);
  if (s.error) return *s.error;
  if (s.xml_error) return *s.xml_error;
  if (!s.envelope_closed) {
    ParseError e;
    e.message = "response ended before </Envelope>";
    e.offset = s.fed;
    e.path = s.path();
    return e;
  }
  return std::move(s.response);
}

Parsed<Response> parse_response(std::string_view body, const Limits& limits, ContentSink content) {
  ResponseParser parser(limits, std::move(content));
  parser.feed(body);
  return parser.finish();
}

std::string_view to_string(ResponseClass response_class) noexcept {
  switch (response_class) {
    case ResponseClass::success:
      return "Success";
    case ResponseClass::warning:
      return "Warning";
    case ResponseClass::error:
      return "Error";
  }
  return "Success";
}

}  // namespace mailprune::ews
