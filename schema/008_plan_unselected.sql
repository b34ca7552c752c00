-- 008_plan_unselected: what the planner (server/policy) adds for speed over large inventories.
--
-- plan_unselected holds the proposals a campaign's target left unselected, counted by mailbox and
-- rule instead of written one row each. With a target, most matching proposals are usually not
-- selected (ten times the target over the 10-million-attachment benchmark, docs/benchmarks.md):
-- writing them was most of a plan's time, and nothing acts on them (review, notifications,
-- apply and metrics read selected proposals only). The projection (`mailprune plan`) adds these
-- counts to the proposal rows, so its totals by rule, team and mailbox are what they were. The
-- planner rewrites a campaign's rows at every plan; they follow the campaign and the mailbox
-- (foreign keys: a plan writes at most one row per mailbox and rule, so their checks cost
-- nothing).
CREATE TABLE plan_unselected (
  campaign_id    integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  mailbox_id     integer NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
  rule_name      text NOT NULL,
  rule_priority  integer NOT NULL,
  action         text NOT NULL CHECK (action IN ('detach', 'archive', 'delete')),
  proposals      bigint NOT NULL CHECK (proposals > 0),
  bytes          bigint NOT NULL
);
CREATE INDEX plan_unselected_campaign_idx ON plan_unselected (campaign_id, mailbox_id);

