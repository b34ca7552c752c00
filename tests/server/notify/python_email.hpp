// python_email.hpp: reads a raw message back with /usr/bin/python3's email package (see
// check_email.py), independently of the code that built it. Header-only; for tests.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "platform/process.hpp"

namespace mailprune::notify::test {

// What Python understood of `raw`: the JSON object check_email.py prints. Throws
// std::runtime_error with Python's output when it fails.
inline nlohmann::json read_with_python(const std::string& raw) {
  char path[] = "/tmp/mp-email-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << raw;
  }
  auto result = platform::run({"/usr/bin/python3", MAILPRUNE_CHECK_EMAIL_PY, path});
  ::unlink(path);
  if (result.exit_code != 0) throw std::runtime_error("check_email.py failed:\n" + result.output);
  try {
    return nlohmann::json::parse(result.output);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("check_email.py printed no JSON (") + e.what() + "):\n" + result.output);
  }
}

// The decoded value of the first header `name` (exact case), "" when absent.
inline std::string header_of(const nlohmann::json& parsed, const std::string& name) {
  for (const auto& pair : parsed.at("headers")) {
    if (pair.at(0).get<std::string>() == name) return pair.at(1).get<std::string>();
  }
  return "";
}

// The decoded content of the first leaf part of `content_type`; "" when absent.
inline std::string part_of(const nlohmann::json& parsed, const std::string& content_type) {
  for (const auto& part : parsed.at("parts")) {
    if (part.at("content_type").get<std::string>() == content_type) return part.at("content").get<std::string>();
  }
  return "";
}

}  // namespace mailprune::notify::test
