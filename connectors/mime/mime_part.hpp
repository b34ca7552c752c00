// mime_part.hpp: a protocol-neutral description of one node of a message's MIME tree.
//
// Every connector turns what its server tells (IMAP BODYSTRUCTURE, EWS item:Attachments, a raw
// message parsed with GMime) into this tree; classify_attachments() (attachments.hpp) then applies
// the one definition of ../shared/INVENTORY.md to it. Plain data, no behaviour: cheap to copy,
// safe to hand between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mailprune::mime {

// A MIME parameter as it appears on the wire: `name` lower-cased, `value` undecoded (RFC 2231
// `name*`, `name*0*` forms kept under their own names; decode with decode_parameter()).
struct Parameter {
  std::string name;
  std::string value;
};

struct MimePart {
  // IMAP section path of this part: "1", "2.1", ... ; "" for a multipart root. The body of a
  // single-part message is "1" as in IMAP (classify_attachments() also reads "" there as "1").
  std::string section;
  // Lower-cased media type and subtype: "multipart"/"mixed", "image"/"png". NIL on the wire: "".
  std::string type;
  std::string subtype;
  std::vector<Parameter> content_type_params;
  // Lower-cased Content-Disposition value ("attachment", "inline") or "" when absent.
  std::string disposition;
  std::vector<Parameter> disposition_params;
  std::string content_id;         // without angle brackets, "" when absent
  std::string transfer_encoding;  // lower-cased: "base64", "quoted-printable", "7bit", ...
  // Size of the encoded body as the server reports it (BODYSTRUCTURE octets), if known.
  std::optional<std::uint64_t> encoded_size;
  // Exact decoded size when known (IMAP BINARY.SIZE, EWS Size, or counted while decoding).
  std::optional<std::uint64_t> decoded_size;
  // SHA-256 of the decoded content (64 lower-case hex digits) when the content was seen
  // (parse_message(), or a connector that fetched and hashed the part); "" otherwise.
  std::string sha256;
  // The content could not be decoded cleanly (bad base64, missing closing boundary, truncated
  // message): INVENTORY.md "Damaged input". Sizes and hash are then those of what was there.
  bool damaged = false;
  std::vector<MimePart> children;  // only for multipart/*; message/* is never descended into
};

}  // namespace mailprune::mime
