// keys.hpp: the secret keys mailprune signs with (archive links, review tokens).
//
// A key is 32 bytes. It comes from the configuration (a Secret such as archive.link_key_env /
// link_key_file) or, when none is configured, from a random key that mailprune creates once and
// keeps in <data_dir>/keys/<name>.key, so that links stay valid across restarts and every process
// sharing the data directory signs and checks with the same key.
//
// Key file: one line of 64 lower-case hex digits, mode 0600, in a 0700 folder. It is written to a
// temporary file, fsynced, and published with link(2), which never replaces an existing file: when
// two processes start at once, one wins and the other reads the winner's key, and nobody ever
// reads a half-written file. A key file readable by group or others, or damaged, is refused (a
// KeyError saying what to do), never silently replaced: that would break every link already sent.
//
// Thread-safe (no shared state beyond the file system).
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/secret.hpp"

namespace mailprune::security {

using Key = std::array<std::uint8_t, 32>;

// A key that cannot be had: a configured value that is too short, not hex or base64, or does not
// look random; a key file that is damaged or readable by others; a file-system error. The message
// names the key and where it comes from, never the key's value.
class KeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The key called `name` (lower-case letters, digits, '-' and '_': "links", "review"):
// `configured` when it is set, else the one in <data_dir>/keys/<name>.key, created if missing.
// Throws KeyError.
Key load_or_create_key(const config::Config& config, std::string_view name, const config::Secret& configured);

// A configured key value: 64 hex digits (or more), or base64 (standard or URL alphabet, padding
// optional) of at least 32 bytes, surrounding blanks ignored. 32 bytes are used as they are; a
// longer value is reduced to 32 bytes with SHA-256. Values that decode to fewer than 32 bytes, or
// whose bytes take fewer than 8 distinct values (no random 32 bytes look like that: "000...",
// "abab..."), are refused. Throws KeyError.
Key parse_configured_key(std::string_view name, const config::Secret& configured);

// <data_dir>/keys/<name>.key. Throws KeyError for an invalid name.
std::string key_file_path(const config::Config& config, std::string_view name);

}  // namespace mailprune::security
