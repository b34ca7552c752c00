// message_parse.hpp: a whole raw RFC 5322 message (bytes) to a MimePart tree with every leaf
// decoded, measured and hashed. Used on whole messages (tests, the apply step, checking what a
// connector derived from BODYSTRUCTURE); its tree feeds classify_attachments().
//
// Structure comes from GMime 3.0; parameters, transfer decoding, sizes and hashes come from this
// library (header_params, header_decode, transfer_decode, sha256), so that a part described by a
// server and a part parsed here go through the same code.
//
// The tree:
//  - sections numbered as IMAP does (RFC 3501 6.4.5): a top-level body that is not a multipart
//    is section "1"; the children of the top multipart are "1", "2", ...; their children "2.1"...
//    The top multipart itself has section "".
//  - message/* parts are leaves (never descended into); their content is the part's body as it
//    stands in the input, byte for byte (for message/rfc822 the embedded message's raw bytes).
//  - every leaf has encoded_size (its body's bytes in the input), decoded_size, sha256 and
//    damaged set; multiparts have none of them. The transfer encoding is "7bit" when the header
//    is absent.
//  - Content-Type/-Disposition parameters are the raw header's, unquoted but undecoded
//    (header_params.hpp); type/subtype are GMime's (lower-cased), so a malformed Content-Type
//    reads as GMime decided (text/plain by default).
//
// Damage (INVENTORY.md "Damaged input"), never an exception:
//  - a leaf whose transfer decoding was not clean (transfer_decode.hpp) is damaged;
//  - a leaf whose body runs to the end of the input while an enclosing multipart never saw its
//    closing delimiter, or while GMime reported a truncated message, is damaged (truncated);
//  - ParsedMessage::damaged is set for any of these and for structural problems GMime reports
//    (a multipart without boundary or children, a malformed or truncated message) even when no
//    leaf could be blamed.
// A message that cannot be parsed at all (empty input, no header block GMime accepts) or that
// exceeds a limit (ParseLimits, checked on the raw bytes before GMime sees them where GMime
// itself would misbehave) gives an error value with a reason naming the limit, and no tree.
//
// Threads: parse_message() may be called from several threads at once; GMime is initialised
// once, on first use, thread-safely. Memory: about twice the input (GMime keeps a copy) plus, per
// text/html leaf, up to ParseLimits::max_html_scan_bytes of decoded HTML.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/attachments.hpp"
#include "mime/mime_part.hpp"

namespace mailprune::mime {

struct ParseLimits {
  std::size_t max_message_bytes = 512u * 1024 * 1024;
  std::size_t max_parts = 5000;  // MimePart nodes in the tree, multiparts included
  std::size_t max_depth = 64;    // nesting of multiparts
  // Decoded bytes of each text/html body part scanned for cid: references; the rest is hashed
  // but not scanned.
  std::size_t max_html_scan_bytes = 16u * 1024 * 1024;
  // Longest Content-Type / Content-Disposition parameter name (bytes; an 8-bit byte counts as 3,
  // what it may become in UTF-8). Longer names never reach GMime, whose parameter encoding loops
  // without bound on names of 68-70 bytes (message_parse.cpp); real names are short tokens.
  std::size_t max_parameter_name_bytes = 64;
};

struct ParsedMessage {
  MimePart root;
  // cid: references (normalize_content_id()) found in the message's text/html body parts (not
  // in .html files attached with a file name or disposition "attachment").
  CidSet html_cids;
  bool damaged = false;
};

struct ParseResult {
  ParsedMessage message;  // meaningful only when ok()
  std::string error;      // why the message could not be parsed; "" when ok()
  bool ok() const { return error.empty(); }
};

ParseResult parse_message(std::string_view raw, const ParseLimits& limits = {});

}  // namespace mailprune::mime
