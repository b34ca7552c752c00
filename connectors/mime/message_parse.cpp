#include "mime/message_parse.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "mime/ascii.hpp"
#include "mime/header_decode.hpp"
#include "mime/header_params.hpp"
#include "mime/sha256.hpp"

namespace mailprune::mime {
namespace {

void ensure_gmime_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct GObjectUnref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct OptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};

struct ParserIssues {
  bool truncated = false;
  bool structural = false;
};

void on_parser_warning(gint64 /*offset*/, GMimeParserWarning code, const gchar* /*item*/, gpointer user_data) {
  auto* issues = static_cast<ParserIssues*>(user_data);
  switch (code) {
    case GMIME_WARN_TRUNCATED_MESSAGE:
      issues->truncated = true;
      issues->structural = true;
      break;
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      issues->structural = true;
      break;
    default:
      break;  // header-level oddities: decoded leniently elsewhere, not damage
  }
}

using ascii::is_space;
using ascii::to_lower;

const char* raw_header(GMimeObject* object, const char* name) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  if (headers == nullptr) return nullptr;
  GMimeHeader* header = g_mime_header_list_get_header(headers, name);
  return header == nullptr ? nullptr : g_mime_header_get_raw_value(header);
}

// Largest offset of a header in `object`'s own header list, or -1.
gint64 last_header_offset(GMimeObject* object) {
  gint64 last = -1;
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  if (headers == nullptr) return last;
  const int count = g_mime_header_list_get_count(headers);
  for (int i = 0; i < count; ++i) {
    last = std::max(last, g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, i)));
  }
  return last;
}

// Smallest offset of a header in `object`'s own header list, or -1.
gint64 first_header_offset(GMimeObject* object) {
  gint64 first = -1;
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  if (headers == nullptr) return first;
  const int count = g_mime_header_list_get_count(headers);
  for (int i = 0; i < count; ++i) {
    const gint64 offset = g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, i));
    if (offset >= 0 && (first < 0 || offset < first)) first = offset;
  }
  return first;
}

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

class TreeBuilder {
 public:
  TreeBuilder(std::string_view raw, const ParseLimits& limits, const ParserIssues& issues, GMimeMessage* message,
              ParsedMessage& out)
      : raw_(raw), limits_(limits), issues_(issues), message_(message), out_(out) {}

  // Fills `part` from `object`; false with error() set when a limit is exceeded.
  bool build(GMimeObject* object, MimePart& part, const std::string& section, std::size_t depth) {
    if (++parts_ > limits_.max_parts) {
      error_ = "more than " + std::to_string(limits_.max_parts) + " MIME parts";
      return false;
    }
    if (depth > limits_.max_depth) {
      error_ = "MIME nesting deeper than " + std::to_string(limits_.max_depth);
      return false;
    }
    part.section = section;
    describe(object, part);
    if (GMIME_IS_MULTIPART(object)) return build_multipart(GMIME_MULTIPART(object), part, depth);
    if (GMIME_IS_MESSAGE_PART(object)) {
      const Span span = message_body_span(object, depth == 0);
      hash_leaf(part, raw_.substr(span.begin, span.end - span.begin), span.end);
      return true;
    }
    if (GMIME_IS_PART(object)) {
      hash_part_content(GMIME_PART(object), part);
      return true;
    }
    // GMime has no other leaf classes; be safe and describe an empty body.
    hash_leaf(part, {}, 0);
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  void describe(GMimeObject* object, MimePart& part) {
    if (GMimeContentType* content_type = g_mime_object_get_content_type(object)) {
      const char* type = g_mime_content_type_get_media_type(content_type);
      const char* subtype = g_mime_content_type_get_media_subtype(content_type);
      part.type = to_lower(type != nullptr ? type : "");
      part.subtype = to_lower(subtype != nullptr ? subtype : "");
    }
    if (part.type.empty()) {
      part.type = "text";
      part.subtype = "plain";
    }
    if (const char* raw = raw_header(object, "Content-Type")) {
      part.content_type_params = parse_header_value(raw).parameters;
    }
    if (const char* raw = raw_header(object, "Content-Disposition")) {
      HeaderValue disposition = parse_header_value(raw);
      part.disposition = std::move(disposition.value);
      part.disposition_params = std::move(disposition.parameters);
    }
    if (const char* content_id = g_mime_object_get_content_id(object)) {
      part.content_id = content_id;
    }
    const char* encoding = raw_header(object, "Content-Transfer-Encoding");
    const std::string_view encoding_text = ascii::trim(encoding != nullptr ? encoding : "");
    part.transfer_encoding = encoding_text.empty() ? "7bit" : to_lower(encoding_text);
  }

  bool build_multipart(GMimeMultipart* multipart, MimePart& part, std::size_t depth) {
    // Not g_mime_multipart_get_boundary(): on a multipart without one it invents a boundary and
    // re-encodes the Content-Type, which GMime 3.2 cannot always do (see parameter_name_error()).
    const char* boundary = g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "boundary");
    const bool closed = boundary != nullptr && has_close_delimiter(boundary);
    if (!closed) {
      out_.damaged = true;
      ++unclosed_multiparts_;
    }
    if (boundary != nullptr) boundaries_.emplace_back(boundary);
    const int count = g_mime_multipart_get_count(multipart);
    if (count == 0) out_.damaged = true;
    part.children.resize(static_cast<std::size_t>(std::max(count, 0)));
    bool ok = true;
    for (int i = 0; i < count && ok; ++i) {
      const std::string number = std::to_string(i + 1);
      const std::string child_section = part.section.empty() ? number : part.section + "." + number;
      ok = build(g_mime_multipart_get_part(multipart, i), part.children[static_cast<std::size_t>(i)], child_section,
                 depth + 1);
    }
    if (boundary != nullptr) boundaries_.pop_back();
    if (!closed) --unclosed_multiparts_;
    return ok;
  }

