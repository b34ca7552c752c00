#include "imap/lexer.hpp"

#include <algorithm>

namespace mailprune::imap::detail {
namespace {

bool is_atom_stop(char c) noexcept {
  return c == ' ' || c == '(' || c == ')' || c == ']' || c == '"' || c == '\r' || c == '\n' || c == '\0';
}

}  // namespace

std::optional<std::uint64_t> Value::number() const noexcept {
  if (kind != Kind::atom) return std::nullopt;
  return to_number(text);
}

std::optional<std::uint64_t> to_number(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

Lexer::Lexer(const FramedResponse& response, const ParserLimits& limits)
    : response_(response), text_(response.text), limits_(limits) {}

Lexer::Lexer(FramedResponse& response, const ParserLimits& limits, bool steal_literals)
    : response_(response), stealable_(steal_literals ? &response : nullptr), text_(response.text), limits_(limits) {}

void Lexer::fail(std::string message) const {
  fail_at(pos_, std::move(message));
}

void Lexer::fail_at(std::size_t offset, std::string message) const {
  throw ParseFailure{std::move(message), offset};
}

bool Lexer::at_end() const noexcept {
  for (std::size_t i = pos_; i < text_.size(); ++i) {
    if (text_[i] != ' ') return false;
  }
  return true;
}

bool Lexer::eat(char c) noexcept {
  if (peek() != c || pos_ >= text_.size()) return false;
  ++pos_;
  return true;
}

void Lexer::expect(char c) {
  if (!eat(c)) fail(std::string("expected '") + c + "'");
}

bool Lexer::eat_spaces() noexcept {
  const std::size_t start = pos_;
  while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  return pos_ != start;
}

void Lexer::expect_space() {
  if (!eat_spaces()) fail("expected space");
}

bool Lexer::eat_word(std::string_view word) noexcept {
  if (text_.size() - pos_ < word.size()) return false;
  if (!iequals(text_.substr(pos_, word.size()), word)) return false;
  const std::size_t end = pos_ + word.size();
  if (end < text_.size() && !is_atom_stop(text_[end]) && text_[end] != '[') return false;
  pos_ = end;
  return true;
}

const FramedLiteral* Lexer::literal_here() noexcept {
  const auto& literals = response_.literals;
  // Markers swallowed by read_rest() (a resp-text that happened to end in `{n}`) are skipped.
  while (next_literal_ < literals.size() && literals[next_literal_].header_begin < pos_) {
    ++next_literal_;
  }
  if (next_literal_ < literals.size() && literals[next_literal_].header_begin == pos_) {
    return &literals[next_literal_];
  }
  return nullptr;
}

std::string_view Lexer::read_atom() {
  const std::size_t start = pos_;
  if (literal_here() != nullptr) fail("literal where an atom was expected");
  while (pos_ < text_.size() && !is_atom_stop(text_[pos_])) ++pos_;
  if (pos_ == start) fail("expected an atom");
  return text_.substr(start, pos_ - start);
}

std::string_view Lexer::read_astring_atom() {
  const std::size_t start = pos_;
  if (literal_here() != nullptr) fail("literal where an atom was expected");
  while (pos_ < text_.size() && (!is_atom_stop(text_[pos_]) || text_[pos_] == ']')) ++pos_;
  if (pos_ == start) fail("expected an atom");
  return text_.substr(start, pos_ - start);
}

std::uint64_t Lexer::read_number() {
  const std::size_t start = pos_;
  while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
  const auto value = to_number(text_.substr(start, pos_ - start));
  if (!value) fail_at(start, "expected a number");
  return *value;
}

std::uint32_t Lexer::read_number32() {
  const std::size_t start = pos_;
  const std::uint64_t value = read_number();
  if (value > UINT32_MAX) fail_at(start, "number does not fit in 32 bits");
  return static_cast<std::uint32_t>(value);
}

std::string Lexer::read_quoted() {
  const std::size_t start = pos_;
  expect('"');
  std::string out;
  while (true) {
    if (pos_ >= text_.size()) fail_at(start, "unterminated quoted string");
    const char c = text_[pos_++];
    if (c == '"') break;
    if (c == '\\') {
      if (pos_ >= text_.size()) fail_at(start, "unterminated quoted string");
      // Lenient: any escaped character stands for itself, not only `"` and `\`.
      out.push_back(text_[pos_++]);
      continue;
    }
    out.push_back(c);  // 8-bit bytes kept as they are (RFC 6855 servers, sloppy ones)
  }
  return out;
}

Value Lexer::read_literal(const FramedLiteral& literal) {
  Value value;
  value.kind = Value::Kind::string;
  value.offset = pos_;
  value.literal_index = next_literal_;
  value.literal_size = literal.size;
  value.streamed = literal.streamed;
  if (!literal.streamed) {
    // A message body can be tens of MiB: move it when the caller gave the response away.
    if (stealable_ != nullptr) {
      value.text = std::move(stealable_->literals[next_literal_].data);
    } else {
      value.text = literal.data;
    }
  }
  pos_ = literal.position;
  ++next_literal_;
  return value;
}

Value Lexer::read_value(std::size_t depth) {
  if (const FramedLiteral* literal = literal_here()) return read_literal(*literal);
  Value value;
  value.offset = pos_;
  const char c = peek();
  if (c == '(') {
    if (depth >= limits_.max_nesting) fail("nesting deeper than max_nesting");
    ++pos_;
    value.kind = Value::Kind::list;
    eat_spaces();
    while (!eat(')')) {
      if (pos_ >= text_.size()) fail_at(value.offset, "unterminated list");
      value.items.push_back(read_value(depth + 1));
      // Items are separated by SP, but `)(` and `"a""b"` happen (Gmail writes `)(` between parts).
      eat_spaces();
    }
    return value;
  }
  if (c == '"') {
    value.kind = Value::Kind::string;
    value.text = read_quoted();
    return value;
  }
  const std::string_view atom = read_atom();
  if (iequals(atom, "NIL")) {
    value.kind = Value::Kind::nil;
  } else {
    value.kind = Value::Kind::atom;
    value.text = std::string(atom);
  }
  return value;
}

std::optional<std::string> Lexer::read_nstring() {
  const Value value = read_value();
  return nstring_of(*this, value);
}

std::string Lexer::read_astring() {
  if (literal_here() != nullptr || peek() == '"') return text_of(*this, read_value());
  return std::string(read_astring_atom());
}

std::vector<std::string> Lexer::read_atom_list() {
  std::vector<std::string> out;
  if (eat_word("NIL")) return out;
  expect('(');
  eat_spaces();
  while (!eat(')')) {
    if (pos_ >= text_.size()) fail("unterminated list");
    if (peek() == '"' || literal_here() != nullptr) {
      out.push_back(text_of(*this, read_value()));
    } else {
      // Flags may be `\*` (PERMANENTFLAGS; also sent in FLAGS by GreenMail).
      out.emplace_back(read_atom());
    }
    eat_spaces();
  }
  return out;
}

std::string Lexer::read_rest() {
  std::string_view rest = text_.substr(std::min(pos_, text_.size()));
  pos_ = text_.size();
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return std::string(rest);
}

std::string text_of(const Lexer& lexer, const Value& value) {
  if (!value.is_text()) lexer.fail_at(value.offset, "expected a string");
  if (value.streamed) lexer.fail_at(value.offset, "streamed literal where a string was expected");
  return value.text;
}

std::optional<std::string> nstring_of(const Lexer& lexer, const Value& value) {
  if (value.is_nil()) return std::nullopt;
  return text_of(lexer, value);
}

ParseError to_parse_error(const FramedResponse& response, const ParseFailure& failure) {
  ParseError error;
  error.message = failure.message;
  error.raw = response.text.substr(0, 8192);
  error.offset = std::min(failure.offset, response.text.size());
  return error;
}

}  // namespace mailprune::imap::detail
