// process.hpp: start and stop child processes by PID, optionally as another (unprivileged) user.
//
// Used by the embedded PostgreSQL (initdb, pg_ctl) and by the test harness (postgres, dovecot).
// No shell is involved: argv is passed to execvp as is. Functions are thread-safe; a Process
// object is not (own it from one thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

namespace mailprune::platform {

// A Unix account to run a child as. Looked up with getpwnam.
struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// Looks up `name`; nullopt when the account does not exist.
std::optional<Account> find_account(const std::string& name);

// True when this process runs as root (effective uid 0).
bool running_as_root();

struct SpawnOptions {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH
  std::vector<std::string> extra_env;  // "NAME=value" added to (or replacing in) the environment
  std::optional<Account> run_as;       // drop to this account in the child (needs root)
  std::string working_dir;             // "" keeps ours
  std::string stdout_path;             // "" inherits; otherwise appended to this file
  std::string stderr_path;             // "" inherits; "=stdout" joins stdout
  bool new_session = true;             // setsid(), so a terminal's ^C reaches only us
  // Signal the child receives when the thread that spawned it dies (Linux PR_SET_PDEATHSIG; set
  // after dropping privileges, which would clear it). 0: none. Test servers use it so a crashed
  // test binary leaves no server behind.
  int parent_death_signal = 0;
};

// A started child. Destruction does NOT kill it: call terminate() or wait().
class Process {
 public:
  Process() = default;
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid() const { return pid_; }
  bool valid() const { return pid_ > 0; }
  // Non-blocking: true while the child has not exited (reaps it when it has).
  bool running();
  // Blocks until exit; returns the exit status (128+signal when killed). -1 when not ours.
  int wait();
  // Waits up to `timeout`; nullopt when still running.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends `signal` (SIGTERM by default; PostgreSQL's fast shutdown is SIGINT), then SIGKILL after
  // `grace`; returns the exit status.
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(10), int signal = SIGTERM);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Starts a child. Throws std::system_error when fork/exec fails (exec failure is reported
// through a close-on-exec pipe, so "no such program" is an error here, not an exit code).
Process spawn(const SpawnOptions& options);

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a child to completion, capturing its output. Throws like spawn().
RunResult run(const std::vector<std::string>& argv, const std::optional<Account>& run_as = std::nullopt,
              const std::vector<std::string>& extra_env = {});

// Searches PATH for an executable; "" when absent.
std::string find_in_path(const std::string& program);

}  // namespace mailprune::platform
