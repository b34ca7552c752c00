// store.hpp: the archive store, where detached attachments are kept, byte for byte, on the file
// system.
//
// Content-addressed: an object is named by the SHA-256 of its (decoded) content and lives at
// <root>/objects/ab/cd/<64 hex digits> (ab, cd: the hash's first two bytes), so each distinct
// content is stored once however many messages it was detached from; who referenced it is
// PostgreSQL's business (archive_records.hpp). <root> is [archive] dir, by default
// <data_dir>/archive (default_root()).
//
// Writing never exposes a partial object: a Writer streams into <root>/tmp, and commit() fsyncs
// the file, reads it back from disk and hashes it again, checks that hash against the one computed
// while writing (and against the caller's expected hash, if given), renames the file into place
// and fsyncs the folder. After commit() returns, the object is durable and verified. When the
// object is already there, the existing file is checked and kept (the new copy is dropped); only
// an existing file that fails its check is replaced. A process killed in the middle leaves at most
// a file in tmp/, removed by the next ArchiveStore opened on the root once it is an hour old (a
// younger one may belong to a writer still running in another process).
//
// Permissions: folders 0700, files 0600 (attachments are private mail): every mailprune command
// and `mailprune serve` must run as the same account.
//
// Threads: an ArchiveStore is immutable after construction; its const methods may be called from
// any number of threads and processes at once, including Writers of the same content (renames are
// atomic and the contents identical). A Writer belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "archive/content_hash.hpp"
#include "config/config.hpp"

namespace mailprune::archive {

// What went wrong, for the caller to decide what to do next.
class ArchiveError : public std::runtime_error {
 public:
  enum class Kind {
    not_found,      // no object with that hash
    hash_mismatch,  // commit(expected): the content is not what the caller expected; nothing stored
    corrupt,        // bytes on disk differ from what was written or from their name
    io,             // the file system failed (full disk, permissions, ...)
  };
  ArchiveError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct StoredObject {
  Sha256 sha256{};
  std::uint64_t size = 0;
  bool already_stored = false;  // the object was there before this commit (its file was kept)
};

enum class ObjectState { ok, missing, corrupt };

// Receives content in chunks; returning false stops the read.
using ByteSink = std::function<bool(std::string_view chunk)>;

class ArchiveStore {
 public:
  // Opens (creating if needed, 0700) the store at `root`, and removes leftovers of interrupted
  // writes older than an hour from <root>/tmp. Throws ArchiveError (io).
  explicit ArchiveStore(std::filesystem::path root);

  // [archive] dir, or <data_dir>/archive when empty.
  static std::filesystem::path default_root(const config::Config& config);

  // Streams one new object into the store. Move-only; destroying an uncommitted Writer removes
  // its temporary file. A Writer must not outlive the ArchiveStore that made it.
  class Writer {
   public:
    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&& other) noexcept;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    // Appends a chunk (as it arrives from a connector's read_attachment). Throws ArchiveError (io).
    void write(std::string_view chunk);
    std::uint64_t bytes_written() const { return size_; }

    // Makes the object durable and verified (see the file comment) and returns its name and size.
    // With `expected`, content whose hash differs is refused: ArchiveError(hash_mismatch), and
    // nothing is stored. On any error the temporary file is removed. Call at most once.
    StoredObject commit(const std::optional<Sha256>& expected = std::nullopt);

    // Drops what was written. Idempotent; also done by the destructor.
    void abort() noexcept;

   private:
    friend class ArchiveStore;
    Writer(const ArchiveStore* store, int fd, std::string temp_path);

    const ArchiveStore* store_ = nullptr;
    int fd_ = -1;
    std::string temp_path_;
    Sha256Hasher hasher_;
    std::uint64_t size_ = 0;
  };

  // A Writer for a new object. Throws ArchiveError (io).
  Writer writer() const;
  // Convenience: the whole content at once.
  StoredObject store(std::string_view content, const std::optional<Sha256>& expected = std::nullopt) const;

  bool exists(const Sha256& sha256) const;
  // The object's size in bytes; nullopt when it is missing.
  std::optional<std::uint64_t> size(const Sha256& sha256) const;

  // Streams the object to `sink` in chunks of up to 256 KiB, hashing as it goes. The last chunk
  // is held back until the whole content has been checked against its name: when it does not
  // match, ArchiveError(corrupt) is thrown instead of delivering it, so a reader never receives a
  // complete but wrong copy. Returns false when the sink stopped the read, true otherwise.
  // Throws ArchiveError (not_found, corrupt, io).
  bool read(const Sha256& sha256, const ByteSink& sink) const;

  // Re-reads the object and checks its hash.
  ObjectState verify(const Sha256& sha256) const;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path object_path(const Sha256& sha256) const;
  // Leftover temporary files removed when this store was opened.
  std::size_t leftovers_removed() const { return leftovers_removed_; }

 private:
  StoredObject publish(const std::string& temp_path, const Sha256& sha256, std::uint64_t size) const;

  std::filesystem::path root_;
  std::size_t leftovers_removed_ = 0;
};

}  // namespace mailprune::archive
