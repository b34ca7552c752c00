#include "imap/fetch.hpp"

#include <algorithm>

#include "imap/grammar.hpp"
#include "imap/internal_date.hpp"

namespace mailprune::imap {
namespace {

const SectionData* find_section(const std::vector<SectionData>& sections, std::string_view name) {
  const auto it = std::find_if(sections.begin(), sections.end(),
                               [&](const SectionData& s) { return detail::iequals(s.section, name); });
  return it == sections.end() ? nullptr : &*it;
}

}  // namespace

std::optional<std::uint64_t> FetchMessage::binary_size(std::string_view section) const {
  for (const auto& [name, size] : binary_sizes) {
    if (detail::iequals(name, section)) return size;
  }
  return std::nullopt;
}

const SectionData* FetchMessage::binary(std::string_view section) const {
  return find_section(binary_sections, section);
}

const SectionData* FetchMessage::body(std::string_view section) const {
  return find_section(body_sections, section);
}

namespace detail {
namespace {

struct ItemName {
  std::string name;  // upper-cased, without section
  bool has_section = false;
  std::string section;
  std::optional<std::uint64_t> origin;
};

ItemName read_item_name(Lexer& lexer) {
  const std::string_view text = lexer.text();
  std::size_t p = lexer.pos();
  const std::size_t start = p;
  while (p < text.size() && text[p] != ' ' && text[p] != '(' && text[p] != ')' && text[p] != '[') {
    ++p;
  }
  if (p == start) lexer.fail("expected a FETCH item name");
  ItemName item;
  item.name = upper(text.substr(start, p - start));
  if (p < text.size() && text[p] == '[') {
    item.has_section = true;
    const std::size_t open = p++;
    bool quoted = false;
    while (p < text.size() && (quoted || text[p] != ']')) {
      if (text[p] == '"') quoted = !quoted;
      if (quoted && text[p] == '\\') ++p;
      ++p;
    }
    if (p >= text.size()) lexer.fail_at(open, "unterminated section");
    item.section = upper(text.substr(open + 1, p - open - 1));
    ++p;
    if (p < text.size() && text[p] == '<') {
      const std::size_t close = text.find('>', p);
      if (close == std::string_view::npos) lexer.fail_at(p, "unterminated origin");
      item.origin = to_number(text.substr(p + 1, close - p - 1));
      if (!item.origin) lexer.fail_at(p, "bad origin");
      p = close + 1;
    }
  }
  lexer.seek(p);
  return item;
}

SectionData section_of(const Lexer& lexer, ItemName item, Value value) {
  SectionData data;
  data.section = std::move(item.section);
  data.origin = item.origin;
  if (value.is_nil()) {
    data.nil = true;
  } else if (value.is_string()) {
    data.streamed = value.streamed;
    data.literal_index = value.literal_index;
    data.size = value.literal_index ? value.literal_size : value.text.size();
    data.data = std::move(value.text);
  } else {
    lexer.fail_at(value.offset, "expected a string, literal or NIL");
  }
  return data;
}

std::uint64_t number_of(const Lexer& lexer, const Value& value) {
  const auto number = value.number();
  if (!number) lexer.fail_at(value.offset, "expected a number");
  return *number;
}

// `(value)`: MODSEQ, EMAILID, THREADID.
const Value& single_item(const Lexer& lexer, const Value& value) {
  if (!value.is_list() || value.items.size() != 1) lexer.fail_at(value.offset, "expected (value)");
  return value.items[0];
}

void read_item(Lexer& lexer, FetchMessage& message, ItemName item) {
  const std::string& name = item.name;
  lexer.eat_spaces();
  Value value = lexer.read_value();
  if (item.has_section) {
    if (name == "BODY" || name == "BODY.PEEK") {
      message.body_sections.push_back(section_of(lexer, std::move(item), std::move(value)));
    } else if (name == "BINARY" || name == "BINARY.PEEK") {
      message.binary_sections.push_back(section_of(lexer, std::move(item), std::move(value)));
    } else if (name == "BINARY.SIZE") {
      message.binary_sizes.emplace_back(item.section, number_of(lexer, value));
    } else {
      message.skipped_items.push_back(name + "[" + item.section + "]");
    }
    return;
  }
  if (name == "UID") {
    const std::uint64_t uid = number_of(lexer, value);
    if (uid > UINT32_MAX) lexer.fail_at(value.offset, "UID does not fit in 32 bits");
    message.uid = static_cast<std::uint32_t>(uid);
  } else if (name == "RFC822.SIZE") {
    message.rfc822_size = number_of(lexer, value);
  } else if (name == "INTERNALDATE") {
    message.internal_date_raw = text_of(lexer, value);
    message.internal_date = parse_internal_date(*message.internal_date_raw);
  } else if (name == "FLAGS") {
    std::vector<std::string> flags;
    if (value.is_list()) {
      for (const Value& flag : value.items) flags.push_back(text_of(lexer, flag));
    } else if (!value.is_nil()) {
      lexer.fail_at(value.offset, "expected a flag list");
    }
    message.flags = std::move(flags);
  } else if (name == "MODSEQ") {
    message.modseq = number_of(lexer, single_item(lexer, value));
  } else if (name == "ENVELOPE") {
    message.envelope = envelope_from(lexer, value);
  } else if (name == "BODYSTRUCTURE" || name == "BODY") {
    message.body_structure_extended = name == "BODYSTRUCTURE";
    try {
      message.body_structure = body_from(lexer, value);
      message.body_structure_error.reset();
    } catch (const ParseFailure& failure) {
      message.body_structure.reset();
      message.body_structure_error = to_parse_error(lexer.response(), failure);
    }
  } else if (name == "RFC822" || name == "RFC822.HEADER" || name == "RFC822.TEXT") {
    item.section = name == "RFC822" ? "" : name.substr(7);
    message.body_sections.push_back(section_of(lexer, std::move(item), std::move(value)));
  } else if (name == "EMAILID") {
    message.email_id = text_of(lexer, single_item(lexer, value));
  } else if (name == "THREADID") {
    if (!value.is_nil()) message.thread_id = text_of(lexer, single_item(lexer, value));
  } else if (name == "X-GUID") {
    message.x_guid = text_of(lexer, value);
  } else if (name == "X-GM-MSGID") {
    message.gm_msgid = number_of(lexer, value);
  } else if (name == "X-GM-THRID") {
    message.gm_thrid = number_of(lexer, value);
  } else if (name == "X-GM-LABELS") {
    std::vector<std::string> labels;
    if (value.is_list()) {
      for (const Value& label : value.items) labels.push_back(text_of(lexer, label));
    }
    message.gm_labels = std::move(labels);
  } else {
    message.skipped_items.push_back(name);  // value already read and dropped
  }
}

}  // namespace

FetchMessage read_fetch(Lexer& lexer, std::uint32_t seq) {
  FetchMessage message;
  message.seq = seq;
  lexer.eat_spaces();
  lexer.expect('(');
  std::size_t items = 0;
  while (true) {
    lexer.eat_spaces();
    if (lexer.eat(')')) break;
    if (lexer.at_end()) lexer.fail("unterminated FETCH list");
    if (++items > lexer.limits().max_fetch_items) lexer.fail("more FETCH items than max_fetch_items");
    read_item(lexer, message, read_item_name(lexer));
  }
  return message;
}

}  // namespace detail
}  // namespace mailprune::imap
