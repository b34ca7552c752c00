#include "imap/bodystructure.hpp"

#include "imap/grammar.hpp"

namespace mailprune::imap {
namespace detail {
namespace {

struct BodyReader {
  const Lexer& lexer;
  std::size_t parts = 0;

  // A string-ish field of a body; anything else (a number, a list, NIL) reads as "".
  static std::string field(const Value* value) {
    if (value == nullptr || !value->is_text() || value->streamed) return {};
    return value->text;
  }

  static std::vector<mime::Parameter> params(const Value* value) {
    std::vector<mime::Parameter> out;
    if (value == nullptr || !value->is_list()) return out;  // NIL, or garbage in its place
    const auto& items = value->items;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      if (!items[i].is_text() || items[i].streamed) continue;
      // NIL values happen (broken generators); a value of the wrong shape is dropped.
      out.push_back({lower(items[i].text), field(&items[i + 1])});
    }
    return out;
  }

  static void disposition(const Value* value, mime::MimePart& part) {
    if (value == nullptr) return;
    if (value->is_list()) {
      if (!value->items.empty()) part.disposition = lower(field(&value->items[0]));
      if (value->items.size() > 1) part.disposition_params = params(&value->items[1]);
    } else if (value->is_string()) {
      // Exchange writes `"inline"` / `"attachment"` without the list (MailKit #919).
      part.disposition = lower(field(value));
    }
  }

  static std::string strip_angles(std::string id) {
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') return id.substr(1, id.size() - 2);
    return id;
  }

  static const Value* at(const std::vector<Value>& items, std::size_t i) {
    return i < items.size() ? &items[i] : nullptr;
  }

  static std::string child_section(const std::string& parent, std::size_t index) {
    return parent.empty() ? std::to_string(index) : parent + "." + std::to_string(index);
  }

  void count_part(const Value& value) {
    if (++parts > lexer.limits().max_body_parts) {
      lexer.fail_at(value.offset, "more MIME parts than max_body_parts");
    }
  }

  mime::MimePart multipart(const Value& value, const std::string& section, std::size_t first) {
    const auto& items = value.items;
    mime::MimePart part;
    part.section = section;
    part.type = "multipart";
    std::size_t i = 0;
    while (i < items.size() && items[i].is_list()) {
      part.children.push_back(body(items[i], child_section(section, i + 1)));
      ++i;
    }
    i = std::max(i, first);
    part.subtype = lower(field(at(items, i)));
    part.content_type_params = params(at(items, i + 1));
    disposition(at(items, i + 2), part);
    // language (i + 3), location (i + 4) and extensions: not needed by the inventory.
    return part;
  }

  mime::MimePart single(const Value& value, const std::string& section) {
    const auto& items = value.items;
    mime::MimePart part;
    part.section = section;
    part.type = lower(field(&items[0]));
    part.subtype = lower(field(&items[1]));
    part.content_type_params = params(&items[2]);
    part.content_id = strip_angles(field(&items[3]));
    part.transfer_encoding = lower(field(&items[5]));
    if (auto octets = items[6].number()) part.encoded_size = *octets;
    std::size_t i = 7;
    if (part.type == "text") {
      if (const Value* lines = at(items, i); lines != nullptr && lines->number()) ++i;
    } else if (part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global")) {
      const Value* envelope = at(items, i);
      const Value* inner = at(items, i + 1);
      const Value* lines = at(items, i + 2);
      const auto list_or_nil = [](const Value* v) { return v != nullptr && (v->is_list() || v->is_nil()); };
      if (list_or_nil(envelope) && list_or_nil(inner) &&
          ((lines != nullptr && lines->number()) || (envelope->is_list() && inner->is_list()))) {
        // Read for validation and for the part limit; a message/* part is never descended into.
        if (envelope->is_list()) (void)envelope_from(lexer, *envelope);
        if (inner->is_list() && !inner->items.empty()) (void)body(*inner, child_section(section, 1));
        i += 2;
        if (lines != nullptr && lines->number()) ++i;
      }
    }
    // md5 (i), then disposition, language, location.
    disposition(at(items, i + 1), part);
    return part;
  }

