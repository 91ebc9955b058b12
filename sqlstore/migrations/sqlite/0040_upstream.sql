-- Sign-in through upstream identity providers (internal/connector).
-- Connectors defined through the admin API; settings is one JSON document,
-- secret the client secret encrypted with the instance key.
CREATE TABLE connectors (
	id         TEXT PRIMARY KEY,
	type       TEXT NOT NULL,
	name       TEXT NOT NULL,
	status     TEXT NOT NULL,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL,
	secret     BLOB,
	settings   TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX ix_connectors_account ON connectors (account_id, id);

-- Users' upstream identities. key_hash is the SHA-256 of issuer and subject,
-- unique: one identity belongs to one user.
CREATE TABLE identities (
	id            TEXT PRIMARY KEY,
	key_hash      BLOB NOT NULL,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	connector_id  TEXT NOT NULL,
	issuer        TEXT NOT NULL,
	subject       TEXT NOT NULL,
	email         TEXT NOT NULL DEFAULT '',
	tokens        BLOB,
	created_at    TEXT NOT NULL,
	last_login_at TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_identities_key ON identities (key_hash);
CREATE INDEX ix_identities_user ON identities (user_id, created_at);
CREATE INDEX ix_identities_connector ON identities (connector_id);

-- Upstream sign-ins between redirect and callback, and identities waiting
-- for their user's proof; the browser holds the secret of hash.
CREATE TABLE upstream_flows (
	hash        BLOB PRIMARY KEY,
	kind        TEXT NOT NULL,
	data        BLOB NOT NULL,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	consumed_at TEXT
);
CREATE INDEX ix_upstream_flows_expires ON upstream_flows (expires_at);
