#include "archive/store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "platform/file_descriptor.hpp"

namespace mailprune::archive {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunkSize = 256 * 1024;
constexpr auto kLeftoverAge = std::chrono::hours(1);

[[noreturn]] void fail_io(const std::string& what, int error) {
  throw ArchiveError(ArchiveError::Kind::io, fmt::format("{}: {}", what, std::strerror(error)));
}

using platform::UniqueFd;

void fsync_directory(const fs::path& dir) {
  if (const int error = platform::fsync_directory(dir.string()); error != 0) {
    fail_io(fmt::format("cannot sync folder {}", dir.string()), error);
  }
}

// mkdir 0700; a folder created here is made durable in its parent.
void ensure_directory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    fsync_directory(dir.parent_path());
    return;
  }
  if (errno != EEXIST) fail_io(fmt::format("cannot create folder {}", dir.string()), errno);
}

// Reads at most `buffer.size()` bytes, retrying on EINTR; returns 0 at the end. -1 with errno.
ssize_t read_some(int fd, std::vector<char>& buffer) {
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0 || errno != EINTR) return n;
  }
}

struct FileDigest {
  Sha256 sha256{};
  std::uint64_t size = 0;
};

// Hashes an open file from its start. Read errors throw ArchiveError(corrupt): the bytes cannot
// be had back, which is what matters to the caller.
FileDigest digest_of(int fd, const std::string& path) {
  if (::lseek(fd, 0, SEEK_SET) != 0) fail_io(fmt::format("cannot seek in {}", path), errno);
  Sha256Hasher hasher;
  FileDigest out;
  std::vector<char> buffer(kChunkSize);
  for (;;) {
    ssize_t n = read_some(fd, buffer);
    if (n < 0) {
      throw ArchiveError(ArchiveError::Kind::corrupt, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    out.size += static_cast<std::uint64_t>(n);
  }
  out.sha256 = hasher.finish();
  return out;
}

}  // namespace

ArchiveStore::ArchiveStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  if (root_.has_parent_path()) fs::create_directories(root_.parent_path(), ec);
  if (ec) {
    throw ArchiveError(ArchiveError::Kind::io,
                       fmt::format("cannot create folder {}: {}", root_.parent_path().string(), ec.message()));
  }
  ensure_directory(root_);
  ensure_directory(root_ / "objects");
  ensure_directory(root_ / "tmp");

  // Leftovers of writers killed mid-way. Age is the file's last write, so a slow writer still
  // feeding its file keeps it young.
  auto cutoff = fs::file_time_type::clock::now() - kLeftoverAge;
  for (const auto& entry : fs::directory_iterator(root_ / "tmp", ec)) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec) || entry.last_write_time(entry_ec) >= cutoff || entry_ec) continue;
    if (fs::remove(entry.path(), entry_ec)) {
      ++leftovers_removed_;
      spdlog::info("archive: removed {}, left by an interrupted write", entry.path().string());
    }
  }
}

fs::path ArchiveStore::default_root(const config::Config& config) {
  if (!config.archive.dir.empty()) return config.archive.dir;
  return fs::path(config.data_dir) / "archive";
}

fs::path ArchiveStore::object_path(const Sha256& sha256) const {
  std::string hex = to_hex(sha256);
  return root_ / "objects" / hex.substr(0, 2) / hex.substr(2, 2) / hex;
}

ArchiveStore::Writer ArchiveStore::writer() const {
  std::string temp = (root_ / "tmp" / "object-XXXXXX").string();
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) fail_io(fmt::format("cannot create a file in {}", (root_ / "tmp").string()), errno);
  return Writer(this, fd, std::move(temp));
}

StoredObject ArchiveStore::store(std::string_view content, const std::optional<Sha256>& expected) const {
  Writer w = writer();
  w.write(content);
  return w.commit(expected);
}

