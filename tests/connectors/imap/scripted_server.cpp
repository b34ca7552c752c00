#include "scripted_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "imap/deflate.hpp"
#include "imap/traffic_log.hpp"

namespace mailprune::imap::test {
namespace {

using Kind = ScenarioStep::Kind;
constexpr auto client_silence = std::chrono::seconds(5);

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '_';
}

struct Token {
  enum class Type { text, capture, glob } type = Type::text;
  std::string value;  // text, or the capture's name
};

std::vector<Token> tokenize(std::string_view pattern) {
  std::vector<Token> tokens;
  auto add_text = [&](char c) {
    if (tokens.empty() || tokens.back().type != Token::Type::text) tokens.push_back({Token::Type::text, {}});
    tokens.back().value += c;
  };
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern.substr(i, 3) == "{*}" || pattern.substr(i, 3) == "***") {
      tokens.push_back({Token::Type::glob, {}});
      i += 3;
      continue;
    }
    if (pattern[i] == '{' && i + 1 < pattern.size() && is_name_start(pattern[i + 1])) {
      std::size_t end = i + 1;
      while (end < pattern.size() && is_name_char(pattern[end])) ++end;
      if (end < pattern.size() && pattern[end] == '}') {
        tokens.push_back({Token::Type::capture, std::string(pattern.substr(i + 1, end - i - 1))});
        i = end + 1;
        continue;
      }
    }
    add_text(pattern[i++]);
  }
  return tokens;
}

bool match_from(const std::vector<Token>& tokens, std::size_t t, std::string_view line, std::size_t pos,
                std::vector<std::pair<std::string, std::string>>& captures) {
  if (t == tokens.size()) return pos == line.size();
  const Token& token = tokens[t];
  switch (token.type) {
    case Token::Type::text:
      return line.substr(pos, token.value.size()) == token.value &&
             match_from(tokens, t + 1, line, pos + token.value.size(), captures);
    case Token::Type::glob:
      for (std::size_t end = pos; end <= line.size(); ++end) {
        if (match_from(tokens, t + 1, line, end, captures)) return true;
      }
      return false;
    case Token::Type::capture:
      for (std::size_t end = pos + 1; end <= line.size() && line[end - 1] != ' '; ++end) {
        const std::size_t mark = captures.size();
        captures.emplace_back(token.value, std::string(line.substr(pos, end - pos)));
        if (match_from(tokens, t + 1, line, end, captures)) return true;
        captures.resize(mark);
      }
      return false;
  }
  return false;
}

std::string substitute(const std::string& text, const std::vector<std::pair<std::string, std::string>>& captures) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{' && i + 1 < text.size() && is_name_start(text[i + 1])) {
      std::size_t end = i + 1;
      while (end < text.size() && is_name_char(text[end])) ++end;
      if (end < text.size() && text[end] == '}') {
        const std::string name = text.substr(i + 1, end - i - 1);
        for (auto it = captures.rbegin(); it != captures.rend(); ++it) {
          if (it->first == name) {
            out += it->second;
            i = end + 1;
            goto next;
          }
        }
      }
    }
    out += text[i++];
  next:;
  }
  return out;
}

}  // namespace

