// commands.hpp: one function per command; each returns an exit code and may throw
// std::exception (reported as a runtime failure, exit 1) or UsageError (exit 2).
#pragma once

#include "cli/context.hpp"

namespace mailprune::cli {

int command_version(const Context& context);
int command_config_check(const Context& context);
int command_db_migrate(const Context& context);
int command_db_status(const Context& context);

}  // namespace mailprune::cli
