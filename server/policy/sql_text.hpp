// sql_text.hpp: helpers for the policy layer's generated SQL: bind parameters collected while the
// statement text is built (values never become SQL text), and PostgreSQL array literals for
// array parameters. Internal to server/policy.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

namespace mailprune::policy {

// Collects parameter values in order; add() returns the placeholder ("$3::bigint") to splice
// into the statement. Pass values() with pqxx::prepare::make_dynamic_params.
class SqlParams {
 public:
  std::string add(std::string value, const char* type) {
    values_.push_back(std::move(value));
    return fmt::format("${}::{}", values_.size(), type);
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

// A text[] literal: every element double-quoted and escaped; nullopt elements are NULL.
inline std::string pg_text_array(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

inline std::string pg_text_array(const std::vector<std::string>& values) {
  std::vector<std::optional<std::string>> all(values.begin(), values.end());
  return pg_text_array(all);
}

}  // namespace mailprune::policy
