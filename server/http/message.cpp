#include "http/message.hpp"

#include <algorithm>

namespace mailprune::http {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) return value;
  }
  return std::nullopt;
}

bool Headers::contains(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(), [&](const Field& f) { return iequals(f.first, name); });
}

void Headers::set(std::string_view name, std::string value) {
  remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string_view name, std::string value) {
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
}

std::optional<std::string> Params::get(std::string_view name) const {
  for (const auto& [key, value] : pairs_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::vector<std::string> Params::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : pairs_) {
    if (key == name) out.push_back(value);
  }
  return out;
}

namespace {

Response with_type(int status, std::string body, const char* type) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", type);
  response.body = std::move(body);
  return response;
}

}  // namespace

Response text_response(int status, std::string body) {
  return with_type(status, std::move(body), "text/plain; charset=utf-8");
}

Response html_response(int status, std::string body) {
  return with_type(status, std::move(body), "text/html; charset=utf-8");
}

Response json_response(int status, std::string body) {
  return with_type(status, std::move(body), "application/json");
}

Response status_response(int status) {
  std::string_view reason = reason_phrase(status);
  return text_response(status, std::to_string(status) + (reason.empty() ? "" : " ") + std::string(reason) + "\n");
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

}  // namespace mailprune::http
