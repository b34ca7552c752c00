// schema_validator.hpp: validates whole SOAP envelopes against ../shared/ews-schema/soap11-min.xsd,
// whose Header and Body take EWS elements strictly (messages.xsd and types.xsd are imported), so a
// body element such as <m:GetItem> is checked against messages.xsd.
//
// Loading the schemas takes ~0.1 s: `shared(dir)` loads them once per process per directory and
// keeps them for the process's life. validate() may be called from several threads at once (the
// compiled schema is read-only; each call makes its own validation context).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace mailprune::ews_test {

class SchemaValidator {
 public:
  // Throws std::runtime_error (with libxml2's messages) when the schema cannot be loaded.
  static const SchemaValidator& shared(const std::string& schema_dir);

  // Empty when `envelope` is well-formed and valid; otherwise libxml2's messages, one a line.
  std::string validate(std::string_view envelope) const;

  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;
  ~SchemaValidator();

 private:
  explicit SchemaValidator(const std::string& schema_dir);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The schema directory given at build time (the repository's ../shared/ews-schema), overridden
// by the environment variable MAILPRUNE_EWS_SCHEMA_DIR when set.
std::string default_schema_dir();

}  // namespace mailprune::ews_test
