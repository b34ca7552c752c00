// detach_message.hpp: the pure parts of detaching over IMAP (imap_actions.hpp): the CATENATE plan
// that rebuilds a message from URL references to what is kept and TEXT for what is new, the check
// of a rewritten message's BODYSTRUCTURE against the original's, and small header helpers.
// No session, no I/O: bytes and MIME trees in, values out. Pure functions, thread-safe.
//
// The CATENATE plan (RFC 4469, URLs of RFC 5092 relative to the server):
//   TEXT  the new top-level header fields                 "X-Mailprune-Action: a1\r\n..."
//   URL   /<mailbox>;UIDVALIDITY=v/;UID=u/;SECTION=HEADER  the original header (its blank line too)
//   TEXT  "--<boundary>\r\n"
//   then for each child of the root multipart, delimiters as TEXT between them
//   ("\r\n--<boundary>\r\n", and "\r\n--<boundary>--\r\n" after the last):
//     - a replaced part: TEXT with the whole new part (header, blank line, body);
//     - a part with no replaced part inside: URL ;SECTION=<n>.MIME then URL ;SECTION=<n> (a
//       multipart's body comes whole, its own boundaries, preamble and epilogue included);
//     - a multipart with a replaced part inside: URL ;SECTION=<n>.MIME, then its children the
//       same way, with its own boundary (closed by "\r\n--<boundary>--", no CRLF: the enclosing
//       delimiter begins with one).
//   Adjacent TEXT pieces are merged into one.
// What this plan does NOT reproduce: the preamble and the epilogue (text before the first and after
// the last boundary) of every multipart on the path to a replaced part. Mail clients show neither;
// the APPEND path (mime::splice_message) keeps them. Parts of the message are byte for byte what the
// server holds (it copies them itself).
// No plan (nullopt), so the caller uploads the whole message instead, when the structure is one
// CATENATE cannot express: a single-part message (the replaced part is the body, whose content
// header fields live in the top-level header), a replaced section not in the tree (inside a
// message/rfc822 part, whose children BODYSTRUCTURE readers do not keep), a multipart on the path
// without a boundary parameter, or an empty part (some servers refuse a URL to nothing).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/command.hpp"
#include "mime/mime_part.hpp"

namespace mailprune::imap {

// "/<mailbox>;UIDVALIDITY=<v>/;UID=<uid>" (RFC 5092 `iabsolute-path` without the section):
// `mailbox_wire` (modified UTF-7 as the server spells it) is decoded to UTF-8 and %-escaped
// wherever RFC 5092 `bchar` does not allow a character as is (`/` stays: it is the hierarchy).
std::string imap_message_url(std::string_view mailbox_wire, std::uint64_t uidvalidity, std::uint32_t uid);

// The CATENATE parts for the message `root` (its BODYSTRUCTURE) at `message_url`, with
// `new_header_fields` (CRLF-terminated fields, may be empty) put before the original header and
// each section of `replacements` (content sections: "2", "1.3") replaced by the given whole part.
std::optional<std::vector<CatenatePart>> catenate_parts(const std::string& message_url, const mime::MimePart& root,
                                                        const std::string& new_header_fields,
                                                        const std::map<std::string, std::string>& replacements);

// "" when `after` has the shape of `before` everywhere but at the sections of `replaced` (content
// sections; there `after` only needs a part): same types, subtypes, transfer encodings, encoded
// sizes and number of children. Otherwise what differs first, for an error message.
std::string compare_structure(const mime::MimePart& before, const mime::MimePart& after,
                              const std::set<std::string>& replaced);

// The part at content section `section` ("1" is the body of a single-part message), or null.
const mime::MimePart* find_part(const mime::MimePart& root, std::string_view section);

// A header block's fields, unfolded (CRLF + whitespace removed), names as written, values trimmed.
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view header);
// Whether `header` has a field `name` (case-insensitive) whose value is exactly `value`.
bool has_field(std::string_view header, std::string_view name, std::string_view value);

// `raw` (a whole message) with what detach() put into its top-level header taken off: the field
// "X-Mailprune-Action: <action_id>" together with the run of X-Mailprune-* fields right after it
// (its provenance). Everything else byte for byte.
std::string strip_detach_fields(std::string_view raw, std::string_view action_id);

// Whether `name: value` can be written as one header line: `name` printable ASCII without ':'
// (RFC 5322 ftext), `value` without CR, LF or NUL.
bool valid_header_field(std::string_view name, std::string_view value);

}  // namespace mailprune::imap
