// server_process.hpp: the life cycle every test server shares: spawn with its output in a log
// file, wait until it answers, stop it by PID, and explain failures with the log's tail.
//
// Servers are started with a parent-death signal, so a test binary that crashes leaves no server
// running (its temp dir stays behind: there was nobody left to remove it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "platform/process.hpp"

namespace mailprune::test {

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // Stops the server (stop_signal, then SIGKILL) if still running.
  ~ServerProcess();

  // Spawns `options` (stdout and stderr appended to `log_path`, `death_signal` as the parent-death
  // signal). `name` appears in error messages. Throws std::system_error when it cannot start.
  void start(platform::SpawnOptions options, std::string name, std::string log_path, int stop_signal, int death_signal);

  enum class Outcome { ready, exited };
  // Polls `ready` every 50 ms until it returns true (ready), the process exits (exited: typically
  // a port taken between free_port() and bind, so the caller retries), or `timeout` passes (throws
  // std::runtime_error with the log's tail, after killing the server).
  Outcome wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout);

  // Sends the stop signal, waits up to `grace`, then SIGKILL. Returns the exit status; idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));

  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  const std::string& log_path() const { return log_path_; }
  // The last `bytes` of the log.
  std::string log_tail(std::size_t bytes = 3000) const;
  // Throws std::runtime_error: "<name>: <why>" and the log's tail.
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::string name_;
  std::string log_path_;
  int stop_signal_ = 0;
  platform::Process process_;
  bool stopped_ = true;
};

// True while a process with this PID exists (kill(pid, 0); a zombie counts as gone only once reaped).
bool pid_alive(pid_t pid);

// Connects to 127.0.0.1:`port` and reads the first line the server sends (without CRLF). "" when
// nothing listens or no full line arrives within `timeout`.
std::string read_greeting(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(2));

// Runs a command to completion; throws std::runtime_error with its output when the exit code is
// not 0. Returns the output (stdout and stderr together).
std::string run_checked(const std::vector<std::string>& argv,
                        const std::optional<platform::Account>& run_as = std::nullopt,
                        const std::vector<std::string>& extra_env = {});

}  // namespace mailprune::test
