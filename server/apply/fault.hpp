// fault.hpp: the crash hook that the journal's tests kill `mailprune apply` with.
//
// MAILPRUNE_FAULT_AFTER_STEP=<step>[:<n>] makes the process SIGKILL itself right after the journal
// has durably recorded `step` for the n-th time in this process (n defaults to 1): what a power cut
// or `kill -9` at that moment would do, at an exact place. <step> is an action step of
// schema/004_journal.sql (approved, stored, uploaded, verified, original_removed, done, skipped,
// failed, undone, purged) or an undo/purge sub-step as recorded in action_step ("undo:uploaded").
// Unset (the normal case): no effect. Documented in docs/apply.md.
//
// Threads: after_step() may be called from any thread (the count is atomic).
#pragma once

#include <string_view>

namespace mailprune::apply {

// Called by the journal after each step's transaction committed.
void after_step(std::string_view step);

}  // namespace mailprune::apply
