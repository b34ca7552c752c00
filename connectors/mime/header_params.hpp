// header_params.hpp: split a raw Content-Type / Content-Disposition header value into its value
// and its parameter list, the form MimePart keeps (mime_part.hpp).
//
// The parameters come out as the wire has them apart from quoting: names lower-cased, quoted
// strings unquoted (backslash escapes removed), values otherwise undecoded. RFC 2231 pieces
// (`filename*`, `filename*0*`, ...) keep their own names; RFC 2047 words stay encoded. Decoding
// is decode_parameter()'s job (header_decode.hpp), so that a part parsed here and a part described
// by IMAP BODYSTRUCTURE go through the same decoding.
//
// Lenient, as real mail needs: folded lines are unfolded, (comments) are skipped, an unquoted
// value runs to the next ';' (Outlook writes `name=My File.pdf`), an unterminated quoted string
// runs to the end, a parameter without '=' is dropped. Never fails.
// Threads: pure functions. Limits: at most `max_parameters` parameters are kept (later ones are
// dropped) so that a hostile header cannot make the list grow without bound.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_part.hpp"

namespace mailprune::mime {

struct HeaderValue {
  std::string value;  // lower-cased, trimmed: "multipart/mixed", "attachment"
  std::vector<Parameter> parameters;
};

inline constexpr std::size_t max_parameters = 256;

// `raw` is the header's value as received (after "Name:"), folding included.
HeaderValue parse_header_value(std::string_view raw);

// Splits a Content-Type value ("Text/HTML") into lower-cased type and subtype. A value without
// '/' gives {value, ""}.
struct MediaType {
  std::string type;
  std::string subtype;
};
MediaType split_media_type(std::string_view value);

}  // namespace mailprune::mime
