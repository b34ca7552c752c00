// Helpers for tests that run the `mailprune` binary: a private data dir and config per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/process.hpp"

namespace mailprune::testing {

// A scratch folder named after the running test, removed at the end.
class Scratch {
 public:
  Scratch() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Short: the embedded cluster's socket path must stay under 108 bytes.
    dir_ = std::filesystem::path("/tmp") /
           ("mp-" + std::string(info->name()).substr(0, 24) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    if (std::getenv("MAILPRUNE_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir_);
  }
  const std::filesystem::path& dir() const { return dir_; }
  std::string write(const std::string& name, const std::string& content) const {
    auto path = dir_ / name;
    std::ofstream(path) << content;
    return path.string();
  }

 private:
  std::filesystem::path dir_;
};

inline platform::RunResult mailprune(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{MAILPRUNE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return platform::run(argv, std::nullopt, env);
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace mailprune::testing
