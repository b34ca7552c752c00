-- 010_api.sql: background jobs of the HTTP API (server/api/job_runner.hpp): the long campaign steps
-- (launch, notify, apply, undo, retry of one action) that POST /api/v1/... queues and a worker
-- thread of `mailprune serve` runs. A job does not survive the process that runs it: jobs found
-- queued or running when `serve` starts are marked interrupted.
CREATE TABLE api_job (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              text NOT NULL CHECK (kind IN ('launch', 'notify', 'apply', 'undo', 'retry')),
  campaign_id       integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  params            jsonb NOT NULL DEFAULT '{}',
  state             text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted')),
  created_by        text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  finished_at       timestamptz,
  progress_total    bigint NOT NULL DEFAULT 0,
  progress_done     bigint NOT NULL DEFAULT 0,
  progress_skipped  bigint NOT NULL DEFAULT 0,
  progress_failed   bigint NOT NULL DEFAULT 0,
  result            jsonb,
  error             text,
  host              text NOT NULL DEFAULT '',
  pid               integer
);

-- At most one job per campaign is queued or running (a second POST gets 409).
CREATE UNIQUE INDEX api_job_one_active ON api_job (campaign_id) WHERE state IN ('queued', 'running');
CREATE INDEX api_job_campaign ON api_job (campaign_id, id);
