// attachments.hpp: which parts of a message are attachments, exactly as ../shared/INVENTORY.md
// defines them, and which messages carry content the policy engine must protect.
//
// Input is the protocol-neutral MimePart tree (mime_part.hpp), whether it came from IMAP
// BODYSTRUCTURE, EWS or parse_message(). Threads: pure functions. Limits: recursion follows the
// tree's depth; trees built by this library's parsers are bounded (ParseLimits::max_depth), a
// connector building one from the wire must bound its depth the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_part.hpp"

namespace mailprune::mime {

// Content-IDs referenced by `cid:` URLs in the HTML body, normalised with
// normalize_content_id().
using CidSet = std::set<std::string>;

// A Content-ID or cid: URL reduced to a comparable key: surrounding whitespace and <angle
// brackets> removed, a leading "cid:" removed, %XX decoded (RFC 2392), ASCII lower-cased (clients
// match Content-IDs case-insensitively in practice).
std::string normalize_content_id(std::string_view content_id);

// Adds to `cids` every `cid:` reference (any case) found in `html`: the URL runs to the next
// quote, whitespace, '<', '>', ')' or '&' (an HTML entity such as &quot;). Works on the decoded
// HTML bytes in any ASCII-compatible charset.
void add_cid_references(std::string_view html, CidSet& cids);

struct Attachment {
  std::string section;            // IMAP section path: "2", "1.3"; "1" for a single-part message
  std::string name;               // decoded UTF-8 file name (rule 5), "" when none
  std::string content_type;       // "type/subtype", lower-case
  std::string transfer_encoding;  // lower-case as in the part: "base64", "7bit", ...
  std::string content_id;         // as in the part (no angle brackets), "" when absent
  bool is_inline = false;         // rule 4
  std::uint64_t size = 0;         // decoded bytes (rule 6), or an estimate, see size_exact
  bool size_exact = false;        // false: `size` is estimate_decoded_size() or unknown (0)
  std::string sha256;             // rule 7 when the content was hashed, "" otherwise
  bool damaged = false;           // decoded leniently (INVENTORY.md "Damaged input")
};

// Applies INVENTORY.md to the tree under `root`, in document order:
//  - multipart/* are containers, never attachments (a multipart with no children yields none);
//  - message/* (any subtype) is one attachment, never descended into;
//  - any other part is an attachment when its disposition is "attachment", or it has a file
//    name (attachment_name() not empty), or its type is not "text" (a part with no type at all,
//    type "", counts as not text);
//  - inline when (disposition "inline" or absent and some ancestor is multipart/related) or its
//    normalised Content-ID is in `html_cids` (when given);
//  - size: decoded_size when known (size_exact = true); otherwise, from encoded_size,
//    estimate_decoded_size() (exact only for identity encodings, see there); neither: 0, inexact.
// A root that is not a multipart is the message's single body part: its section is reported as
// "1" when the tree left it empty (IMAP numbering).
std::vector<Attachment> classify_attachments(const MimePart& root, const CidSet* html_cids = nullptr);

struct SizeEstimate {
  std::uint64_t size = 0;
  bool exact = false;
};

// Decoded size from the encoded size, for parts whose content has not been seen:
//  - base64: encoders write lines of 76 characters + CRLF (78 bytes), so
//      line_breaks = encoded / 78, characters = encoded - 2 * line_breaks,
//      size = floor(characters * 3 / 4)
//    which is exact for full CRLF lines and padding-free data, and over-estimates by at most 2
//    bytes of padding plus 3/4 byte per LF-only or shorter line (inexact);
//  - quoted-printable: the encoded size (an upper bound; inexact);
//  - 7bit, 8bit, binary, "" (no header means 7bit): the encoded size, exact (INVENTORY.md rule 6:
//    these are taken as they are);
//  - any other encoding (x-uuencode, ...): the encoded size, inexact.
SizeEstimate estimate_decoded_size(std::uint64_t encoded_size, std::string_view transfer_encoding);

// Content that protects a message from pruning (the policy engine leaves such messages alone).
struct MessageProtection {
  // multipart/signed, multipart/encrypted, application/pkcs7-mime, application/x-pkcs7-mime
  bool signed_or_encrypted = false;
  // text/calendar, application/ics (and the older text/x-vcalendar)
  bool calendar_invitation = false;
  // application/ms-tnef, application/vnd.ms-tnef, or any part named winmail.dat (any case)
  bool tnef = false;

  bool any() const { return signed_or_encrypted || calendar_invitation || tnef; }
};

// Looks at every part under `root` (multiparts descended, message/* not: a forwarded signed
// message is an attachment like any other).
MessageProtection message_protection(const MimePart& root);

}  // namespace mailprune::mime
