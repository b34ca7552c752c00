// splice.hpp: byte-exact surgery on a raw RFC 5322 message: find a MIME part by its IMAP section
// number, put another part in its place, prepend or drop top-level header fields. Used by detach
// (an attachment replaced by a short notice) and its undo (the notice replaced by the original).
//
// Nothing is re-serialised: the output is the input with the replaced byte ranges swapped for the
// new bytes and the header edits applied, so every other byte (preamble, epilogue, other parts,
// odd folding, transport padding, line endings) is unchanged. No GMime here: a small line scanner
// that follows RFC 2046 5.1.1, leniently as real mail needs:
//  - a delimiter line is "--" boundary at the start of a line, followed by optional whitespace
//    (transport padding) and the line end; "--" boundary "--" is the close delimiter, whatever
//    follows it on its line. The line break before a delimiter belongs to the delimiter;
//  - CRLF and bare-LF messages (and mixtures) both work; lines are split at LF;
//  - boundaries are taken from Content-Type with header_params.hpp (quotes, comments, odd
//    characters); a multipart without a boundary, or without any delimiter, has no parts;
//  - default types as RFC 2046: text/plain, message/rfc822 inside multipart/digest;
//  - a message/* part with an identity transfer encoding is entered as IMAP numbers it: "2.1" is
//    the first part of the message attached as "2" (or its body when that message is not a
//    multipart). locate_part() finds such parts; splice_message() refuses to change them;
//  - a multipart whose close delimiter is missing (a truncated message): its last part runs to
//    the end of the enclosing body. locate_part() reports that best-effort span;
//    splice_message() refuses to replace such a part, since where it really ended is unknown
//    (parts before it, properly delimited, can be replaced).
//
// Threads: pure functions (notice_part() draws its boundary from a thread-local generator).
// Limits (SpliceLimits): section depth and the parts counted while scanning. Memory: the output
// plus the part list of each multipart on the path to a section.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "interface/actions.hpp"
#include "interface/result.hpp"
#include "mime/transfer_decode.hpp"

namespace mailprune::mime {

struct SpliceLimits {
  std::size_t max_depth = 50;     // components of a section number ("2.3.1" is 3)
  std::size_t max_parts = 10000;  // parts met in the multiparts scanned for one section
};

// Why a section could not be located or replaced. `message` names the section and the reason,
// e.g. "section 2.1 is inside message/rfc822".
struct SpliceError {
  std::string message;
};

// The line ending a message uses: that of its first line (CRLF when it has none).
enum class LineEnding { crlf, lf };
LineEnding line_ending_of(std::string_view raw);
std::string_view line_break(LineEnding ending);

// Byte offsets into the raw message of one MIME part, found by IMAP section number ("1", "2.3";
// for a single-part message "1" is the body).
//  header_begin: first byte of the part's MIME header fields (for a top-level single part, or the
//                body of a single-part attached message: its body start, header_begin ==
//                body_begin);
//  body_begin:   first byte after the blank line ending the header (== body_end when the part
//                has no blank line: all header, no body);
//  body_end:     end of the body; the line break that precedes the next delimiter line belongs
//                to the delimiter (RFC 2046 5.1.1) and is not part of the body.
struct PartSpan {
  std::size_t header_begin = 0;
  std::size_t body_begin = 0;
  std::size_t body_end = 0;
};

connector::Result<PartSpan, SpliceError> locate_part(std::string_view raw, std::string_view section,
                                                     const SpliceLimits& limits = {});

// The header bytes of a located part: raw[header_begin, body_begin) without the blank line.
std::string_view part_header(std::string_view raw, const PartSpan& span);

// A new part for `section`: MIME header fields, a blank line, the body; it takes the place of
// raw[header_begin, body_end) and so should not end with a line break of its own (one would be
// content). Build it with the message's line ending (line_ending_of(raw)): splice_message()
// refuses a new part whose header block uses the other one, and never rewrites bodies (line
// breaks in identity and quoted-printable bodies are content).
struct PartReplacement {
  std::string section;
  std::string new_part;
};

// The message with each replacement's part swapped in, the `add` header fields prepended to the
// top-level header in order ("Name: value" plus the message's line ending; a value must not
// contain line breaks other than folding, which is rewritten to the message's line ending), and
// every top-level header field for which remove(name, value) is true dropped with its folded
// continuation lines (`name` as written, `value` unfolded and trimmed; `remove` may be empty).
// Errors (nothing returned): a section that cannot be located; a section not directly inside a
// multipart (a single-part message's "1") or inside a message/* part; a part of a multipart
// without its close delimiter; two replacements that overlap (the same section twice, or "2" and
// "2.1"); a new part with the wrong line ending; header fields to add to a message whose first
// line is folded (starts with a space or tab: it would continue the added field). Sections may
// be given in any order.
connector::Result<std::string, SpliceError> splice_message(
    std::string_view raw, const std::vector<PartReplacement>& replacements,
    const std::vector<std::pair<std::string, std::string>>& add,
    const std::function<bool(std::string_view name, std::string_view value)>& remove, const SpliceLimits& limits = {});

// The notice that takes a detached attachment's place: a multipart/alternative (text/plain then
// text/html, both UTF-8 and quoted-printable, from Detachment::notice_text / notice_html) with
// the header fields
//   Content-Type: multipart/alternative;
//    boundary="..."
//   Content-Disposition: inline
//   X-Mailprune-Notice: <action_id>; section=<Detachment::section>
// A fresh random boundary, starting with "=_" so that no quoted-printable text can contain it,
// checked against the content anyway; no line of the quoted-printable text starts with "-".
// Line breaks in the notice text become `ending`; no line break at the end (see
// PartReplacement). CR, LF and ';' in action_id are replaced by '_'.
std::string notice_part(const connector::Detachment& detachment, std::string_view action_id,
                        LineEnding ending = LineEnding::crlf);

// What X-Mailprune-Notice in a part's header bytes (part_header()) says; nullopt when the field
// is absent or has no action id.
struct NoticeMark {
  std::string action_id;
  std::string section;  // "" when the field has no section parameter
};
std::optional<NoticeMark> read_notice(std::string_view part_header);

// The Content-Transfer-Encoding a part's header bytes name (the first such field, unfolded;
// identity when absent or unknown): what encode_part() encodes with, and what to decode a
// located part's body with (transfer_decode.hpp).
TransferEncoding part_transfer_encoding(std::string_view part_header);

// The original part rebuilt for undo: `original_header` (the part's header fields as they were,
// without the blank line; its line breaks, a LF with any CRs right before it, rewritten to
// `ending`, a missing final one added, lines of nothing but CRs dropped), a blank line, and
// `content` encoded per the header's Content-Transfer-Encoding:
//  - base64: 76-column lines separated by `ending`, '=' padding, no final line break;
//  - quoted-printable: lines of at most 76 characters with soft breaks; a line break of the
//    content that is exactly `ending` becomes a hard break, any other CR or LF is =0D / =0A,
//    so that decoding gives back exactly `content` whatever line endings it holds; a '-' that
//    would start a line is =2D, so no line of the body can be taken for a MIME delimiter;
//  - anything else (7bit, 8bit, binary, absent, unknown): `content` as it is.
// Decoding the body with the transfer_decode.hpp decoders gives exactly `content`, undamaged.
std::string encode_part(std::string_view original_header, std::string_view content,
                        LineEnding ending = LineEnding::crlf);

}  // namespace mailprune::mime
