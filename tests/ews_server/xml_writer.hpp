// xml_writer.hpp: a minimal streaming XML writer for the EWS test server's responses.
//
// Appends to a std::string; the caller opens and closes elements in order (no checking beyond an
// assert-free stack). Text and attribute values are escaped; names are written as given (they are
// compile-time EWS names with their prefix, e.g. "t:ItemId"). Not thread-safe; one per response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailprune::ews_test {

class XmlWriter {
 public:
  using Attributes = std::vector<std::pair<std::string_view, std::string>>;

  // Opens <name attrs...>.
  XmlWriter& open(std::string_view name, const Attributes& attributes = {}) {
    out_ += '<';
    out_ += name;
    write_attributes(attributes);
    out_ += '>';
    stack_.emplace_back(name);
    return *this;
  }
  // Closes the innermost open element.
  XmlWriter& close() {
    out_ += "</";
    out_ += stack_.back();
    out_ += '>';
    stack_.pop_back();
    return *this;
  }
  // <name attrs.../>
  XmlWriter& empty(std::string_view name, const Attributes& attributes = {}) {
    out_ += '<';
    out_ += name;
    write_attributes(attributes);
    out_ += "/>";
    return *this;
  }
  // <name>text</name>
  XmlWriter& leaf(std::string_view name, std::string_view text, const Attributes& attributes = {}) {
    out_ += '<';
    out_ += name;
    write_attributes(attributes);
    out_ += '>';
    escape(text);
    out_ += "</";
    out_ += name;
    out_ += '>';
    return *this;
  }
  XmlWriter& leaf(std::string_view name, std::int64_t number) { return leaf(name, std::to_string(number)); }
  XmlWriter& leaf_bool(std::string_view name, bool value) { return leaf(name, value ? "true" : "false"); }
  // Already well-formed XML, written as is.
  XmlWriter& raw(std::string_view xml) {
    out_ += xml;
    return *this;
  }
  std::string& str() { return out_; }
  std::string take() {
    std::string text = std::move(out_);
    out_.clear();
    return text;
  }

  static std::string escaped(std::string_view text) {
    XmlWriter w;
    w.escape(text);
    return w.take();
  }

 private:
  void write_attributes(const Attributes& attributes) {
    for (const auto& [name, value] : attributes) {
      out_ += ' ';
      out_ += name;
      out_ += "=\"";
      escape(value);
      out_ += '"';
    }
  }
  void escape(std::string_view text) {
    for (char c : text) {
      switch (c) {
        case '<':
          out_ += "&lt;";
          break;
        case '>':
          out_ += "&gt;";
          break;
        case '&':
          out_ += "&amp;";
          break;
        case '"':
          out_ += "&quot;";
          break;
        case '\r':
          out_ += "&#13;";
          break;
        default:
          // XML 1.0 forbids most C0 controls even escaped: drop them (a subject with a stray
          // control byte must still give a well-formed response).
          if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
          out_ += c;
      }
    }
  }

  std::string out_;
  std::vector<std::string> stack_;
};

}  // namespace mailprune::ews_test
