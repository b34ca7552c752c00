// logging.hpp: process-wide logging on spdlog's default logger, to standard error.
//
// Two formats: readable text for a person at a terminal, JSON lines (one object per line:
// time, level, logger, message, and any fields) for services and log collectors. `automatic`
// picks text when standard error is a terminal, JSON otherwise. Call setup_logging() once, early,
// from main(); afterwards spdlog::info(...) etc. are safe from any thread.
#pragma once

#include <string>

#include "config/config.hpp"

namespace mailprune::log {

// Throws std::invalid_argument for an unknown level name.
void setup_logging(const std::string& level, config::LogFormat format);

// True when the effective format is JSON (progress displays then stay quiet).
bool json_logging();

}  // namespace mailprune::log
