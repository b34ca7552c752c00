// session.hpp: one IMAP connection over TCP (Boost.Asio) with OpenSSL, on top of the sans-I/O
// framer, grammar and command builder of this folder.
//
// Synchronous API (each call blocks its thread; the crawl runs one Session per worker thread).
// Inside, I/O is Asio with a per-session io_context, so every read and write has a deadline
// (SessionOptions::timeout): a silent server costs one timeout, never a hung thread.
//
// Opening: TCP connect (every address of the host, in order) -> implicit TLS, or plaintext and
// STARTTLS, or plaintext only when asked -> greeting (PREAUTH accepted, BYE is an error) ->
// CAPABILITY (unless in the greeting) -> authentication (PLAIN with SASL-IR when offered, LOGIN,
// or XOAUTH2; PLAIN carries `authzid` for Cyrus-style admin access; a Dovecot master login is just
// authcid "user*admin") -> CAPABILITY again if the server did not send it with the tagged OK ->
// ENABLE QRESYNC (or CONDSTORE) when offered -> COMPRESS DEFLATE when offered and wanted ->
// ID when offered. Certificate and host name verification are on unless
// `verify_certificate` is false (then a warning is the caller's job: the library never logs).
//
// Errors: connection-level problems (connect, TLS, EOF, timeout, BYE, framing, a response the
// grammar cannot read) throw imap::Error with its kind, and the session is dead afterwards
// (alive() false): open a new one. A tagged NO or BAD is NOT thrown: it is in
// CommandResult::status for the caller to judge (NO [PARSE] on BINARY, NO on a range...).
// Error::command_in_flight / command_mutates are filled so outcome_unknown() is meaningful.
//
// Pipelining: run_pipelined() keeps up to `window` commands in flight (written before earlier
// ones completed). Untagged responses are delivered with the oldest command still in flight, but
// a server may interleave the untagged data of pipelined commands (Dovecot does, for UID FETCHes
// of different items): callers match FETCH data by UID, never by which command it came with.
// Commands that need a `+` continuation are never pipelined behind others (they go one at a time).
//
// Literal streaming: with a literal sink set, literals larger than
// limits.stream_literals_above go to the sink chunk by chunk (already inflated, never buffered
// whole); see framer.hpp LiteralChunk. Parsed FETCH sections then carry `streamed = true`.
//
// Traffic log (opt-in, `traffic_log` path): every line written and read, in the transcript format
// the scripted test server replays (`C: ` / `S: ` prefixes, literal bodies included up to 4 KiB
// then elided with their size), secrets masked (Command::loggable()). So a real session becomes
// a test case.
//
// Not thread-safe: one thread at a time per Session.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "imap/command.hpp"
#include "imap/error.hpp"
#include "imap/framer.hpp"
#include "imap/parser_limits.hpp"
#include "imap/response.hpp"

namespace mailprune::imap {

enum class Transport { implicit_tls, starttls, plain };
enum class AuthMechanism { plain, login, xoauth2 };

struct SessionOptions {
  std::string host;
  std::uint16_t port = 993;
  Transport transport = Transport::implicit_tls;
  bool verify_certificate = true;  // certificate chain and host name (or IP address)
  std::string ca_file;             // PEM; "" uses the system's default CAs
  AuthMechanism auth = AuthMechanism::plain;
  std::string authcid;                        // login name ("admin", or "alice*admin" for a Dovecot master user)
  std::string password;                       // password, or the access token for XOAUTH2; never logged
  std::string authzid;                        // PLAIN only: act as this user (Cyrus admin); "" for none
  std::chrono::milliseconds timeout{60'000};  // connect, TLS handshake, and every read/write
  bool compress = true;                       // COMPRESS=DEFLATE when the server offers it
  std::string traffic_log;                    // "" off; a file path to append the transcript to
  FramerLimits framer_limits;
  ParserLimits parser_limits;
};

struct CommandResult {
  StatusResponse status;           // the tagged completion (OK, NO or BAD)
  std::vector<Response> untagged;  // untagged responses received while this command was oldest in flight
  [[nodiscard]] bool ok() const noexcept { return status.condition == Condition::ok; }
};

struct SessionTraffic {
  std::uint64_t bytes_received = 0;  // on the wire (after TLS, before inflate)
  std::uint64_t bytes_sent = 0;      // on the wire
  std::uint64_t bytes_inflated = 0;  // after inflate (equals bytes_received without COMPRESS)
  std::uint64_t commands = 0;        // tagged commands completed
  std::uint64_t round_trips = 0;     // times the session waited for the server with nothing else to write
};

class Session {
 public:
  // Connects and authenticates (see above). Throws imap::Error: kind connection (connect, TLS,
  // certificate), no (authentication refused: Error::code may be AUTHENTICATIONFAILED), bye, timeout.
  static std::unique_ptr<Session> open(const SessionOptions& options);

  virtual ~Session() = default;

  // Capabilities as last announced (upper-cased), e.g. "BINARY", "AUTH=PLAIN", "COMPRESS=DEFLATE".
  [[nodiscard]] virtual const std::set<std::string>& capabilities() const = 0;
  [[nodiscard]] bool has(std::string_view capability) const {
    return capabilities().count(std::string(capability)) != 0;
  }
  // What the command builders need to know about this server (LITERAL+, LITERAL-, UTF8=ACCEPT).
  [[nodiscard]] virtual CommandOptions command_options() const = 0;
  // Capabilities enabled with ENABLE ("QRESYNC", "CONDSTORE").
  [[nodiscard]] virtual const std::set<std::string>& enabled() const = 0;
  [[nodiscard]] virtual bool compressed() const = 0;

  // The per-connection tag generator, for the builders.
  virtual TagGenerator& tags() = 0;

  // Runs one command to its tagged completion. Throws imap::Error on connection-level failures.
  virtual CommandResult run(const Command& command) = 0;

  // Runs `commands` in order with up to `window` in flight; `on_result(index, result)` is called
  // for each, in order, as soon as it completes (so results can be stored while later commands
  // are still on the wire). Throws imap::Error on connection-level failures (results already
  // delivered stay delivered).
  virtual void run_pipelined(const std::vector<Command>& commands, std::size_t window,
                             const std::function<void(std::size_t index, CommandResult&& result)>& on_result) = 0;

  // Streams large literals (see above); an empty function turns streaming off.
  virtual void set_literal_sink(LiteralSink sink) = 0;

  // False once a connection-level error happened or the server said BYE.
  [[nodiscard]] virtual bool alive() const = 0;
  [[nodiscard]] virtual SessionTraffic traffic() const = 0;

  // LOGOUT and close; best effort, never throws.
  virtual void close() noexcept = 0;
};

}  // namespace mailprune::imap
