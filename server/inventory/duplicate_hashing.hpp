// duplicate_hashing.hpp: finds exact duplicates (same SHA-256 of decoded content, INVENTORY.md)
// while downloading as few bytes as possible.
//
// Scope: every attachment of every mailbox of the given sources in the database; reads go through
// the configured mailboxes of those sources (one session per mailbox and phase serves all its
// reads, taken in folder/UID order). Hashes are stored on the attachment rows and reused by later
// runs (inventory_store.hpp keeps them while (UIDVALIDITY, UID, section) / item_id is unchanged).
//
// Each attachment has a size interval in which its true decoded size lies:
//   exact (size_exact):          [size, size]
//   estimated, size > 0:         [floor(size * estimate_low) - estimate_slack,
//                                  ceil(size * estimate_high) + estimate_slack]
//   estimated, size 0 (unknown): unbounded.
// Two attachments MAY be duplicates when their intervals overlap. The defaults cover the
// estimates of connectors/mime estimate_decoded_size(): base64 over-estimates by a few bytes (or
// under-estimates by ~1.3% for LF-only lines), quoted-printable gives the encoded size, an upper
// bound whose decoded size can be as small as a third of it. A connector whose estimates can fall
// outside these bounds must widen them, or duplicates may be missed.
//
// Rounds of three phases, set-based SQL deciding each phase's reads, until a round reads nothing:
//   U  unbounded estimates are read in full (that gives their exact size; they then take part in
//      the phases below like any exact attachment);
//   P  an attachment without hashes whose interval overlaps another attachment's in scope gets
//      its first `prefix_bytes` read (read_attachment with limit) and prefix_sha256 stored. An
//      attachment alone in its size (interval) is never read. When the content ended within the
//      prefix (fewer bytes than the limit arrived, or exactly its exact size) the prefix IS the
//      content: sha256 = prefix_sha256, the size is now exact; no second read;
//   F  an attachment with a prefix hash but no sha256 is read in full (SHA-256 computed as it
//      streams, never held whole) only when another attachment with an overlapping interval has the
//      same prefix hash (or has a sha256 but no prefix hash: a hash the connector supplied). A full
//      read also stores the exact size, so an estimated attachment then has an exact one.
// A later round catches sizes learnt in the previous one (an estimate that was outside its bounds).
// `hash_all` reads every attachment without sha256 in full instead.
// A read that fails is recorded as an error and not retried in this run (one retry on a fresh
// session when the error is retriable); its attachment simply keeps no hash.
//
// Writes: results of each page of reads are committed together (COPY into a stage, one UPDATE), so
// an interrupted pass keeps what it hashed. Folder/mailbox attachment_bytes follow size changes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "interface/connector.hpp"
#include "inventory/crawl_records.hpp"
#include "inventory/worker_pool.hpp"

namespace mailprune::inventory {

struct HashingOptions {
  bool hash_all = false;
  std::uint64_t prefix_bytes = 65536;
  double estimate_low = 1.0 / 3.0;
  double estimate_high = 1.05;
  std::uint64_t estimate_slack = 1024;
  std::size_t page_rows = 500;  // reads per committed page
  int max_rounds = 4;
};

struct HashingStats {
  std::uint64_t prefix_reads = 0;
  std::uint64_t full_reads = 0;
  std::uint64_t bytes_hashed = 0;       // decoded bytes delivered to the hashers
  std::uint64_t bytes_for_content = 0;  // TrafficStats.bytes_for_content of the hashing sessions
  std::uint64_t bytes_received = 0;     // all traffic of the hashing sessions
  std::uint64_t errors = 0;
  std::uint64_t duplicate_groups = 0;  // in scope, after hashing
};

// One source taking part: its connector (shared by its workers), the mailboxes to read through and
// the crawl_run that errors are recorded under.
struct HashSource {
  const config::SourceConfig* source = nullptr;
  connector::Connector* connector = nullptr;
  std::vector<MailboxEntry> mailboxes;
  int source_id = 0;
  std::int64_t run_id = 0;
};

class DuplicateHasher {
 public:
  // Called from worker threads after each read with (reads so far, bytes hashed so far).
  using ProgressCallback = std::function<void(std::uint64_t reads, std::uint64_t bytes)>;

  DuplicateHasher(ConnectionFactory connections, HashingOptions options);
  void set_progress(ProgressCallback callback) { progress_ = std::move(callback); }

  // Runs the phases over `sources` (their mailboxes are the scope). Errors per attachment or
  // mailbox are recorded in crawl_error and counted; only database failures throw.
  HashingStats run(const std::vector<HashSource>& sources);

 private:
  struct Phase;
  std::uint64_t run_phase(const Phase& phase, const std::vector<HashSource>& sources, const std::string& scope);

  ConnectionFactory connections_;
  HashingOptions options_;
  ProgressCallback progress_;
  HashingStats stats_;
  std::atomic<std::uint64_t> reads_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::vector<std::int64_t> failed_;  // attachment ids whose read failed this run
};

// Duplicate groups (hashes seen at least twice) among the attachments of the given mailboxes
// ("{1,2}" array literal, as scope_mailbox_ids()).
std::uint64_t count_duplicate_groups(pqxx::connection& connection, const std::string& mailbox_ids);

}  // namespace mailprune::inventory
