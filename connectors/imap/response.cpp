#include "imap/response.hpp"

#include <algorithm>

#include "imap/grammar.hpp"
#include "imap/lexer.hpp"

namespace mailprune::imap {
namespace {

using detail::iequals;
using detail::Lexer;
using detail::ParseFailure;
using detail::upper;
using detail::Value;

// Typed fields of a response code, read from its raw text. Failures leave only `raw` set: an odd
// code must not cost the whole response (the tagged OK of a MOVE matters more than its COPYUID).
void read_code_fields(ResponseCode& code, const ParserLimits& limits) {
  FramedResponse framed;
  framed.text = code.raw;
  try {
    Lexer lexer(framed, limits);
    lexer.eat_spaces();
    const auto read_set = [&lexer]() {
      lexer.eat_spaces();
      const std::string_view atom = lexer.read_atom();
      auto set = parse_sequence_set(atom);
      if (!set) lexer.fail("bad sequence set");
      return *set;
    };
    const std::string& name = code.name;
    if (name == "CAPABILITY") {
      while (!lexer.at_end()) {
        code.list.emplace_back(lexer.read_atom());
        lexer.eat_spaces();
      }
    } else if (name == "PERMANENTFLAGS" || name == "BADCHARSET") {
      if (!lexer.at_end()) code.list = lexer.read_atom_list();
    } else if (name == "UIDVALIDITY" || name == "UIDNEXT" || name == "UNSEEN" || name == "HIGHESTMODSEQ") {
      code.number = lexer.read_number();
    } else if (name == "APPENDUID") {
      code.number = lexer.read_number();
      code.uids = read_set();
    } else if (name == "COPYUID") {
      code.number = lexer.read_number();
      code.source_uids = read_set();
      code.uids = read_set();
    } else if (name == "MODIFIED") {
      code.uids = read_set();
    }
  } catch (const ParseFailure&) {
    code.list.clear();
    code.number.reset();
    code.source_uids.clear();
    code.uids.clear();
  }
}

ResponseCode read_code(Lexer& lexer) {
  const std::size_t open = lexer.pos();
  lexer.expect('[');
  ResponseCode code;
  code.name = upper(lexer.read_atom());
  const std::string_view text = lexer.text();
  // The code ends at the first `]` outside a quoted string.
  std::size_t end = lexer.pos();
  bool quoted = false;
  for (; end < text.size(); ++end) {
    if (quoted && text[end] == '\\') {
      ++end;
    } else if (text[end] == '"') {
      quoted = !quoted;
    } else if (!quoted && text[end] == ']') {
      break;
    }
  }
  if (end >= text.size()) lexer.fail_at(open, "unterminated response code");
  std::string_view raw = text.substr(lexer.pos(), end - lexer.pos());
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  code.raw = std::string(raw);
  lexer.seek(end + 1);
  read_code_fields(code, lexer.limits());
  return code;
}

StatusResponse read_status(Lexer& lexer, std::string tag, Condition condition) {
  StatusResponse status;
  status.tag = std::move(tag);
  status.condition = condition;
  lexer.eat_spaces();
  if (lexer.peek() == '[') {
    status.code = read_code(lexer);
    lexer.eat_spaces();
  }
  status.text = lexer.read_rest();
  return status;
}

std::optional<Condition> condition_of(std::string_view word) {
  if (iequals(word, "OK")) return Condition::ok;
  if (iequals(word, "NO")) return Condition::no;
  if (iequals(word, "BAD")) return Condition::bad;
  if (iequals(word, "BYE")) return Condition::bye;
  if (iequals(word, "PREAUTH")) return Condition::preauth;
  return std::nullopt;
}

std::vector<std::string> read_words(Lexer& lexer) {
  std::vector<std::string> out;
  lexer.eat_spaces();
  while (!lexer.at_end()) {
    out.emplace_back(lexer.read_atom());
    lexer.eat_spaces();
  }
  return out;
}

ListData read_list(Lexer& lexer, bool lsub) {
  ListData list;
  list.lsub = lsub;
  lexer.expect_space();
  list.attributes = lexer.read_atom_list();
  lexer.expect_space();
  const Value delimiter = lexer.read_value();
  if (!delimiter.is_nil()) {
    const std::string text = detail::text_of(lexer, delimiter);
    if (text.size() != 1) lexer.fail_at(delimiter.offset, "hierarchy delimiter is not one character");
    list.delimiter = text[0];
  }
  lexer.expect_space();
  list.mailbox = lexer.read_astring();
  if (lexer.eat_spaces() && !lexer.at_end()) {
    // RFC 5258 mbox-list-extended: (tag value ...)
    const Value extended = lexer.read_value();
    if (!extended.is_list()) lexer.fail_at(extended.offset, "expected LIST extended data");
    for (std::size_t i = 0; i + 1 < extended.items.size(); i += 2) {
      const std::string tag = upper(detail::text_of(lexer, extended.items[i]));
      const Value& value = extended.items[i + 1];
      if (tag == "CHILDINFO" && value.is_list()) {
        for (const Value& item : value.items) list.childinfo.push_back(upper(detail::text_of(lexer, item)));
      } else if (tag == "OLDNAME" && value.is_list() && !value.items.empty()) {
        list.old_name = detail::text_of(lexer, value.items[0]);
      } else {
        list.extended_tags.push_back(tag);
      }
    }
  }
  return list;
}

StatusData read_status_data(Lexer& lexer) {
  StatusData status;
  lexer.expect_space();
  status.mailbox = lexer.read_astring();
  lexer.eat_spaces();
  const Value items = lexer.read_value();
  if (!items.is_list()) lexer.fail_at(items.offset, "expected STATUS list");
  for (std::size_t i = 0; i + 1 < items.items.size(); i += 2) {
    const std::string name = upper(detail::text_of(lexer, items.items[i]));
    const Value& value = items.items[i + 1];
    if (name == "MAILBOXID") {
      if (value.is_list() && !value.items.empty()) status.mailboxid = detail::text_of(lexer, value.items[0]);
      continue;
    }
    const auto number = value.number();
    if (!number) continue;  // an unknown item with a non-number value: skip
    if (name == "MESSAGES")
      status.messages = number;
    else if (name == "RECENT")
      status.recent = number;
    else if (name == "UIDNEXT")
      status.uidnext = number;
    else if (name == "UIDVALIDITY")
      status.uidvalidity = number;
    else if (name == "UNSEEN")
      status.unseen = number;
    else if (name == "HIGHESTMODSEQ")
      status.highestmodseq = number;
    else if (name == "SIZE")
      status.size = number;
    else if (name == "DELETED")
      status.deleted = number;
    else if (name == "DELETED-STORAGE")
      status.deleted_storage = number;
    else if (name == "APPENDLIMIT")
      status.appendlimit = number;
  }
  return status;
}

SearchData read_search(Lexer& lexer) {
  SearchData search;
  lexer.eat_spaces();
  while (!lexer.at_end()) {
    if (lexer.eat('(')) {
      lexer.eat_spaces();
      if (!lexer.eat_word("MODSEQ")) lexer.fail("expected MODSEQ");
      lexer.expect_space();
      search.modseq = lexer.read_number();
      lexer.eat_spaces();
      lexer.expect(')');
    } else {
      search.numbers.push_back(lexer.read_number32());
    }
    lexer.eat_spaces();
  }
  return search;
}

SequenceSet set_of(const Lexer& lexer, const Value& value) {
  auto set = value.is_atom() ? parse_sequence_set(value.text) : std::nullopt;
  if (!set) lexer.fail_at(value.offset, "bad sequence set");
  return *set;
}

EsearchData read_esearch(Lexer& lexer) {
  EsearchData esearch;
  lexer.eat_spaces();
  if (lexer.peek() == '(') {
    const Value correlator = lexer.read_value();
    if (correlator.items.size() >= 2) esearch.correlator = detail::text_of(lexer, correlator.items[1]);
    lexer.eat_spaces();
  }
  if (lexer.eat_word("UID")) {
    esearch.uid = true;
    lexer.eat_spaces();
  }
  while (!lexer.at_end()) {
    const std::string name = upper(lexer.read_atom());
    lexer.expect_space();
    const Value value = lexer.read_value();
    const auto number = value.number();
    const auto need_number = [&]() {
      if (!number) lexer.fail_at(value.offset, "expected a number");
      return *number;
    };
    const auto need_number32 = [&]() {
      const std::uint64_t n = need_number();
      if (n > UINT32_MAX) lexer.fail_at(value.offset, "number does not fit in 32 bits");
      return static_cast<std::uint32_t>(n);
    };
    if (name == "MIN")
      esearch.min = need_number32();
    else if (name == "MAX")
      esearch.max = need_number32();
    else if (name == "COUNT")
      esearch.count = need_number();
    else if (name == "MODSEQ")
      esearch.modseq = need_number();
    else if (name == "ALL")
      esearch.all = set_of(lexer, value);
    lexer.eat_spaces();
  }
  return esearch;
}

VanishedData read_vanished(Lexer& lexer) {
  VanishedData vanished;
  lexer.expect_space();
  if (lexer.peek() == '(') {
    const Value modifier = lexer.read_value();
    vanished.earlier = modifier.items.size() == 1 && iequals(modifier.items[0].text, "EARLIER");
    lexer.expect_space();
  }
  vanished.uids = set_of(lexer, lexer.read_value());
  return vanished;
}

QuotaData read_quota(Lexer& lexer) {
  QuotaData quota;
  lexer.expect_space();
  quota.root = lexer.read_astring();
  lexer.eat_spaces();
  const Value resources = lexer.read_value();
  if (!resources.is_list()) lexer.fail_at(resources.offset, "expected quota list");
  for (std::size_t i = 0; i + 2 < resources.items.size(); i += 3) {
    const auto usage = resources.items[i + 1].number();
    const auto limit = resources.items[i + 2].number();
    if (!usage || !limit) lexer.fail_at(resources.items[i].offset, "bad quota resource");
    quota.resources.push_back({upper(detail::text_of(lexer, resources.items[i])), *usage, *limit});
  }
  return quota;
}

QuotaRootData read_quotaroot(Lexer& lexer) {
  QuotaRootData quotaroot;
  lexer.expect_space();
  quotaroot.mailbox = lexer.read_astring();
  lexer.eat_spaces();
  while (!lexer.at_end()) {
    quotaroot.roots.push_back(lexer.read_astring());
    lexer.eat_spaces();
  }
  return quotaroot;
}

IdData read_id(Lexer& lexer) {
  IdData id;
  lexer.eat_spaces();
  const Value fields = lexer.read_value();
  if (fields.is_nil()) return id;
  if (!fields.is_list()) lexer.fail_at(fields.offset, "expected ID list");
  for (std::size_t i = 0; i + 1 < fields.items.size(); i += 2) {
    id.fields.emplace_back(detail::text_of(lexer, fields.items[i]), detail::nstring_of(lexer, fields.items[i + 1]));
  }
  return id;
}

std::vector<NamespaceEntry> namespaces_of(const Lexer& lexer, const Value& value) {
  std::vector<NamespaceEntry> out;
  if (!value.is_list()) return out;
  for (const Value& entry : value.items) {
    if (!entry.is_list() || entry.items.empty()) continue;
    NamespaceEntry item;
    item.prefix = detail::text_of(lexer, entry.items[0]);
    if (entry.items.size() > 1 && !entry.items[1].is_nil()) {
      const std::string delimiter = detail::text_of(lexer, entry.items[1]);
      if (!delimiter.empty()) item.delimiter = delimiter[0];
    }
    out.push_back(std::move(item));
  }
  return out;
}

NamespaceData read_namespace(Lexer& lexer) {
  NamespaceData data;
  std::vector<NamespaceEntry>* slots[] = {&data.personal, &data.other_users, &data.shared};
  for (auto* slot : slots) {
    lexer.eat_spaces();
    if (lexer.at_end()) break;
    *slot = namespaces_of(lexer, lexer.read_value());
  }
  return data;
}

Response read_untagged(Lexer& lexer) {
  const std::size_t start = lexer.pos();
  if (lexer.peek() >= '0' && lexer.peek() <= '9') {
    const std::uint32_t number = lexer.read_number32();
    lexer.expect_space();
    const std::string keyword = upper(lexer.read_atom());
    if (keyword == "EXISTS") return ExistsData{number};
    if (keyword == "RECENT") return RecentData{number};
    if (keyword == "EXPUNGE") return ExpungeData{number};
    if (keyword == "FETCH") return detail::read_fetch(lexer, number);
    return UnknownData{keyword, std::string(lexer.text().substr(start))};
  }
  const std::string keyword = upper(lexer.read_atom());
  if (auto condition = condition_of(keyword)) return read_status(lexer, {}, *condition);
  if (keyword == "CAPABILITY") return CapabilityData{read_words(lexer)};
  if (keyword == "ENABLED") return EnabledData{read_words(lexer)};
  if (keyword == "LIST" || keyword == "XLIST") return read_list(lexer, false);
  if (keyword == "LSUB") return read_list(lexer, true);
  if (keyword == "STATUS") return read_status_data(lexer);
  if (keyword == "FLAGS") {
    lexer.eat_spaces();
    return FlagsData{lexer.read_atom_list()};
  }
  if (keyword == "SEARCH") return read_search(lexer);
  if (keyword == "ESEARCH") return read_esearch(lexer);
  if (keyword == "VANISHED") return read_vanished(lexer);
  if (keyword == "QUOTA") return read_quota(lexer);
  if (keyword == "QUOTAROOT") return read_quotaroot(lexer);
  if (keyword == "ID") return read_id(lexer);
  if (keyword == "NAMESPACE") return read_namespace(lexer);
  UnknownData unknown{keyword, std::string(lexer.text().substr(start))};
  lexer.seek(lexer.text().size());
  return unknown;
}

Response read_response(Lexer& lexer) {
  if (lexer.eat('+')) {
    lexer.eat_spaces();
    return ContinuationRequest{lexer.read_rest()};
  }
  if (lexer.eat('*')) {
    lexer.expect_space();
    return read_untagged(lexer);
  }
  if (lexer.peek() == '[') {
    // Exchange 2013 answers UID MOVE with a bare `[COPYUID 124 10 233]` line (ruby/net-imap #250).
    return read_status(lexer, {}, Condition::ok);
  }
  const std::string_view tag = lexer.read_atom();
  if (tag.find_first_of("+{%*") != std::string_view::npos) lexer.fail_at(0, "bad tag");
  lexer.expect_space();
  const std::size_t word_at = lexer.pos();
  const auto condition = condition_of(lexer.read_atom());
  if (!condition || *condition == Condition::preauth) {
    lexer.fail_at(word_at, "expected OK, NO, BAD or BYE after the tag");
  }
  return read_status(lexer, std::string(tag), *condition);
}

}  // namespace

bool ListData::has_attribute(std::string_view attribute) const noexcept {
  return std::any_of(attributes.begin(), attributes.end(), [&](const std::string& a) { return iequals(a, attribute); });
}

Parsed<Response> parse_response(const FramedResponse& framed, const ParserLimits& limits) {
  try {
    Lexer lexer(framed, limits);
    Response response = read_response(lexer);
    if (!lexer.at_end()) lexer.fail("unexpected data at the end of the response");
    return response;
  } catch (const ParseFailure& failure) {
    return detail::to_parse_error(framed, failure);
  }
}

Parsed<Response> parse_response(FramedResponse&& framed, const ParserLimits& limits) {
  try {
    Lexer lexer(framed, limits, true);
    Response response = read_response(lexer);
    if (!lexer.at_end()) lexer.fail("unexpected data at the end of the response");
    return response;
  } catch (const ParseFailure& failure) {
    return detail::to_parse_error(framed, failure);
  }
}

Parsed<Response> parse_response_text(std::string_view text, const ParserLimits& limits) {
  Framer framer(FramerLimits{}, {});
  const FeedResult result = framer.feed(text);
  if (result.status != FrameStatus::complete) {
    ParseError error;
    error.message = result.status == FrameStatus::error ? framer.error()->message : std::string("incomplete response");
    error.raw = std::string(text.substr(0, 8192));
    error.offset = result.consumed;
    return error;
  }
  return parse_response(framer.take(), limits);
}

}  // namespace mailprune::imap
