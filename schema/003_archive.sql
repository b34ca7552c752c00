-- 003_archive: what the archive store holds, and which messages each object came from.
--
-- The store itself is files (server/archive/store.hpp: <archive dir>/objects/ab/cd/<sha256 hex>),
-- one per distinct content. These tables are its ledger:
-- * archive_object: one row per stored file, recorded in the same transaction as the first
--   reference to it (INSERT ... ON CONFLICT DO NOTHING: duplicates share the row and the file);
-- * archive_reference: one row per attachment detached into the store, a snapshot of where it
--   was (mailbox, folder, UID or ItemId, Message-ID) and of its original MIME part header, so that
--   undo can rebuild the part byte for byte, and so that the signed link left in the message
--   (<public_url>/archive/<reference id>/<sha256>/<name>) names a row the HTTP server can look up.
--   A revoked reference (revoked_at set) makes its links answer 410 Gone; the object stays as long
--   as any reference needs it.
-- action_id is the journal row of the apply step that detached it (issue 5's journal comes in a
-- later migration, hence no foreign key). A retried step finds its reference again through
-- (action_id, section), which is unique.

CREATE TABLE archive_object (
  sha256            bytea PRIMARY KEY CHECK (octet_length(sha256) = 32),  -- of the decoded content
  size              bigint NOT NULL CHECK (size >= 0),                    -- decoded bytes
  stored_at         timestamptz NOT NULL DEFAULT now(),
  last_verified_at  timestamptz                                           -- last full re-hash that matched
);

CREATE TABLE archive_reference (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sha256               bytea NOT NULL REFERENCES archive_object (sha256),
  -- No cascade: archive metadata outlives inventory clean-ups (a mailbox row cannot go while
  -- something archived from it is on record).
  mailbox_id           integer NOT NULL REFERENCES mailbox (id),
  action_id            bigint,                     -- journal row (no FK, see above); NULL outside apply
  folder_name          text NOT NULL,              -- decoded, '/' separator, as in folder.name
  uidvalidity          bigint,                     -- IMAP: the UID below is valid under it
  uid                  bigint,                     -- IMAP UID of the original message
  item_id              text,                       -- EWS ItemId of the original message
  internet_message_id  text NOT NULL DEFAULT '',   -- the Message-ID: header
  section              text NOT NULL DEFAULT '',   -- IMAP body section ("2", "1.3") or EWS AttachmentId
  file_name            text NOT NULL DEFAULT '',   -- decoded UTF-8 file name, as shown in the link
  content_type         text NOT NULL DEFAULT 'application/octet-stream',  -- lower-case type/subtype
  part_header          text NOT NULL DEFAULT '',   -- the part's original MIME header, verbatim
  created_at           timestamptz NOT NULL DEFAULT now(),
  revoked_at           timestamptz,
  CHECK (uid IS NOT NULL OR item_id IS NOT NULL)
);
CREATE INDEX archive_reference_sha256_idx ON archive_reference (sha256);
CREATE INDEX archive_reference_mailbox_idx ON archive_reference (mailbox_id);
CREATE UNIQUE INDEX archive_reference_action_idx ON archive_reference (action_id, section)
  WHERE action_id IS NOT NULL;
