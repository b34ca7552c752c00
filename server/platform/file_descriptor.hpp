// file_descriptor.hpp: owning a POSIX file descriptor, and making a folder's entries durable.
//
// UniqueFd closes the descriptor it holds when it goes out of scope (a negative one is "none"); it
// moves, never copies. fsync_directory() makes a name created, renamed or linked in `dir` survive
// a crash (write the file, fsync it, publish its name, then fsync the folder). Both are safe from
// any thread on distinct objects.
#pragma once

#include <string>

namespace mailprune::platform {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept;
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The descriptor (negative when none: e.g. the open(2) that made it failed, errno says why).
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens `dir` and fsyncs it. Returns 0, or the errno of the open(2) or fsync(2) that failed.
int fsync_directory(const std::string& dir);

}  // namespace mailprune::platform
