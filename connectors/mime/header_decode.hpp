// header_decode.hpp: decoded header text and parameter values (RFC 2047, RFC 2231), and the
// attachment name of INVENTORY.md rule 5.
//
// All results are valid UTF-8. Nothing here fails: malformed input is kept as it is, and raw
// 8-bit bytes are taken as UTF-8 or, failing that, Latin-1 (bytes_to_utf8, charset.hpp).
// Threads: pure functions. Limits: output is linear in the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_part.hpp"

namespace mailprune::mime {

// Decodes RFC 2047 encoded words `=?charset?B|Q?text?=` in `text` (a header value or a
// parameter value), as mail clients do rather than as the RFC strictly allows:
//  - encoded words are recognised anywhere, also inside a quoted string or glued to other text
//    (Gmail writes filename="=?UTF-8?B?...?="); encoding letters B/Q in either case;
//  - the charset may carry an RFC 2231 language (`=?utf-8*en?Q?...?=`); unknown charsets fall
//    back to bytes_to_utf8;
//  - whitespace (CR/LF included) between two encoded words is dropped; consecutive words in the
//    same charset are joined as bytes before conversion, so a multi-byte character split across
//    two words (Outlook, Apple Mail) decodes correctly;
//  - Q: '_' is a space, `=XX` (either case) a byte, anything else literal; B: padding optional;
//  - a malformed word (no `?=`, empty charset, unknown encoding letter, invalid base64) is left
//    as it is, as literal text;
//  - text outside encoded words goes through bytes_to_utf8.
std::string decode_rfc2047(std::string_view text);

// Decoded UTF-8 value of the parameter `name` (any case) in `parameters` (as in MimePart:
// unquoted, undecoded), or nullopt when there is no such parameter in any form. Order:
//  1. `name*` (RFC 2231 extended: `charset'language'%XX...`; without the two apostrophes the
//     whole value is taken as percent-encoded bytes without charset);
//  2. continuations `name*0`, `name*0*`, `name*1*`, ... joined in numeric order whatever their
//     order in the list: missing pieces are skipped (what is there is joined), a repeated
//     number keeps its first occurrence, encoded pieces (`*N*`) are percent-decoded, plain
//     pieces are taken as they are, and the charset comes from piece 0 when it is encoded. The
//     bytes of all pieces are converted together (a character may straddle two pieces). When no
//     piece is encoded, the joined value is decoded as RFC 2047 (clients that split an encoded
//     word across continuations);
//  3. the plain `name`, decoded with decode_rfc2047 (which ends in bytes_to_utf8).
// A form that decodes to "" gives way to the next one. Section numbers are decimal without
// leading zeros, below 1000; other `name*...` spellings are ignored.
std::optional<std::string> decode_parameter(const std::vector<Parameter>& parameters, std::string_view name);

// INVENTORY.md rule 5: the Content-Disposition `filename` (RFC 2231 forms included), else the
// Content-Type `name`, decoded; "" when the part has neither (or both decode to "").
std::string attachment_name(const MimePart& part);

}  // namespace mailprune::mime
