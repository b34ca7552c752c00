// schema_check.hpp: validates EWS SOAP envelopes against Microsoft's schemas
// (../shared/ews-schema/soap11-min.xsd, which imports messages.xsd and types.xsd).
// The schema is loaded once per process (~0.1 s) on first use. Not thread-safe (gtest runs the
// tests of one process on one thread).
#pragma once

#include <string>
#include <string_view>

namespace mailprune::ews::test {

// "" when `envelope` is well-formed and schema-valid; otherwise the libxml2 messages.
std::string schema_errors(std::string_view envelope);

// The directory of the shared EWS schema files (MAILPRUNE_EWS_SCHEMA_DIR).
std::string schema_dir();

}  // namespace mailprune::ews::test