  // "--boundary--" at the start of a line anywhere in the input.
  bool has_close_delimiter(std::string_view boundary) const {
    const std::string delimiter = "--" + std::string(boundary) + "--";
    if (raw_.substr(0, delimiter.size()) == delimiter) return true;
    return raw_.find("\n" + delimiter) != std::string_view::npos;
  }

  // A delimiter of an enclosing multipart ("--boundary") starts at `at`.
  bool delimiter_at(std::size_t at) const {
    return std::any_of(boundaries_.begin(), boundaries_.end(), [&](const std::string& boundary) {
      return raw_.size() - at >= boundary.size() + 2 && raw_.compare(at, 2, "--") == 0 &&
             raw_.compare(at + 2, boundary.size(), boundary) == 0;
    });
  }

  // Where the body of a part that starts at or after `from` ends: before the CRLF/LF of the
  // first delimiter line of an enclosing multipart, or at the end of the input.
  std::size_t body_end(std::size_t from) const {
    std::size_t end = raw_.size();
    const std::size_t search_from = from > 0 ? from - 1 : 0;
    for (const std::string& boundary : boundaries_) {
      const std::size_t found = raw_.find("\n--" + boundary, search_from);
      if (found == std::string_view::npos || found >= end) continue;
      end = (found > from && raw_[found - 1] == '\r') ? found - 1 : found;
    }
    return std::max(end, from);
  }

