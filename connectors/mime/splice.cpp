// splice.cpp: locating parts by section number and splicing replacements into the raw bytes.
// The scanner follows splice.hpp; every offset is into the caller's `raw`, never a copy.
#include "mime/splice.hpp"

#include <algorithm>
#include <charconv>

#include "mime/ascii.hpp"
#include "mime/header_params.hpp"
#include "mime/transfer_decode.hpp"

namespace mailprune::mime {

namespace {

using connector::Result;

// One header field: [begin, end) covers its lines, line breaks and continuation lines included.
struct Field {
  std::string_view name;   // as written, "" for a line without ':'
  std::string_view value;  // raw, after ':' up to `end` (folding and the final line break included)
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct HeaderBlock {
  std::vector<Field> fields;
  std::size_t body_begin = 0;  // after the blank line, or `end` of the range when there is none
};

bool is_blank_line(std::string_view line) {
  return line == "\n" || line == "\r\n";
}

// The header block of the entity starting at `begin`, ending at the first blank line or `end`.
HeaderBlock read_header(std::string_view raw, std::size_t begin, std::size_t end) {
  HeaderBlock block;
  block.body_begin = end;
  std::size_t pos = begin;
  while (pos < end) {
    const std::size_t newline = raw.find('\n', pos);
    const std::size_t line_end = newline == std::string_view::npos || newline >= end ? end : newline + 1;
    const std::string_view line = raw.substr(pos, line_end - pos);
    if (is_blank_line(line)) {
      block.body_begin = line_end;
      return block;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !block.fields.empty()) {
      Field& field = block.fields.back();
      field.end = line_end;
      field.value = std::string_view(field.value.data(), field.value.size() + line.size());
    } else {
      Field field;
      field.begin = pos;
      field.end = line_end;
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        field.name = ascii::trim(line.substr(0, colon));
        field.value = line.substr(colon + 1);
      } else {
        field.value = line;
      }
      block.fields.push_back(field);
    }
    pos = line_end;
  }
  return block;
}

// The header value with folding removed (line breaks dropped, as RFC 5322 unfolding) and trimmed.
std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
  return std::string(ascii::trim(out));
}

const Field* find_field(const HeaderBlock& block, std::string_view name) {
  for (const Field& field : block.fields) {
    if (ascii::equals_ignoring_case(field.name, name)) return &field;
  }
  return nullptr;
}

// What a part is, as far as descending into it goes.
enum class Kind { leaf, multipart, message };

struct Entity {
  PartSpan span;
  Kind kind = Kind::leaf;
  std::string media_type;  // "multipart/mixed", "message/rfc822", "image/png"
  std::string boundary;
  bool digest = false;         // multipart/digest: children default to message/rfc822
  bool unterminated = false;   // last part of a multipart without close delimiter
  bool break_missing = false;  // an empty part whose next delimiter has no line break of its own
};

// Fills kind/media type/boundary from an entity's header; `default_type` applies when there is no usable Content-Type.
void classify(const HeaderBlock& header, std::string_view default_type, Entity& entity) {
  entity.media_type = std::string(default_type);
  if (const Field* field = find_field(header, "Content-Type")) {
    const HeaderValue value = parse_header_value(field->value);
    const MediaType media = split_media_type(value.value);
    if (!media.type.empty() && !media.subtype.empty()) entity.media_type = media.type + "/" + media.subtype;
    for (const Parameter& parameter : value.parameters) {
      if (parameter.name == "boundary") entity.boundary = parameter.value;
    }
  }
  const MediaType media = split_media_type(entity.media_type);
  if (media.type == "multipart") {
    entity.kind = Kind::multipart;
    entity.digest = media.subtype == "digest";
  } else if (media.type == "message") {
    // An attached message is entered only when its bytes are the message itself.
    const Field* encoding = find_field(header, "Content-Transfer-Encoding");
    const bool identity =
        encoding == nullptr || transfer_encoding_from_name(unfold(encoding->value)) == TransferEncoding::identity;
    entity.kind = identity ? Kind::message : Kind::leaf;
  }
}

// A part inside a multipart, starting at `begin` and (its body) ending at `end`.
Entity child_entity(std::string_view raw, std::size_t begin, std::size_t end, bool in_digest) {
  Entity entity;
  const HeaderBlock header = read_header(raw, begin, end);
  entity.span.header_begin = begin;
  entity.span.body_begin = header.body_begin;
  entity.span.body_end = end;
  classify(header, in_digest ? "message/rfc822" : "text/plain", entity);
  return entity;
}

// The single "part 1" of a message that is not a multipart: its body, typed as the message.
Entity message_body_entity(std::string_view raw, std::size_t begin, std::size_t end) {
  Entity entity;
  const HeaderBlock header = read_header(raw, begin, end);
  classify(header, "text/plain", entity);
  entity.span.header_begin = header.body_begin;
  entity.span.body_begin = header.body_begin;
  entity.span.body_end = end;
  return entity;
}

// Is the line [pos, line_end) a delimiter of `boundary`? 0: no, 1: delimiter, 2: close delimiter.
int delimiter_kind(std::string_view line, std::string_view boundary) {
  if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-') return 0;
  if (line.substr(2, boundary.size()) != boundary) return 0;
  std::string_view rest = line.substr(2 + boundary.size());
  if (rest.substr(0, 2) == "--") return 2;
  for (const char c : rest) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return 0;
  }
  return 1;
}

