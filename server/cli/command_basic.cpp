// Commands that need no database: version, config check.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "db/migrations.hpp"

namespace mailprune::cli {

int command_version(const Context&) {
  const auto& migrations = db::bundled_migrations();
  fmt::print("mailprune {}\nschema version {}\n", MAILPRUNE_VERSION,
             migrations.empty() ? 0 : migrations.back().version);
  return 0;
}

int command_config_check(const Context& context) {
  fmt::print("{}", config::render_effective_config(context.config));
  std::fflush(stdout);
  std::fprintf(stderr, "configuration OK (%s)\n",
               context.config.source_path.empty() ? "built-in defaults" : context.config.source_path.c_str());
  return 0;
}

}  // namespace mailprune::cli
