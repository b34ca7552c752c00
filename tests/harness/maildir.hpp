// maildir.hpp: puts messages into a Maildir++ tree directly, without any IMAP server code: the
// harness's way to load mail fast (thousands of messages a second) and independently of the code
// under test.
//
// Layout (Dovecot's default Maildir++ with `/` as the IMAP hierarchy separator): INBOX is the root
// (`cur/`, `new/`, `tmp/`); folder `A/B` is the directory `.A.B`, each component in IMAP modified
// UTF-7 (RFC 3501 5.1.3), so `Archives/Réunions` is `.Archives.R&AOk-unions`. A message is written
// to `tmp/` and renamed into `cur/` as `<date>.M<n>P<pid>.mailprune,S=<size>,W=<vsize>:2,<flags>`:
// S= is the file size, W= the size with CRLF line endings (what IMAP reports as RFC822.SIZE), the
// flags are Maildir letters, and the file's mtime is the INTERNALDATE. Servers assign UIDs in
// file-name order, which is by date here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace mailprune::test {

// IMAP modified UTF-7 of one UTF-8 mailbox name (no hierarchy handling). Throws
// std::invalid_argument on invalid UTF-8.
std::string encode_modified_utf7(std::string_view utf8);

// The Maildir++ directory of `folder` (`/`-separated, UTF-8) under the Maildir root `maildir`.
// Throws std::invalid_argument for names Maildir++ cannot store ('.' in a component, empty parts).
std::string maildir_folder_path(const std::string& maildir, const std::string& folder);

// Maildir info letters for IMAP system flags ("\\Seen" -> 'S', ...), sorted as Maildir requires.
// Throws std::invalid_argument for keywords and unknown flags (keywords need the server's keyword
// file; not supported).
std::string maildir_flag_letters(const std::vector<std::string>& imap_flags);

// Bytes of `message` once every bare LF counts as CRLF (RFC822.SIZE).
std::uint64_t crlf_size(std::string_view message);

struct MaildirOwner {
  uid_t uid = static_cast<uid_t>(-1);  // -1: leave as created
  gid_t gid = static_cast<gid_t>(-1);
};

// Creates `dir` with cur/, new/, tmp/ (and `maildirfolder` unless `is_root`), mode 0700, owned by
// `owner`. Existing directories are left as they are.
void make_maildir(const std::string& dir, bool is_root, const MaildirOwner& owner);

// Writes one message into the Maildir `dir` (which must exist) as described above; returns the
// file's path. Thread-safe.
std::string write_maildir_message(const std::string& dir, std::string_view message,
                                  const std::vector<std::string>& imap_flags, std::time_t internal_date,
                                  const MaildirOwner& owner);

}  // namespace mailprune::test