  // The body of a message/* part that GMime parsed into an embedded message: from after the
  // blank line ending the part's headers to the next delimiter. GMime re-serialising the
  // embedded message would change its line endings, so the bytes are taken from the input.
  Span message_body_span(GMimeObject* object, bool top_level) {
    gint64 last = last_header_offset(object);
    if (top_level) last = std::max(last, last_header_offset(GMIME_OBJECT(message_)));
    std::size_t begin = raw_.size();
    if (last >= 0) {
      begin = header_block_end(static_cast<std::size_t>(last));
    } else if (GMimeMessage* embedded = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object))) {
      // A part without headers (multipart/digest): the body starts at the embedded headers.
      gint64 first = first_header_offset(GMIME_OBJECT(embedded));
      if (GMimeObject* body = g_mime_message_get_mime_part(embedded)) {
        const gint64 body_first = first_header_offset(body);
        if (body_first >= 0 && (first < 0 || body_first < first)) first = body_first;
      }
      if (first >= 0) begin = static_cast<std::size_t>(first);
    }
    begin = std::min(begin, raw_.size());
    return Span{begin, body_end(begin)};
  }

  // Offset just past the blank line that ends the header block containing offset `from`.
  std::size_t header_block_end(std::size_t from) const {
    for (std::size_t i = raw_.find('\n', from); i != std::string_view::npos; i = raw_.find('\n', i + 1)) {
      if (i + 1 < raw_.size() && raw_[i + 1] == '\n') return i + 2;
      if (i + 2 < raw_.size() && raw_[i + 1] == '\r' && raw_[i + 2] == '\n') return i + 3;
    }
    return raw_.size();
  }

  bool is_html_body(const MimePart& part) const {
    return part.type == "text" && part.subtype == "html" && part.disposition != "attachment" &&
           attachment_name(part).empty();
  }

  // Reads the encoded content GMime kept for `gmime_part` and hashes it into `part`.
  void hash_part_content(GMimePart* gmime_part, MimePart& part) {
    GMimeDataWrapper* content = g_mime_part_get_content(gmime_part);
    GMimeStream* stream = content != nullptr ? g_mime_data_wrapper_get_stream(content) : nullptr;
    if (stream == nullptr) {
      hash_leaf(part, {}, 0);
      return;
    }
    // The content stream is a window on the input; where it ends tells truncation.
    const gint64 bound_end = stream->bound_end;
    const std::size_t end = bound_end < 0 ? raw_.size() : static_cast<std::size_t>(bound_end);
    // GMime leaves in the content the CR of the CRLF before a close delimiter that ends the input
    // with no line break of its own ("last\r\n--b--" at the very end); RFC 2046 gives that CRLF
    // to the delimiter, as body_end() does.
    const bool stray_cr =
        end > 0 && end < raw_.size() && raw_[end - 1] == '\r' && raw_[end] == '\n' && delimiter_at(end + 1);
    hash_leaf_with(part, end, [stream, stray_cr](auto&& consume) {
      g_mime_stream_reset(stream);
      std::array<char, 64 * 1024> buffer{};
      std::optional<char> held;  // the last byte read, held back while it may be the stray CR
      while (true) {
        const gssize n = g_mime_stream_read(stream, buffer.data(), buffer.size());
        if (n <= 0) break;
        std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
        if (!stray_cr) {
          consume(chunk);
          continue;
        }
        if (held) consume(std::string_view(&*held, 1));
        held = chunk.back();
        chunk.remove_suffix(1);
        if (!chunk.empty()) consume(chunk);
      }
      if (held && *held != '\r') consume(std::string_view(&*held, 1));
    });
  }

  void hash_leaf(MimePart& part, std::string_view encoded, std::size_t end_in_input) {
    hash_leaf_with(part, end_in_input, [encoded](auto&& consume) { consume(encoded); });
  }

  // `produce(consume)` hands the encoded body to `consume(std::string_view)` in pieces.
  template <class Producer>
  void hash_leaf_with(MimePart& part, std::size_t end_in_input, Producer&& produce) {
    DecodedContentHasher hasher(part.transfer_encoding);
    const bool scan_html = is_html_body(part);
    std::string html;
    auto keep_html = [&](std::string_view decoded) {
      if (!scan_html || html.size() >= limits_.max_html_scan_bytes) return;
      html.append(decoded.substr(0, limits_.max_html_scan_bytes - html.size()));
    };
    std::uint64_t encoded_size = 0;
    produce([&](std::string_view encoded) {
      encoded_size += encoded.size();
      hasher.feed(encoded, keep_html);
    });
    const DecodedDigest digest = hasher.finish(keep_html);
    if (scan_html) add_cid_references(html, out_.html_cids);

    part.encoded_size = encoded_size;
    part.decoded_size = digest.size;
    part.sha256 = digest.sha256_hex;
    part.damaged = digest.damaged || (runs_to_end(end_in_input) && (unclosed_multiparts_ > 0 || issues_.truncated));
    if (part.damaged) out_.damaged = true;
  }

  bool runs_to_end(std::size_t end) const {
    for (std::size_t i = std::min(end, raw_.size()); i < raw_.size(); ++i) {
      if (!is_space(raw_[i])) return false;
    }
    return true;
  }

  std::string_view raw_;
  const ParseLimits& limits_;
  const ParserIssues& issues_;
  GMimeMessage* message_;
  ParsedMessage& out_;
  std::vector<std::string> boundaries_;  // of the enclosing multiparts, outermost first
  int unclosed_multiparts_ = 0;          // enclosing multiparts without a closing delimiter
  std::size_t parts_ = 0;
  std::string error_;
};

