// deflate.hpp: the two halves of RFC 4978 COMPRESS=DEFLATE, sans I/O: raw DEFLATE (zlib with
// windowBits -15, no zlib or gzip header) in each direction.
//
// Deflater::compress() ends every call with Z_SYNC_FLUSH, so whatever was given is decodable by the
// peer as soon as the output is written (a command must not sit in the compressor's window while we
// wait for its answer). Inflater takes wire bytes with feed() and hands back what they inflate to
// with inflate_some(); it keeps unconsumed input itself, so the caller never re-feeds.
//
// Used by the session's connection (connection.hpp) and by the scripted test server. A corrupt
// stream throws imap::Error of kind protocol (the byte stream can no longer be trusted). Each
// object is one direction of one connection: not thread-safe, not copyable.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mailprune::imap::detail {

class Deflater {
 public:
  Deflater();
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Appends the compressed, sync-flushed form of `bytes` to `out`.
  void compress(std::string_view bytes, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Queues wire bytes (copied).
  void feed(std::string_view bytes);
  // Appends up to `max` inflated bytes to `out`; returns how many. 0 means the queued input is
  // used up (or holds only part of a block): feed more.
  std::size_t inflate_some(std::string& out, std::size_t max);
  // Wire bytes queued and not yet inflated.
  [[nodiscard]] std::size_t pending_input() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mailprune::imap::detail
