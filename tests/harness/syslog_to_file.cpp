// syslog_to_file.cpp: an LD_PRELOAD library that sends a process's syslog(3) messages to a file.
//
// Cyrus daemons (master, imapd) log only through syslog(3): no option writes their log to a file
// or to stderr (only the command-line tools add LOG_PERROR). This machine, like most containers,
// has no /dev/log, so without this library a Cyrus that fails says nothing at all. The Cyrus
// fixture (cyrus_server.cpp) preloads it into master, which passes its environment on to every
// service it spawns.
//
// Each message is appended as one line, "<UTC time> <ident>[<pid>]: <level>: <text>", to the
// file named by $MAILPRUNE_SYSLOG_FILE (nothing is written when it is unset). The file is opened
// for each message, not kept open: Cyrus services dup2 the client socket over their low
// descriptors and close what they do not know, so a kept descriptor could end up being the
// client's connection. One write(2) per line with O_APPEND keeps lines from concurrent processes
// whole. setlogmask(3) is honoured (Cyrus uses it to hide debug messages).
//
// Deliberately tiny and dependency-free: no C++ library, no allocation, async-signal-unsafe only
// where syslog(3) itself is.
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

const char* ident_ = nullptr;
int mask_ = 0xff;  // every priority, like glibc's default

const char* level_name(int priority) {
  static const char* const names[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
  return names[LOG_PRI(priority)];
}

void write_line(int priority, const char* format, va_list args) {
  const int saved_errno = errno;  // for %m, which glibc's vsnprintf expands from errno
  if ((LOG_MASK(LOG_PRI(priority)) & mask_) == 0) return;
  const char* path = std::getenv("MAILPRUNE_SYSLOG_FILE");
  if (path == nullptr || *path == '\0') return;

  char line[8192];
  std::timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::tm tm{};
  ::gmtime_r(&now.tv_sec, &tm);
  std::size_t used = std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  int n = std::snprintf(line + used, sizeof line - used, ".%03ldZ %s[%d]: %s: ", now.tv_nsec / 1000000,
                        ident_ != nullptr ? ident_ : program_invocation_short_name, static_cast<int>(::getpid()),
                        level_name(priority));
  if (n > 0) used += static_cast<std::size_t>(n);
  if (used >= sizeof line - 2) used = sizeof line - 2;
  errno = saved_errno;
  n = std::vsnprintf(line + used, sizeof line - used - 1, format, args);
  if (n > 0) used += std::min(static_cast<std::size_t>(n), sizeof line - used - 2);
  while (used > 0 && line[used - 1] == '\n') --used;
  line[used++] = '\n';

  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (fd >= 0) {
    [[maybe_unused]] ssize_t ignored = ::write(fd, line, used);
    ::close(fd);
  }
  errno = saved_errno;
}

}  // namespace

// The names glibc exports (the _chk variants are what -D_FORTIFY_SOURCE builds call).
extern "C" {

void openlog(const char* ident, int /*option*/, int /*facility*/) {
  ident_ = ident;
}

void closelog(void) {}

int setlogmask(int mask) {
  const int previous = mask_;
  if (mask != 0) mask_ = mask;
  return previous;
}

void vsyslog(int priority, const char* format, va_list args) {
  write_line(priority, format, args);
}

void syslog(int priority, const char* format, ...) {
  va_list args;
  va_start(args, format);
  write_line(priority, format, args);
  va_end(args);
}

void __vsyslog_chk(int priority, int /*flag*/, const char* format, va_list args) {
  write_line(priority, format, args);
}

void __syslog_chk(int priority, int /*flag*/, const char* format, ...) {
  va_list args;
  va_start(args, format);
  write_line(priority, format, args);
  va_end(args);
}

}  // extern "C"
