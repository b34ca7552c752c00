#include "platform/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

extern char** environ;

namespace mailprune::platform {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool same_variable(const std::string& a, const std::string& b) {
  auto a_eq = a.find('=');
  auto b_eq = b.find('=');
  return a_eq == b_eq && a.compare(0, a_eq, b, 0, b_eq) == 0;
}

// The inherited environment with `extra` added; a later entry replaces an earlier one of the same
// name, so each variable appears once (getenv would take the first of duplicates).
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto add = [&env](const std::string& entry) {
    for (auto& existing : env) {
      if (same_variable(existing, entry)) {
        existing = entry;
        return;
      }
    }
    env.push_back(entry);
  };
  for (char** e = environ; *e != nullptr; ++e) add(*e);
  for (const auto& x : extra) add(x);
  return env;
}

[[noreturn]] void child_fail(int report_fd, int err) {
  // Only async-signal-safe calls between fork and exec.
  ssize_t ignored = ::write(report_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

int open_output(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

}  // namespace

std::optional<Account> find_account(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return Account{found->pw_name, found->pw_uid, found->pw_gid, found->pw_dir ? found->pw_dir : ""};
}

bool running_as_root() {
  return ::geteuid() == 0;
}

std::string find_in_path(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return ::access(program.c_str(), X_OK) == 0 ? program : "";
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

Process spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<std::string> extra;
  if (options.run_as) {
    extra = {"HOME=" + options.run_as->home, "USER=" + options.run_as->name, "LOGNAME=" + options.run_as->name};
  }
  extra.insert(extra.end(), options.extra_env.begin(), options.extra_env.end());
  std::vector<std::string> env_strings = merged_environment(extra);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string program = find_in_path(options.argv[0]);
  if (program.empty()) {
    throw std::system_error(ENOENT, std::generic_category(), "cannot run '" + options.argv[0] + "'");
  }
  int out_fd = -1;
  int err_fd = -1;
  if (!options.stdout_path.empty()) {
    out_fd = open_output(options.stdout_path);
    if (out_fd < 0) throw std::system_error(errno, std::generic_category(), "open " + options.stdout_path);
  }
  auto close_outputs = [&] {
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
  };
  if (!options.stderr_path.empty() && options.stderr_path != "=stdout") {
    err_fd = open_output(options.stderr_path);
    if (err_fd < 0) {
      int err = errno;
      close_outputs();
      throw std::system_error(err, std::generic_category(), "open " + options.stderr_path);
    }
  }
  std::vector<gid_t> groups;
  if (options.run_as) {
    int count = 64;
    groups.resize(count);
    if (::getgrouplist(options.run_as->name.c_str(), options.run_as->gid, groups.data(), &count) < 0) {
      groups.resize(count);
      ::getgrouplist(options.run_as->name.c_str(), options.run_as->gid, groups.data(), &count);
    }
    groups.resize(count);
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    int err = errno;
    close_outputs();
    throw std::system_error(err, std::generic_category(), "pipe");
  }
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    close_outputs();
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::close(report[0]);
    if (options.new_session) ::setsid();
    if (out_fd >= 0 && ::dup2(out_fd, STDOUT_FILENO) < 0) child_fail(report[1], errno);
    if (err_fd >= 0 && ::dup2(err_fd, STDERR_FILENO) < 0) child_fail(report[1], errno);
    if (options.stderr_path == "=stdout" && ::dup2(STDOUT_FILENO, STDERR_FILENO) < 0) child_fail(report[1], errno);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      if (devnull != STDIN_FILENO) ::close(devnull);  // else the program inherits a stray descriptor
    }
    if (options.run_as) {
      if (::setgroups(groups.size(), groups.data()) != 0) child_fail(report[1], errno);
      if (::setgid(options.run_as->gid) != 0) child_fail(report[1], errno);
      if (::setuid(options.run_as->uid) != 0) child_fail(report[1], errno);
    }
    if (options.parent_death_signal != 0) {
      // After setuid, which clears it. If the parent already died, nobody will send it: do it now.
      if (::prctl(PR_SET_PDEATHSIG, options.parent_death_signal) != 0) child_fail(report[1], errno);
      if (::getppid() != parent) ::raise(options.parent_death_signal);
    }
    if (!options.working_dir.empty()) {
      if (::chdir(options.working_dir.c_str()) != 0) child_fail(report[1], errno);
    } else if (options.run_as && ::chdir("/") != 0) {
      // Our own working directory (often /root) is usually closed to the account we dropped to.
      child_fail(report[1], errno);
    }
    // Signal dispositions set to "ignore" and the blocked mask survive exec. A parent thread that
    // blocks signals (Asio's internal threads block all of them) would otherwise start a server
    // that ignores SIGTERM.
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), argv.data(), envp.data());
    child_fail(report[1], errno);
  }
  ::close(report[1]);
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof child_errno) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw std::system_error(child_errno, std::generic_category(), "cannot start '" + options.argv[0] + "'");
  }
  return Process(pid);
}

bool Process::running() {
  if (!valid() || status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(status);
    return false;
  }
  if (r < 0 && errno == ECHILD) status_ = -1;  // not our child (or reaped elsewhere): not waitable
  return r == 0;
}

int Process::wait() {
  if (!valid()) return -1;
  if (status_) return *status_;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? decode_status(status) : -1;
  return *status_;
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

int Process::terminate(std::chrono::milliseconds grace, int signal) {
  if (!valid()) return -1;
  if (!running()) return status_.value_or(-1);
  ::kill(pid_, signal);
  if (auto s = wait_for(grace)) return *s;
  ::kill(pid_, SIGKILL);
  return wait();
}

RunResult run(const std::vector<std::string>& argv, const std::optional<Account>& run_as,
              const std::vector<std::string>& extra_env) {
  char path_template[] = "/tmp/mailprune-run-XXXXXX";
  int fd = ::mkstemp(path_template);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
  ::close(fd);
  SpawnOptions options;
  options.argv = argv;
  options.run_as = run_as;
  options.extra_env = extra_env;
  options.stdout_path = path_template;
  options.stderr_path = "=stdout";
  RunResult result;
  try {
    Process p = spawn(options);
    result.exit_code = p.wait();
  } catch (...) {
    ::unlink(path_template);
    throw;
  }
  int in = ::open(path_template, O_RDONLY | O_CLOEXEC);
  if (in >= 0) {
    char buffer[8192];
    ssize_t n;
    while ((n = ::read(in, buffer, sizeof buffer)) > 0) result.output.append(buffer, static_cast<std::size_t>(n));
    ::close(in);
  }
  ::unlink(path_template);
  return result;
}

}  // namespace mailprune::platform
