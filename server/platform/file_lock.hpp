// file_lock.hpp: advisory whole-file locks (flock) held for the life of an object.
//
// flock locks belong to the open file description, so two FileLock objects in one process on the
// same path exclude each other like two processes would, and a process killed with -9 loses its
// locks at once: no stale lock files to clean up.
#pragma once

#include <string>

namespace mailprune::platform {

class FileLock {
 public:
  enum class Mode { shared, exclusive };

  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  ~FileLock();

  // Blocks until the lock is held. Creates the file (0600) if needed. Throws std::system_error.
  static FileLock acquire(const std::string& path, Mode mode);
  // Returns an unlocked FileLock (locked() false) when another holder conflicts.
  static FileLock try_acquire(const std::string& path, Mode mode);

  bool locked() const { return fd_ >= 0; }
  void release();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace mailprune::platform
