#include "ews_server/schema_validator.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

namespace mailprune::ews_test {
namespace {

void collect_error(void* context, const char* format, ...) {
  char buffer[2048];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  static_cast<std::string*>(context)->append(buffer);
}

void collect_structured(void* context, xmlErrorPtr error) {
  auto* out = static_cast<std::string*>(context);
  *out += "line " + std::to_string(error->line) + ": " + (error->message ? error->message : "?");
  if (out->empty() || out->back() != '\n') *out += '\n';
}

}  // namespace

struct SchemaValidator::Impl {
  xmlSchemaPtr schema = nullptr;
};

SchemaValidator::SchemaValidator(const std::string& schema_dir) : impl_(std::make_unique<Impl>()) {
  xmlInitParser();
  std::string errors;
  std::string path = schema_dir + "/soap11-min.xsd";
  xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path.c_str());
  if (parser == nullptr) throw std::runtime_error("cannot open schema " + path);
  xmlSchemaSetParserErrors(parser, collect_error, collect_error, &errors);
  impl_->schema = xmlSchemaParse(parser);
  xmlSchemaFreeParserCtxt(parser);
  if (impl_->schema == nullptr) throw std::runtime_error("cannot load schema " + path + ": " + errors);
}

SchemaValidator::~SchemaValidator() {
  if (impl_ && impl_->schema) xmlSchemaFree(impl_->schema);
}

const SchemaValidator& SchemaValidator::shared(const std::string& schema_dir) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<SchemaValidator>> loaded;
  std::lock_guard lock(mutex);
  auto& slot = loaded[schema_dir];
  if (!slot) slot.reset(new SchemaValidator(schema_dir));
  return *slot;
}

std::string SchemaValidator::validate(std::string_view envelope) const {
  std::string errors;
  xmlParserCtxtPtr parser = xmlNewParserCtxt();
  xmlDocPtr doc = xmlCtxtReadMemory(parser, envelope.data(), static_cast<int>(envelope.size()), "envelope.xml", nullptr,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
  if (doc == nullptr) {
    const xmlError* error = xmlCtxtGetLastError(parser);
    errors = std::string("not well-formed: ") + (error && error->message ? error->message : "?");
    xmlFreeParserCtxt(parser);
    return errors;
  }
  xmlFreeParserCtxt(parser);
  xmlSchemaValidCtxtPtr context = xmlSchemaNewValidCtxt(impl_->schema);
  xmlSchemaSetValidStructuredErrors(context, collect_structured, &errors);
  int result = xmlSchemaValidateDoc(context, doc);
  xmlSchemaFreeValidCtxt(context);
  xmlFreeDoc(doc);
  if (result != 0 && errors.empty()) errors = "invalid (libxml2 code " + std::to_string(result) + ")";
  return errors;
}

std::string default_schema_dir() {
  if (const char* env = std::getenv("MAILPRUNE_EWS_SCHEMA_DIR"); env && *env) return env;
  return MAILPRUNE_EWS_SCHEMA_DIR;
}

}  // namespace mailprune::ews_test
