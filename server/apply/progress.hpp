// progress.hpp: what a person at a terminal sees during `mailprune apply`, `undo` and `purge`.
//
// RunProgress redraws one status line on standard error (actions finished/total with done,
// skipped and failed, mailboxes, estimated bytes freed, rate) at most every `interval`, from
// whichever worker thread reports; nothing is drawn when `draw` is false (see
// inventory::progress_wanted()). The one-line result is engine.hpp's summary_line().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "apply/engine.hpp"
#include "inventory/status_line.hpp"

namespace mailprune::apply {

class RunProgress : public RunObserver {
 public:
  RunProgress(bool draw, Mode mode, std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~RunProgress() override;

  void started(std::size_t mailboxes, std::size_t actions) override;
  void action_finished(Step outcome, std::uint64_t bytes) override;
  void mailbox_finished() override;

  // Erases the status line (before the summary is printed).
  void finish();
  // The status line as it would be drawn now (for tests).
  std::string status_line();

 private:
  void maybe_draw(bool force);

  inventory::StatusLine line_;
  const Mode mode_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<std::size_t> mailboxes_total_{0};
  std::atomic<std::size_t> mailboxes_done_{0};
  std::atomic<std::size_t> actions_total_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<std::size_t> skipped_{0};
  std::atomic<std::size_t> failed_{0};
  std::atomic<std::uint64_t> bytes_{0};
};

}  // namespace mailprune::apply
