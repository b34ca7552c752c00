// links.hpp: the signed link left in a message in place of a detached attachment.
//
//   <public_url>/archive/<reference_id>/<sha256 hex>/<file name>?e=<expiry>&s=<signature>
//
// reference_id: archive_reference.id (decimal); sha256: the content's hash, 64 lower-case hex
// digits; file name: UTF-8, percent-encoded (every byte but A-Z a-z 0-9 - . _ ~ as %XX, upper
// case); expiry: Unix time in seconds after which the link is refused, 0 for never;
// signature: base64url without padding of
//
//   HMAC-SHA256(key, "archive\n<reference_id>\n<sha256 hex>\n<file name>\n<expiry>")
//
// (file name decoded there). The key is load_or_create_key(config, "links", archive.link_key).
// Only the canonical spelling of a link is accepted (no leading zeros, lower-case hex, the exact
// percent-encoding above, canonical base64url), so any change to any byte of the id, hash, name,
// expiry or signature makes the link invalid. Parameters other than e and s are ignored (mail
// gateways append some); e or s given twice is malformed.
//
// Pure functions over their arguments (the time is passed in); thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "archive/content_hash.hpp"
#include "config/config.hpp"
#include "security/keys.hpp"

namespace mailprune::archive {

enum class LinkError {
  none,
  malformed,      // not a link of this form
  bad_signature,  // well-formed, but not signed by our key (tampered, or another key)
  expired,        // genuine, but its expiry has passed
};

const char* to_string(LinkError error);

struct LinkTarget {
  std::int64_t reference_id = 0;
  Sha256 sha256{};
  std::string file_name;     // decoded UTF-8
  std::int64_t expires = 0;  // Unix seconds; 0: never
};

struct LinkCheck {
  LinkError error = LinkError::malformed;
  LinkTarget target;  // meaningful when ok() (and, for expired, filled too)
  bool ok() const { return error == LinkError::none; }
};

// The full link. `public_url` without trailing '/' (as the configuration loader leaves it);
// reference_id > 0; expires >= 0.
std::string make_link(std::string_view public_url, std::int64_t reference_id, const Sha256& sha256,
                      std::string_view file_name, std::int64_t expires, const security::Key& key);

// Checks a request for a link: `path` as received (percent-encoded, starting "/archive/"),
// `query` the raw query string without '?'. Order of checks: form (malformed), signature
// (bad_signature), then expiry (expired when expires != 0 and now >= expires).
LinkCheck verify_link(std::string_view path, std::string_view query, const security::Key& key, std::int64_t now);

// What a link's signature covers, for tests and for anyone re-implementing the check.
std::string link_signing_input(std::int64_t reference_id, const Sha256& sha256, std::string_view file_name,
                               std::int64_t expires);

// Percent-encoding of one path segment as links use it (see above), and its strict inverse
// (nullopt for a '%' not followed by two hex digits).
std::string percent_encode_segment(std::string_view bytes);
std::optional<std::string> percent_decode(std::string_view text);

// A request target split at the first '?': {path, query} (query empty when there is none).
struct RequestTarget {
  std::string_view path;
  std::string_view query;
};
RequestTarget split_target(std::string_view target);

// Makes links for the configured server, key and validity: what the detach step uses.
class LinkSigner {
 public:
  // Loads (or creates) the "links" key; throws security::KeyError.
  explicit LinkSigner(const config::Config& config);
  LinkSigner(std::string public_url, int valid_days, const security::Key& key);

  // A link valid for [archive] link_valid_days from `now` (Unix seconds), or forever when 0.
  std::string link_for(std::int64_t reference_id, const Sha256& sha256, std::string_view file_name,
                       std::int64_t now) const;
  const security::Key& key() const { return key_; }

 private:
  std::string public_url_;
  int valid_days_ = 0;
  security::Key key_{};
};

}  // namespace mailprune::archive
