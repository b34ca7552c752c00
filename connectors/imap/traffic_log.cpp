#include "imap/traffic_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "imap/error.hpp"

namespace mailprune::imap::detail {

std::string escape_literal(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;  // 8-bit bytes stay as they are: UTF-8 text remains readable
    }
  }
  // Editors strip trailing spaces; an escaped one survives.
  if (!out.empty() && out.back() == ' ') {
    out.pop_back();
    out += "\\x20";
  }
  return out;
}

std::optional<std::string> unescape_literal(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i >= text.size()) return std::nullopt;
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'x': {
        if (i + 2 >= text.size()) return std::nullopt;
        int value = 0;
        for (int k = 1; k <= 2; ++k) {
          const char h = text[i + static_cast<std::size_t>(k)];
          value *= 16;
          if (h >= '0' && h <= '9')
            value += h - '0';
          else if (h >= 'a' && h <= 'f')
            value += h - 'a' + 10;
          else if (h >= 'A' && h <= 'F')
            value += h - 'A' + 10;
          else
            return std::nullopt;
        }
        out += static_cast<char>(value);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::string literal_lines(std::string_view bytes) {
  std::string out;
  while (!bytes.empty()) {
    const std::size_t lf = bytes.find('\n');
    const std::size_t take = lf == std::string_view::npos ? bytes.size() : lf + 1;
    out += "L: " + escape_literal(bytes.substr(0, take)) + "\n";
    bytes.remove_prefix(take);
  }
  return out;
}

std::optional<std::uint64_t> literal_at_end(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

TrafficLog::TrafficLog(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw make_error(ErrorKind::connection, "cannot open traffic log " + path + ": " + std::strerror(errno));
  }
}

TrafficLog::~TrafficLog() {
  if (fd_ >= 0) ::close(fd_);
}

void TrafficLog::emit(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not stop the session
    done += static_cast<std::size_t>(n);
  }
}

void TrafficLog::comment(std::string_view text) {
  emit("# " + std::string(text) + "\n");
}

void TrafficLog::compression_started() {
  emit("Z\n");
}

void TrafficLog::client_literal_bytes(std::string_view bytes) {
  std::string out;
  const std::uint64_t room = literal_logged_ < max_logged_literal ? max_logged_literal - literal_logged_ : 0;
  const std::size_t shown = static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()));
  out += literal_lines(bytes.substr(0, shown));
  literal_logged_ += shown;
  literal_elided_ += bytes.size() - shown;
  literal_left_ -= bytes.size();
  if (literal_left_ == 0 && literal_elided_ > 0) out += "E: " + std::to_string(literal_elided_) + "\n";
  emit(out);
}

void TrafficLog::client(std::string_view bytes, bool sensitive) {
  if (sensitive) {
    if (literal_left_ > 0) {
      emit("L: ***\n");
      literal_left_ -= std::min<std::uint64_t>(literal_left_, bytes.size());
    } else {
      line_ += "***";
    }
    return;
  }
  while (!bytes.empty()) {
    if (literal_left_ > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, bytes.size()));
      client_literal_bytes(bytes.substr(0, n));
      bytes.remove_prefix(n);
      continue;
    }
    const std::size_t lf = bytes.find('\n');
    if (lf == std::string_view::npos) {
      line_.append(bytes);
      return;
    }
    line_.append(bytes.substr(0, lf));
    bytes.remove_prefix(lf + 1);
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    emit("C: " + line_ + "\n");
    if (const auto size = literal_at_end(line_); size && *size > 0) {
      literal_left_ = *size;
      literal_logged_ = 0;
      literal_elided_ = 0;
    }
    line_.clear();
  }
}

void TrafficLog::server(const FramedResponse& response) {
  std::string out;
  std::size_t from = 0;
  for (const FramedLiteral& literal : response.literals) {
    out += "S: " + response.text.substr(from, literal.position - from) + "\n";
    if (literal.streamed) {
      if (literal.size > 0) out += "E: " + std::to_string(literal.size) + "\n";
    } else {
      const std::size_t shown = std::min(literal.data.size(), max_logged_literal);
      out += literal_lines(std::string_view(literal.data).substr(0, shown));
      if (literal.data.size() > shown) out += "E: " + std::to_string(literal.data.size() - shown) + "\n";
    }
    from = literal.position;
  }
  out += "S: " + response.text.substr(from) + "\n";
  emit(out);
}

}  // namespace mailprune::imap::detail
