// archive_http.hpp: GET /archive/<reference>/<sha256>/<name>?e=..&s=.. as a pure function, for
// `mailprune serve` (issue 6) to call: request in, response out; the server only does I/O.
//
// Status codes:
//   200  the file: Content-Type from the reference, Content-Disposition attachment (RFC 6266, with
//        an ASCII filename= and a UTF-8 filename*=), Content-Length, nosniff, Cache-Control
//        private, a sandboxing Content-Security-Policy and no Referer (the link is a credential)
//   400  not a link (LinkError::malformed)
//   403  a forged or tampered link (bad_signature), or an expired one
//   404  no such reference, or one that does not name this content and file name
//   410  the reference was revoked
//   500  the reference exists but the store cannot give the file (missing or damaged object)
// Error bodies are short plain text, French then English (the agent's language is not known
// from the link alone). A GET never changes anything.
//
// Threads: as thread-safe as `lookup` (the store and key are only read).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive/archive_records.hpp"
#include "archive/store.hpp"
#include "security/keys.hpp"

namespace mailprune::archive {

struct ArchiveResponse {
  int status = 500;
  std::vector<std::pair<std::string, std::string>> headers;  // in order; Content-Length included
  std::string body;                                          // error responses only
  std::uint64_t content_length = 0;                          // = body.size(), or the file's size for 200
  // 200 only (empty otherwise): streams the file to the sink (see ArchiveStore::read; false from
  // the sink stops). It may throw ArchiveError after some bytes went out (the object was found
  // damaged, and its last chunk is withheld): the server must then close the connection rather
  // than end the response, so the client sees a short body and no complete wrong file. Captures
  // the store by reference: the store must outlive the response.
  std::function<bool(const ByteSink& sink)> write_body;

  // The value of a header (case-insensitive name), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// Looks up a reference by id (the server does it in a read-only transaction with
// find_reference()). Exceptions it throws (database down) propagate to the server, which answers 500.
using ReferenceLookup = std::function<std::optional<ArchiveReference>(std::int64_t reference_id)>;

// `path` as received (percent-encoded), `query` without '?', `now` in Unix seconds.
ArchiveResponse handle_archive_get(std::string_view path, std::string_view query, const security::Key& key,
                                   const ArchiveStore& store, const ReferenceLookup& lookup, std::int64_t now);

// The Content-Disposition value for a download of `file_name` (UTF-8): `attachment`, plus
// filename="..." (printable ASCII, other characters as '_') and filename*=UTF-8''... (RFC 8187)
// when the name is not empty.
std::string content_disposition(std::string_view file_name);

}  // namespace mailprune::archive
