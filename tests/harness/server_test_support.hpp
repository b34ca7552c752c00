// server_test_support.hpp: what the harness's own server tests (harness_test.cpp for Dovecot,
// cyrus_server_test.cpp) both use to deliver mail and read it back. Header-only; not part of the
// mailprune_test_harness library.
#pragma once

#include <regex>
#include <string>

#include "harness/imap_test_client.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {

// A small text/plain message with `subject` and `body` and a unique Message-ID.
inline std::string small_message(const std::string& subject, const std::string& body) {
  return "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" +
         make_name("m") +
         "@example.org>\r\nDate: Tue, 02 Mar 2021 10:00:00 +0000\r\n"
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
         body + "\r\n";
}

// "* 3 EXISTS" -> 3; -1 when absent.
inline long exists_of(const ImapTestClient::Reply& reply) {
  static const std::regex exists(R"(^\* (\d+) EXISTS$)");
  std::smatch match;
  for (const auto& line : reply.untagged) {
    if (std::regex_match(line, match, exists)) return std::stol(match[1]);
  }
  return -1;
}

}  // namespace mailprune::test