// GMime 3.2 re-encoding a parameter list (g_mime_param_list_encode) splits an RFC 2231 value into
// pieces of (76 - (name length + 6)) bytes, backing off to a '%'; with a name of 68 to 70 bytes a
// piece makes no progress and the loop appends "name*N*=" until memory runs out. The name GMime
// keeps is the raw one converted to UTF-8 (up to 3 bytes per 8-bit byte). parse() never asks
// GMime to re-encode, but no such name reaches GMime either: Content-Type and
// Content-Disposition lines anywhere in the input (a body line that looks like one counts too)
// are checked before parsing. Real parameter names are short tokens ("filename*12*").
std::string parameter_name_error(std::string_view raw, const ParseLimits& limits) {
  // "Content-Type:" or "Content-Type :" at the start of `line`: the offset after the colon, or 0.
  const auto field_value_at = [](std::string_view line, std::string_view name) -> std::size_t {
    if (!ascii::equals_ignoring_case(line.substr(0, name.size()), name)) return 0;
    std::size_t at = name.size();
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
    return at < line.size() && line[at] == ':' ? at + 1 : 0;
  };
  for (std::size_t pos = 0; pos < raw.size();) {
    std::size_t line_end = raw.find('\n', pos);
    line_end = line_end == std::string_view::npos ? raw.size() : line_end + 1;
    const std::string_view line = raw.substr(pos, line_end - pos);
    const std::size_t type_value = field_value_at(line, "content-type");
    const std::size_t disposition_value = type_value == 0 ? field_value_at(line, "content-disposition") : 0;
    const bool is_type = type_value != 0;
    const bool is_disposition = disposition_value != 0;
    if (!is_type && !is_disposition) {
      pos = line_end;
      continue;
    }
    // The field with its continuation lines.
    std::size_t field_end = line_end;
    while (field_end < raw.size() && (raw[field_end] == ' ' || raw[field_end] == '\t')) {
      const std::size_t next = raw.find('\n', field_end);
      field_end = next == std::string_view::npos ? raw.size() : next + 1;
    }
    const std::size_t value_begin = pos + (is_type ? type_value : disposition_value);
    // Every "name=" after a ';' outside quotes (no cap on their number, unlike parse_header_value).
    const std::string_view value = raw.substr(value_begin, field_end - value_begin);
    bool quoted = false;
    std::size_t weighted = 0;  // of the current name
    bool in_name = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const char c = value[i];
      if (quoted) {
        if (c == '\\') ++i;
        if (c == '"') quoted = false;
        continue;
      }
      if (c == '"') {
        quoted = true;
        in_name = false;
      } else if (c == ';') {
        in_name = true;
        weighted = 0;
      } else if (c == '=') {
        in_name = false;
      } else if (in_name && !is_space(c)) {
        weighted += static_cast<unsigned char>(c) >= 0x80 ? 3 : 1;
        if (weighted > limits.max_parameter_name_bytes) {
          return std::string(is_type ? "Content-Type" : "Content-Disposition") + " parameter name at byte " +
                 std::to_string(value_begin + i) + " exceeds the limit of " +
                 std::to_string(limits.max_parameter_name_bytes) +
                 " bytes (max_parameter_name_bytes, 8-bit bytes counted as 3)";
        }
      }
    }
    pos = field_end;
  }
  return {};
}

ParseResult parse(std::string_view raw, const ParseLimits& limits) {
  ParseResult result;
  if (raw.empty()) {
    result.error = "empty message";
    return result;
  }
  if (raw.size() > limits.max_message_bytes) {
    result.error = "message of " + std::to_string(raw.size()) + " bytes exceeds the limit of " +
                   std::to_string(limits.max_message_bytes);
    return result;
  }
  if (std::string error = parameter_name_error(raw, limits); !error.empty()) {
    result.error = std::move(error);
    return result;
  }
  ensure_gmime_initialised();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_persist_stream(parser.get(), TRUE);
  std::unique_ptr<GMimeParserOptions, OptionsFree> options(g_mime_parser_options_new());
  ParserIssues issues;
  g_mime_parser_options_set_warning_callback(options.get(), on_parser_warning, &issues);
  GMimeMessage* constructed = g_mime_parser_construct_message(parser.get(), options.get());
  if (constructed == nullptr) {
    result.error = "not an RFC 5322 message: no header block could be parsed";
    return result;
  }
  GPtr<GMimeMessage> message(constructed);
  result.message.damaged = issues.structural;

  GMimeObject* body = g_mime_message_get_mime_part(message.get());
  if (body == nullptr) {
    // Headers only: an empty text/plain body.
    MimePart& root = result.message.root;
    root.section = "1";
    root.type = "text";
    root.subtype = "plain";
    root.transfer_encoding = "7bit";
    root.encoded_size = 0;
    root.decoded_size = 0;
    root.sha256 = sha256_hex({});
    return result;
  }
  TreeBuilder builder(raw, limits, issues, message.get(), result.message);
  const std::string root_section = GMIME_IS_MULTIPART(body) ? "" : "1";
  if (!builder.build(body, result.message.root, root_section, 0)) {
    result.error = builder.error();
    result.message = ParsedMessage{};
  }
  return result;
}

}  // namespace

ParseResult parse_message(std::string_view raw, const ParseLimits& limits) {
  try {
    return parse(raw, limits);
  } catch (const std::bad_alloc&) {
    ParseResult result;
    result.error = "out of memory";
    return result;
  } catch (const std::exception& error) {
    ParseResult result;
    result.error = error.what();
    return result;
  }
}

}  // namespace mailprune::mime
