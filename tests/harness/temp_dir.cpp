#include "harness/temp_dir.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace mailprune::test {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string temp_base() {
  for (const char* name : {"MAILPRUNE_TEST_TMPDIR", "TMPDIR"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "/tmp";
}

platform::Account resolve_test_account() {
  if (!platform::running_as_root()) {
    struct passwd* pw = ::getpwuid(::geteuid());
    if (pw == nullptr) throw std::runtime_error("cannot find the current user in the passwd database");
    return platform::Account{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : ""};
  }
  const char* env = std::getenv("MAILPRUNE_TEST_ACCOUNT");
  std::string name = env != nullptr && *env != '\0' ? env : "mailprune";
  auto account = platform::find_account(name);
  if (!account) {
    throw std::runtime_error("test account '" + name +
                             "' does not exist; run scripts/setup, or: useradd --system --user-group "
                             "--home-dir /nonexistent --shell /usr/sbin/nologin " +
                             name + " (or set MAILPRUNE_TEST_ACCOUNT)");
  }
  if (account->uid == 0) throw std::runtime_error("test account '" + name + "' must not be root");
  return *account;
}

}  // namespace

const platform::Account& test_account() {
  static const platform::Account account = resolve_test_account();
  return account;
}

std::optional<platform::Account> run_as_test_account() {
  if (!platform::running_as_root()) return std::nullopt;
  return test_account();
}

std::string random_hex(std::size_t length) {
  static std::mutex mutex;
  static std::mt19937_64 engine{std::random_device{}() ^ (static_cast<std::uint64_t>(::getpid()) << 32)};
  static const char digits[] = "0123456789abcdef";
  std::lock_guard lock(mutex);
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) out.push_back(digits[engine() & 15]);
  return out;
}

std::string make_name(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  std::string clean;
  for (char c : prefix) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    clean.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_');
  }
  if (clean.empty() || (clean[0] >= '0' && clean[0] <= '9')) clean.insert(0, "t");
  std::ostringstream out;
  out << clean << '_' << ::getpid() << '_' << counter++ << '_' << random_hex(6);
  return out.str();
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool keep_test_dirs() {
  const char* value = std::getenv("MAILPRUNE_KEEP_TEST_DIRS");
  return value != nullptr && std::string(value) == "1";
}

void give_to_test_account(const std::string& path) {
  if (!platform::running_as_root()) return;
  const auto& account = test_account();
  if (::lchown(path.c_str(), account.uid, account.gid) != 0) throw_errno("chown " + path);
}

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = temp_base() + "/mp-" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
  path_ = pattern;
  if (::chmod(path_.c_str(), 0711) != 0) throw_errno("chmod " + path_);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  remove();
}

void TempDir::remove() {
  if (path_.empty()) return;
  if (keep_test_dirs()) {
    std::cerr << "[harness] kept test directory " << path_ << '\n';
  } else {
    // A server's children can outlive its master by a moment (Dovecot's imap processes write their
    // index on the way out), adding files while remove_all walks the tree: try again briefly.
    std::error_code error;
    for (int attempt = 0; attempt < 40; ++attempt) {
      fs::remove_all(path_, error);
      if (!error && !fs::exists(path_, error)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (fs::exists(path_, error)) std::cerr << "[harness] could not remove " << path_ << '\n';
  }
  path_.clear();
}

std::string TempDir::make_subdir(const std::string& relative, bool for_account, mode_t mode) const {
  std::string full = path_ + "/" + relative;
  fs::create_directories(fs::path(full).parent_path());
  if (::mkdir(full.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + full);
  if (::chmod(full.c_str(), mode) != 0) throw_errno("chmod " + full);
  if (for_account) give_to_test_account(full);
  return full;
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  std::string temp = path + ".tmp-" + random_hex(8);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("create " + temp);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw std::system_error(err, std::generic_category(), "write " + temp);
    }
    done += static_cast<std::size_t>(n);
  }
  // fchmod: the umask may have narrowed `mode` at creation.
  int err = ::fchmod(fd, mode) != 0 ? errno : 0;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    throw std::system_error(err, std::generic_category(), "write " + path);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace mailprune::test
