-- The OAuth 2.0 / OpenID Connect provider's tables, and how a session's
-- user authenticated (RFC 8176 amr values as a JSON list; sessions made
-- before this migration were all password sign-ins).
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';

CREATE TABLE oauth_clients (
	id                 TEXT PRIMARY KEY,
	account_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name               TEXT NOT NULL,
	type               TEXT NOT NULL,
	auth_method        TEXT NOT NULL,
	secret_hash        BLOB,
	jwks               TEXT NOT NULL DEFAULT '',
	grant_types        TEXT NOT NULL,
	redirect_uris      TEXT NOT NULL,
	post_logout_uris   TEXT NOT NULL,
	scopes             TEXT NOT NULL,
	default_scopes     TEXT NOT NULL,
	access_token_ttl   INTEGER NOT NULL DEFAULT 0,
	id_token_ttl       INTEGER NOT NULL DEFAULT 0,
	refresh_token_ttl  INTEGER NOT NULL DEFAULT 0,
	token_format       TEXT NOT NULL,
	first_party        INTEGER NOT NULL DEFAULT 0,
	created_at         TEXT NOT NULL,
	updated_at         TEXT NOT NULL
);
CREATE INDEX ix_oauth_clients_account ON oauth_clients (account_id, name);

CREATE TABLE oauth_auth_requests (
	id              TEXT PRIMARY KEY,
	client_id       TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	params          TEXT NOT NULL,
	user_id         TEXT NOT NULL DEFAULT '',
	auth_time       TEXT,
	amr             TEXT NOT NULL DEFAULT '[]',
	code_hash       BLOB,
	code_expires_at TEXT,
	code_used_at    TEXT,
	family_id       TEXT NOT NULL DEFAULT '',
	access_jti      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	expires_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_oauth_auth_requests_code ON oauth_auth_requests (code_hash);
CREATE INDEX ix_oauth_auth_requests_expires ON oauth_auth_requests (expires_at);

CREATE TABLE oauth_refresh_tokens (
	id          TEXT PRIMARY KEY,
	family_id   TEXT NOT NULL,
	token_hash  BLOB NOT NULL,
	client_id   TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	scopes      TEXT NOT NULL,
	auth_time   TEXT NOT NULL,
	amr         TEXT NOT NULL,
	access_jti  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT,
	revoked_at  TEXT
);
CREATE UNIQUE INDEX ux_oauth_refresh_tokens_hash ON oauth_refresh_tokens (token_hash);
CREATE INDEX ix_oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);
CREATE INDEX ix_oauth_refresh_tokens_user ON oauth_refresh_tokens (user_id, client_id);
CREATE INDEX ix_oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);

CREATE TABLE oauth_access_tokens (
	id          TEXT PRIMARY KEY,
	token_hash  BLOB NOT NULL,
	client_id   TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	user_id     TEXT NOT NULL DEFAULT '',
	scopes      TEXT NOT NULL,
	family_id   TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_oauth_access_tokens_hash ON oauth_access_tokens (token_hash);
CREATE INDEX ix_oauth_access_tokens_expires ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_consents (
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	scopes     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (user_id, client_id)
);

CREATE TABLE oauth_device_codes (
	device_code_hash BLOB PRIMARY KEY,
	user_code        TEXT NOT NULL,
	client_id        TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	scopes           TEXT NOT NULL,
	state            TEXT NOT NULL,
	user_id          TEXT NOT NULL DEFAULT '',
	auth_time        TEXT,
	amr              TEXT NOT NULL DEFAULT '[]',
	created_at       TEXT NOT NULL,
	expires_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_oauth_device_codes_user_code ON oauth_device_codes (user_code);
CREATE INDEX ix_oauth_device_codes_expires ON oauth_device_codes (expires_at);

CREATE TABLE oauth_signing_keys (
	id          TEXT PRIMARY KEY,
	seq         INTEGER NOT NULL,
	algorithm   TEXT NOT NULL,
	private_key BLOB NOT NULL,
	created_at  TEXT NOT NULL,
	active_at   TEXT NOT NULL,
	retired_at  TEXT
);
CREATE UNIQUE INDEX ux_oauth_signing_keys_seq ON oauth_signing_keys (seq);

CREATE TABLE oauth_revocations (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	revoked_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX ix_oauth_revocations_expires ON oauth_revocations (expires_at);
