// MailboxCrawl::merge(): the set-based merge of the staged events into the inventory tables.
// The contract is in inventory_store.hpp; the statements below run in the mailbox's transaction,
// after the COPY into stage_event completed. $1 is always the mailbox id.
#include "inventory/inventory_store.hpp"

namespace mailprune::inventory {
namespace {

// A stored message's key, the same expression as crawl_message.key.
constexpr const char* kMessageKey =
    "CASE WHEN m.item_id IS NOT NULL THEN 'i:' || m.item_id ELSE 'u:' || m.uid::text END";

const char* const kStatements[] = {
    // The folders crawled this time, with what was stored about them before.
    R"(CREATE TEMP TABLE crawl_folder ON COMMIT DROP AS
       SELECT s.*, f.id AS old_id, f.uidvalidity AS old_uidvalidity, NULL::integer AS folder_id
       FROM (SELECT DISTINCT ON (name) folder_seq::int AS folder_seq, name, server_name,
               NULLIF(special_use, '') AS special_use, NULLIF(uidvalidity, '')::bigint AS uidvalidity,
               NULLIF(uidnext, '')::bigint AS uidnext, NULLIF(highestmodseq, '')::numeric AS highestmodseq,
               NULLIF(sync_state, '') AS sync_state, is_full::boolean AS full
             FROM stage_event WHERE kind = 'f' ORDER BY name, folder_seq::int DESC) s
       LEFT JOIN folder f ON f.mailbox_id = $1 AND f.name = s.name)",

    // Folders not crawled this time are gone (ON DELETE CASCADE takes their messages).
    R"(DELETE FROM folder WHERE mailbox_id = $1 AND name NOT IN (SELECT name FROM crawl_folder))",

    R"(WITH up AS (
         INSERT INTO folder (mailbox_id, name, server_name, special_use, uidvalidity, uidnext, highestmodseq,
                             sync_state, last_synced_at)
         SELECT $1, name, server_name, special_use, uidvalidity, uidnext, highestmodseq, sync_state, now()
         FROM crawl_folder
         ON CONFLICT (mailbox_id, name) DO UPDATE SET server_name = EXCLUDED.server_name,
           special_use = EXCLUDED.special_use, uidvalidity = EXCLUDED.uidvalidity, uidnext = EXCLUDED.uidnext,
           highestmodseq = EXCLUDED.highestmodseq, sync_state = EXCLUDED.sync_state, last_synced_at = now()
         RETURNING id, name)
       UPDATE crawl_folder c SET folder_id = up.id FROM up WHERE up.name = c.name)",

    // The latest event per message of each crawled folder ('m' upsert, 'r' removal).
    R"(CREATE TEMP TABLE crawl_message ON COMMIT DROP AS
       SELECT DISTINCT ON (c.folder_id, e.uid, e.item_id)
         c.folder_id, e.kind, e.seq::bigint AS seq,
         NULLIF(e.uid, '')::bigint AS uid, NULLIF(e.item_id, '') AS item_id,
         CASE WHEN e.item_id <> '' THEN 'i:' || e.item_id ELSE 'u:' || e.uid END AS key,
         NULLIF(e.size, '')::bigint AS size,
         to_timestamp(NULLIF(e.internal_date, '')::bigint) AS internal_date,
         to_timestamp(NULLIF(e.sent_date, '')::bigint) AS sent_date,
         e.from_address, e.subject, e.message_id, NULLIF(e.object_id, '') AS object_id,
         NULLIF(e.change_key, '') AS change_key,
         string_to_array(e.flags, ' ') AS flags, NULLIF(e.protection, '') AS protection,
         NULLIF(e.parse_error, '') AS parse_error, NULL::bigint AS db_id
       FROM stage_event e JOIN crawl_folder c ON c.folder_seq = e.folder_seq::int
       WHERE e.kind IN ('m', 'r')
       ORDER BY c.folder_id, e.uid, e.item_id, e.seq::bigint DESC)",

    // Attachments of the messages whose latest event is their record.
    R"(CREATE TEMP TABLE crawl_attachment ON COMMIT DROP AS
       SELECT DISTINCT ON (x.seq, e.section) x.seq, e.section, e.name, e.content_type,
         e.size::bigint AS size, e.size_exact::boolean AS size_exact, e.is_inline::boolean AS is_inline,
         e.damaged::boolean AS damaged, decode(NULLIF(e.sha256, ''), 'hex') AS sha256
       FROM stage_event e JOIN crawl_message x ON x.seq = e.seq::bigint AND x.kind = 'm'
       WHERE e.kind = 'a'
       ORDER BY x.seq, e.section)",
    "ANALYZE crawl_folder",
    "ANALYZE crawl_message",
    "ANALYZE crawl_attachment",

    // A new UIDVALIDITY: every UID stored under the old one means nothing any more.
    R"(DELETE FROM message m USING crawl_folder c
       WHERE m.folder_id = c.folder_id AND c.full AND c.old_id IS NOT NULL
         AND c.old_uidvalidity IS DISTINCT FROM c.uidvalidity)",
};

