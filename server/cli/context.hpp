// context.hpp: what every command receives: the global options and the loaded configuration.
#pragma once

#include <string>

#include "config/config.hpp"

namespace mailprune::cli {

struct GlobalOptions {
  std::string config_path;  // --config
  std::string log_level;    // --log-level ("" keeps the configuration's)
  std::string log_format;   // --log-format ("" keeps the configuration's)
};

struct Context {
  GlobalOptions options;
  config::Config config;
};

// Thrown by commands for usage/configuration problems found after parsing (exit code 2).
struct UsageError {
  std::string message;
};

}  // namespace mailprune::cli
