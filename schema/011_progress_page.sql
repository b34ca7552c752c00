-- 011_progress_page: who may see a campaign's live progress page (server/progress).
--
-- One row per campaign whose page was ever configured; no row means 'off' (the default).
--   off     the page answers 404, as if the campaign did not exist;
--   public  /progress/<campaign name>: anyone who can reach the server, no login;
--   link    /progress/<token>: only with the shareable link's random token. The token is stored
--           as its SHA-256 only (a stolen database gives no working link); issuing a new link
--           replaces the previous one, which stops working at once.
-- The page shows totals, team names and counts only: never an agent, an address or a subject.

CREATE TABLE progress_page (
  campaign_id   integer PRIMARY KEY REFERENCES campaign (id) ON DELETE CASCADE,
  mode          text NOT NULL DEFAULT 'off' CHECK (mode IN ('off', 'public', 'link')),
  link_sha256   bytea UNIQUE CHECK (link_sha256 IS NULL OR octet_length(link_sha256) = 32),
  changed_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (mode <> 'link' OR link_sha256 IS NOT NULL)
);
