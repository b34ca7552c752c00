// glob.hpp: the glob patterns of rules and holds, translated to PostgreSQL regular expressions.
//
// Two flavours:
//   text    `*` any run of characters, `?` one character (content types, file names, senders,
//           mailbox addresses);
//   folder  `*` and `?` stop at the '/' separator, `**` crosses it, and a trailing `/**` also
//           matches the folder itself ("Archives/**": Archives and everything below). A leading
//           INBOX is matched in any case (IMAP's INBOX is case-insensitive).
// Every other character is literal: the translation escapes every ASCII character that is not a
// letter or digit, so no pattern can inject regex syntax (and values reach SQL as bind parameters,
// never as SQL text). Case sensitivity is the caller's choice of operator: `~` or `~*`.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

namespace mailprune::policy {

enum class GlobKind { text, folder };

// One glob as an anchored regular expression: "*.pdf" -> "^(?:.*\.pdf)$".
std::string glob_to_regex(const std::string& glob, GlobKind kind);

// Several globs as one anchored alternation ("^(?:a|b)$"); "" for an empty list.
std::string globs_to_regex(const std::vector<std::string>& globs, GlobKind kind);

}  // namespace mailprune::policy
