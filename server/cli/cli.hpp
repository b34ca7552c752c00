// cli.hpp: the `mailprune` command line (CLI11).
//
// mailprune [--config F] [--log-level L] [--log-format auto|text|json] COMMAND ...
// Exit codes (also in --help): 0 done, 1 runtime failure, 2 usage or configuration error.
#pragma once

namespace mailprune::cli {

enum ExitCode : int { kDone = 0, kFailure = 1, kUsage = 2 };

// Runs one invocation; returns the process exit code. Never throws.
int run(int argc, char** argv);

}  // namespace mailprune::cli
