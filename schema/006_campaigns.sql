-- 006_campaigns: the people of a campaign and what they were sent and decided (server/campaign).
--
-- * agent: one row per person (an e-mail address), imported from agents.csv (`mailprune agents
--   import`). An agent is NOT a mailbox row: a mailbox is "an address on one source" (the same
--   person may have a mailbox on the IMAP server and one on Exchange during a migration), while
--   an agent is who receives one e-mail per campaign, holds one review link and decides. Agents
--   and mailboxes are linked by address (lower-cased), so either side may exist first: agents can
--   be imported before the first crawl, and a crawl needs no agent.
-- * Consistency with the crawl's own agents file (a source's `mailboxes` / `mailboxes_file`, which
--   sync_source writes into mailbox.display_name/team_id/language on every crawl): for an imported
--   agent the import is the authority. The trigger below makes every mailbox row of that address
--   carry the agent's name, team and language whatever the crawl writes, and `agents import`
--   writes them through at once. A mailbox with no imported agent keeps what the configuration
--   says; when a campaign needs an agent for it (notify), one is derived from the mailbox
--   (origin 'inventory') and follows the mailbox from then on, until an import takes it over.
-- * campaign_admin: who gets the campaign's progress e-mails.
-- * campaign_event: every state change of a campaign (what `campaign show` lists as history).
-- * notification / notification_attempt: the send queue, one e-mail per agent, campaign and round
--   (round 0 the review invitation, 1, 2, ... reminders), each attempt recorded.
-- * review_token: review links, stored as the SHA-256 of the token text only (a stolen database
--   gives no working link), so that they can be revoked.
-- * decision_audit: every change of a proposal's decision, with when, from where and by what.

CREATE TABLE agent (
  id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address           text NOT NULL UNIQUE CHECK (address <> '' AND address = lower(address)),
  display_name      text NOT NULL DEFAULT '',
  team_id           integer REFERENCES team (id),
  language          text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
  -- import: from `agents import` (authoritative, see above); inventory: derived from a mailbox row.
  origin            text NOT NULL DEFAULT 'import' CHECK (origin IN ('import', 'inventory')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  last_imported_at  timestamptz                     -- the last import whose file listed it
);
CREATE INDEX agent_team_idx ON agent (team_id);
-- Agents find their mailboxes by lower(address).
CREATE INDEX mailbox_lower_address_idx ON mailbox (lower(address));

CREATE FUNCTION mailbox_follows_agent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a agent%ROWTYPE;
BEGIN
  SELECT * INTO a FROM agent WHERE address = lower(NEW.address) AND origin = 'import';
  IF FOUND THEN
    IF a.display_name <> '' THEN
      NEW.display_name := a.display_name;
    END IF;
    NEW.team_id := a.team_id;
    NEW.language := a.language;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER mailbox_follows_agent BEFORE INSERT OR UPDATE OF address, display_name, team_id, language
  ON mailbox FOR EACH ROW EXECUTE FUNCTION mailbox_follows_agent();

CREATE TABLE campaign_admin (
  campaign_id   integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  address       text NOT NULL CHECK (address <> ''),
  display_name  text NOT NULL DEFAULT '',
  language      text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
  PRIMARY KEY (campaign_id, address)
);

CREATE TABLE campaign_event (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id  integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  step         text NOT NULL,                      -- create, launch, crawl, plan, notify, apply, close, ...
  from_state   text,
  to_state     text NOT NULL,
  detail       text NOT NULL DEFAULT '',
  host         text NOT NULL DEFAULT '',
  pid          integer
);
CREATE INDEX campaign_event_campaign_idx ON campaign_event (campaign_id, id);

CREATE TABLE review_token (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id     integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  agent_id        integer NOT NULL REFERENCES agent (id) ON DELETE CASCADE,
  token_sha256    bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  issued_at       timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz,                      -- as signed in the token; NULL: no expiry
  revoked_at      timestamptz,
  revoked_reason  text
);
CREATE INDEX review_token_agent_idx ON review_token (campaign_id, agent_id);

CREATE TABLE notification (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id      integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  agent_id         integer NOT NULL REFERENCES agent (id) ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('review', 'reminder')),
  round            integer NOT NULL DEFAULT 0 CHECK (round >= 0),   -- 0: the review e-mail; n: reminder n
  recipient        text NOT NULL,                   -- the address when queued
  language         text NOT NULL CHECK (language IN ('fr', 'en')),
  -- pending: to send at next_attempt_at; sent; failed: gave up after max attempts; cancelled
  -- (campaign closed, agent has no proposal any more).
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_error       text,
  sent_at          timestamptz,
  smtp_message_id  text,                            -- the Message-ID header of what was sent
  review_token_id  bigint REFERENCES review_token (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, agent_id, kind, round)
);
CREATE INDEX notification_due_idx ON notification (campaign_id, next_attempt_at) WHERE status = 'pending';

CREATE TABLE notification_attempt (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  notification_id  bigint NOT NULL REFERENCES notification (id) ON DELETE CASCADE,
  at               timestamptz NOT NULL DEFAULT now(),
  ok               boolean NOT NULL,
  detail           text NOT NULL DEFAULT '',        -- the SMTP reply or the error
  host             text NOT NULL DEFAULT '',
  pid              integer
);
CREATE INDEX notification_attempt_idx ON notification_attempt (notification_id);
-- The rate limit counts attempts of the last minute.
CREATE INDEX notification_attempt_at_idx ON notification_attempt (at);

-- No foreign key to proposal: the audit outlives a re-plan that replaces proposals; it keeps a
-- snapshot of what was decided (mailbox, rule, bytes).
CREATE TABLE decision_audit (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id        integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  proposal_id        bigint NOT NULL,
  mailbox_id         integer NOT NULL,
  rule_name          text NOT NULL,
  bytes              bigint NOT NULL,
  agent_id           integer REFERENCES agent (id) ON DELETE SET NULL,
  review_token_id    bigint REFERENCES review_token (id) ON DELETE SET NULL,
  previous_decision  text NOT NULL,
  decision           text NOT NULL CHECK (decision IN ('pending', 'approved', 'refused')),
  -- review: the agent through the review page; deadline: opt-out proposals approved when the
  -- deadline passed (nightly); admin: from the command line.
  origin             text NOT NULL CHECK (origin IN ('review', 'deadline', 'admin')),
  at                 timestamptz NOT NULL DEFAULT now(),
  ip                 text NOT NULL DEFAULT '',
  user_agent         text NOT NULL DEFAULT ''
);
CREATE INDEX decision_audit_campaign_idx ON decision_audit (campaign_id, proposal_id);
