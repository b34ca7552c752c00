// progress.hpp: what a person at a terminal sees during `mailprune crawl`.
//
// CrawlProgress redraws one status line on standard error (mailboxes done/total, messages, bytes
// inventoried, rate, time left; then hashing reads and bytes) at most every `interval`, from
// whichever worker thread reports; nothing is drawn when `draw` is false (standard error is not a
// terminal, or logging is JSON: see progress_wanted()). summary_line() is the one-line result that
// `crawl` always prints at the end.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "inventory/crawl.hpp"
#include "inventory/status_line.hpp"

namespace mailprune::inventory {

// "0 B", "999 B", "12.3 kB", "4.5 MB", "1.2 GB", "3.4 TB" (decimal units).
std::string human_bytes(std::uint64_t bytes);

// How long a command ran, as its summary line shows it: tenths of a second under a minute
// ("8.4s"), then "1m12s", then "2h05m".
std::string elapsed_text(std::chrono::milliseconds elapsed);

// True when standard error is a terminal and logging is not JSON.
bool progress_wanted();

class CrawlProgress : public CrawlObserver {
 public:
  explicit CrawlProgress(bool draw, std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~CrawlProgress() override;

  void crawl_started(std::size_t mailboxes) override;
  void message_staged(std::uint64_t bytes) override;
  void mailbox_finished(bool committed) override;
  void hashing(std::uint64_t reads, std::uint64_t bytes) override;

  // Erases the status line (before the summary is printed).
  void finish();

  // The status line as it would be drawn now (for tests).
  std::string status_line();

 private:
  void maybe_draw(bool force);

  StatusLine line_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<std::size_t> mailboxes_total_{0};
  std::atomic<std::size_t> mailboxes_done_{0};
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> hash_reads_{0};
  std::atomic<std::uint64_t> hash_bytes_{0};
};

// "crawl: 12/12 mailboxes (1 failed), 40 folders, 15230 messages, 8123 attachments, 61.0 MB
//  received (inventory 14.9 MB, hashing 46.1 MB), 45.0 MB hashed, 312 duplicate groups, 3 errors,
//  1m12s" (the duration in tenths of a second under a minute: "8.4s"). bench/crawl/run.sh parses it.
std::string summary_line(const CrawlSummary& summary);

}  // namespace mailprune::inventory
