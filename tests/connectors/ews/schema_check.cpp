#include "schema_check.hpp"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <stdexcept>

namespace mailprune::ews::test {
namespace {

void collect(void* user, xmlErrorPtr error) {
  auto* out = static_cast<std::string*>(user);
  if (error == nullptr || error->message == nullptr) return;
  *out += "line " + std::to_string(error->line) + ": " + error->message;
}

xmlSchemaPtr load_schema() {
  static xmlSchemaPtr schema = [] {
    const std::string path = schema_dir() + "/soap11-min.xsd";
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path.c_str());
    if (parser == nullptr) throw std::runtime_error("cannot open " + path);
    std::string errors;
    xmlSchemaSetParserStructuredErrors(parser, collect, &errors);
    xmlSchemaPtr loaded = xmlSchemaParse(parser);
    xmlSchemaFreeParserCtxt(parser);
    if (loaded == nullptr) throw std::runtime_error("cannot load " + path + ": " + errors);
    return loaded;
  }();
  return schema;
}

}  // namespace

std::string schema_dir() {
  return MAILPRUNE_EWS_SCHEMA_DIR;
}

std::string schema_errors(std::string_view envelope) {
  xmlSchemaPtr schema = load_schema();
  std::string errors;
  xmlDocPtr doc = xmlReadMemory(envelope.data(), static_cast<int>(envelope.size()), "request.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) return "not well-formed XML";
  xmlSchemaValidCtxtPtr validator = xmlSchemaNewValidCtxt(schema);
  xmlSchemaSetValidStructuredErrors(validator, collect, &errors);
  const int result = xmlSchemaValidateDoc(validator, doc);
  xmlSchemaFreeValidCtxt(validator);
  xmlFreeDoc(doc);
  if (result != 0 && errors.empty()) errors = "invalid (code " + std::to_string(result) + ")";
  return errors;
}

}  // namespace mailprune::ews::test
