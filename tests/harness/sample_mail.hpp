// sample_mail.hpp: generated sample mailboxes (tests/tools/mailgen.py) and their ground truth
// (tests/tools/inventory_truth.py), for any server fixture to load.
//
// A generated set is a directory: `<user>/<folder>/<n>.eml` (CRLF line endings, so a file's size is
// the message's RFC822.SIZE), `manifest.json` and `agents.csv`. The manifest lists users, every
// folder (empty ones included) and every message with its flags and internal date; damaged
// messages (bad base64, missing closing boundary, truncated) are listed apart.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mailprune::test {

struct SampleMessage {
  std::string user;
  std::string folder;              // UTF-8, '/' separated, "INBOX" for the inbox
  std::string path;                // absolute path of the .eml file
  std::vector<std::string> flags;  // IMAP system flags, e.g. "\\Seen"
  std::time_t internal_date = 0;
  std::uint64_t size = 0;
  bool damaged = false;
};

struct SampleFolder {
  std::string user;
  std::string folder;
};

struct SampleMailSet {
  std::string dir;
  std::vector<std::string> users;
  std::vector<SampleFolder> folders;
  std::vector<SampleMessage> messages;  // well-formed ones first, then the damaged ones
};

// Reads `dir/manifest.json`. Throws std::runtime_error when it is missing or malformed.
SampleMailSet read_sample_mail(const std::string& dir);

struct MailgenOptions {
  int users = 3;
  int messages = 50;  // per user
  int seed = 1;
  double size_scale = 0.05;  // scales attachment sizes; 1.0 gives KB to a few MB
  int damaged = 0;
};

// Runs `python3 tests/tools/mailgen.py` into `out_dir`; returns the set it wrote.
SampleMailSet generate_sample_mail(const std::string& out_dir, const MailgenOptions& options);

// Runs `python3 tests/tools/inventory_truth.py` on a generated set; returns the summary JSON it
// prints (`mailboxes`, `folders`, `messages`, `message_bytes`, `attachments`, ...).
nlohmann::json inventory_truth(const std::string& dir, bool include_groups = false);

// A '/'-separated folder and its parents, outermost first:
// "Archives/Réunions" -> {"Archives", "Archives/Réunions"}.
std::vector<std::string> folder_with_parents(const std::string& folder);

// The directory holding mailgen.py and inventory_truth.py (from the source tree).
std::string test_tools_dir();

}  // namespace mailprune::test
