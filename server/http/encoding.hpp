// encoding.hpp: the text encodings of HTTP and HTML that handlers need: percent-encoding, query
// strings and forms (application/x-www-form-urlencoded), cookies, HTML escaping, and the split of
// a request target into path and query.
//
// Pure functions: no I/O, no locale, thread-safe. Decoders never throw on bad input: they return
// nullopt (callers answer 400).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "text/html.hpp"

namespace mailprune::http {

// Percent-decoding (RFC 3986 section 2.1). `plus_is_space`: '+' decodes to ' ' (forms and query
// strings, per the URL standard's application/x-www-form-urlencoded). nullopt when a '%' is not
// followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// Percent-encodes every byte except the unreserved characters A-Z a-z 0-9 - . _ ~ (so the result
// is safe in a path segment, a query value and an HTML attribute).
std::string percent_encode(std::string_view text);

// "a=1&b=x+y&c" -> {a:1, b:"x y", c:""}; empty pieces ("a=1&&b=2") are skipped. nullopt on a
// malformed escape.
std::optional<Params> parse_urlencoded(std::string_view text);

// The body of a POSTed HTML form: nullopt unless Content-Type is
// application/x-www-form-urlencoded (parameters such as charset ignored) and the body decodes.
std::optional<Params> parse_form(const Request& request);

// The cookies of a Cookie header value ("a=1; b=2"), values as sent (double quotes around a value
// removed, nothing else decoded); pieces without '=' are skipped.
Params parse_cookies(std::string_view header_value);
// All Cookie headers of a request together.
Params request_cookies(const Request& request);

// Text for HTML content and attribute values (text/html.hpp).
using text::html_escape;

// A request target split and decoded (what the server does before calling handlers).
struct Target {
  std::string path;  // decoded, see Request::path for what is refused
  Params query;
};
// Origin form ("/a/b?x=1") or absolute form ("http://host/a/b?x=1"); a fragment is dropped.
// nullopt for anything else, a malformed escape, an encoded NUL in the path, or a "." or ".."
// path segment (after decoding).
std::optional<Target> parse_target(std::string_view target);

}  // namespace mailprune::http
