// html.hpp: escaping text for HTML, shared by every layer that writes HTML (the HTTP pages, the
// e-mails, the notice left in a detached message). Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace mailprune::text {

// Text for HTML element content and attribute values (quoted with " or '): & < > " ' escaped,
// every other byte kept as it is (UTF-8 passes through).
std::string html_escape(std::string_view text);

}  // namespace mailprune::text
