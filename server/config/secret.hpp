// secret.hpp: a value that must never reach a log line, an error message or program output.
//
// Secrets enter mailprune only through `*_env` (an environment variable's name) and `*_file` (a
// file's path) configuration keys. The value is reachable only through reveal(); formatting a
// Secret with fmt/spdlog or streaming it prints "***".
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <utility>

namespace mailprune::config {

class Secret {
 public:
  Secret() = default;
  // `origin` says where the value came from, for output: "environment variable X", "file F".
  Secret(std::string value, std::string origin) : value_(std::move(value)), origin_(std::move(origin)) {}

  bool empty() const { return value_.empty(); }
  const std::string& reveal() const { return value_; }
  const std::string& origin() const { return origin_; }

 private:
  std::string value_;
  std::string origin_;
};

inline std::ostream& operator<<(std::ostream& out, const Secret& secret) {
  return out << (secret.empty() ? "(none)" : "***");
}

}  // namespace mailprune::config

template <>
struct fmt::formatter<mailprune::config::Secret> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const mailprune::config::Secret& secret, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(secret.empty() ? "(none)" : "***", ctx);
  }
};