  mime::MimePart body(const Value& value, const std::string& section) {
    if (!value.is_list()) lexer.fail_at(value.offset, "body is not a list");
    count_part(value);
    const auto& items = value.items;
    if (items.empty()) {
      // Domino sends `()` as the body of a message/rfc822 part (MailKit #944).
      mime::MimePart part;
      part.section = section;
      return part;
    }
    if (items[0].is_list()) return multipart(value, section, 0);
    if (items.size() < 7) {
      // Empty multiparts: Gmail `("ALTERNATIVE")` (MailKit #1841) and
      // `("RELATED" NIL ("ATTACHMENT" NIL) NIL)` (MailKit #371); `(NIL "alternative" ...)`
      // (MailKit #1393). A truncated single part keeps a text subtype in its second field.
      if (items[0].is_nil() && items.size() >= 2 && items[1].is_text()) {
        return multipart(value, section, 1);
      }
      if (items.size() < 2 || !items[1].is_text()) return multipart(value, section, 0);
      lexer.fail_at(value.offset, "single-part body with fewer than 7 fields");
    }
    return single(value, section);
  }
};

std::vector<Address> addresses(const Lexer& lexer, const Value* value) {
  std::vector<Address> out;
  if (value == nullptr || !value->is_list()) return out;
  for (const Value& item : value->items) {
    if (!item.is_list()) continue;
    const auto field = [&](std::size_t i) -> std::optional<std::string> {
      if (i >= item.items.size()) return std::nullopt;
      return nstring_of(lexer, item.items[i]);
    };
    out.push_back({field(0), field(1), field(2), field(3)});
  }
  return out;
}

}  // namespace

Envelope envelope_from(const Lexer& lexer, const Value& value) {
  if (!value.is_list()) lexer.fail_at(value.offset, "envelope is not a list");
  const auto& items = value.items;
  const auto string_at = [&](std::size_t i) -> std::optional<std::string> {
    if (i >= items.size() || items[i].is_list()) return std::nullopt;
    return nstring_of(lexer, items[i]);
  };
  const auto list_at = [&](std::size_t i) { return i < items.size() ? &items[i] : nullptr; };
  Envelope envelope;
  envelope.date = string_at(0);
  envelope.subject = string_at(1);
  envelope.from = addresses(lexer, list_at(2));
  envelope.sender = addresses(lexer, list_at(3));
  envelope.reply_to = addresses(lexer, list_at(4));
  envelope.to = addresses(lexer, list_at(5));
  envelope.cc = addresses(lexer, list_at(6));
  envelope.bcc = addresses(lexer, list_at(7));
  envelope.in_reply_to = string_at(8);
  envelope.message_id = string_at(9);
  return envelope;
}

mime::MimePart body_from(const Lexer& lexer, const Value& value) {
  BodyReader reader{lexer};
  return reader.body(value, "");
}

}  // namespace detail

std::string content_section(const mime::MimePart& part) {
  return part.section.empty() && part.type != "multipart" ? std::string("1") : part.section;
}

namespace {

template <class T, class Convert>
Parsed<T> parse_text_value(std::string_view text, const ParserLimits& limits, Convert convert) {
  FramedResponse response;
  response.text = std::string(text);
  try {
    detail::Lexer lexer(response, limits);
    lexer.eat_spaces();
    const detail::Value value = lexer.read_value();
    if (!lexer.at_end()) lexer.fail("trailing data after the value");
    return convert(lexer, value);
  } catch (const detail::ParseFailure& failure) {
    return detail::to_parse_error(response, failure);
  }
}

}  // namespace

Parsed<mime::MimePart> parse_body_structure(std::string_view text, const ParserLimits& limits) {
  return parse_text_value<mime::MimePart>(text, limits, detail::body_from);
}

Parsed<Envelope> parse_envelope(std::string_view text, const ParserLimits& limits) {
  return parse_text_value<Envelope>(text, limits, detail::envelope_from);
}

}  // namespace mailprune::imap
