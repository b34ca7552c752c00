// copy_stage.hpp: bulk rows into a temporary staging table through COPY (pqxx::stream_to).
//
// libpqxx 6.4's stream_to writes a field as NULL only for the type std::nullptr_t and knows no
// std::optional, so staging tables here are all `text NOT NULL DEFAULT ''`: absent values are
// written as "" and turned into NULL / typed values by the set-based INSERT ... SELECT that reads
// the stage (NULLIF(col, '')::bigint, decode(col, 'hex'), ...). stream_to escapes tabs, newlines
// and backslashes itself.
//
// A CopyStage owns the COPY on its transaction: while it is open nothing else may run on that
// connection. Not thread-safe (one connection, one thread).
#pragma once

#include <pqxx/pqxx>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprune::inventory {

// Text that PostgreSQL accepts in a UTF-8 `text` column: NUL bytes dropped, invalid UTF-8
// sequences replaced by U+FFFD. Connectors promise UTF-8; this keeps one bad header from failing a
// mailbox's whole transaction.
std::string clean_text(std::string_view text);

// Lower-case hex of `bytes`.
std::string to_hex(const std::uint8_t* bytes, std::size_t size);

// Decimal text of an optional integer, "" when absent.
template <typename Integer>
std::string optional_text(const std::optional<Integer>& value) {
  return value ? std::to_string(*value) : std::string();
}

inline std::string bool_text(bool value) {
  return value ? "t" : "f";
}

template <std::size_t Columns>
class CopyStage {
 public:
  using Row = std::array<std::string, Columns>;

  CopyStage(pqxx::transaction_base& tx, const std::string& table, const std::array<std::string, Columns>& columns)
      : stream_(
            std::make_unique<pqxx::stream_to>(tx, table, std::vector<std::string>(columns.begin(), columns.end()))) {}

  void write(const Row& row) {
    stream_->operator<<(row);
    ++rows_;
  }
  // Ends the COPY; the stage is then readable by queries on the same transaction.
  void complete() {
    if (stream_) {
      stream_->complete();
      stream_.reset();
    }
  }
  std::uint64_t rows() const { return rows_; }

 private:
  std::unique_ptr<pqxx::stream_to> stream_;
  std::uint64_t rows_ = 0;
};

}  // namespace mailprune::inventory