// The parts of the multipart `parent` (its body [body_begin, body_end)).
Result<std::vector<Entity>, SpliceError> multipart_children(std::string_view raw, const Entity& parent,
                                                            std::string_view section, std::size_t& parts_seen,
                                                            const SpliceLimits& limits) {
  if (parent.boundary.empty()) {
    return SpliceError{"section " + std::string(section) + " is a multipart without a boundary"};
  }
  std::vector<Entity> children;
  const std::size_t end = parent.span.body_end;
  std::size_t pos = parent.span.body_begin;
  std::optional<std::size_t> part_begin;  // start of the part being read
  bool closed = false;
  while (pos < end && !closed) {
    const std::size_t newline = raw.find('\n', pos);
    const std::size_t line_end = newline == std::string_view::npos || newline >= end ? end : newline + 1;
    const int kind = delimiter_kind(raw.substr(pos, line_end - pos), parent.boundary);
    if (kind != 0) {
      if (part_begin) {
        // The line break before the delimiter belongs to it.
        std::size_t body_end = pos;
        if (body_end > *part_begin && raw[body_end - 1] == '\n') --body_end;
        if (body_end > *part_begin && raw[body_end - 1] == '\r') --body_end;
        children.push_back(child_entity(raw, *part_begin, body_end, parent.digest));
        children.back().break_missing = pos == *part_begin;
        if (++parts_seen > limits.max_parts) {
          return SpliceError{"section " + std::string(section) + ": more than " + std::to_string(limits.max_parts) +
                             " parts"};
        }
      }
      closed = kind == 2;
      part_begin = line_end;
    }
    pos = line_end;
  }
  if (!closed && part_begin) {
    children.push_back(child_entity(raw, *part_begin, end, parent.digest));
    children.back().unterminated = true;
    ++parts_seen;
  }
  return children;
}

struct Located {
  Entity entity;
  bool parent_is_multipart = false;
  std::string message_ancestor;  // media type of the message/* part the section is inside, if any
};

