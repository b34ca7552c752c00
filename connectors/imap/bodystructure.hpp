// bodystructure.hpp: ENVELOPE and BODY/BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051) turned into
// typed values: Envelope, and the protocol-neutral mime::MimePart tree (mime/mime_part.hpp).
//
// The MIME tree:
//   - `section` holds IMAP part numbers per RFC 3501 §6.4.5: "" for the message itself (the
//     root), "1", "2", "2.1" ... for parts of multiparts. A single-part message has only its root;
//     fetch its content with section "1" (see content_section()).
//   - type/subtype lower-cased, NIL -> "" (servers send NIL subtypes); parameter names
//     lower-cased, values undecoded (RFC 2231 `name*0*` continuations kept under their own names,
//     RFC 2047 words kept as they are: decoding belongs to mailprune_mime).
//   - `encoded_size` from body-fld-octets; `decoded_size` stays empty (BINARY.SIZE fills it).
//   - message/rfc822 and message/global: their embedded envelope and body are read (and count
//     against the limits) but not kept: a message/* part is one attachment, never descended into
//     (../shared/INVENTORY.md).
//
// Real servers send broken structures; the reader is lenient where the intent is clear (each case
// has a test row named after the server): disposition as a bare string instead of a list
// (Exchange), NIL or missing encoding, NIL params inside lists, missing text line counts, extension
// fields of the wrong shape, empty multiparts written as `("ALTERNATIVE")` or
// `("RELATED" NIL ("ATTACHMENT" NIL) NIL)` (Gmail), `(NIL "alternative" ...)` multiparts,
// message/rfc822 parts without envelope/body, `()` bodies (Domino).
//
// Limits (ParserLimits): nesting depth and number of parts. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/error.hpp"
#include "imap/parser_limits.hpp"
#include "mime/mime_part.hpp"

namespace mailprune::imap {

struct Address {
  std::optional<std::string> name;     // display name, raw (RFC 2047 words undecoded)
  std::optional<std::string> adl;      // source route, obsolete
  std::optional<std::string> mailbox;  // local part; group start when host is NIL
  std::optional<std::string> host;
  friend bool operator==(const Address&, const Address&) = default;
};

// All strings raw as the server sent them (RFC 2047 words undecoded), NIL -> nullopt.
struct Envelope {
  std::optional<std::string> date;
  std::optional<std::string> subject;
  std::vector<Address> from;
  std::vector<Address> sender;
  std::vector<Address> reply_to;
  std::vector<Address> to;
  std::vector<Address> cc;
  std::vector<Address> bcc;
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// The section to FETCH a part's content with: the part's own section, or "1" for the root of a
// single-part message.
std::string content_section(const mime::MimePart& part);

// Parses one BODY/BODYSTRUCTURE value given as text (no literals), e.g.
// `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1)`. For tests, tools and the fuzzer;
// FETCH responses go through parse_response().
Parsed<mime::MimePart> parse_body_structure(std::string_view text, const ParserLimits& limits = {});
// The same for an ENVELOPE value given as text.
Parsed<Envelope> parse_envelope(std::string_view text, const ParserLimits& limits = {});

}  // namespace mailprune::imap
