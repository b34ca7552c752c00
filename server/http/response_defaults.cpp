#include "http/response_defaults.hpp"

#include <fmt/format.h>

#include <ctime>

namespace mailprune::http {
namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

bool is_html(const Response& response) {
  auto type = response.headers.get("Content-Type");
  if (!type) return false;
  std::string_view media = *type;
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return iequals(media, "text/html") || iequals(media, "application/xhtml+xml");
}

}  // namespace

std::string http_date(std::chrono::system_clock::time_point when) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[utc.tm_wday], utc.tm_mday,
                     kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

void apply_default_headers(Response& response, std::string_view html_csp, std::chrono::system_clock::time_point now) {
  Headers clean;
  for (const auto& [name, value] : response.headers) {
    if (!is_token(name)) continue;
    if (iequals(name, "Connection") || iequals(name, "Keep-Alive") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Content-Length") || iequals(name, "Date")) {
      continue;
    }
    std::string safe = value;
    for (char& c : safe) {
      if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    }
    clean.add(name, std::move(safe));
  }
  clean.add("Date", http_date(now));
  clean.set("X-Content-Type-Options", "nosniff");
  clean.set("Referrer-Policy", "no-referrer");
  if (!clean.contains("Cache-Control")) clean.add("Cache-Control", "no-store");
  response.headers = std::move(clean);
  if (is_html(response) && !response.headers.contains("Content-Security-Policy") && !html_csp.empty()) {
    response.headers.add("Content-Security-Policy", std::string(html_csp));
  }
}

std::string access_log_line(std::string_view method, std::string_view logged_path, int status, std::uint64_t body_bytes,
                            std::chrono::microseconds duration, std::string_view client, bool complete) {
  std::string path;
  for (char c : logged_path.substr(0, 200)) {
    auto byte = static_cast<unsigned char>(c);
    path += byte < 0x20 || byte == 0x7f ? '?' : c;
  }
  if (logged_path.size() > 200) path += "…";
  std::string safe_method;
  for (char c : method.substr(0, 20)) safe_method += is_token_char(c) ? c : '?';
  return fmt::format("{} {} {} {} {:.1f}ms {}{}", safe_method.empty() ? "-" : safe_method, path.empty() ? "-" : path,
                     status, body_bytes, static_cast<double>(duration.count()) / 1000.0, client,
                     complete ? "" : " (aborted)");
}

}  // namespace mailprune::http
