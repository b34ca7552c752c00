-- 004_journal: what `mailprune apply`, `undo` and `purge` did, step by step (server/apply).
--
-- One `action` per message touched: a detach action carries the approved, selected detach
-- proposals of one message (its parts are `action_part` rows), an archive or delete action one
-- message. An action goes through explicit steps, each committed before the next server call, so a
-- runner killed at any moment leaves the journal saying how far it got and the next run resumes
-- from there (the connector's calls are idempotent by the action id, see
-- connectors/interface/actions.hpp):
--   planned -> approved -> stored (detach: every part in the archive store, hash verified)
--     -> uploaded -> verified -> original_removed (detach: what the connector reports)
--     -> done | skipped (with reason: changed, not_found, ...) | failed (with reason)
--   done -> undone (undo) ; delete: done -> purged (purge, past purge_after).
-- Every step also goes to `action_step` (history, for audit). Two runners never work on the same
-- action: a runner holds a session-level advisory lock on the action while it works on it
-- (server/apply/journal.hpp), released by PostgreSQL when the runner's connection ends, `kill -9`
-- included; runner_host/runner_pid/leased_at say who had it last.

CREATE TABLE apply_run (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id       integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  kind              text NOT NULL DEFAULT 'apply' CHECK (kind IN ('apply', 'undo', 'purge')),
  started_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  status            text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
  host              text NOT NULL DEFAULT '',
  pid               integer,
  actions_done      integer NOT NULL DEFAULT 0,
  actions_skipped   integer NOT NULL DEFAULT 0,
  actions_failed    integer NOT NULL DEFAULT 0,
  bytes_estimated   bigint NOT NULL DEFAULT 0,     -- sum of bytes_estimated of the actions done
  error             text
);
CREATE INDEX apply_run_campaign_idx ON apply_run (campaign_id);

-- The mailbox's size as its server measures it (MailboxActions::measured_size), before the run
-- worked on the mailbox and after; NULL: the server told nothing ("not measured").
CREATE TABLE apply_measure (
  apply_run_id   bigint NOT NULL REFERENCES apply_run (id) ON DELETE CASCADE,
  mailbox_id     integer NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
  bytes_before   bigint,
  bytes_after    bigint,
  measured_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (apply_run_id, mailbox_id)
);

CREATE TABLE action (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id          integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  kind                 text NOT NULL CHECK (kind IN ('detach', 'archive', 'delete')),
  mailbox_id           integer NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
  -- The message as the proposals saw it (MessageRef snapshot).
  folder_name          text NOT NULL,
  uidvalidity          bigint,
  uid                  bigint,
  item_id              text,
  change_key           text,
  internet_message_id  text NOT NULL DEFAULT '',
  message_date         timestamptz,
  message_size         bigint NOT NULL DEFAULT 0,
  -- archive: the rule's folder ({year} filled in); delete: the quarantine folder.
  target_folder        text,
  step                 text NOT NULL DEFAULT 'planned'
                       CHECK (step IN ('planned', 'approved', 'stored', 'uploaded', 'verified', 'original_removed',
                                       'done', 'skipped', 'failed', 'undone', 'purged')),
  reason               text,                        -- skipped/failed: why
  failed_step          text,                        -- failed: the step it had reached (apply --retry-failed)
  -- The message as it is after detach (same folder) or move (target_folder), once known.
  new_folder_name      text,
  new_uidvalidity      bigint,
  new_uid              bigint,
  new_item_id          text,
  new_change_key       text,
  bytes_estimated      bigint NOT NULL DEFAULT 0,   -- sum of the proposals' bytes
  purge_after          timestamptz,                 -- delete: done_at + campaign.grace_days
  attempts             integer NOT NULL DEFAULT 0,  -- runs that took it up (failed after max attempts)
  runner_host          text,
  runner_pid           integer,
  leased_at            timestamptz,
  apply_run_id         bigint REFERENCES apply_run (id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  done_at              timestamptz,
  undone_at            timestamptz,
  purged_at            timestamptz,
  CHECK (uid IS NOT NULL OR item_id IS NOT NULL)
);
CREATE INDEX action_campaign_idx ON action (campaign_id, mailbox_id, step);
CREATE INDEX action_purge_idx ON action (purge_after) WHERE kind = 'delete' AND step = 'done';

-- Which proposals an action carries out. A proposal is in at most one action, ever: what apply
-- has taken up (and perhaps undone) is never planned into a second action.
CREATE TABLE action_proposal (
  proposal_id  bigint PRIMARY KEY REFERENCES proposal (id) ON DELETE CASCADE,
  action_id    bigint NOT NULL REFERENCES action (id) ON DELETE CASCADE
);
CREATE INDEX action_proposal_action_idx ON action_proposal (action_id);

-- Detach: one row per attachment taken out. Once stored, the archive_reference row (003) holds
-- what undo needs to put it back byte for byte: the archived content's SHA-256 and the part's
-- MIME header as it was; its id is in the link left in the message.
CREATE TABLE action_part (
  action_id             bigint NOT NULL REFERENCES action (id) ON DELETE CASCADE,
  proposal_id           bigint NOT NULL,
  section               text NOT NULL,
  file_name             text NOT NULL DEFAULT '',
  content_type          text NOT NULL DEFAULT '',
  size                  bigint NOT NULL DEFAULT 0,   -- estimated until stored, then the decoded size
  expected_sha256       bytea CHECK (expected_sha256 IS NULL OR octet_length(expected_sha256) = 32),
  archive_reference_id  bigint REFERENCES archive_reference (id),  -- set when stored (verified)
  stored_at             timestamptz,
  PRIMARY KEY (action_id, section)
);

CREATE TABLE action_step (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action_id  bigint NOT NULL REFERENCES action (id) ON DELETE CASCADE,
  step       text NOT NULL,                       -- an action step, or undo:/purge: sub-steps
  at         timestamptz NOT NULL DEFAULT now(),
  detail     text NOT NULL DEFAULT '',
  host       text NOT NULL DEFAULT '',
  pid        integer
);
CREATE INDEX action_step_action_idx ON action_step (action_id);
