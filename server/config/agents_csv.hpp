// agents_csv.hpp: the agents file (`mailboxes_file`, campaign imports).
//
// CSV, UTF-8, header `address,display_name,team,language` (columns in any order; only address is
// required; extra columns are an error so typos show). RFC 4180 quoting ("a, b", "say ""hi""").
// language is fr or en, default fr. Errors name file and line.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/loader.hpp"

namespace mailprune::config {

// Parses CSV text; errors go to `errors` (file `display_name`), good rows are returned.
std::vector<Agent> parse_agents_csv(const std::string& text, const std::string& display_name,
                                    std::vector<ConfigError>& errors);

// Reads a file; a missing file is one error.
std::vector<Agent> read_agents_csv(const std::string& path, std::vector<ConfigError>& errors);

}  // namespace mailprune::config
