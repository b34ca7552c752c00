// logged_child.hpp: a program the test runs in the background (typically `mailprune serve`), its
// stdout and stderr in a log file that the test reads while it runs, stopped by PID.
//
//   LoggedChild serve(dir / "serve.log", {MAILPRUNE_BINARY, "--config", config, "serve",
//                                         "--listen", "127.0.0.1:0"});
//   std::uint16_t port = serve.wait_for_port();  // 0: it exited or took too long; see serve.log()
//
// The child gets SIGKILL as its parent-death signal, so a crashing test leaves nothing running;
// the destructor stops it (SIGTERM, then SIGKILL after 5 s). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/process.hpp"

namespace mailprune::test {

class LoggedChild {
 public:
  // Starts argv[0] with `argv` and the extra environment entries ("NAME=value"). Throws
  // std::system_error when it cannot start.
  LoggedChild(std::string log_path, std::vector<std::string> argv, std::vector<std::string> env = {});
  ~LoggedChild();
  LoggedChild(const LoggedChild&) = delete;
  LoggedChild& operator=(const LoggedChild&) = delete;

  // Group 1 of the first match of the ECMAScript `pattern` in the log (the whole match when it
  // has no group), polling every 50 ms; "" when the child exited or `timeout` passed first.
  std::string wait_for(const std::string& pattern, std::chrono::milliseconds timeout);
  // The port of serve's first "listening on http://127.0.0.1:PORT" line (serve started with
  // --listen 127.0.0.1:0 picks a free port itself); 0 when it exited or time ran out.
  std::uint16_t wait_for_port(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  std::string log() const;
  const std::string& log_path() const { return log_path_; }
  platform::Process& process() { return process_; }

 private:
  std::string log_path_;
  platform::Process process_;
};

}  // namespace mailprune::test