Result<Located, SpliceError> locate(std::string_view raw, std::string_view section, const SpliceLimits& limits) {
  const std::string name(section);
  std::vector<std::size_t> path;
  for (std::size_t pos = 0; pos <= section.size();) {
    const std::size_t dot = std::min(section.find('.', pos), section.size());
    const std::string_view component = section.substr(pos, dot - pos);
    std::size_t number = 0;
    const auto [end, error] = std::from_chars(component.data(), component.data() + component.size(), number);
    if (component.empty() || error != std::errc() || end != component.data() + component.size() || number == 0) {
      return SpliceError{"section \"" + name + "\" is not a part number like 1 or 2.3"};
    }
    path.push_back(number);
    if (path.size() > limits.max_depth) {
      return SpliceError{"section " + name + " is deeper than " + std::to_string(limits.max_depth) + " levels"};
    }
    pos = dot + 1;
  }

  // The container being numbered: a message (header + body) or a multipart part.
  Entity container;
  container.span.header_begin = 0;
  container.span.body_end = raw.size();
  container.span.body_begin = read_header(raw, 0, raw.size()).body_begin;
  bool container_is_message = true;
  std::size_t parts_seen = 0;
  Located located;
  std::string walked;  // the section so far, for errors
  for (std::size_t depth = 0; depth < path.size(); ++depth) {
    std::vector<Entity> children;
    bool from_multipart = false;
    if (container_is_message) {
      // A message numbers the parts of its multipart body, or calls its whole body "1".
      Entity body = message_body_entity(raw, container.span.header_begin, container.span.body_end);
      if (body.kind == Kind::multipart) {
        auto listed = multipart_children(raw, body, walked.empty() ? "(top)" : walked, parts_seen, limits);
        if (!listed) return listed.error();
        children = std::move(listed.value());
        from_multipart = true;
      } else {
        children.push_back(body);
      }
    } else {
      auto listed = multipart_children(raw, container, walked, parts_seen, limits);
      if (!listed) return listed.error();
      children = std::move(listed.value());
      from_multipart = true;
    }
    const std::size_t number = path[depth];
    walked += (walked.empty() ? "" : ".") + std::to_string(number);
    if (number > children.size()) {
      return SpliceError{"section " + name + " does not exist (no part " + walked + ")"};
    }
    located.entity = children[number - 1];
    located.parent_is_multipart = from_multipart;
    if (depth + 1 == path.size()) break;
    switch (located.entity.kind) {
      case Kind::multipart:
        container = located.entity;
        container_is_message = false;
        break;
      case Kind::message:
        if (located.message_ancestor.empty()) located.message_ancestor = located.entity.media_type;
        container.span.header_begin = located.entity.span.body_begin;
        container.span.body_begin = located.entity.span.body_begin;
        container.span.body_end = located.entity.span.body_end;
        container_is_message = true;
        break;
      case Kind::leaf:
        return SpliceError{"section " + name + " does not exist (part " + walked + " is " + located.entity.media_type +
                           ", not a multipart or message)"};
    }
  }
  return located;
}

// Rewrites every line break of `text` (CRLF, LF, CR) to `ending`.
std::string with_line_ending(std::string_view text, std::string_view ending) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += ending;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Does the header block of `part` (up to its first blank line) break lines only with `ending`?
bool header_uses(std::string_view part, LineEnding ending) {
  for (std::size_t pos = 0; pos < part.size();) {
    const std::size_t newline = part.find('\n', pos);
    if (newline == std::string_view::npos) return true;
    const bool crlf = newline > 0 && part[newline - 1] == '\r';
    if (crlf != (ending == LineEnding::crlf)) return false;
    if (newline - pos <= (crlf ? 1u : 0u)) return true;  // the blank line
    pos = newline + 1;
  }
  return true;
}

}  // namespace

LineEnding line_ending_of(std::string_view raw) {
  const std::size_t newline = raw.find('\n');
  if (newline == std::string_view::npos || (newline > 0 && raw[newline - 1] == '\r')) return LineEnding::crlf;
  return LineEnding::lf;
}

std::string_view line_break(LineEnding ending) {
  return ending == LineEnding::crlf ? "\r\n" : "\n";
}

Result<PartSpan, SpliceError> locate_part(std::string_view raw, std::string_view section, const SpliceLimits& limits) {
  auto located = locate(raw, section, limits);
  if (!located) return located.error();
  return located->entity.span;
}

std::string_view part_header(std::string_view raw, const PartSpan& span) {
  std::string_view header = raw.substr(span.header_begin, span.body_begin - span.header_begin);
  // Drop the blank line, when the header has one (a part may be all header and no blank line).
  if (header == "\r\n" || header == "\n") return header.substr(0, 0);
  if (header.size() >= 2 && header.substr(header.size() - 2) == "\n\n") return header.substr(0, header.size() - 1);
  if (header.size() >= 3 && header.substr(header.size() - 3) == "\n\r\n") return header.substr(0, header.size() - 2);
  return header;
}

