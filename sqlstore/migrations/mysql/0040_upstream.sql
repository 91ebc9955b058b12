-- Sign-in through upstream identity providers (internal/connector).
-- Connectors defined through the admin API; settings is one JSON document,
-- secret the client secret encrypted with the instance key.
CREATE TABLE connectors (
	id         VARCHAR(64) NOT NULL PRIMARY KEY,
	type       VARCHAR(32) NOT NULL,
	name       VARCHAR(255) NOT NULL,
	status     VARCHAR(16) NOT NULL,
	account_id VARCHAR(64) NOT NULL,
	client_id  VARCHAR(500) NOT NULL,
	secret     VARBINARY(2048),
	settings   TEXT NOT NULL,
	created_at DATETIME(6) NOT NULL,
	updated_at DATETIME(6) NOT NULL,
	KEY ix_connectors_account (account_id, id),
	CONSTRAINT fk_connectors_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Users' upstream identities. key_hash is the SHA-256 of issuer and subject,
-- unique: one identity belongs to one user.
CREATE TABLE identities (
	id            VARCHAR(64) NOT NULL PRIMARY KEY,
	key_hash      VARBINARY(32) NOT NULL,
	user_id       VARCHAR(64) NOT NULL,
	connector_id  VARCHAR(64) NOT NULL,
	issuer        TEXT NOT NULL,
	subject       TEXT NOT NULL,
	email         VARCHAR(254) NOT NULL DEFAULT '',
	tokens        BLOB,
	created_at    DATETIME(6) NOT NULL,
	last_login_at DATETIME(6) NOT NULL,
	UNIQUE KEY ux_identities_key (key_hash),
	KEY ix_identities_user (user_id, created_at),
	KEY ix_identities_connector (connector_id),
	CONSTRAINT fk_identities_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Upstream sign-ins between redirect and callback, and identities waiting
-- for their user's proof; the browser holds the secret of hash.
CREATE TABLE upstream_flows (
	hash        VARBINARY(32) NOT NULL PRIMARY KEY,
	kind        VARCHAR(16) NOT NULL,
	data        BLOB NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	expires_at  DATETIME(6) NOT NULL,
	consumed_at DATETIME(6),
	KEY ix_upstream_flows_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
