// fake_session.hpp: an imap::Session that answers from a script, for the connector's logic tests.
//
// The script is a function from the command as sent (without tag and CRLF, e.g.
// `UID FETCH 1:4 (UID BINARY.SIZE[2])`) to the server's lines: untagged responses ("* ...") and,
// last, the tagged completion without its tag ("OK done", "NO [PARSE] broken"). Literals go inline
// (`{n}\r\n` followed by n bytes). Each line is parsed with parse_response_text(), so what the
// connector sees is what the real grammar makes of it. Counts one round trip per run() and one per
// window of run_pipelined(); records every command.
//
// Dropped connections: an untagged `* BYE ...` line throws imap::Error bye (as Session does), a
// line `X` throws imap::Error connection (EOF); either way the session is dead afterwards (alive()
// false, any further command fails the test). In run_pipelined() the commands before the dropped
// one have had their on_result(), those after it none.
//
// Also the small pieces the script tests share: lit() for literals, Dovecot's capabilities, ref().
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "imap/session.hpp"
#include "interface/connector.hpp"

namespace mailprune::test {

class FakeSession : public imap::Session {
 public:
  using Script = std::function<std::vector<std::string>(const std::string& command)>;

  FakeSession(std::set<std::string> capabilities, Script script, std::set<std::string> enabled = {})
      : capabilities_(std::move(capabilities)), enabled_(std::move(enabled)), script_(std::move(script)) {}

  const std::set<std::string>& capabilities() const override { return capabilities_; }
  imap::CommandOptions command_options() const override { return {}; }
  const std::set<std::string>& enabled() const override { return enabled_; }
  bool compressed() const override { return false; }
  imap::TagGenerator& tags() override { return tags_; }

  imap::CommandResult run(const imap::Command& command) override {
    ++traffic_.round_trips;
    return answer(command);
  }
  void run_pipelined(const std::vector<imap::Command>& commands, std::size_t window,
                     const std::function<void(std::size_t, imap::CommandResult&&)>& on_result) override {
    traffic_.round_trips += (commands.size() + window - 1) / window;
    for (std::size_t i = 0; i < commands.size(); ++i) on_result(i, answer(commands[i]));
  }
  void set_literal_sink(imap::LiteralSink sink) override { sink_ = std::move(sink); }
  bool alive() const override { return alive_; }
  imap::SessionTraffic traffic() const override { return traffic_; }
  void close() noexcept override { closed = true; }

  std::vector<std::string> sent;  // commands without tag and CRLF
  bool closed = false;

 private:
  imap::CommandResult answer(const imap::Command& command) {
    std::string wire = command.wire();
    if (wire.size() >= 2 && wire.compare(wire.size() - 2, 2, "\r\n") == 0) wire.resize(wire.size() - 2);
    std::string text = wire.substr(command.tag.size() + 1);
    EXPECT_TRUE(alive_) << "command on a dropped session: " << text;
    if (!alive_) throw imap::make_error(imap::ErrorKind::connection, "session already dropped");
    sent.push_back(text);
    ++traffic_.commands;
    traffic_.bytes_sent += command.size();
    std::vector<std::string> lines = script_(text);
    EXPECT_FALSE(lines.empty()) << "no answer scripted for: " << text;
    imap::CommandResult result;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const bool last = i + 1 == lines.size();
      if (lines[i] == "X") {
        alive_ = false;
        throw imap::make_error(imap::ErrorKind::connection, "connection closed by the server");
      }
      const bool untagged = lines[i].rfind("* ", 0) == 0;  // a last line "* BYE ..." drops the connection
      std::string line = last && !untagged ? command.tag + " " + lines[i] : lines[i];
      traffic_.bytes_received += line.size() + 2;
      auto parsed = imap::parse_response_text(line + "\r\n");
      EXPECT_TRUE(parsed.ok()) << "unparsable scripted line: " << line << " : "
                               << (parsed.ok() ? "" : parsed.error().message);
      if (!parsed.ok()) continue;
      if (const auto* status = std::get_if<imap::StatusResponse>(&parsed.value());
          untagged && status && status->condition == imap::Condition::bye) {
        alive_ = false;
        throw imap::make_error(imap::ErrorKind::bye, "server said BYE: " + status->text);
      }
      if (last) {
        result.status = std::get<imap::StatusResponse>(parsed.value());
      } else {
        result.untagged.push_back(std::move(parsed.value()));
      }
    }
    return result;
  }

  std::set<std::string> capabilities_;
  std::set<std::string> enabled_;
  Script script_;
  imap::TagGenerator tags_{"T"};
  imap::LiteralSink sink_;
  imap::SessionTraffic traffic_;
  bool alive_ = true;
};

// A literal in a script line: `{n}` CRLF and the bytes.
inline std::string lit(const std::string& bytes) {
  return "{" + std::to_string(bytes.size()) + "}\r\n" + bytes;
}

// The capabilities of Dovecot 2.3 that the connector looks at.
inline const std::set<std::string> kDovecotCaps = {"IMAP4REV1",   "LIST-EXTENDED", "LIST-STATUS",
                                                   "SPECIAL-USE", "CONDSTORE",     "QRESYNC",
                                                   "ESEARCH",     "BINARY",        "STATUS=SIZE"};

// A message known by its UID alone.
inline connector::MessageRef ref(std::uint64_t uid) {
  connector::MessageRef r;
  r.uid = uid;
  return r;
}

// Records what a crawl_folder() sends.
struct RecordingSink : connector::FolderSink {
  std::vector<bool> begins;
  std::vector<connector::MessageRecord> messages;
  std::vector<std::uint64_t> removed_uids;
  std::vector<std::string> errors;
  void begin(bool full) override { begins.push_back(full); }
  void message(connector::MessageRecord&& record) override { messages.push_back(std::move(record)); }
  void removed(const connector::MessageRef& ref) override { removed_uids.push_back(ref.uid); }
  void error(const connector::MessageRef* ref, const std::string& message) override {
    errors.push_back((ref ? std::to_string(ref->uid) + ": " : std::string()) + message);
  }
  const connector::MessageRecord* find(std::uint64_t uid) const {
    for (const auto& m : messages) {
      if (m.ref.uid == uid) return &m;
    }
    return nullptr;
  }
};

}  // namespace mailprune::test
