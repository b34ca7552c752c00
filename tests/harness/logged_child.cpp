#include "harness/logged_child.hpp"

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace mailprune::test {

LoggedChild::LoggedChild(std::string log_path, std::vector<std::string> argv, std::vector<std::string> env)
    : log_path_(std::move(log_path)) {
  platform::SpawnOptions options;
  options.argv = std::move(argv);
  options.extra_env = std::move(env);
  options.stdout_path = log_path_;
  options.stderr_path = "=stdout";
  options.parent_death_signal = SIGKILL;
  process_ = platform::spawn(options);
}

LoggedChild::~LoggedChild() {
  if (process_.valid() && process_.running()) process_.terminate(std::chrono::seconds(5));
}

std::string LoggedChild::wait_for(const std::string& pattern, std::chrono::milliseconds timeout) {
  const std::regex re(pattern);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const std::string text = log();
    std::smatch match;
    if (std::regex_search(text, match, re)) return match.size() > 1 ? match[1].str() : match[0].str();
    if (!process_.running() || std::chrono::steady_clock::now() >= deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::uint16_t LoggedChild::wait_for_port(std::chrono::milliseconds timeout) {
  const std::string port = wait_for("listening on http://127\\.0\\.0\\.1:([0-9]+)", timeout);
  return port.empty() ? 0 : static_cast<std::uint16_t>(std::stoi(port));
}

std::string LoggedChild::log() const {
  std::ifstream in(log_path_, std::ios::binary);  // not there yet: nothing logged so far
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace mailprune::test
