-- 001_inventory: the inventory model of ../shared/INVENTORY.md.
--
-- Sized for 10 million attachments (and a few times as many messages). Choices:
-- * bigint surrogate keys on the big tables, int on the small ones;
-- * sha256 as bytea (32 bytes, half of hex text; shown with encode(sha256, 'hex'));
-- * attachment carries mailbox_id and size_class (denormalised from message/folder and size) so
--   that aggregations by mailbox, team (mailbox.team_id, a small table), size class and hash read
--   one big table only;
-- * per-folder and per-mailbox totals (messages and attachments) are kept on folder/mailbox rows and rewritten when a
--   folder's or a mailbox's crawl commits, so dashboards never scan the big tables;
-- * partial indexes only where a query needs them (hashes, size collisions).

CREATE TABLE source (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  kind        text NOT NULL CHECK (kind IN ('imap', 'ews', 'graph')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team (
  id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name  text NOT NULL UNIQUE
);

CREATE TABLE mailbox (
  id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id         integer NOT NULL REFERENCES source (id),
  address           text NOT NULL,                 -- as the server knows it (login or SMTP address)
  display_name      text NOT NULL DEFAULT '',
  team_id           integer REFERENCES team (id),
  language          text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
  -- Totals as of the last complete crawl (denormalised; rewritten when a mailbox crawl commits).
  folder_count      integer NOT NULL DEFAULT 0,
  message_count     bigint NOT NULL DEFAULT 0,
  message_bytes     bigint NOT NULL DEFAULT 0,
  attachment_count  bigint NOT NULL DEFAULT 0,
  attachment_bytes  bigint NOT NULL DEFAULT 0,
  last_crawled_at   timestamptz,
  UNIQUE (source_id, address)
);
CREATE INDEX mailbox_team_idx ON mailbox (team_id);

CREATE TABLE folder (
  id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mailbox_id      integer NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
  name            text NOT NULL,                   -- decoded UTF-8, '/' as separator
  server_name     text NOT NULL,                   -- as the server spells it (IMAP mUTF-7, EWS FolderId)
  special_use     text,                            -- \Sent, \Trash, \Archive, ... when known
  -- Sync state: IMAP keeps UIDVALIDITY / UIDNEXT / HIGHESTMODSEQ, EWS its SyncState.
  uidvalidity     bigint,
  uidnext         bigint,
  highestmodseq   numeric(20, 0),                  -- mod-sequences are unsigned 63/64-bit
  sync_state      text,
  message_count   bigint NOT NULL DEFAULT 0,
  message_bytes   bigint NOT NULL DEFAULT 0,
  attachment_count bigint NOT NULL DEFAULT 0,
  attachment_bytes bigint NOT NULL DEFAULT 0,
  last_synced_at  timestamptz,
  UNIQUE (mailbox_id, name)
);

CREATE TABLE message (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  folder_id      integer NOT NULL REFERENCES folder (id) ON DELETE CASCADE,
  mailbox_id     integer NOT NULL,                 -- = folder.mailbox_id, denormalised
  uid            bigint,                           -- IMAP UID under folder.uidvalidity
  item_id        text,                             -- EWS ItemId
  change_key     text,                             -- version seen: IMAP MODSEQ, EWS ChangeKey
  size           bigint NOT NULL,                  -- RFC822.SIZE / item:Size
  internal_date  timestamptz,
  sent_date      timestamptz,                      -- the Date: header
  from_address   text NOT NULL DEFAULT '',
  subject        text NOT NULL DEFAULT '',
  message_id     text NOT NULL DEFAULT '',         -- the Message-ID: header
  object_id      text,                             -- EMAILID / X-GUID / X-GM-MSGID when offered
  flags          text[] NOT NULL DEFAULT '{}',
  seen           boolean NOT NULL DEFAULT false,
  flagged        boolean NOT NULL DEFAULT false,
  protection     text,                             -- signed | encrypted | calendar | tnef | NULL
  parse_error    text,                             -- set when the message could not be parsed
  CHECK (uid IS NOT NULL OR item_id IS NOT NULL)
);
CREATE UNIQUE INDEX message_folder_uid_idx ON message (folder_id, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX message_folder_item_idx ON message (folder_id, item_id) WHERE item_id IS NOT NULL;
CREATE INDEX message_mailbox_idx ON message (mailbox_id);
-- The merge of a folder and ON DELETE CASCADE look messages up by folder alone.
CREATE INDEX message_folder_idx ON message (folder_id);

CREATE TABLE attachment (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id        bigint NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  mailbox_id        integer NOT NULL,              -- denormalised for per-mailbox/team aggregation
  section           text NOT NULL,                 -- IMAP section ("2", "1.3"); EWS AttachmentId
  name              text NOT NULL DEFAULT '',      -- decoded UTF-8 file name
  content_type      text NOT NULL,                 -- lower-case type/subtype
  size              bigint NOT NULL,               -- decoded bytes (exact or estimated)
  size_exact        boolean NOT NULL,              -- false until BINARY.SIZE or hashing confirmed it
  -- Size classes for reports: 0: < 100 KiB, 1: < 1 MiB, 2: < 5 MiB, 3: < 20 MiB, 4: >= 20 MiB.
  size_class        smallint GENERATED ALWAYS AS (
                      CASE WHEN size < 102400 THEN 0
                           WHEN size < 1048576 THEN 1
                           WHEN size < 5242880 THEN 2
                           WHEN size < 20971520 THEN 3
                           ELSE 4 END) STORED,
  sha256            bytea CHECK (sha256 IS NULL OR octet_length(sha256) = 32),
  prefix_sha256     bytea CHECK (prefix_sha256 IS NULL OR octet_length(prefix_sha256) = 32),
  -- SHA-256 chaining state after the 64 KiB prefix, so the full hash resumes there and the
  -- prefix's bytes are not downloaded twice (inventory/sha256_stream.hpp).
  prefix_state      bytea CHECK (prefix_state IS NULL OR octet_length(prefix_state) = 32),
  is_inline         boolean NOT NULL DEFAULT false,
  damaged           boolean NOT NULL DEFAULT false,
  UNIQUE (message_id, section)
);
CREATE INDEX attachment_mailbox_idx ON attachment (mailbox_id, size_class);
-- Duplicate aggregation reads this index only (size and mailbox included).
CREATE INDEX attachment_sha256_idx ON attachment (sha256) INCLUDE (size, mailbox_id) WHERE sha256 IS NOT NULL;
-- Size collisions decide what gets hashed: group by size over the whole scope.
CREATE INDEX attachment_size_idx ON attachment (size);
-- Estimated sizes (no BINARY.SIZE) are looked up by size range when deciding what to hash.
CREATE INDEX attachment_inexact_size_idx ON attachment (size) WHERE NOT size_exact;

CREATE TABLE crawl_run (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id         integer REFERENCES source (id),
  mode              text NOT NULL CHECK (mode IN ('full', 'incremental')),
  started_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  status            text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
  mailboxes         integer NOT NULL DEFAULT 0,
  messages          bigint NOT NULL DEFAULT 0,
  bytes_received    bigint NOT NULL DEFAULT 0,
  bytes_hashed      bigint NOT NULL DEFAULT 0,
  errors            integer NOT NULL DEFAULT 0,
  error             text,
  -- Who runs it: a 'running' run whose process is gone (kill -9, crash) is marked 'interrupted'
  -- by the next crawl on the same host.
  host              text NOT NULL DEFAULT '',
  pid               integer
);

-- Per-item problems met during a crawl (damaged message, NO on a range, ...): the run goes on.
CREATE TABLE crawl_error (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  crawl_run_id  bigint NOT NULL REFERENCES crawl_run (id) ON DELETE CASCADE,
  mailbox_id    integer REFERENCES mailbox (id) ON DELETE CASCADE,
  folder_name   text,
  uid           bigint,
  item_id       text,
  at            timestamptz NOT NULL DEFAULT now(),
  message       text NOT NULL
);
CREATE INDEX crawl_error_run_idx ON crawl_error (crawl_run_id);
CREATE INDEX crawl_error_mailbox_idx ON crawl_error (mailbox_id);
