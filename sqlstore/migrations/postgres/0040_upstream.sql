-- Sign-in through upstream identity providers (internal/connector).
-- Connectors defined through the admin API; settings is one JSON document,
-- secret the client secret encrypted with the instance key.
CREATE TABLE connectors (
	id         TEXT COLLATE "C" PRIMARY KEY,
	type       TEXT NOT NULL,
	name       TEXT NOT NULL,
	status     TEXT NOT NULL,
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL,
	secret     BYTEA,
	settings   TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_connectors_account ON connectors (account_id, id);

-- Users' upstream identities. key_hash is the SHA-256 of issuer and subject,
-- unique: one identity belongs to one user.
CREATE TABLE identities (
	id            TEXT COLLATE "C" PRIMARY KEY,
	key_hash      BYTEA NOT NULL,
	user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	connector_id  TEXT COLLATE "C" NOT NULL,
	issuer        TEXT NOT NULL,
	subject       TEXT NOT NULL,
	email         TEXT NOT NULL DEFAULT '',
	tokens        BYTEA,
	created_at    TIMESTAMPTZ NOT NULL,
	last_login_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_identities_key ON identities (key_hash);
CREATE INDEX ix_identities_user ON identities (user_id, created_at);
CREATE INDEX ix_identities_connector ON identities (connector_id);

-- Upstream sign-ins between redirect and callback, and identities waiting
-- for their user's proof; the browser holds the secret of hash.
CREATE TABLE upstream_flows (
	hash        BYTEA PRIMARY KEY,
	kind        TEXT NOT NULL,
	data        BYTEA NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	consumed_at TIMESTAMPTZ
);
CREATE INDEX ix_upstream_flows_expires ON upstream_flows (expires_at);