Result<std::string, SpliceError> splice_message(
    std::string_view raw, const std::vector<PartReplacement>& replacements,
    const std::vector<std::pair<std::string, std::string>>& add,
    const std::function<bool(std::string_view name, std::string_view value)>& remove, const SpliceLimits& limits) {
  const LineEnding ending = line_ending_of(raw);
  const std::string_view eol = line_break(ending);

  struct Cut {
    PartSpan span;
    const PartReplacement* replacement = nullptr;
    bool break_missing = false;
  };
  std::vector<Cut> cuts;
  for (const PartReplacement& replacement : replacements) {
    auto located = locate(raw, replacement.section, limits);
    if (!located) return located.error();
    const std::string& section = replacement.section;
    if (!located->message_ancestor.empty()) {
      return SpliceError{"section " + section + " is inside " + located->message_ancestor};
    }
    if (!located->parent_is_multipart) {
      return SpliceError{"section " + section + " is not inside a multipart (it is the whole body)"};
    }
    if (located->entity.unterminated) {
      return SpliceError{"section " + section +
                         " runs to the end of the message: its multipart has no close delimiter, so where it "
                         "ends is unknown"};
    }
    if (!header_uses(replacement.new_part, ending)) {
      return SpliceError{"the new part for section " + section + " does not use the message's line ending (" +
                         (ending == LineEnding::crlf ? "CRLF" : "LF") + ")"};
    }
    Cut cut;
    cut.span = located->entity.span;
    cut.break_missing = located->entity.break_missing;
    cut.replacement = &replacement;
    cuts.push_back(cut);
  }
  std::sort(cuts.begin(), cuts.end(),
            [](const Cut& a, const Cut& b) { return a.span.header_begin < b.span.header_begin; });
  for (std::size_t i = 1; i < cuts.size(); ++i) {
    if (cuts[i].span.header_begin < cuts[i - 1].span.body_end ||
        cuts[i].span.header_begin == cuts[i - 1].span.header_begin) {
      return SpliceError{"sections " + cuts[i - 1].replacement->section + " and " + cuts[i].replacement->section +
                         " overlap"};
    }
  }

  std::string out;
  std::size_t total = raw.size();
  for (const Cut& cut : cuts) total += cut.replacement->new_part.size();
  out.reserve(total + 1024);

  if (!add.empty() && !raw.empty() && (raw[0] == ' ' || raw[0] == '\t')) {
    return SpliceError{"the message starts with a folded line: a header field added before it would absorb it"};
  }
  for (const auto& [name, value] : add) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      const bool line_break_here =
          value[i] == '\n' || (value[i] == '\r' && (i + 1 == value.size() || value[i + 1] != '\n'));
      if (line_break_here && (i + 1 == value.size() || (value[i + 1] != ' ' && value[i + 1] != '\t'))) {
        return SpliceError{"header field " + name + " to add has a line break that is not folding"};
      }
    }
    if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos) {
      return SpliceError{"header field name \"" + name + "\" is not a field name"};
    }
    out += name;
    out += ": ";
    out += with_line_ending(value, eol);
    out += eol;
  }
  const HeaderBlock header = read_header(raw, 0, raw.size());
  std::size_t copied = 0;
  for (const Field& field : header.fields) {
    if (remove && !field.name.empty() && remove(field.name, unfold(field.value))) {
      out.append(raw.substr(copied, field.begin - copied));
      copied = field.end;
    }
  }
  for (const Cut& cut : cuts) {
    out.append(raw.substr(copied, cut.span.header_begin - copied));
    out += cut.replacement->new_part;
    // "--b<eol>--b": the part was empty and the next delimiter leaned on the previous line's
    // break; a non-empty part needs a line break of its own before it.
    if (cut.break_missing) out += eol;
    copied = cut.span.body_end;
  }
  out.append(raw.substr(copied));
  return out;
}

}  // namespace mailprune::mime
