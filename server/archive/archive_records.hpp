// archive_records.hpp: the archive store's ledger in PostgreSQL (schema/003_archive.sql): which
// objects the store holds, and which detached attachments (references) each one came from.
//
// Every function works in the caller's transaction, so that recording an archived attachment
// commits or rolls back together with the journal step that detached it. The store's file is
// written and committed (store.hpp) before record_archived() is called: a row never names a file
// that is not durable. Functions take pqxx::transaction_base&, so read-only callers (the HTTP
// server's lookup) can pass a pqxx::read_transaction. Threads: libpqxx rules (one connection and
// its transactions per thread).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive/content_hash.hpp"
#include "archive/store.hpp"

namespace mailprune::archive {

// Where an archived attachment was, as recorded when it was detached.
struct ReferenceSource {
  int mailbox_id = 0;
  std::optional<std::int64_t> action_id;  // the journal row; with `section`, identifies a retry
  std::string folder_name;
  std::optional<std::int64_t> uidvalidity;
  std::optional<std::int64_t> uid;     // IMAP; uid or item_id is required
  std::optional<std::string> item_id;  // EWS
  std::string internet_message_id;
  std::string section;  // IMAP body section or EWS AttachmentId
  std::string file_name;
  std::string content_type = "application/octet-stream";
  std::string part_header;  // the part's original MIME header, verbatim
};

struct ArchiveReference {
  std::int64_t id = 0;
  Sha256 sha256{};
  ReferenceSource source;
  std::string created_at;                 // ISO 8601 UTC
  std::optional<std::string> revoked_at;  // ISO 8601 UTC; set: links answer 410
  bool revoked() const { return revoked_at.has_value(); }
};

// Records `object` (INSERT ... ON CONFLICT DO NOTHING: a known object keeps its row).
void record_object(pqxx::transaction_base& tx, const StoredObject& object);

// Records `object` and a reference to it from `source`; returns the reference's id. When a
// reference with the same action_id and section exists (a retried journal step), nothing is
// written and that reference's id is returned. Throws std::invalid_argument when neither uid nor
// item_id is set.
std::int64_t record_archived(pqxx::transaction_base& tx, const StoredObject& object, const ReferenceSource& source);

std::optional<ArchiveReference> find_reference(pqxx::transaction_base& tx, std::int64_t reference_id);

// Every reference to an object, revoked ones included, oldest first.
std::vector<ArchiveReference> references_of(pqxx::transaction_base& tx, const Sha256& sha256);

// References made by one journal action, oldest first.
std::vector<ArchiveReference> references_of_action(pqxx::transaction_base& tx, std::int64_t action_id);

// Revokes a reference (its links then answer 410 Gone). Returns false when it does not exist or
// was already revoked (revoked_at keeps its first value).
bool revoke_reference(pqxx::transaction_base& tx, std::int64_t reference_id);

// Sets last_verified_at = now() after a successful ArchiveStore::verify. False: unknown object.
bool mark_verified(pqxx::transaction_base& tx, const Sha256& sha256);

}  // namespace mailprune::archive
