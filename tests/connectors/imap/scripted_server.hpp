// scripted_server.hpp: an IMAP server that plays a transcript, for the session's transcript tests
// (KIMAP FakeServer style). Bound to 127.0.0.1:0; plaintext only.
//
// Scenario format: the traffic log's (connectors/imap/traffic_log.hpp), so a real session's log
// replays with light editing. One entry a line:
//   S: text     send text + CRLF
//   C: text     read one line from the client (up to CRLF) and match it against text:
//                 {name}  (a letter, then letters/digits/_) matches one token without spaces and
//                         captures it: `C: {tag} UID FETCH 1:* (UID)`; rebinding is allowed
//                 {*} and ***  match any run of bytes (*** is how the log masks secrets)
//               everything else matches itself. IMAP literal markers ({5}, {5+}) are plain text.
//   L: escaped  literal bytes (escapes \\ \r \n \t \xHH; no CRLF implied). After an S: line they
//               are sent; after a C: line they are what the client must send after its `{n}` marker
//               (`L: ***` accepts any bytes). The rest of the wire line follows as the next S:/C:.
//   E: n        n literal bytes: sent as 'x' filler, or read from the client and not compared
//   W ms        wait ms milliseconds (a hang), ending early if the client hangs up
//   X           close the connection now; after S:/L: lines this is a drop in the middle of a
//               response or a literal
//   Z           COMPRESS=DEFLATE from here on, both directions
//   ===         the script of the next accepted connection begins
//   # ...       comment; blank lines are ignored
// In S: lines `{name}` is replaced by what the last C: line captured under that name.
// At the end of a connection's script the server closes it (gracefully).
//
// Every mismatch, unexpected EOF or client silence (5 s) is a failure "<scenario>:<line>: what";
// the connection is then closed and the script stops. finish() returns them; the destructor
// reports any not yet collected with ADD_FAILURE. The server runs on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mailprune::imap::test {

struct ScenarioStep {
  enum class Kind { send, expect, literal, elided, wait, close, compress };
  Kind kind = Kind::send;
  std::string text;          // send/expect: the line; literal: unescaped bytes
  std::uint64_t number = 0;  // elided: bytes; wait: milliseconds
  bool wildcard = false;     // literal `L: ***`
  int line = 0;              // in the scenario file
};

struct Scenario {
  std::string name;
  std::vector<std::vector<ScenarioStep>> connections;
};

// Throws std::runtime_error "<name>:<line>: ..." on a malformed scenario.
Scenario parse_scenario(std::string_view text, std::string name);
// From tests/connectors/imap/scenarios/<file>.
Scenario load_scenario(const std::string& file);

// True when `line` matches the C: pattern; captures are added to / replaced in `captures`.
bool match_client_line(std::string_view pattern, std::string_view line,
                       std::vector<std::pair<std::string, std::string>>& captures);

class ScriptedServer {
 public:
  explicit ScriptedServer(Scenario scenario);
  explicit ScriptedServer(std::string_view scenario_text) : ScriptedServer(parse_scenario(scenario_text, "inline")) {}
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // Waits up to `timeout` for every script to end (then stops the server) and returns the failures.
  std::vector<std::string> finish(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  class Player;
  void serve();
  void fail(int line, const std::string& what);

  Scenario scenario_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::vector<std::string> failures_;
  bool collected_ = false;
  std::thread thread_;
};

}  // namespace mailprune::imap::test
