#include "harness/server_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace mailprune::test {

ServerProcess::~ServerProcess() {
  stop();
}

void ServerProcess::start(platform::SpawnOptions options, std::string name, std::string log_path, int stop_signal,
                          int death_signal) {
  stop();
  name_ = std::move(name);
  log_path_ = std::move(log_path);
  stop_signal_ = stop_signal;
  options.stdout_path = log_path_;
  options.stderr_path = "=stdout";
  options.parent_death_signal = death_signal;
  process_ = platform::spawn(options);
  stopped_ = false;
}

ServerProcess::Outcome ServerProcess::wait_until(const std::function<bool()>& ready,
                                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!process_.running()) {
      stopped_ = true;
      return Outcome::exited;
    }
    if (ready()) return Outcome::ready;
    if (std::chrono::steady_clock::now() >= deadline) {
      stop(std::chrono::seconds(5));
      fail("not ready after " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int ServerProcess::stop(std::chrono::milliseconds grace) {
  if (stopped_ || !process_.valid()) return -1;
  stopped_ = true;
  return process_.terminate(grace, stop_signal_);
}

std::string ServerProcess::log_tail(std::size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary | std::ios::ate);
  if (!in) return "(no log at " + log_path_ + ")";
  auto size = static_cast<std::size_t>(in.tellg());
  std::size_t start = size > bytes ? size - bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string tail(size - start, '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return tail;
}

void ServerProcess::fail(const std::string& why) const {
  throw std::runtime_error(name_ + ": " + why + "\n--- " + log_path_ + " (tail) ---\n" + log_tail());
}

bool pid_alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

std::string read_greeting(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[512];
    while (line.find("\r\n") == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      line.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  auto end = line.find("\r\n");
  return end == std::string::npos ? "" : line.substr(0, end);
}

std::string run_checked(const std::vector<std::string>& argv, const std::optional<platform::Account>& run_as,
                        const std::vector<std::string>& extra_env) {
  auto result = platform::run(argv, run_as, extra_env);
  if (result.exit_code != 0) {
    std::string command;
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
    throw std::runtime_error("'" + command + "' failed with exit code " + std::to_string(result.exit_code) + ":\n" +
                             result.output);
  }
  return result.output;
}

}  // namespace mailprune::test
