#include "inventory/duplicate_hashing.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "inventory/copy_stage.hpp"
#include "inventory/sha256_stream.hpp"

namespace mailprune::inventory {

using connector::ConnectorError;
using connector::FolderState;
using connector::MessageRef;

struct DuplicateHasher::Phase {
  std::string name;
  std::string predicate;  // on attachment `a`; $1 mailbox id, $2 scope mailbox ids, $3 failed ids
  bool full_read = false;
};

namespace {

struct SizeBounds {
  std::string lo, hi;  // SQL expressions of a's interval
};

SizeBounds bounds_of(const std::string& alias, const HashingOptions& o) {
  return {fmt::format("(CASE WHEN {0}.size_exact THEN {0}.size ELSE floor({0}.size * {1:.6f})::bigint - {2} END)",
                      alias, o.estimate_low, o.estimate_slack),
          fmt::format("(CASE WHEN {0}.size_exact THEN {0}.size ELSE ceil({0}.size * {1:.6f})::bigint + {2} END)", alias,
                      o.estimate_high, o.estimate_slack)};
}

// EXISTS an attachment b in scope whose interval overlaps a's, and `extra` holds. Two EXISTS so
// each range scan uses its index (exact sizes: attachment_size_idx; estimates: the partial
// attachment_inexact_size_idx, usually tiny).
std::string overlapping_partner(const HashingOptions& o, const std::string& extra) {
  const SizeBounds a = bounds_of("a", o);
  const SizeBounds b = bounds_of("b", o);
  const std::string common = "b.id <> a.id AND b.mailbox_id = ANY($2::int[])" + (extra.empty() ? "" : " AND " + extra);
  return fmt::format(
      "(EXISTS (SELECT 1 FROM attachment b WHERE b.size_exact AND b.size BETWEEN {alo} AND {ahi} AND {common})"
      " OR EXISTS (SELECT 1 FROM attachment b WHERE NOT b.size_exact AND b.size > 0"
      " AND b.size BETWEEN floor(({alo} - {s}) / {h:.6f})::bigint AND ceil(({ahi} + {s}) / {l:.6f})::bigint"
      " AND {blo} <= {ahi} AND {bhi} >= {alo} AND {common}))",
      fmt::arg("alo", a.lo), fmt::arg("ahi", a.hi), fmt::arg("blo", b.lo), fmt::arg("bhi", b.hi),
      fmt::arg("s", o.estimate_slack), fmt::arg("l", o.estimate_low), fmt::arg("h", o.estimate_high),
      fmt::arg("common", common));
}

struct HashRow {
  std::int64_t id = 0;
  FolderState folder;
  MessageRef ref;
  std::string section;
  std::uint64_t size = 0;
  bool size_exact = false;
  std::optional<Sha256Midstate> prefix_state;  // hash state after the prefix, from an earlier read
};

struct HashResult {
  std::int64_t id = 0;
  std::string sha256;                 // hex, "" when only the prefix is known
  std::string prefix;                 // hex, "" when unchanged
  std::string prefix_state;           // hex, "" when none
  std::optional<std::uint64_t> size;  // exact size learnt (complete content seen)
  bool damaged = false;
  std::uint64_t bytes = 0;
};

std::optional<Sha256Midstate> midstate_from_hex(const std::string& hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256Midstate out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

// A prefix read hashes the first `prefix_bytes` and keeps the hash state there; a full read
// resumes from that state when it has one (reading only the rest), else reads everything.
HashResult read_one(connector::MailboxSession& session, const HashRow& row, bool full_read,
                    std::uint64_t prefix_bytes) {
  HashResult result;
  result.id = row.id;
  const bool resume = full_read && row.prefix_state && row.size_exact && row.size > prefix_bytes;
  if (resume) {
    Sha256Stream hasher(*row.prefix_state, prefix_bytes);
    const bool clean =
        session.read_attachment_from(row.folder, row.ref, row.section, prefix_bytes, [&](std::string_view chunk) {
          hasher.update(chunk);
          return true;
        });
    result.bytes = hasher.bytes() - prefix_bytes;
    result.damaged = !clean;
    result.sha256 = to_hex(hasher.digest().data(), 32);
    result.size = hasher.bytes();
    return result;
  }
  Sha256Stream hasher;
  std::optional<Sha256Digest> prefix_digest;
  std::optional<Sha256Midstate> prefix_state;
  const std::uint64_t limit = full_read ? 0 : prefix_bytes;
  const bool clean = session.read_attachment(row.folder, row.ref, row.section, limit, [&](std::string_view chunk) {
    if (limit != 0 && hasher.bytes() + chunk.size() > limit) chunk = chunk.substr(0, limit - hasher.bytes());
    if (!prefix_digest && hasher.bytes() + chunk.size() >= prefix_bytes) {
      // Cross the prefix boundary exactly, to take the prefix hash and state there.
      const auto head = static_cast<std::size_t>(prefix_bytes - hasher.bytes());
      hasher.update(chunk.substr(0, head));
      prefix_digest = hasher.digest();
      prefix_state = hasher.midstate();
      chunk.remove_prefix(head);
    }
    hasher.update(chunk);
    return limit == 0 || hasher.bytes() < limit;
  });
  const std::uint64_t seen = hasher.bytes();
  result.bytes = seen;
  result.damaged = !clean;
  // Shorter than the prefix: the prefix hash is the hash of all of it.
  if (!prefix_digest) prefix_digest = hasher.digest();
  result.prefix = to_hex(prefix_digest->data(), prefix_digest->size());
  const bool complete = full_read || seen < limit || (row.size_exact && row.size == seen);
  if (complete) {
    result.sha256 = to_hex(hasher.digest().data(), 32);
    result.size = seen;
  } else if (prefix_state) {
    result.prefix_state = to_hex(prefix_state->data(), prefix_state->size());
  }
  return result;
}

void write_results(pqxx::connection& db, const std::vector<HashResult>& results) {
  if (results.empty()) return;
  pqxx::work tx(db);
  tx.exec0(
      "CREATE TEMP TABLE hash_result (id text NOT NULL, sha256 text NOT NULL, prefix text NOT NULL,"
      " prefix_state text NOT NULL, size text NOT NULL, damaged text NOT NULL) ON COMMIT DROP");
  CopyStage<6> stage(tx, "hash_result", {"id", "sha256", "prefix", "prefix_state", "size", "damaged"});
  for (const auto& r : results) {
    stage.write(
        {std::to_string(r.id), r.sha256, r.prefix, r.prefix_state, optional_text(r.size), bool_text(r.damaged)});
  }
  stage.complete();
  // All sub-statements see the same snapshot: `old` holds the sizes before `upd` changes them.
  tx.exec0(R"(
    WITH r AS (SELECT id::bigint AS id, decode(NULLIF(sha256, ''), 'hex') AS sha256,
                      decode(NULLIF(prefix, ''), 'hex') AS prefix,
                      decode(NULLIF(prefix_state, ''), 'hex') AS prefix_state, NULLIF(size, '')::bigint AS size,
                      damaged::boolean AS damaged FROM hash_result),
    old AS (SELECT a.id, a.size AS old_size, m.folder_id
            FROM attachment a JOIN r ON r.id = a.id JOIN message m ON m.id = a.message_id),
    upd AS (UPDATE attachment a SET sha256 = coalesce(r.sha256, a.sha256),
              prefix_sha256 = coalesce(r.prefix, a.prefix_sha256),
              prefix_state = CASE WHEN r.sha256 IS NOT NULL THEN NULL ELSE coalesce(r.prefix_state, a.prefix_state) END,
              size = coalesce(r.size, a.size),
              size_exact = a.size_exact OR r.size IS NOT NULL, damaged = a.damaged OR r.damaged
            FROM r WHERE a.id = r.id RETURNING a.id, a.size, a.mailbox_id),
    delta AS (SELECT o.folder_id, u.mailbox_id, sum(u.size - o.old_size) AS d
              FROM upd u JOIN old o ON o.id = u.id GROUP BY o.folder_id, u.mailbox_id
              HAVING sum(u.size - o.old_size) <> 0),
    folders AS (UPDATE folder SET attachment_bytes = folder.attachment_bytes + delta.d
                FROM delta WHERE folder.id = delta.folder_id RETURNING folder.id)
    UPDATE mailbox SET attachment_bytes = mailbox.attachment_bytes + t.d
    FROM (SELECT mailbox_id, sum(d) AS d FROM delta GROUP BY mailbox_id) t WHERE mailbox.id = t.mailbox_id)");
  tx.commit();
}

}  // namespace

DuplicateHasher::DuplicateHasher(ConnectionFactory connections, HashingOptions options)
    : connections_(std::move(connections)), options_(options) {}

HashingStats DuplicateHasher::run(const std::vector<HashSource>& sources) {
  stats_ = HashingStats{};
  auto db = connections_();
  std::vector<int> source_ids;
  for (const auto& s : sources) source_ids.push_back(s.source_id);
  const std::string scope = scope_mailbox_ids(*db, source_ids);

  const Phase all{"all", "a.sha256 IS NULL", true};
  // Read in full whatever size is unknown (estimate 0) or only estimated for damaged content (the
  // server refused to decode it: BINARY NO [PARSE]): the lenient decoding gives its true size.
  const Phase unbounded{"unbounded", "NOT a.size_exact AND (a.size = 0 OR a.damaged) AND a.sha256 IS NULL", true};
  const Phase prefix{"prefix",
                     "a.sha256 IS NULL AND a.prefix_sha256 IS NULL AND (a.size_exact OR a.size > 0) AND " +
                         overlapping_partner(options_, ""),
                     false};
  const Phase full{"full",
                   "a.sha256 IS NULL AND a.prefix_sha256 IS NOT NULL AND " +
                       overlapping_partner(options_,
                                           "(b.prefix_sha256 = a.prefix_sha256"
                                           " OR (b.prefix_sha256 IS NULL AND b.sha256 IS NOT NULL))"),
                   true};
  if (options_.hash_all) {
    run_phase(all, sources, scope);
  } else {
    for (int round = 0; round < options_.max_rounds; ++round) {
      std::uint64_t reads = run_phase(unbounded, sources, scope);
      reads += run_phase(prefix, sources, scope);
      reads += run_phase(full, sources, scope);
      if (reads == 0) break;
    }
  }
  stats_.duplicate_groups = count_duplicate_groups(*db, scope);
  return stats_;
}

std::uint64_t DuplicateHasher::run_phase(const Phase& phase, const std::vector<HashSource>& sources,
                                         const std::string& scope) {
  std::mutex mutex;  // guards stats_ and failed
  std::vector<std::int64_t>& failed = failed_;
  std::uint64_t candidates = 0;
  const std::string failed_ids = id_array(failed);
  const std::string fill_sql = fmt::format(
      "INSERT INTO hash_todo (n, id, folder_name, server_name, special_use, uidvalidity, uid, item_id, change_key,"
      " section, size, size_exact, prefix_state)"
      " SELECT row_number() OVER (ORDER BY f.id, m.uid, m.item_id, a.section), a.id, f.name, f.server_name,"
      " coalesce(f.special_use, ''), f.uidvalidity, m.uid, m.item_id, coalesce(m.change_key, ''), a.section, a.size,"
      " a.size_exact, coalesce(encode(a.prefix_state, 'hex'), '')"
      " FROM attachment a JOIN message m ON m.id = a.message_id JOIN folder f ON f.id = m.folder_id"
      " WHERE a.mailbox_id = $1 AND $2::int[] IS NOT NULL AND NOT (a.id = ANY($3::bigint[])) AND ({})",
      phase.predicate);

  std::vector<SourceWork> work;
  for (const auto& s : sources) work.push_back({s.mailboxes.size(), s.source->max_connections});
  run_workers(connections_, work, [&](Worker& worker, std::size_t s, std::size_t i) {
    const HashSource& source = sources[s];
    const MailboxEntry& mailbox = source.mailboxes[i];
    std::uint64_t todo = 0;
    {
      pqxx::work tx(worker.db());
      tx.exec0(
          "CREATE TEMP TABLE IF NOT EXISTS hash_todo (n bigint PRIMARY KEY, id bigint, folder_name text,"
          " server_name text, special_use text, uidvalidity bigint, uid bigint, item_id text, change_key text,"
          " section text, size bigint, size_exact boolean, prefix_state text)");
      tx.exec0("TRUNCATE hash_todo");
      todo = tx.exec_params(fill_sql, mailbox.mailbox_id, scope, failed_ids).affected_rows();
      tx.commit();
    }
    if (todo == 0) return;
    {
      std::lock_guard lock(mutex);
      candidates += todo;
    }

    std::vector<ItemError> errors;
    std::vector<std::int64_t> newly_failed;
    std::unique_ptr<connector::MailboxSession> session;
    connector::TrafficStats traffic_before_reopen{};
    auto add_traffic = [&] {
      if (!session) return;
      auto t = session->traffic();
      traffic_before_reopen.bytes_for_content += t.bytes_for_content;
      traffic_before_reopen.bytes_received += t.bytes_received;
    };
    auto open = [&] {
      add_traffic();
      session.reset();
      session = source.connector->open(mailbox.address);
    };
    std::uint64_t prefix_reads = 0, full_reads = 0, bytes = 0;
    try {
      open();
      std::int64_t last = 0;
      for (;;) {
        std::vector<HashRow> rows;
        {
          pqxx::read_transaction tx(worker.db());
          for (const auto& r : tx.exec_params(
                   "SELECT n, id, folder_name, server_name, special_use, uidvalidity, uid, coalesce(item_id, ''),"
                   " section, size, size_exact, prefix_state, change_key FROM hash_todo WHERE n > $1 ORDER BY n"
                   " LIMIT $2",
                   last, static_cast<std::int64_t>(options_.page_rows))) {
            last = r[0].as<std::int64_t>();
            HashRow row;
            row.id = r[1].as<std::int64_t>();
            row.folder.name = r[2].as<std::string>();
            row.folder.server_name = r[3].as<std::string>();
            row.folder.special_use = r[4].as<std::string>();
            if (!r[5].is_null()) row.folder.uidvalidity = r[5].as<std::uint64_t>();
            if (!r[6].is_null()) row.ref.uid = r[6].as<std::uint64_t>();
            row.ref.item_id = r[7].as<std::string>();
            row.section = r[8].as<std::string>();
            row.size = r[9].as<std::uint64_t>();
            row.size_exact = r[10].as<bool>();
            row.prefix_state = midstate_from_hex(r[11].as<std::string>());
            row.ref.change_key = r[12].as<std::string>();
            rows.push_back(std::move(row));
          }
        }
        if (rows.empty()) break;
        std::vector<HashResult> results;
        for (const auto& row : rows) {
          for (int attempt = 1;; ++attempt) {
            try {
              results.push_back(read_one(*session, row, phase.full_read, options_.prefix_bytes));
              bytes += results.back().bytes;
              ++(phase.full_read ? full_reads : prefix_reads);
              if (progress_) progress_(++reads_, bytes_ += results.back().bytes);
              break;
            } catch (const ConnectorError& e) {
              if (e.retriable() && attempt == 1) {
                open();  // the connection may be gone: one retry on a fresh session
                continue;
              }
              errors.push_back({row.folder.name, row.ref.item_id.empty() ? std::optional(row.ref.uid) : std::nullopt,
                                row.ref.item_id, fmt::format("attachment {} not hashed: {}", row.section, e.what())});
              newly_failed.push_back(row.id);
              break;
            }
          }
        }
        write_results(worker.db(), results);
      }
    } catch (const ConnectorError& e) {
      errors.push_back({"", std::nullopt, "", fmt::format("mailbox not opened for hashing: {}", e.what())});
    }
    add_traffic();
    record_errors(worker.db(), source.run_id, mailbox.mailbox_id, errors);
    std::lock_guard lock(mutex);
    stats_.prefix_reads += prefix_reads;
    stats_.full_reads += full_reads;
    stats_.bytes_hashed += bytes;
    stats_.bytes_for_content += traffic_before_reopen.bytes_for_content;
    stats_.bytes_received += traffic_before_reopen.bytes_received;
    stats_.errors += errors.size();
    failed.insert(failed.end(), newly_failed.begin(), newly_failed.end());
  });
  spdlog::debug("hashing phase {}: {} reads planned", phase.name, candidates);
  return candidates;
}

std::uint64_t count_duplicate_groups(pqxx::connection& connection, const std::string& mailbox_ids) {
  pqxx::read_transaction tx(connection);
  return tx
      .exec_params1(
          "SELECT count(*) FROM (SELECT sha256 FROM attachment WHERE sha256 IS NOT NULL"
          " AND mailbox_id = ANY($1::int[]) GROUP BY sha256 HAVING count(*) >= 2) g",
          mailbox_ids)[0]
      .as<std::uint64_t>();
}

}  // namespace mailprune::inventory
