#include "apply/progress.hpp"

#include <fmt/format.h>

#include "inventory/progress.hpp"

namespace mailprune::apply {
namespace {

const char* done_word(Mode mode) {
  switch (mode) {
    case Mode::apply:
      return "done";
    case Mode::undo:
      return "undone";
    case Mode::purge:
      return "purged";
  }
  return "done";
}

}  // namespace

RunProgress::RunProgress(bool draw, Mode mode, std::chrono::milliseconds interval)
    : line_(draw, interval), mode_(mode) {}

RunProgress::~RunProgress() {
  finish();
}

void RunProgress::started(std::size_t mailboxes, std::size_t actions) {
  mailboxes_total_ = mailboxes;
  actions_total_ = actions;
  maybe_draw(true);
}

void RunProgress::action_finished(Step outcome, std::uint64_t bytes) {
  if (outcome == Step::skipped) {
    ++skipped_;
  } else if (outcome == Step::failed) {
    ++failed_;
  } else {
    ++done_;
    bytes_ += bytes;
  }
  maybe_draw(false);
}

void RunProgress::mailbox_finished() {
  ++mailboxes_done_;
  maybe_draw(false);
}

std::string RunProgress::status_line() {
  using namespace std::chrono;
  const double seconds = std::max(0.001, duration_cast<milliseconds>(steady_clock::now() - started_).count() / 1000.0);
  const std::size_t finished = done_ + skipped_ + failed_;
  return fmt::format("{}/{} actions ({} {}, {} skipped, {} failed), {}/{} mailboxes, {} freed (estimated), {:.1f}/s",
                     finished, actions_total_.load(), done_.load(), done_word(mode_), skipped_.load(), failed_.load(),
                     mailboxes_done_.load(), mailboxes_total_.load(), inventory::human_bytes(bytes_),
                     static_cast<double>(finished) / seconds);
}

void RunProgress::maybe_draw(bool force) {
  line_.maybe_draw(force, [this] { return status_line(); });
}

void RunProgress::finish() {
  line_.erase();
}

std::string summary_line(const RunSummary& s) {
  const char* name = s.mode == Mode::apply ? "apply" : s.mode == Mode::undo ? "undo" : "purge";
  const std::string elapsed = inventory::elapsed_text(s.elapsed);
  std::string skipped = fmt::format("{} skipped", s.skipped);
  if (!s.skipped_by_reason.empty()) {
    std::string reasons;
    for (const auto& [reason, n] : s.skipped_by_reason)
      reasons += (reasons.empty() ? "" : ", ") + fmt::format("{} {}", reason, n);
    skipped += " (" + reasons + ")";
  }
  if (!s.planned.empty() || (s.run_id == 0 && s.mode == Mode::apply)) {
    return fmt::format(
        "{} (dry run, nothing written): {} action(s) would be carried out, {}; {} would be freed "
        "(estimated); {}",
        name, s.actions, skipped, inventory::human_bytes(s.bytes_estimated), elapsed);
  }
  std::string mailboxes = fmt::format("{} mailbox(es)", s.mailboxes);
  if (s.mailboxes_failed) mailboxes += fmt::format(", {} not reachable", s.mailboxes_failed);
  std::string line = fmt::format("{}: {} action(s): {} {}, {}, {} failed", name, s.actions, s.done, done_word(s.mode),
                                 skipped, s.failed);
  if (s.left) line += fmt::format(", {} left for a later run", s.left);
  mailboxes += fmt::format("; sent {}, received {}, {} round trips", inventory::human_bytes(s.bytes_sent),
                           inventory::human_bytes(s.bytes_received), s.round_trips);
  if (s.mode == Mode::undo) return line + fmt::format("; {}; {}", mailboxes, elapsed);
  std::string measured = "not measured";
  if (s.mailboxes_measured > 0) {
    const std::string amount = s.bytes_measured >= 0
                                   ? inventory::human_bytes(static_cast<std::uint64_t>(s.bytes_measured))
                                   : "-" + inventory::human_bytes(static_cast<std::uint64_t>(-s.bytes_measured));
    measured = fmt::format("{} measured ({} of {} mailbox(es))", amount, s.mailboxes_measured, s.mailboxes);
  }
  return line + fmt::format("; freed {} estimated, {}; {}; {}", inventory::human_bytes(s.bytes_estimated), measured,
                            mailboxes, elapsed);
}

}  // namespace mailprune::apply
