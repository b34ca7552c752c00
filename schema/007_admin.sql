-- 007_admin: who may use the admin console and the HTTP API, and what they did (server/auth).
--
-- * admin_account: local accounts, `mailprune admin add|passwd|remove|disable|enable`. The password
--   is stored only as libsodium's Argon2id string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"),
--   which carries its own salt and cost, so a cost raised later applies at the next login.
-- * admin_session: console sessions. The cookie value (32 random bytes) is never stored: only its
--   SHA-256, so a copy of the database opens no session. A session ends at expires_at, after an idle
--   period (last_seen_at, see server/auth/auth.hpp), or when revoked (logout, password change).
-- * api_token: tokens for scripts (`Authorization: Bearer mpt_...`), stored as SHA-256 too; their
--   role is at most their account's, checked at every use.
-- * login_attempt: every login try, for throttling by login and by client address; kept 30 days.
-- * audit_log: every change made through the CLI's admin commands, the console or the API: who (the
--   account, token or operating-system user, with the login copied so that the row outlives the
--   account), what (action, object type and id, details as JSON), when and from where.

CREATE TABLE admin_account (
  id                   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Lower case: "Alice" and "alice" are one account.
  login                text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
  role                 text NOT NULL CHECK (role IN ('admin', 'viewer')),
  password_hash        text NOT NULL CHECK (password_hash LIKE '$argon2%'),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  password_changed_at  timestamptz NOT NULL DEFAULT now(),
  last_login_at        timestamptz,
  disabled_at          timestamptz                   -- set: no login, no session, no token works
);

CREATE TABLE admin_session (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_sha256  bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  account_id    integer NOT NULL REFERENCES admin_account (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,                -- absolute end, whatever the activity
  user_agent    text NOT NULL DEFAULT '',
  ip            text NOT NULL DEFAULT '',
  revoked_at    timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX admin_session_account_idx ON admin_session (account_id);

CREATE TABLE api_token (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_sha256  bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  name          text NOT NULL CHECK (name <> ''),
  account_id    integer NOT NULL REFERENCES admin_account (id) ON DELETE CASCADE,
  role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  expires_at    timestamptz,                         -- NULL: until revoked
  revoked_at    timestamptz
);
CREATE INDEX api_token_account_idx ON api_token (account_id);

CREATE TABLE login_attempt (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  login    text NOT NULL,                            -- as tried (lower-cased), existing or not
  ip       text NOT NULL DEFAULT '',
  at       timestamptz NOT NULL,
  -- success; failure (wrong login or password, or a disabled account); throttled (refused
  -- without checking the password: not counted as a failure).
  outcome  text NOT NULL CHECK (outcome IN ('success', 'failure', 'throttled'))
);
CREATE INDEX login_attempt_login_idx ON login_attempt (login, at);
CREATE INDEX login_attempt_ip_idx ON login_attempt (ip, at);
CREATE INDEX login_attempt_at_idx ON login_attempt (at);

CREATE TABLE audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL,
  -- cli: an operator at the command line (actor = the operating-system user); session: a console
  -- session; token: an API token; system: mailprune itself (nightly runs, ...).
  actor_kind   text NOT NULL CHECK (actor_kind IN ('cli', 'session', 'token', 'system')),
  actor        text NOT NULL DEFAULT '',             -- the login or OS user, as it was then
  account_id   integer REFERENCES admin_account (id) ON DELETE SET NULL,
  token_id     integer REFERENCES api_token (id) ON DELETE SET NULL,
  action       text NOT NULL CHECK (action <> ''),   -- "account.create", "token.revoke", "login", ...
  object_type  text NOT NULL DEFAULT '',             -- "admin_account", "api_token", "campaign", ...
  object_id    text NOT NULL DEFAULT '',
  details      jsonb NOT NULL DEFAULT '{}',
  ip           text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
