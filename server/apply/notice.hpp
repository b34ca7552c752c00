// notice.hpp: what a person finds in a message in place of a detached attachment.
//
// A short plain-text paragraph and the same as an HTML fragment (actions.hpp Detachment::notice_text
// and notice_html), in the mailbox's language (mailbox.language: "fr", anything else English):
// the file name, its size, the day it was archived and the signed link to the archived copy.
// The HTML escapes the name and the link; the text carries them as they are (UTF-8).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace mailprune::apply {

struct NoticeFacts {
  std::string language = "fr";   // "fr" | "en"
  std::string file_name;         // UTF-8, "" when the attachment had none
  std::uint64_t size = 0;        // decoded bytes
  std::int64_t archived_at = 0;  // unix seconds, UTC
  std::string link;              // the signed URL of the archived copy
};

std::string notice_text(const NoticeFacts& facts);
std::string notice_html(const NoticeFacts& facts);

// "1,2 Mo" (fr) / "1.2 MB" (en): decimal units as in the reports; bytes below 1000 as "812 octets"
// / "812 bytes".
std::string notice_size(std::uint64_t bytes, const std::string& language);

}  // namespace mailprune::apply
