// traffic_log.hpp: the opt-in transcript of one session, in the scenario format the scripted test
// server replays (tests/connectors/imap/scripted_server.hpp), so a real session becomes a test case.
//
// Format, one entry a line (LF):
//   # text        a comment (session start, STARTTLS: the replayer ignores these)
//   C: text       a line the client wrote, without its CRLF; secrets (Command's sensitive
//                 segments) are written `***`
//   S: text       a line the server sent, without its CRLF
//   L: escaped    literal bytes following the previous C:/S: line that ended in `{n}` / `{n+}` /
//                 `~{n}`, escaped (`\\`, `\r`, `\n`, `\t`, `\xHH`; a line break after each `\n`
//                 byte, so several L: lines make one literal); no CRLF is implied. The rest of
//                 the wire line after the literal is the next C:/S: line (often just `)`).
//                 `L: ***` is a masked secret literal.
//   E: n          n more literal bytes, not logged: literals are logged up to 4 KiB, and literals
//                 streamed to the sink not at all
//   Z             COMPRESS=DEFLATE starts here (both directions); entries stay uncompressed
//
// Passwords never reach the file: the session gives client bytes with their `sensitive` mark and
// they are replaced here. One TrafficLog per session; every entry batch is one append-mode write(),
// but several sessions on one path interleave: give each its own path.
// Not thread-safe. Write errors are ignored (the log must never break a crawl).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imap/framer.hpp"

namespace mailprune::imap::detail {

// The L: escaping (one line's worth: no line breaking) and its inverse; nullopt on a bad escape.
std::string escape_literal(std::string_view bytes);
std::optional<std::string> unescape_literal(std::string_view text);
// `bytes` as L: lines (each "L: ...\n"), broken after every LF byte.
std::string literal_lines(std::string_view bytes);
// The size of the literal announced at the end of `line` (`{n}`, `{n+}`, `~{n}`), if any.
std::optional<std::uint64_t> literal_at_end(std::string_view line);

class TrafficLog {
 public:
  // Opens `path` for appending; throws imap::Error (kind connection) when it cannot.
  explicit TrafficLog(const std::string& path);
  ~TrafficLog();
  TrafficLog(const TrafficLog&) = delete;
  TrafficLog& operator=(const TrafficLog&) = delete;

  void comment(std::string_view text);
  // Client bytes in the order written; `sensitive` bytes are logged as `***`.
  void client(std::string_view bytes, bool sensitive = false);
  // One complete server response (before it is parsed and its literals moved away).
  void server(const FramedResponse& response);
  void compression_started();

  static constexpr std::size_t max_logged_literal = 4096;

 private:
  void emit(const std::string& text);
  void client_literal_bytes(std::string_view bytes);

  int fd_ = -1;
  std::string line_;                  // client line collected so far
  std::uint64_t literal_left_ = 0;    // client literal bytes still to come
  std::uint64_t literal_logged_ = 0;  // of the current client literal
  std::uint64_t literal_elided_ = 0;
};

}  // namespace mailprune::imap::detail
