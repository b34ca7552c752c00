#include "security/keys.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "platform/file_descriptor.hpp"
#include "security/encoding.hpp"

namespace mailprune::security {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMinimumDistinctBytes = 8;

void check_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  if (!ok) throw KeyError(fmt::format("invalid key name \"{}\" (lower-case letters, digits, '-', '_')", name));
}

std::string errno_text(int error) {
  return std::strerror(error);
}

using platform::UniqueFd;

void fsync_directory(const std::string& dir) {
  if (const int error = platform::fsync_directory(dir); error != 0) {
    throw KeyError(fmt::format("cannot sync folder {}: {}", dir, errno_text(error)));
  }
}

// Reads an existing key file; nullopt when there is none.
std::optional<Key> read_key_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw KeyError(fmt::format("cannot open key file {}: {}", path, errno_text(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw KeyError(fmt::format("cannot stat key file {}: {}", path, errno_text(errno)));
  if (!S_ISREG(st.st_mode)) throw KeyError(fmt::format("key file {} is not a regular file", path));
  if ((st.st_mode & 077) != 0) {
    throw KeyError(fmt::format("key file {} is readable or writable by others (mode {:04o}): run chmod 600 {}", path,
                               st.st_mode & 07777, path));
  }
  char buffer[256];
  std::string text;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw KeyError(fmt::format("cannot read key file {}: {}", path, errno_text(errno)));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > 1024) break;
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto bytes = text.size() == 64 ? hex_decode(text) : std::nullopt;
  if (!bytes) {
    throw KeyError(fmt::format(
        "key file {} is damaged (expected one line of 64 hex digits); restore it from a backup, or remove it to "
        "create a new key (links signed with the old key then stop working)",
        path));
  }
  Key key{};
  std::memcpy(key.data(), bytes->data(), key.size());
  return key;
}

// Writes a fresh random key next to `path` and publishes it with link(2) unless another process
// did first. Returns the key now in `path` (ours or the winner's).
Key create_key_file(const std::string& dir, const std::string& path, std::string_view name) {
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw KeyError("cannot generate a random key: the system's random generator failed (OpenSSL RAND_bytes)");
  }
  std::string temp = fmt::format("{}/.{}.key.XXXXXX", dir, name);
  UniqueFd fd(::mkstemp(temp.data()));  // mode 0600
  if (fd.get() < 0) throw KeyError(fmt::format("cannot create a key file in {}: {}", dir, errno_text(errno)));
  std::string line = hex_encode(bytes_of(key)) + "\n";
  bool ok = ::fchmod(fd.get(), 0600) == 0 &&
            ::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd.get()) == 0;
  int error = errno;
  if (!ok) {
    ::unlink(temp.c_str());
    throw KeyError(fmt::format("cannot write key file {}: {}", temp, errno_text(error)));
  }
  int linked = ::link(temp.c_str(), path.c_str());
  error = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (error != EEXIST) throw KeyError(fmt::format("cannot create key file {}: {}", path, errno_text(error)));
    // Another process published its key first: everyone uses that one.
    auto existing = read_key_file(path);
    if (!existing) throw KeyError(fmt::format("key file {} vanished while being created", path));
    return *existing;
  }
  fsync_directory(dir);
  return key;
}

}  // namespace

std::string key_file_path(const config::Config& config, std::string_view name) {
  check_name(name);
  return (fs::path(config.data_dir) / "keys" / fmt::format("{}.key", name)).string();
}

Key parse_configured_key(std::string_view name, const config::Secret& configured) {
  std::string_view text = configured.reveal();
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  std::string where = configured.origin().empty() ? "the configuration" : configured.origin();
  std::optional<std::string> bytes = hex_decode(text);
  if (!bytes) bytes = base64_decode_any(text);
  if (!bytes) {
    throw KeyError(
        fmt::format("the {} key (from {}) is neither hex nor base64: give at least 32 random bytes, e.g. the output of "
                    "`openssl rand -hex 32`",
                    name, where));
  }
  if (bytes->size() < 32) {
    throw KeyError(fmt::format(
        "the {} key (from {}) is too short: it decodes to {} bytes, and at least 32 random bytes are needed (e.g. "
        "`openssl rand -hex 32`)",
        name, where, bytes->size()));
  }
  std::set<char> distinct(bytes->begin(), bytes->end());
  if (distinct.size() < kMinimumDistinctBytes) {
    throw KeyError(fmt::format(
        "the {} key (from {}) does not look random (only {} distinct byte values): generate one with `openssl rand "
        "-hex 32`",
        name, where, distinct.size()));
  }
  Key key{};
  if (bytes->size() == key.size()) {
    std::memcpy(key.data(), bytes->data(), key.size());
  } else {
    SHA256(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size(), key.data());
  }
  return key;
}

Key load_or_create_key(const config::Config& config, std::string_view name, const config::Secret& configured) {
  check_name(name);
  if (!configured.empty()) return parse_configured_key(name, configured);

  std::string path = key_file_path(config, name);
  if (auto existing = read_key_file(path)) return *existing;

  std::string dir = (fs::path(config.data_dir) / "keys").string();
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) throw KeyError(fmt::format("cannot create the data folder {}: {}", config.data_dir, ec.message()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw KeyError(fmt::format("cannot create folder {}: {}", dir, errno_text(errno)));
  }
  // Whoever can write into the folder can swap the key: refuse a folder others can write to.
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw KeyError(fmt::format("{} is not a folder", dir));
  }
  if ((st.st_mode & 022) != 0) {
    throw KeyError(
        fmt::format("folder {} is writable by others (mode {:04o}): run chmod 700 {}", dir, st.st_mode & 07777, dir));
  }
  return create_key_file(dir, path, name);
}

}  // namespace mailprune::security
