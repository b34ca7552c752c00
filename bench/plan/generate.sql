-- bench/plan/generate.sql: a synthetic inventory for the planning benchmark, made in PostgreSQL
-- itself with generate_series (no mail server, no crawl). Run with psql on a migrated, empty
-- mailprune database:
--   psql -v attachments=10000000 -v mailboxes=450 -v teams=28 -f generate.sql
-- Shape (deterministic: every value comes from hashint8 of the row's number):
--   teams, mailboxes (round-robin over teams), 14 folders per mailbox (INBOX, Sent, Trash, Junk,
--   Archives/2018..2021, Projects/A..D, Legal/Case 1, Drafts);
--   messages = attachments / 2.5, each with 1 to 4 attachments, spread over the last 10 years;
--   attachment sizes: 70 % 10 kB-500 kB, 25 % 500 kB-5 MB, 5 % 5-30 MB; 40 % hashed, with content
--   drawn from 1.5 million distinct hashes (so many are duplicates); 10 % inline images;
--   messages: 85 % seen, 2 % flagged, 1 % signed, 0.3 % encrypted, 2 % calendar, 0.5 % TNEF,
--   0.1 % unparsable; 0.2 % of attachments damaged.
\set ON_ERROR_STOP on
\timing on

-- A pseudo-random integer in [0, n) from a seed: deterministic, well spread.
CREATE FUNCTION pg_temp.rnd(seed bigint, n bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
  AS $$ SELECT (hashint8(seed)::bigint + 2147483648) % n $$;
-- Decoded size of attachment j of message k.
CREATE FUNCTION pg_temp.att_size(k bigint, j int) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN c < 700 THEN 10000 + pg_temp.rnd(k * 16 + j + 7, 490000)
              WHEN c < 950 THEN 500000 + pg_temp.rnd(k * 16 + j + 7, 4500000)
              ELSE 5000000 + pg_temp.rnd(k * 16 + j + 7, 25000000) END
  FROM (SELECT pg_temp.rnd(k * 16 + j, 1000) AS c) x $$;

INSERT INTO source (name, kind) VALUES ('bench', 'imap');
INSERT INTO team (name) SELECT format('team-%s', lpad(t::text, 2, '0')) FROM generate_series(1, :teams) t;
INSERT INTO mailbox (source_id, address, display_name, team_id, last_crawled_at)
  SELECT 1, format('agent-%s@bench.example', lpad(b::text, 3, '0')), format('Agent %s', b),
         (SELECT id FROM team ORDER BY id OFFSET (b - 1) % :teams LIMIT 1), now()
  FROM generate_series(1, :mailboxes) b;
INSERT INTO folder (mailbox_id, name, server_name, uidvalidity)
  SELECT mb.id, f.name, f.name, 1 FROM mailbox mb
  CROSS JOIN unnest(ARRAY['INBOX', 'Sent', 'Trash', 'Junk', 'Archives/2018', 'Archives/2019', 'Archives/2020',
                          'Archives/2021', 'Projects/A', 'Projects/B', 'Projects/C', 'Projects/D',
                          'Legal/Case 1', 'Drafts']) WITH ORDINALITY f(name, n)
  ORDER BY mb.id, f.n;

-- Messages: k = 1 .. attachments / 2.5; mailbox k % mailboxes; folder: INBOX 40 %, Sent 15 %,
-- Trash 8 %, Junk 2 %, archives 20 %, projects 12 %, Legal 1 %, Drafts 2 %.
INSERT INTO message (id, folder_id, mailbox_id, uid, size, internal_date, sent_date, from_address, subject, message_id,
                     seen, flagged, protection, parse_error, change_key)
OVERRIDING SYSTEM VALUE
SELECT k, f.id, f.mailbox_id, k, 3000 + pg_temp.rnd(k * 5, 60000)
         + (SELECT sum(pg_temp.att_size(k, j)) * 137 / 100 FROM generate_series(1, 1 + (k % 4)::int) j),
       now() - make_interval(secs => pg_temp.rnd(k * 3, 3650 * 86400)), NULL,
       format('sender-%s@%s', pg_temp.rnd(k * 7, 5000), (ARRAY['bench.example', 'partner.example', 'gouv.example',
                                                                'news.example'])[1 + pg_temp.rnd(k * 11, 4)]),
       format('Subject of message %s', k), format('<%s@bench.example>', k),
       pg_temp.rnd(k * 13, 100) < 85, pg_temp.rnd(k * 17, 1000) < 20,
       CASE WHEN r < 10 THEN 'signed' WHEN r < 13 THEN 'encrypted' WHEN r < 33 THEN 'calendar'
            WHEN r < 38 THEN 'tnef' END,
       CASE WHEN pg_temp.rnd(k * 19, 1000) = 0 THEN 'truncated' END, k::text
FROM (SELECT k, ((k - 1) % :mailboxes) + 1 AS mailbox_number, pg_temp.rnd(k * 23, 100) AS fp,
             pg_temp.rnd(k * 29, 1000) AS r
      FROM generate_series(1, (:attachments / 2.5)::bigint) k) g
JOIN folder f ON f.mailbox_id = g.mailbox_number AND f.name =
  CASE WHEN fp < 40 THEN 'INBOX' WHEN fp < 55 THEN 'Sent' WHEN fp < 63 THEN 'Trash' WHEN fp < 65 THEN 'Junk'
       WHEN fp < 70 THEN 'Archives/2018' WHEN fp < 75 THEN 'Archives/2019' WHEN fp < 80 THEN 'Archives/2020'
       WHEN fp < 85 THEN 'Archives/2021' WHEN fp < 88 THEN 'Projects/A' WHEN fp < 91 THEN 'Projects/B'
       WHEN fp < 94 THEN 'Projects/C' WHEN fp < 97 THEN 'Projects/D' WHEN fp < 98 THEN 'Legal/Case 1'
       ELSE 'Drafts' END;

INSERT INTO attachment (message_id, mailbox_id, section, name, content_type, size, size_exact, sha256, is_inline,
                        damaged)
SELECT m.id, m.mailbox_id, (j + 1)::text,
       format('file-%s-%s.%s', m.id, j, (ARRAY['pdf', 'jpg', 'docx', 'zip', 'png'])[1 + t]),
       (ARRAY['application/pdf', 'image/jpeg',
              'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/zip',
              'image/png'])[1 + t],
       pg_temp.att_size(m.id, j), true,
       CASE WHEN pg_temp.rnd(m.id * 16 + j + 3, 100) < 40
            THEN sha256(int8send(pg_temp.rnd(m.id * 16 + j + 5, 1500000))) END,
       t = 4, pg_temp.rnd(m.id * 16 + j + 9, 1000) < 2
FROM message m
CROSS JOIN LATERAL generate_series(1, 1 + (m.id % 4)::int) j
CROSS JOIN LATERAL (SELECT CASE WHEN c < 40 THEN 0 WHEN c < 65 THEN 1 WHEN c < 80 THEN 2 WHEN c < 90 THEN 3
                                ELSE 4 END AS t
                    FROM (SELECT pg_temp.rnd(m.id * 16 + j + 1, 100) AS c) x) kind
WHERE m.parse_error IS NULL;

-- What a crawl leaves behind: totals on the mailbox and folder rows, statistics, a vacuumed heap.
UPDATE folder f SET message_count = s.n, message_bytes = s.bytes
  FROM (SELECT folder_id, count(*) AS n, sum(size) AS bytes FROM message GROUP BY folder_id) s WHERE s.folder_id = f.id;
UPDATE mailbox mb SET message_count = s.n, message_bytes = s.bytes
  FROM (SELECT mailbox_id, count(*) AS n, sum(size) AS bytes FROM message GROUP BY mailbox_id) s
  WHERE s.mailbox_id = mb.id;
UPDATE mailbox mb SET attachment_count = s.n, attachment_bytes = s.bytes
  FROM (SELECT mailbox_id, count(*) AS n, sum(size) AS bytes FROM attachment GROUP BY mailbox_id) s
  WHERE s.mailbox_id = mb.id;
VACUUM ANALYZE;
SELECT (SELECT count(*) FROM message) AS messages, (SELECT count(*) FROM attachment) AS attachments,
       (SELECT pg_size_pretty(sum(size)) FROM attachment) AS attachment_bytes,
       pg_size_pretty(pg_database_size(current_database())) AS database_size;
