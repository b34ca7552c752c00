// table.hpp: the shape of the parser tables: one row per real server behaviour, named
// `<server>-<quirk>`, each ground through grind_one() before its checks run.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <variant>

#include "grind.hpp"

namespace mailprune::imap::test {

struct Row {
  std::string name;  // <server>-<quirk>
  std::string wire;  // exactly what the server sent
  std::function<void(const Response&)> check;
};

inline std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  std::string name = info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// The alternative T of a response, or a default-constructed one after recording a failure.
template <class T>
const T& as(const Response& response) {
  if (const T* value = std::get_if<T>(&response)) return *value;
  ADD_FAILURE() << "unexpected response type: " << describe(response);
  static const T empty{};
  return empty;
}

}  // namespace mailprune::imap::test
