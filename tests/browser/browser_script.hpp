// browser_script.hpp: the C++ side of the node scripts in tests/browser that drive Chromium
// (review_e2e.js, console_e2e.js): run one with the screenshot folder in its environment, and read
// the JSON line it prints last.
//
// Header-only; the test target defines MAILPRUNE_BROWSER_DIR (this folder) and
// MAILPRUNE_SCREENSHOT_DIR (used when the environment does not set it).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/process.hpp"

namespace mailprune::test {

// MAILPRUNE_SCREENSHOT_DIR from the environment (ctest sets it), else the build's default.
inline std::string screenshot_dir() {
  const char* dir = std::getenv("MAILPRUNE_SCREENSHOT_DIR");
  return dir != nullptr && *dir != '\0' ? dir : MAILPRUNE_SCREENSHOT_DIR;
}

// `node tests/browser/<script> ARGS...`, its screenshots going to screenshot_dir().
inline platform::RunResult run_browser_script(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"node", std::string(MAILPRUNE_BROWSER_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return platform::run(argv, std::nullopt, {"MAILPRUNE_SCREENSHOT_DIR=" + screenshot_dir()});
}

// The JSON line `script` printed last; without one the test fails and this is an empty object.
inline nlohmann::json browser_result(const platform::RunResult& run, const std::string& script) {
  const auto at = run.output.rfind("\n{");
  const std::string line = at == std::string::npos ? run.output : run.output.substr(at + 1);
  try {
    return nlohmann::json::parse(line);
  } catch (const std::exception&) {
    ADD_FAILURE() << script << " printed no result: " << run.output;
    return nlohmann::json::object();
  }
}

}  // namespace mailprune::test
