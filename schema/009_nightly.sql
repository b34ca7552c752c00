-- 009_nightly.sql: the record of `mailprune nightly` runs (server/nightly/nightly.hpp), for the
-- admins' morning check and the console.
--
-- * nightly_run: one row per run (not for --dry-run). status: running while it works (its
--   process holds a session advisory lock on the run's id, so a run killed with -9 is recognised
--   by the next one and marked interrupted), then done (every step ok or skipped) or failed (some
--   step failed; the others still ran).
-- * nightly_step: one row per campaign and step, written when the step ends: crawl, deadline,
--   apply, purge, notify, report; and 'lock' (outcome skipped) when another run held the
--   campaign. outcome ok | failed | skipped, detail a line for humans; counts the numbers the
--   admins' report shows.

CREATE TABLE nightly_run (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
  origin       text NOT NULL DEFAULT 'command' CHECK (origin IN ('command', 'serve')),
  host         text NOT NULL DEFAULT '',
  pid          integer,
  campaigns    integer NOT NULL DEFAULT 0,   -- campaigns worked on
  failed_steps integer NOT NULL DEFAULT 0
);
CREATE INDEX nightly_run_started_idx ON nightly_run (started_at);

CREATE TABLE nightly_step (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  nightly_run_id  bigint NOT NULL REFERENCES nightly_run (id) ON DELETE CASCADE,
  campaign_id     integer REFERENCES campaign (id) ON DELETE CASCADE,
  step            text NOT NULL CHECK (step IN ('lock', 'crawl', 'deadline', 'apply', 'purge', 'notify', 'report')),
  outcome         text NOT NULL CHECK (outcome IN ('ok', 'failed', 'skipped')),
  detail          text NOT NULL DEFAULT '',
  counts          jsonb NOT NULL DEFAULT '{}',
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nightly_step_run_idx ON nightly_step (nightly_run_id, id);
CREATE INDEX nightly_step_campaign_idx ON nightly_step (campaign_id, step, finished_at);
