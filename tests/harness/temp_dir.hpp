// temp_dir.hpp: throwaway state for test servers: unique temp dirs, unique names, free ports, and
// the unprivileged account that test servers run as.
//
// Tests run in parallel (ctest -j, one process per test case), so every name made here is unique
// across processes: mkdtemp for directories, pid + counter + random for other names.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "platform/process.hpp"

namespace mailprune::test {

// The account that owns and runs test servers (PostgreSQL refuses root; Dovecot refuses root mail
// processes). As root: `$MAILPRUNE_TEST_ACCOUNT`, default `mailprune`; throws std::runtime_error
// naming the `useradd` command when it does not exist. Not root: the current user.
const platform::Account& test_account();

// What to pass as SpawnOptions::run_as: the test account as root, nullopt otherwise (we already
// are that user).
std::optional<platform::Account> run_as_test_account();

// A name unique across processes and calls: `<prefix>_<pid>_<counter>_<random>`, lower-case
// letters, digits and '_' only, so it is valid as a database, user or file name.
std::string make_name(const std::string& prefix);

// A random string of `length` lower-case hex digits (passwords, tokens).
std::string random_hex(std::size_t length);

// A TCP port free on 127.0.0.1 right now: binds port 0 and reads what the kernel chose. Another
// process may take it before our server binds it, so servers retry with a new port when their bind
// fails.
std::uint16_t free_port();

// A directory created with mkdtemp under `$MAILPRUNE_TEST_TMPDIR`, `$TMPDIR` or /tmp, named
// `mp-<prefix>-XXXXXX` (short: unix socket paths are limited to 107 bytes). Mode 0711, so the test
// account can traverse it to the subdirectories it owns. Removed with everything in it when the
// object is destroyed, unless `MAILPRUNE_KEEP_TEST_DIRS=1`: then its path is printed to stderr and
// it stays. Move-only; not thread-safe.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // `path()/relative`, without creating anything.
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }
  // Creates `path()/relative` (and missing parents, owned by us) with `mode`, owned by the test
  // account when `for_account` (and we are root). Returns its path.
  std::string make_subdir(const std::string& relative, bool for_account, mode_t mode = 0700) const;
  // Removes the directory now (or keeps it, see above). Idempotent.
  void remove();

 private:
  std::string path_;
};

// True when MAILPRUNE_KEEP_TEST_DIRS=1.
bool keep_test_dirs();

// chown to the test account when we are root (no-op otherwise); throws std::system_error.
void give_to_test_account(const std::string& path);

// Writes `content` to `path` atomically (temp file + rename) with `mode`.
void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
std::string read_file(const std::string& path);

}  // namespace mailprune::test