bool ArchiveStore::exists(const Sha256& sha256) const {
  struct stat st {};
  return ::stat(object_path(sha256).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::optional<std::uint64_t> ArchiveStore::size(const Sha256& sha256) const {
  struct stat st {};
  if (::stat(object_path(sha256).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

ObjectState ArchiveStore::verify(const Sha256& sha256) const {
  fs::path path = object_path(sha256);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return ObjectState::missing;
    fail_io(fmt::format("cannot open {}", path.string()), errno);
  }
  try {
    return digest_of(fd.get(), path.string()).sha256 == sha256 ? ObjectState::ok : ObjectState::corrupt;
  } catch (const ArchiveError& e) {
    if (e.kind() == ArchiveError::Kind::corrupt) return ObjectState::corrupt;
    throw;
  }
}

bool ArchiveStore::read(const Sha256& sha256, const ByteSink& sink) const {
  fs::path path = object_path(sha256);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      throw ArchiveError(ArchiveError::Kind::not_found, fmt::format("no archived object {}", to_hex(sha256)));
    }
    fail_io(fmt::format("cannot open {}", path.string()), errno);
  }
  Sha256Hasher hasher;
  std::vector<char> held(kChunkSize);
  std::vector<char> next(kChunkSize);
  ssize_t held_size = read_some(fd.get(), held);
  while (held_size > 0) {
    hasher.update(std::string_view(held.data(), static_cast<std::size_t>(held_size)));
    ssize_t next_size = read_some(fd.get(), next);
    if (next_size < 0) {
      throw ArchiveError(ArchiveError::Kind::corrupt,
                         fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    }
    if (next_size == 0) {
      // `held` is the last chunk: delivered only once the whole content is known to be right.
      if (hasher.finish() != sha256) {
        throw ArchiveError(ArchiveError::Kind::corrupt,
                           fmt::format("archived object {} does not match its hash", path.string()));
      }
      return sink(std::string_view(held.data(), static_cast<std::size_t>(held_size)));
    }
    if (!sink(std::string_view(held.data(), static_cast<std::size_t>(held_size)))) return false;
    std::swap(held, next);
    held_size = next_size;
  }
  if (held_size < 0) {
    throw ArchiveError(ArchiveError::Kind::corrupt,
                       fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  // Empty content: nothing to deliver, but the name must still be the empty content's hash.
  if (hasher.finish() != sha256) {
    throw ArchiveError(ArchiveError::Kind::corrupt,
                       fmt::format("archived object {} does not match its hash", path.string()));
  }
  return true;
}

StoredObject ArchiveStore::publish(const std::string& temp_path, const Sha256& sha256, std::uint64_t size) const {
  fs::path final_path = object_path(sha256);
  ensure_directory(final_path.parent_path().parent_path());
  ensure_directory(final_path.parent_path());

  StoredObject stored;
  stored.sha256 = sha256;
  stored.size = size;
  ObjectState existing = verify(sha256);
  if (existing == ObjectState::ok) {
    // One copy per distinct content: keep the one that is there.
    ::unlink(temp_path.c_str());
    stored.already_stored = true;
    return stored;
  }
  if (existing == ObjectState::corrupt) {
    spdlog::warn("archive: {} was damaged; replacing it with a verified copy", final_path.string());
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    fail_io(fmt::format("cannot move {} to {}", temp_path, final_path.string()), errno);
  }
  fsync_directory(final_path.parent_path());
  return stored;
}

ArchiveStore::Writer::Writer(const ArchiveStore* store, int fd, std::string temp_path)
    : store_(store), fd_(fd), temp_path_(std::move(temp_path)) {}

ArchiveStore::Writer::Writer(Writer&& other) noexcept
    : store_(other.store_),
      fd_(std::exchange(other.fd_, -1)),
      temp_path_(std::exchange(other.temp_path_, {})),
      hasher_(std::move(other.hasher_)),
      size_(other.size_) {}

ArchiveStore::Writer& ArchiveStore::Writer::operator=(Writer&& other) noexcept {
  if (this != &other) {
    abort();
    store_ = other.store_;
    fd_ = std::exchange(other.fd_, -1);
    temp_path_ = std::exchange(other.temp_path_, {});
    hasher_ = std::move(other.hasher_);
    size_ = other.size_;
  }
  return *this;
}

ArchiveStore::Writer::~Writer() {
  abort();
}

void ArchiveStore::Writer::abort() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (!temp_path_.empty()) ::unlink(std::exchange(temp_path_, {}).c_str());
}

void ArchiveStore::Writer::write(std::string_view chunk) {
  if (fd_ < 0) throw ArchiveError(ArchiveError::Kind::io, "archive writer used after commit or abort");
  hasher_.update(chunk);
  while (!chunk.empty()) {
    ssize_t n = ::write(fd_, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      std::string path = temp_path_;
      abort();
      fail_io(fmt::format("cannot write {}", path), error);
    }
    chunk.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
}

StoredObject ArchiveStore::Writer::commit(const std::optional<Sha256>& expected) {
  if (fd_ < 0) throw ArchiveError(ArchiveError::Kind::io, "archive writer committed twice or after abort");
  try {
    if (::fsync(fd_) != 0) fail_io(fmt::format("cannot sync {}", temp_path_), errno);
    Sha256 written = hasher_.finish();
    // Drop the (now clean) cached pages so the check below reads what the device holds.
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
    FileDigest on_disk = digest_of(fd_, temp_path_);
    if (on_disk.size != size_ || on_disk.sha256 != written) {
      throw ArchiveError(
          ArchiveError::Kind::corrupt,
          fmt::format("{} does not read back as written ({} bytes written, {} read)", temp_path_, size_, on_disk.size));
    }
    if (expected && *expected != on_disk.sha256) {
      throw ArchiveError(ArchiveError::Kind::hash_mismatch, fmt::format("content hashes to {}, expected {}: not stored",
                                                                        to_hex(on_disk.sha256), to_hex(*expected)));
    }
    if (::close(std::exchange(fd_, -1)) != 0) fail_io(fmt::format("cannot close {}", temp_path_), errno);
    StoredObject stored = store_->publish(temp_path_, on_disk.sha256, on_disk.size);
    temp_path_.clear();
    return stored;
  } catch (...) {
    abort();
    throw;
  }
}

}  // namespace mailprune::archive