bool match_client_line(std::string_view pattern, std::string_view line,
                       std::vector<std::pair<std::string, std::string>>& captures) {
  std::vector<std::pair<std::string, std::string>> found;
  if (!match_from(tokenize(pattern), 0, line, 0, found)) return false;
  for (auto& [name, value] : found) {
    std::erase_if(captures, [&](const auto& c) { return c.first == name; });
    captures.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

Scenario parse_scenario(std::string_view text, std::string name) {
  Scenario scenario;
  scenario.name = std::move(name);
  scenario.connections.emplace_back();
  int number = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(scenario.name + ":" + std::to_string(number) + ": " + what);
  };
  while (!text.empty()) {
    const std::size_t lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    text.remove_prefix(lf == std::string_view::npos ? text.size() : lf + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line == "===") {
      scenario.connections.emplace_back();
      continue;
    }
    ScenarioStep step;
    step.line = number;
    const std::string_view rest = line.size() > 3 ? line.substr(3) : std::string_view();
    const std::string_view prefix = line.substr(0, std::min<std::size_t>(line.size(), 2));
    if (prefix == "S:" || prefix == "C:") {
      step.kind = prefix == "S:" ? Kind::send : Kind::expect;
      step.text = std::string(rest);
    } else if (prefix == "L:") {
      step.kind = Kind::literal;
      step.wildcard = rest == "***";
      auto bytes = detail::unescape_literal(rest);
      if (!bytes) fail("bad escape in L: line");
      step.text = std::move(*bytes);
    } else if (prefix == "E:" || line[0] == 'W') {
      step.kind = prefix == "E:" ? Kind::elided : Kind::wait;
      const std::string digits(line.substr(2));
      try {
        step.number = std::stoull(digits);
      } catch (const std::exception&) {
        fail("expected a number");
      }
    } else if (line == "X") {
      step.kind = Kind::close;
    } else if (line == "Z") {
      step.kind = Kind::compress;
    } else {
      fail("unknown entry: " + std::string(line));
    }
    scenario.connections.back().push_back(std::move(step));
  }
  return scenario;
}

Scenario load_scenario(const std::string& file) {
  const std::string path = std::string(MAILPRUNE_IMAP_SCENARIOS) + "/" + file;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read scenario " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), file);
}

// One accepted connection playing one script.
class ScriptedServer::Player {
 public:
  Player(ScriptedServer& server, int fd) : server_(server), fd_(fd) {}
  ~Player() { ::close(fd_); }

  void play(const std::vector<ScenarioStep>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const ScenarioStep& step = steps[i];
      switch (step.kind) {
        case Kind::send:
          if (!send(substitute(step.text, captures_) + "\r\n", step.line)) return;
          if (detail::literal_at_end(step.text)) last_direction_ = Kind::send;
          break;
        case Kind::expect:
          if (!expect_line(step)) return;
          if (client_literal_ > 0) last_direction_ = Kind::expect;
          break;
        case Kind::literal:
        case Kind::elided:
          if (last_direction_ == Kind::send) {
            if (!send(step.kind == Kind::literal ? step.text : std::string(step.number, 'x'), step.line)) return;
          } else {
            // A client literal: every L:/E: entry up to the next other entry describes it.
            std::size_t end = i;
            while (end < steps.size() && (steps[end].kind == Kind::literal || steps[end].kind == Kind::elided)) ++end;
            if (!expect_literal(steps, i, end)) return;
            i = end - 1;
          }
          break;
        case Kind::wait:
          wait(std::chrono::milliseconds(step.number));
          break;
        case Kind::close:
          return;
        case Kind::compress:
          deflater_ = std::make_unique<detail::Deflater>();
          inflater_ = std::make_unique<detail::Inflater>();
          inflater_->feed(std::string_view(in_).substr(in_pos_));  // already the compressed stream
          in_.clear();
          in_pos_ = 0;
          break;
      }
      if (server_.stop_) return;
    }
  }

 private:
  bool send(const std::string& bytes, int line) {
    std::string wire;
    if (deflater_) {
      deflater_->compress(bytes, wire);
    } else {
      wire = bytes;
    }
    std::size_t done = 0;
    while (done < wire.size()) {
      const ssize_t n = ::send(fd_, wire.data() + done, wire.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        server_.fail(line, "the client closed the connection before this line was sent");
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads more (inflated) bytes into in_; false on EOF, error, silence or stop.
  bool fill(int line, const char* waiting_for) {
    const auto deadline = std::chrono::steady_clock::now() + client_silence;
    for (;;) {
      if (inflater_ && inflater_->pending_input() > 0 && inflater_->inflate_some(in_, 65536) > 0) return true;
      if (server_.stop_) return false;
      if (std::chrono::steady_clock::now() > deadline) {
        server_.fail(line, std::string("the client sent nothing for 5 s; waiting for ") + waiting_for);
        return false;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[65536];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        server_.fail(line, std::string("the client closed the connection; waiting for ") + waiting_for);
        return false;
      }
      if (!inflater_) {
        in_.append(buffer, static_cast<std::size_t>(n));
        return true;
      }
      inflater_->feed({buffer, static_cast<std::size_t>(n)});
    }
  }

  bool expect_line(const ScenarioStep& step) {
    std::size_t lf;
    while ((lf = in_.find('\n', in_pos_)) == std::string::npos) {
      if (!fill(step.line, ("C: " + step.text).c_str())) return false;
    }
    std::string line = in_.substr(in_pos_, lf - in_pos_);
    in_pos_ = lf + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!match_client_line(step.text, line, captures_)) {
      server_.fail(step.line, "expected C: " + step.text + "\n      got C: " + line);
      return false;
    }
    client_literal_ = detail::literal_at_end(line).value_or(0);
    return true;
  }

  bool expect_literal(const std::vector<ScenarioStep>& steps, std::size_t begin, std::size_t end) {
    const int line = steps[begin].line;
    std::string expected;
    bool any = false;
    for (std::size_t i = begin; i < end; ++i) {
      if (steps[i].kind == Kind::literal && !steps[i].wildcard) expected += steps[i].text;
      any = any || steps[i].wildcard || steps[i].kind == Kind::elided;
    }
    while (in_.size() - in_pos_ < client_literal_) {
      if (!fill(line, "a client literal")) return false;
    }
    const std::string got = in_.substr(in_pos_, client_literal_);
    in_pos_ += client_literal_;
    client_literal_ = 0;
    if (any ? got.compare(0, expected.size(), expected) != 0 : got != expected) {
      server_.fail(line, "client literal differs: got L: " + detail::escape_literal(got.substr(0, 200)));
      return false;
    }
    return true;
  }

  void wait(std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (!server_.stop_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char byte;
        if (::recv(fd_, &byte, 1, MSG_PEEK) <= 0) return;  // the client hung up: stop hanging
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  ScriptedServer& server_;
  int fd_;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::uint64_t client_literal_ = 0;
  // Which side announced the most recent literal: L:/E: entries belong to it (a `+` line in
  // between does not change that).
  Kind last_direction_ = Kind::send;
  std::vector<std::pair<std::string, std::string>> captures_;
  std::unique_ptr<detail::Deflater> deflater_;
  std::unique_ptr<detail::Inflater> inflater_;
};

ScriptedServer::ScriptedServer(Scenario scenario) : scenario_(std::move(scenario)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 8) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1:0");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptedServer::~ScriptedServer() {
  const std::vector<std::string> failures = finish(std::chrono::milliseconds(0));
  for (const auto& failure : failures) ADD_FAILURE() << failure;
  ::close(listen_fd_);
}

void ScriptedServer::fail(int line, const std::string& what) {
  const std::lock_guard lock(mutex_);
  failures_.push_back(scenario_.name + ":" + std::to_string(line) + ": " + what);
}

void ScriptedServer::serve() {
  for (const auto& steps : scenario_.connections) {
    int fd = -1;
    const auto deadline = std::chrono::steady_clock::now() + client_silence;
    while (fd < 0 && !stop_) {
      if (std::chrono::steady_clock::now() > deadline) {
        fail(steps.empty() ? 0 : steps.front().line, "no client connected within 5 s");
        done_ = true;
        return;
      }
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (fd < 0) break;
    // Entries go out line by line; without this, Nagle and delayed ACKs add 40 ms stalls.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::size_t failures_before = [&] {
      const std::lock_guard lock(mutex_);
      return failures_.size();
    }();
    Player(*this, fd).play(steps);
    const std::lock_guard lock(mutex_);
    if (failures_.size() != failures_before) break;
  }
  done_ = true;
}

std::vector<std::string> ScriptedServer::finish(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done_ && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!done_) {
    fail(0, "the script did not finish in time");
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  const std::lock_guard lock(mutex_);
  if (collected_) return {};
  collected_ = true;
  return failures_;
}

}  // namespace mailprune::imap::test
