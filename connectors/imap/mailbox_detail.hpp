// mailbox_detail.hpp: helpers shared by the files of ImapMailboxSession (imap_mailbox_session.cpp,
// folder_crawl.cpp, binary_sizes.cpp, attachment_read.cpp). Internal; not for other users.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "imap/classify.hpp"
#include "imap/imap_connector.hpp"
#include "imap/sequence_set.hpp"
#include "imap/session.hpp"

namespace mailprune::imap::detail {

// Runs `body`, turning an imap::Error (the connection failed) into a ConnectorError.
template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& error) {
    throw connector_error(error);
  }
}

// The ConnectorError for a tagged NO/BAD of `what` ("EXAMINE INBOX").
inline connector::ConnectorError failed(const std::string& what, const CommandResult& result) {
  Error error = error_from(result.status).value_or(make_error(ErrorKind::no, result.status.text));
  error.message = what + ": " + error.message;
  return connector_error(error);
}

// `uids` (sorted, unique) cut into sets of at most `per_set` UIDs, each written compactly.
inline std::vector<std::string> uid_batches(const std::vector<std::uint32_t>& uids, std::size_t per_set) {
  std::vector<std::string> sets;
  for (std::size_t i = 0; i < uids.size(); i += per_set) {
    std::vector<std::uint32_t> part(uids.begin() + static_cast<std::ptrdiff_t>(i),
                                    uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), i + per_set)));
    sets.push_back(format_sequence_set(compress_uids(std::move(part))));
  }
  return sets;
}

}  // namespace mailprune::imap::detail