// Statements that need the message key expression.
std::string full_folder_delete() {
  return std::string(R"(DELETE FROM message m USING crawl_folder c
       WHERE m.folder_id = c.folder_id AND c.full
         AND NOT EXISTS (SELECT 1 FROM crawl_message x WHERE x.kind = 'm' AND x.folder_id = m.folder_id
                         AND x.key = )") +
         kMessageKey + ")";
}

const char* const kMergeMessages[] = {
    R"(DELETE FROM message m USING crawl_message x
       WHERE x.kind = 'r' AND x.uid IS NOT NULL AND x.item_id IS NULL
         AND m.folder_id = x.folder_id AND m.uid IS NOT NULL AND m.uid = x.uid)",
    R"(DELETE FROM message m USING crawl_message x
       WHERE x.kind = 'r' AND x.item_id IS NOT NULL
         AND m.folder_id = x.folder_id AND m.item_id IS NOT NULL AND m.item_id = x.item_id)",

    R"(WITH up AS (
         INSERT INTO message (folder_id, mailbox_id, uid, item_id, size, internal_date, sent_date, from_address,
                              subject, message_id, object_id, change_key, flags, seen, flagged, protection,
                              parse_error)
         SELECT folder_id, $1, uid, NULL, size, internal_date, sent_date, from_address, subject, message_id,
                object_id, change_key, flags, '\Seen' = ANY(flags), '\Flagged' = ANY(flags), protection, parse_error
         FROM crawl_message WHERE kind = 'm' AND item_id IS NULL
         ON CONFLICT (folder_id, uid) WHERE uid IS NOT NULL DO UPDATE SET size = EXCLUDED.size,
           internal_date = EXCLUDED.internal_date, sent_date = EXCLUDED.sent_date,
           from_address = EXCLUDED.from_address, subject = EXCLUDED.subject, message_id = EXCLUDED.message_id,
           object_id = EXCLUDED.object_id, change_key = EXCLUDED.change_key, flags = EXCLUDED.flags, seen = EXCLUDED.seen,
           flagged = EXCLUDED.flagged, protection = EXCLUDED.protection, parse_error = EXCLUDED.parse_error
         RETURNING id, folder_id, uid)
       UPDATE crawl_message x SET db_id = up.id FROM up
       WHERE x.kind = 'm' AND x.item_id IS NULL AND x.folder_id = up.folder_id AND x.uid = up.uid)",

    R"(WITH up AS (
         INSERT INTO message (folder_id, mailbox_id, uid, item_id, size, internal_date, sent_date, from_address,
                              subject, message_id, object_id, change_key, flags, seen, flagged, protection,
                              parse_error)
         SELECT folder_id, $1, NULL, item_id, size, internal_date, sent_date, from_address, subject, message_id,
                object_id, change_key, flags, '\Seen' = ANY(flags), '\Flagged' = ANY(flags), protection, parse_error
         FROM crawl_message WHERE kind = 'm' AND item_id IS NOT NULL
         ON CONFLICT (folder_id, item_id) WHERE item_id IS NOT NULL DO UPDATE SET size = EXCLUDED.size,
           internal_date = EXCLUDED.internal_date, sent_date = EXCLUDED.sent_date,
           from_address = EXCLUDED.from_address, subject = EXCLUDED.subject, message_id = EXCLUDED.message_id,
           object_id = EXCLUDED.object_id, change_key = EXCLUDED.change_key, flags = EXCLUDED.flags, seen = EXCLUDED.seen,
           flagged = EXCLUDED.flagged, protection = EXCLUDED.protection, parse_error = EXCLUDED.parse_error
         RETURNING id, folder_id, item_id)
       UPDATE crawl_message x SET db_id = up.id FROM up
       WHERE x.kind = 'm' AND x.item_id IS NOT NULL AND x.folder_id = up.folder_id AND x.item_id = up.item_id)",

    // A record is complete: sections it no longer lists are gone.
    R"(DELETE FROM attachment a USING crawl_message x
       WHERE x.kind = 'm' AND a.message_id = x.db_id
         AND NOT EXISTS (SELECT 1 FROM crawl_attachment y WHERE y.seq = x.seq AND y.section = a.section))",

    // Same key, same content: hashes and a learnt exact size survive a new estimate.
    R"(INSERT INTO attachment (message_id, mailbox_id, section, name, content_type, size, size_exact, sha256,
                              is_inline, damaged)
       SELECT x.db_id, $1, y.section, y.name, y.content_type, y.size, y.size_exact, y.sha256, y.is_inline, y.damaged
       FROM crawl_attachment y JOIN crawl_message x ON x.seq = y.seq AND x.kind = 'm'
       ON CONFLICT (message_id, section) DO UPDATE SET
         name = EXCLUDED.name, content_type = EXCLUDED.content_type, is_inline = EXCLUDED.is_inline,
         size = CASE WHEN attachment.size_exact AND NOT EXCLUDED.size_exact THEN attachment.size
                     ELSE EXCLUDED.size END,
         size_exact = attachment.size_exact OR EXCLUDED.size_exact,
         damaged = EXCLUDED.damaged OR (attachment.damaged AND attachment.sha256 IS NOT NULL),
         sha256 = CASE WHEN attachment.size_exact AND EXCLUDED.size_exact AND attachment.size <> EXCLUDED.size
                       THEN EXCLUDED.sha256 ELSE coalesce(EXCLUDED.sha256, attachment.sha256) END,
         prefix_sha256 = CASE WHEN attachment.size_exact AND EXCLUDED.size_exact AND attachment.size <> EXCLUDED.size
                              THEN NULL ELSE attachment.prefix_sha256 END)",

    // Totals of the folders that changed (new, full, or with events), then of the mailbox.
    R"(UPDATE folder f SET message_count = t.messages, message_bytes = t.message_bytes,
         attachment_count = t.attachments, attachment_bytes = t.attachment_bytes
       FROM (SELECT c.folder_id,
               (SELECT count(*) FROM message m WHERE m.folder_id = c.folder_id) AS messages,
               (SELECT coalesce(sum(m.size), 0) FROM message m WHERE m.folder_id = c.folder_id) AS message_bytes,
               (SELECT count(*) FROM message m JOIN attachment a ON a.message_id = m.id
                 WHERE m.folder_id = c.folder_id) AS attachments,
               (SELECT coalesce(sum(a.size), 0) FROM message m JOIN attachment a ON a.message_id = m.id
                 WHERE m.folder_id = c.folder_id) AS attachment_bytes
             FROM crawl_folder c
             WHERE c.full OR c.old_id IS NULL
                OR EXISTS (SELECT 1 FROM crawl_message x WHERE x.folder_id = c.folder_id)) t
       WHERE f.id = t.folder_id)",

    R"(UPDATE mailbox SET folder_count = t.folders, message_count = t.messages, message_bytes = t.message_bytes,
         attachment_count = t.attachments, attachment_bytes = t.attachment_bytes, last_crawled_at = now()
       FROM (SELECT count(*) AS folders, coalesce(sum(message_count), 0) AS messages,
               coalesce(sum(message_bytes), 0) AS message_bytes, coalesce(sum(attachment_count), 0) AS attachments,
               coalesce(sum(attachment_bytes), 0) AS attachment_bytes
             FROM folder WHERE mailbox_id = $1) t
       WHERE mailbox.id = $1)",
};

}  // namespace

void MailboxCrawl::merge() {
  auto& tx = *tx_;
  auto run = [&](const std::string& sql) {
    if (sql.find("$1") != std::string::npos) {
      tx.exec_params0(sql, mailbox_id_);
    } else {
      tx.exec0(sql);
    }
  };
  for (const char* sql : kStatements) run(sql);
  run(full_folder_delete());
  for (const char* sql : kMergeMessages) run(sql);
}

}  // namespace mailprune::inventory
