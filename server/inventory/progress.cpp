#include "inventory/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "log/logging.hpp"

namespace mailprune::inventory {
namespace {

std::string human_duration(std::chrono::seconds seconds) {
  auto s = seconds.count();
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

}  // namespace

std::string elapsed_text(std::chrono::milliseconds elapsed) {
  if (elapsed < std::chrono::minutes(1)) return fmt::format("{:.1f}s", static_cast<double>(elapsed.count()) / 1000.0);
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(elapsed));
}

std::string human_bytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 999.95 && unit < 4) {
    value /= 1000.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

bool progress_wanted() {
  return ::isatty(STDERR_FILENO) == 1 && !log::json_logging();
}

CrawlProgress::CrawlProgress(bool draw, std::chrono::milliseconds interval) : line_(draw, interval) {}

CrawlProgress::~CrawlProgress() {
  finish();
}

void CrawlProgress::crawl_started(std::size_t mailboxes) {
  mailboxes_total_ = mailboxes;
  maybe_draw(true);
}

void CrawlProgress::message_staged(std::uint64_t bytes) {
  ++messages_;
  bytes_ += bytes;
  maybe_draw(false);
}

void CrawlProgress::mailbox_finished(bool) {
  ++mailboxes_done_;
  maybe_draw(false);
}

void CrawlProgress::hashing(std::uint64_t reads, std::uint64_t bytes) {
  hash_reads_ = reads;
  hash_bytes_ = bytes;
  maybe_draw(false);
}

std::string CrawlProgress::status_line() {
  using namespace std::chrono;
  const auto elapsed = duration_cast<milliseconds>(steady_clock::now() - started_);
  const double seconds = std::max(0.001, elapsed.count() / 1000.0);
  const std::size_t done = mailboxes_done_, total = mailboxes_total_;
  std::string line = fmt::format("{}/{} mailboxes, {} messages, {} ({}/s)", done, total, messages_.load(),
                                 human_bytes(bytes_), human_bytes(static_cast<std::uint64_t>(bytes_ / seconds)));
  if (done > 0 && done < total) {
    auto left = seconds * static_cast<double>(total - done) / static_cast<double>(done);
    line += fmt::format(", ~{} left", human_duration(std::chrono::seconds(static_cast<long>(left))));
  }
  if (hash_reads_ > 0) line += fmt::format("; hashing: {} reads, {}", hash_reads_.load(), human_bytes(hash_bytes_));
  return line;
}

void CrawlProgress::maybe_draw(bool force) {
  line_.maybe_draw(force, [this] { return status_line(); });
}

void CrawlProgress::finish() {
  line_.erase();
}

std::string summary_line(const CrawlSummary& s) {
  std::string failed = s.mailboxes_failed ? fmt::format(" ({} failed)", s.mailboxes_failed) : "";
  // The split shows what the inventory itself cost apart from duplicate hashing (the benchmark's
  // "inventory traffic" target); tenths of a second under a minute, for short runs.
  const std::uint64_t hashing_received = std::min(s.hashing.bytes_received, s.bytes_received);
  return fmt::format(
      "crawl: {}/{} mailboxes{}, {} folders, {} messages, {} attachments, {} received (inventory {}, hashing {}), "
      "{} round trips, {} hashed, {} duplicate groups, {} errors, {}",
      s.mailboxes_done, s.mailboxes_total, failed, s.folders, s.messages, s.attachments, human_bytes(s.bytes_received),
      human_bytes(s.bytes_received - hashing_received), human_bytes(hashing_received), s.round_trips,
      human_bytes(s.bytes_hashed), s.duplicate_groups, s.errors, elapsed_text(s.elapsed));
}

}  // namespace mailprune::inventory
