#include "mime/header_params.hpp"

#include "mime/ascii.hpp"

namespace mailprune::mime {
namespace {

using ascii::is_space;
using ascii::trim;

// Unfolding: CR and LF go, the whitespace that follows them stays (RFC 5322 2.2.3).
std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (const char c : raw) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void advance() { ++pos_; }

  // Skips whitespace and (nested (comments)) between tokens.
  void skip_space_and_comments() {
    while (!at_end()) {
      if (is_space(peek())) {
        advance();
      } else if (peek() == '(') {
        skip_comment();
      } else {
        return;
      }
    }
  }

  // Text up to (not including) any of `stops`; with `strip_comments`, (comments) removed.
  std::string take_until(std::string_view stops, bool strip_comments = true) {
    std::string out;
    while (!at_end() && stops.find(peek()) == std::string_view::npos) {
      if (strip_comments && peek() == '(') {
        skip_comment();
        continue;
      }
      out += peek();
      advance();
    }
    return out;
  }

  // After the opening quote: the quoted string's content, escapes removed.
  std::string take_quoted() {
    std::string out;
    while (!at_end()) {
      const char c = peek();
      advance();
      if (c == '"') return out;
      if (c == '\\' && !at_end()) {
        out += peek();
        advance();
      } else {
        out += c;
      }
    }
    return out;
  }

 private:
  void skip_comment() {
    int depth = 0;
    while (!at_end()) {
      const char c = peek();
      advance();
      if (c == '\\') {
        if (!at_end()) advance();
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (--depth == 0) return;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

HeaderValue parse_header_value(std::string_view raw) {
  const std::string text = unfold(raw);
  Scanner scanner(text);
  HeaderValue result;
  scanner.skip_space_and_comments();
  result.value = ascii::to_lower(trim(scanner.take_until(";")));
  while (!scanner.at_end()) {
    scanner.advance();  // the ';'
    scanner.skip_space_and_comments();
    std::string name = ascii::to_lower(trim(scanner.take_until("=;")));
    if (scanner.at_end() || scanner.peek() == ';') continue;  // no '=': not a parameter
    scanner.advance();                                        // the '='
    scanner.skip_space_and_comments();
    std::string value;
    if (!scanner.at_end() && scanner.peek() == '"') {
      scanner.advance();
      value = scanner.take_quoted();
      scanner.take_until(";");  // junk after the closing quote
    } else {
      // Parentheses here are part of a broken unquoted file name ("report (1).pdf") far more
      // often than an RFC 822 comment.
      value = std::string(trim(scanner.take_until(";", false)));
    }
    if (name.empty() || result.parameters.size() >= max_parameters) continue;
    result.parameters.push_back(Parameter{std::move(name), std::move(value)});
  }
  return result;
}

MediaType split_media_type(std::string_view value) {
  const std::string lowered = ascii::to_lower(trim(value));
  const auto slash = lowered.find('/');
  if (slash == std::string::npos) return {lowered, {}};
  return {std::string(trim(std::string_view(lowered).substr(0, slash))),
          std::string(trim(std::string_view(lowered).substr(slash + 1)))};
}

}  // namespace mailprune::mime
