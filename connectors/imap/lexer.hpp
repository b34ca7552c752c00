// lexer.hpp: tokens and generic values of one framed IMAP response. Internal to mailprune_imap
// (the grammar files use it); other code uses response.hpp.
//
// A Lexer walks FramedResponse::text and steps over literals by their recorded positions, so a
// `{n}` inside a literal's data can never be mistaken for a marker. It is lenient where real
// servers are sloppy: runs of spaces count as one (DavMail `*  1688 EXISTS`, Domino
// `"plain"  ("charset"`), and trailing spaces before the end are ignored (Exchange STATUS).
//
// Errors are reported by throwing detail::ParseFailure, which never leaves the library: the public
// entry points catch it and return a ParseError value with the raw text and offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/error.hpp"
#include "imap/framer.hpp"
#include "imap/parser_limits.hpp"

namespace mailprune::imap::detail {

struct ParseFailure {
  std::string message;
  std::size_t offset = 0;
};

// An IMAP value read without knowing what it means: NIL, an atom (numbers are atoms), a string
// (quoted or literal) or a parenthesized list.
struct Value {
  enum class Kind : std::uint8_t { nil, atom, string, list };
  Kind kind = Kind::nil;
  std::string text;                          // atom or string contents
  std::vector<Value> items;                  // list elements
  bool streamed = false;                     // a string whose literal went to the framer's sink (text empty)
  std::optional<std::size_t> literal_index;  // set when the string came as a literal
  std::uint64_t literal_size = 0;
  std::size_t offset = 0;  // where it starts in the response text

  [[nodiscard]] bool is_nil() const noexcept { return kind == Kind::nil; }
  [[nodiscard]] bool is_list() const noexcept { return kind == Kind::list; }
  [[nodiscard]] bool is_string() const noexcept { return kind == Kind::string; }
  [[nodiscard]] bool is_atom() const noexcept { return kind == Kind::atom; }
  // atom or string
  [[nodiscard]] bool is_text() const noexcept { return kind == Kind::atom || kind == Kind::string; }
  [[nodiscard]] std::optional<std::uint64_t> number() const noexcept;
};

std::optional<std::uint64_t> to_number(std::string_view digits) noexcept;
std::string upper(std::string_view text);
std::string lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b) noexcept;

class Lexer {
 public:
  Lexer(const FramedResponse& response, const ParserLimits& limits);
  // The same, allowed to move literal data out of `response` instead of copying it.
  Lexer(FramedResponse& response, const ParserLimits& limits, bool steal_literals);

  [[noreturn]] void fail(std::string message) const;
  [[noreturn]] void fail_at(std::size_t offset, std::string message) const;

  [[nodiscard]] bool at_end() const noexcept;  // only spaces left
  [[nodiscard]] char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] const ParserLimits& limits() const noexcept { return limits_; }
  [[nodiscard]] std::string_view text() const noexcept { return text_; }
  void seek(std::size_t pos) noexcept { pos_ = pos; }

  bool eat(char c) noexcept;
  void expect(char c);
  bool eat_spaces() noexcept;  // one or more SP; false when there was none
  void expect_space();
  bool eat_word(std::string_view word) noexcept;  // case-insensitive, followed by a delimiter

  // A run of atom characters (stops at SP ( ) ] " CR LF NUL, and at a literal marker).
  std::string_view read_atom();
  // Like read_atom but `]` allowed (astring, RFC 3501 ASTRING-CHAR).
  std::string_view read_astring_atom();
  std::uint64_t read_number();
  std::uint32_t read_number32();
  // Any value; lists nest up to limits.max_nesting.
  Value read_value(std::size_t depth = 0);
  // A string that must be in memory (quoted, literal, or atom when allow_atom); NIL -> nullopt.
  std::optional<std::string> read_nstring();
  std::string read_astring();
  // A parenthesized list of atoms/strings (flags, capabilities); NIL accepted as empty.
  std::vector<std::string> read_atom_list();
  // The rest of the text (resp-text), trailing spaces removed.
  std::string read_rest();

  // The literal whose marker starts exactly here, if any.
  [[nodiscard]] const FramedLiteral* literal_here() noexcept;
  const FramedResponse& response() const noexcept { return response_; }

 private:
  std::string read_quoted();
  Value read_literal(const FramedLiteral& literal);

  const FramedResponse& response_;
  FramedResponse* stealable_ = nullptr;
  std::string_view text_;
  const ParserLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t next_literal_ = 0;
};

// Converts a text value to its string (streamed literal -> fail).
std::string text_of(const Lexer& lexer, const Value& value);
std::optional<std::string> nstring_of(const Lexer& lexer, const Value& value);

// Builds the public ParseError from a failure (raw text capped at 8 KiB).
ParseError to_parse_error(const FramedResponse& response, const ParseFailure& failure);

}  // namespace mailprune::imap::detail
