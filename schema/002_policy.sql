-- 002_policy: campaigns, the hold registry, and what the planner proposes.
--
-- The planner (server/policy) reads the inventory and a campaign's rules and writes `proposal`
-- rows set-based (INSERT ... SELECT), one per attachment to detach or message to archive/delete,
-- each a snapshot of what it targets (folder, UID/ItemId, change key, Message-ID, sizes) so that
-- apply and the review page never depend on the inventory row still being there after a re-crawl.
-- What a protection kept out of the plan is a `plan_skip` row with its reason.
-- Campaign states beyond draft/proposing are driven by the campaigns issue (006+); the columns are
-- here because plan and apply already need the rules, scope, target and grace period.

CREATE TABLE campaign (
  id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL UNIQUE,
  target_bytes    bigint CHECK (target_bytes IS NULL OR target_bytes > 0),
  -- The rules as given when the campaign was created (JSON array of rule objects, same keys as
  -- [[rule]] in the configuration), so that a later change of configuration does not change a
  -- running campaign.
  rules           jsonb NOT NULL DEFAULT '[]',
  -- {"sources": [...], "teams": [...], "mailboxes": [...]}; empty lists mean everything.
  scope           jsonb NOT NULL DEFAULT '{}',
  state           text NOT NULL DEFAULT 'draft'
                  CHECK (state IN ('draft', 'crawling', 'proposing', 'notifying', 'collecting', 'applying', 'closed')),
  grace_days      integer NOT NULL DEFAULT 30 CHECK (grace_days >= 0),
  language        text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
  starts_at       timestamptz,
  deadline        timestamptz,                    -- approval deadline
  created_at      timestamptz NOT NULL DEFAULT now(),
  planned_at      timestamptz,                    -- last plan written
  closed_at       timestamptz
);

-- Legal holds and retention: what no rule may touch. NULL columns match everything; text columns
-- are glob patterns (* and ?), matched case-insensitively for mailbox and sender. A hold matches a
-- message when every non-NULL column matches; date_from/date_to bound the message's date.
CREATE TABLE hold (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mailbox     text,                               -- address glob
  folder      text,                               -- folder name glob ('/' separator)
  sender      text,                               -- from address glob ('*@cour-des-comptes.fr')
  date_from   timestamptz,
  date_to     timestamptz,
  reason      text NOT NULL,
  origin      text NOT NULL DEFAULT 'cli' CHECK (origin IN ('cli', 'config', 'api')),
  created_by  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (mailbox IS NOT NULL OR folder IS NOT NULL OR sender IS NOT NULL OR date_from IS NOT NULL
         OR date_to IS NOT NULL)
);

CREATE TABLE proposal (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id          integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  rule_name            text NOT NULL,
  rule_priority        integer NOT NULL,
  action               text NOT NULL CHECK (action IN ('detach', 'archive', 'delete')),
  approval             text NOT NULL CHECK (approval IN ('auto', 'opt-out', 'opt-in')),
  -- Within the target: the planner's pick (all proposals are selected when there is no target).
  selected             boolean NOT NULL DEFAULT true,
  -- The agent's decision (campaigns issue); 'pending' until then. auto rules start 'approved'.
  decision             text NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'approved', 'refused')),
  decided_at           timestamptz,
  -- Snapshot of the target.
  mailbox_id           integer NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
  message_row_id       bigint,                     -- message.id when planned (may be gone since)
  attachment_row_id    bigint,                     -- attachment.id for detach
  folder_name          text NOT NULL,
  uidvalidity          bigint,
  uid                  bigint,
  item_id              text,
  change_key           text,
  internet_message_id  text NOT NULL DEFAULT '',
  message_date         timestamptz,
  from_address         text NOT NULL DEFAULT '',
  subject              text NOT NULL DEFAULT '',
  message_size         bigint NOT NULL,
  section              text,                       -- detach: the attachment's section
  attachment_name      text,
  content_type         text,
  sha256               bytea,
  bytes                bigint NOT NULL,            -- estimated bytes freed by this proposal
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_campaign_idx ON proposal (campaign_id, mailbox_id);
CREATE UNIQUE INDEX proposal_attachment_idx ON proposal (campaign_id, attachment_row_id)
  WHERE attachment_row_id IS NOT NULL;
CREATE UNIQUE INDEX proposal_message_idx ON proposal (campaign_id, message_row_id)
  WHERE attachment_row_id IS NULL;

-- What a rule would have matched but a protection kept out, and why ('hold:<id>', 'flagged',
-- 'signed', 'encrypted', 'calendar', 'tnef', 'retention', 'damaged').
CREATE TABLE plan_skip (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id        integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  rule_name          text NOT NULL,
  mailbox_id         integer NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
  message_row_id     bigint NOT NULL,
  attachment_row_id  bigint,
  reason             text NOT NULL,
  bytes              bigint NOT NULL DEFAULT 0
);
CREATE INDEX plan_skip_campaign_idx ON plan_skip (campaign_id, reason);
