#include "http/encoding.hpp"

namespace mailprune::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') ||
                      byte == '-' || byte == '.' || byte == '_' || byte == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
  }
  return out;
}

std::optional<Params> parse_urlencoded(std::string_view text) {
  Params params;
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    params.add(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<Params> parse_form(const Request& request) {
  auto type = request.headers.get("Content-Type");
  if (!type) return std::nullopt;
  std::string_view media = *type;
  media = trim(media.substr(0, media.find(';')));
  if (!iequals(media, "application/x-www-form-urlencoded")) return std::nullopt;
  return parse_urlencoded(request.body);
}

Params parse_cookies(std::string_view header_value) {
  Params cookies;
  while (!header_value.empty()) {
    auto semicolon = header_value.find(';');
    std::string_view piece = trim(header_value.substr(0, semicolon));
    header_value = semicolon == std::string_view::npos ? std::string_view{} : header_value.substr(semicolon + 1);
    auto eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim(piece.substr(0, eq));
    std::string_view value = trim(piece.substr(eq + 1));
    if (name.empty()) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    cookies.add(std::string(name), std::string(value));
  }
  return cookies;
}

Params request_cookies(const Request& request) {
  Params all;
  for (const auto& [name, value] : request.headers) {
    if (!iequals(name, "Cookie")) continue;
    for (const auto& [cookie, cookie_value] : parse_cookies(value)) all.add(cookie, cookie_value);
  }
  return all;
}

std::optional<Target> parse_target(std::string_view target) {
  target = target.substr(0, target.find('#'));
  std::string_view raw_path;
  std::string_view raw_query;
  auto question = target.find('?');
  if (question != std::string_view::npos) raw_query = target.substr(question + 1);
  target = target.substr(0, question);
  if (starts_with_ci(target, "http://") || starts_with_ci(target, "https://")) {
    auto slash = target.find('/', target.find("://") + 3);
    raw_path = slash == std::string_view::npos ? std::string_view{"/"} : target.substr(slash);
  } else {
    raw_path = target;
  }
  if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;

  auto path = percent_decode(raw_path);
  if (!path || path->find('\0') != std::string::npos) return std::nullopt;
  std::string_view rest = *path;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    std::string_view segment = rest.substr(0, rest.find('/'));
    if (segment == "." || segment == "..") return std::nullopt;
    rest.remove_prefix(segment.size());
  }
  auto query = parse_urlencoded(raw_query);
  if (!query) return std::nullopt;
  Target out;
  out.path = std::move(*path);
  out.query = std::move(*query);
  return out;
}

}  // namespace mailprune::http
