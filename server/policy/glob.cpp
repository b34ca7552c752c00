#include "policy/glob.hpp"

#include <cctype>

namespace mailprune::policy {
namespace {

// The body of one glob, without anchors.
std::string translate(const std::string& input, GlobKind kind) {
  std::string glob = input;
  std::string out;
  if (kind == GlobKind::folder && glob.size() >= 5) {
    std::string head = glob.substr(0, 5);
    for (char& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (head == "INBOX" && (glob.size() == 5 || glob[5] == '/')) {
      out += "[Ii][Nn][Bb][Oo][Xx]";
      glob = glob.substr(5);
    }
  }
  for (std::size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    auto byte = static_cast<unsigned char>(c);
    if (kind == GlobKind::folder && c == '/' && glob.compare(i, std::string::npos, "/**") == 0) {
      out += "(?:/.*)?";  // trailing "/**": the folder itself and everything below
      break;
    }
    if (c == '*') {
      if (kind == GlobKind::folder && i + 1 < glob.size() && glob[i + 1] == '*') {
        out += ".*";
        ++i;
      } else {
        out += kind == GlobKind::folder ? "[^/]*" : ".*";
      }
    } else if (c == '?') {
      out += kind == GlobKind::folder ? "[^/]" : ".";
    } else if (byte < 0x80 && !std::isalnum(byte)) {
      out += '\\';  // in PostgreSQL's ARE a backslash before a non-alphanumeric character makes it literal
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string glob_to_regex(const std::string& glob, GlobKind kind) {
  return "^(?:" + translate(glob, kind) + ")$";
}

std::string globs_to_regex(const std::vector<std::string>& globs, GlobKind kind) {
  if (globs.empty()) return "";
  std::string out = "^(?:";
  for (std::size_t i = 0; i < globs.size(); ++i) out += (i ? "|" : "") + translate(globs[i], kind);
  return out + ")$";
}

}  // namespace mailprune::policy
