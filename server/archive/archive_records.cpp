#include "archive/archive_records.hpp"

#include <stdexcept>

namespace mailprune::archive {
namespace {

constexpr const char* kReferenceColumns =
    "id, encode(sha256, 'hex'), mailbox_id, action_id, folder_name, uidvalidity, uid, item_id, internet_message_id,"
    " section, file_name, content_type, part_header,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

template <typename T>
std::optional<T> optional_of(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<T>();
}

ArchiveReference reference_of(const pqxx::row& row) {
  ArchiveReference r;
  r.id = row[0].as<std::int64_t>();
  auto sha = sha256_from_hex(row[1].as<std::string>());
  if (!sha) throw std::runtime_error("archive_reference.sha256 is not 32 bytes");
  r.sha256 = *sha;
  r.source.mailbox_id = row[2].as<int>();
  r.source.action_id = optional_of<std::int64_t>(row[3]);
  r.source.folder_name = row[4].as<std::string>();
  r.source.uidvalidity = optional_of<std::int64_t>(row[5]);
  r.source.uid = optional_of<std::int64_t>(row[6]);
  r.source.item_id = optional_of<std::string>(row[7]);
  r.source.internet_message_id = row[8].as<std::string>();
  r.source.section = row[9].as<std::string>();
  r.source.file_name = row[10].as<std::string>();
  r.source.content_type = row[11].as<std::string>();
  r.source.part_header = row[12].as<std::string>();
  r.created_at = row[13].as<std::string>();
  r.revoked_at = optional_of<std::string>(row[14]);
  return r;
}

std::vector<ArchiveReference> references(const pqxx::result& result) {
  std::vector<ArchiveReference> out;
  out.reserve(result.size());
  for (const auto& row : result) out.push_back(reference_of(row));
  return out;
}

}  // namespace

void record_object(pqxx::transaction_base& tx, const StoredObject& object) {
  tx.exec_params0(
      "INSERT INTO archive_object (sha256, size) VALUES (decode($1, 'hex'), $2) ON CONFLICT (sha256) DO NOTHING",
      to_hex(object.sha256), static_cast<std::int64_t>(object.size));
}

std::int64_t record_archived(pqxx::transaction_base& tx, const StoredObject& object, const ReferenceSource& source) {
  if (!source.uid && !source.item_id) {
    throw std::invalid_argument("an archive reference needs the message's UID or ItemId");
  }
  record_object(tx, object);
  if (source.action_id) {
    pqxx::result existing = tx.exec_params("SELECT id FROM archive_reference WHERE action_id = $1 AND section = $2",
                                           *source.action_id, source.section);
    if (!existing.empty()) return existing[0][0].as<std::int64_t>();
  }
  // ON CONFLICT covers a concurrent retry of the same step racing this one past the SELECT.
  pqxx::result inserted = tx.exec_params(
      "INSERT INTO archive_reference (sha256, mailbox_id, action_id, folder_name, uidvalidity, uid, item_id,"
      " internet_message_id, section, file_name, content_type, part_header)"
      " VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
      " ON CONFLICT (action_id, section) WHERE action_id IS NOT NULL DO NOTHING RETURNING id",
      to_hex(object.sha256), source.mailbox_id, source.action_id, source.folder_name, source.uidvalidity, source.uid,
      source.item_id, source.internet_message_id, source.section, source.file_name, source.content_type,
      source.part_header);
  if (!inserted.empty()) return inserted[0][0].as<std::int64_t>();
  return tx
      .exec_params1("SELECT id FROM archive_reference WHERE action_id = $1 AND section = $2", *source.action_id,
                    source.section)[0]
      .as<std::int64_t>();
}

std::optional<ArchiveReference> find_reference(pqxx::transaction_base& tx, std::int64_t reference_id) {
  pqxx::result result = tx.exec_params(
      std::string("SELECT ") + kReferenceColumns + " FROM archive_reference WHERE id = $1", reference_id);
  if (result.empty()) return std::nullopt;
  return reference_of(result[0]);
}

std::vector<ArchiveReference> references_of(pqxx::transaction_base& tx, const Sha256& sha256) {
  return references(tx.exec_params(std::string("SELECT ") + kReferenceColumns +
                                       " FROM archive_reference WHERE sha256 = decode($1, 'hex') ORDER BY id",
                                   to_hex(sha256)));
}

std::vector<ArchiveReference> references_of_action(pqxx::transaction_base& tx, std::int64_t action_id) {
  return references(tx.exec_params(
      std::string("SELECT ") + kReferenceColumns + " FROM archive_reference WHERE action_id = $1 ORDER BY id",
      action_id));
}

bool revoke_reference(pqxx::transaction_base& tx, std::int64_t reference_id) {
  return tx.exec_params("UPDATE archive_reference SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                        reference_id)
             .affected_rows() == 1;
}

bool mark_verified(pqxx::transaction_base& tx, const Sha256& sha256) {
  return tx.exec_params("UPDATE archive_object SET last_verified_at = now() WHERE sha256 = decode($1, 'hex')",
                        to_hex(sha256))
             .affected_rows() == 1;
}

}  // namespace mailprune::archive
