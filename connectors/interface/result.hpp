// result.hpp: a value or an error, for parsers and calls that report failures as values
// (C++20 has no std::expected). Deliberately tiny; shared by the IMAP and EWS protocol code.
#pragma once

#include <utility>
#include <variant>

namespace mailprune::connector {

template <class T, class E>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(E error) : value_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const noexcept { return value_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(value_); }
  const T& value() const& { return std::get<0>(value_); }
  T&& value() && { return std::get<0>(std::move(value_)); }
  T* operator->() { return &std::get<0>(value_); }
  const T* operator->() const { return &std::get<0>(value_); }
  [[nodiscard]] const E& error() const { return std::get<1>(value_); }

 private:
  std::variant<T, E> value_;
};

}  // namespace mailprune::connector
