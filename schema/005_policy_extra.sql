-- 005_policy_extra: what the planner (server/policy) adds to 002_policy.
--
-- * proposal.destination_folder: where an archive proposal moves its message (the rule's
--   archive_folder with {year}/{month} filled in from the message date, UTC) and where a delete
--   proposal puts it (the quarantine folder); NULL for detach. The review page shows it.
-- * The foreign keys of proposal and plan_skip to campaign and mailbox become triggers that do
--   what their ON DELETE CASCADE did. PostgreSQL checks a foreign key with one query per inserted
--   row; a plan writes its rows in bulk (1.4 million proposals over the 10-million-attachment
--   benchmark, where those checks took half of the insert's time, docs/benchmarks.md), and takes
--   every campaign_id and mailbox_id from rows it reads in the same transaction, under a lock on
--   the campaign row. Deleting a campaign or a mailbox still deletes its proposals and skips.
-- * proposal_decided_idx: see below.
ALTER TABLE proposal ADD COLUMN destination_folder text;

ALTER TABLE proposal DROP CONSTRAINT proposal_campaign_id_fkey, DROP CONSTRAINT proposal_mailbox_id_fkey;
ALTER TABLE plan_skip DROP CONSTRAINT plan_skip_campaign_id_fkey, DROP CONSTRAINT plan_skip_mailbox_id_fkey;

CREATE FUNCTION plan_rows_follow_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM proposal WHERE campaign_id = OLD.id;
  DELETE FROM plan_skip WHERE campaign_id = OLD.id;
  RETURN OLD;
END
$$;
CREATE TRIGGER plan_rows_follow_campaign BEFORE DELETE ON campaign
  FOR EACH ROW EXECUTE FUNCTION plan_rows_follow_campaign();

CREATE FUNCTION plan_rows_follow_mailbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM proposal WHERE mailbox_id = OLD.id;
  DELETE FROM plan_skip WHERE mailbox_id = OLD.id;
  RETURN OLD;
END
$$;
CREATE TRIGGER plan_rows_follow_mailbox BEFORE DELETE ON mailbox
  FOR EACH ROW EXECUTE FUNCTION plan_rows_follow_mailbox();

-- A re-plan starts from the campaign's decided proposals (kept as they are, their approved bytes
-- counted towards the target): few rows among millions of pending ones.
CREATE INDEX proposal_decided_idx ON proposal (campaign_id) WHERE decision <> 'pending';
