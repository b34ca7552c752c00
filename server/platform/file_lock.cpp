#include "platform/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace mailprune::platform {
namespace {

int open_lock_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open lock file " + path);
  return fd;
}

int lock_operation(FileLock::Mode mode) {
  return mode == FileLock::Mode::shared ? LOCK_SH : LOCK_EX;
}

}  // namespace

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

FileLock FileLock::acquire(const std::string& path, Mode mode) {
  int fd = open_lock_file(path);
  while (::flock(fd, lock_operation(mode)) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "cannot lock " + path);
  }
  return FileLock(fd);
}

FileLock FileLock::try_acquire(const std::string& path, Mode mode) {
  int fd = open_lock_file(path);
  if (::flock(fd, lock_operation(mode) | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return FileLock();
    throw std::system_error(err, std::generic_category(), "cannot lock " + path);
  }
  return FileLock(fd);
}

void FileLock::release() {
  if (fd_ >= 0) {
    ::close(fd_);  // closing the last descriptor releases the flock
    fd_ = -1;
  }
}

}  // namespace mailprune::platform
