-- The OAuth 2.0 / OpenID Connect provider's tables, and how a session's
-- user authenticated (RFC 8176 amr values as a JSON list; sessions made
-- before this migration were all password sign-ins).
ALTER TABLE sessions ADD COLUMN amr VARCHAR(200) NOT NULL DEFAULT '["pwd"]';

CREATE TABLE oauth_clients (
	id                 VARCHAR(64) NOT NULL PRIMARY KEY,
	account_id         VARCHAR(64) NOT NULL,
	name               VARCHAR(255) NOT NULL,
	type               VARCHAR(20) NOT NULL,
	auth_method        VARCHAR(40) NOT NULL,
	secret_hash        VARBINARY(32),
	jwks               TEXT NOT NULL,
	grant_types        TEXT NOT NULL,
	redirect_uris      TEXT NOT NULL,
	post_logout_uris   TEXT NOT NULL,
	scopes             TEXT NOT NULL,
	default_scopes     TEXT NOT NULL,
	access_token_ttl   INTEGER NOT NULL DEFAULT 0,
	id_token_ttl       INTEGER NOT NULL DEFAULT 0,
	refresh_token_ttl  INTEGER NOT NULL DEFAULT 0,
	token_format       VARCHAR(10) NOT NULL,
	first_party        BOOLEAN NOT NULL DEFAULT FALSE,
	created_at         DATETIME(6) NOT NULL,
	updated_at         DATETIME(6) NOT NULL,
	CONSTRAINT fk_oauth_clients_account_id FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_oauth_clients_account ON oauth_clients (account_id, name);

CREATE TABLE oauth_auth_requests (
	id              VARCHAR(64) NOT NULL PRIMARY KEY,
	client_id       VARCHAR(64) NOT NULL,
	params          TEXT NOT NULL,
	user_id         VARCHAR(64) NOT NULL DEFAULT '',
	auth_time       DATETIME(6),
	amr             VARCHAR(200) NOT NULL DEFAULT '[]',
	code_hash       VARBINARY(32),
	code_expires_at DATETIME(6),
	code_used_at    DATETIME(6),
	family_id       VARCHAR(64) NOT NULL DEFAULT '',
	access_jti      VARCHAR(64) NOT NULL DEFAULT '',
	created_at      DATETIME(6) NOT NULL,
	expires_at      DATETIME(6) NOT NULL,
	CONSTRAINT fk_oauth_auth_requests_client_id FOREIGN KEY (client_id) REFERENCES oauth_clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_oauth_auth_requests_code ON oauth_auth_requests (code_hash);
CREATE INDEX ix_oauth_auth_requests_expires ON oauth_auth_requests (expires_at);

CREATE TABLE oauth_refresh_tokens (
	id          VARCHAR(64) NOT NULL PRIMARY KEY,
	family_id   VARCHAR(64) NOT NULL,
	token_hash  VARBINARY(32) NOT NULL,
	client_id   VARCHAR(64) NOT NULL,
	user_id     VARCHAR(64) NOT NULL,
	scopes      TEXT NOT NULL,
	auth_time   DATETIME(6) NOT NULL,
	amr         VARCHAR(200) NOT NULL,
	access_jti  VARCHAR(64) NOT NULL DEFAULT '',
	created_at  DATETIME(6) NOT NULL,
	expires_at  DATETIME(6) NOT NULL,
	used_at     DATETIME(6),
	revoked_at  DATETIME(6),
	CONSTRAINT fk_oauth_refresh_tokens_client_id FOREIGN KEY (client_id) REFERENCES oauth_clients (id) ON DELETE CASCADE,
	CONSTRAINT fk_oauth_refresh_tokens_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_oauth_refresh_tokens_hash ON oauth_refresh_tokens (token_hash);
CREATE INDEX ix_oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);
CREATE INDEX ix_oauth_refresh_tokens_user ON oauth_refresh_tokens (user_id, client_id);
CREATE INDEX ix_oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);

CREATE TABLE oauth_access_tokens (
	id          VARCHAR(64) NOT NULL PRIMARY KEY,
	token_hash  VARBINARY(32) NOT NULL,
	client_id   VARCHAR(64) NOT NULL,
	user_id     VARCHAR(64) NOT NULL DEFAULT '',
	scopes      TEXT NOT NULL,
	family_id   VARCHAR(64) NOT NULL DEFAULT '',
	created_at  DATETIME(6) NOT NULL,
	expires_at  DATETIME(6) NOT NULL,
	CONSTRAINT fk_oauth_access_tokens_client_id FOREIGN KEY (client_id) REFERENCES oauth_clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_oauth_access_tokens_hash ON oauth_access_tokens (token_hash);
CREATE INDEX ix_oauth_access_tokens_expires ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_consents (
	user_id    VARCHAR(64) NOT NULL,
	client_id  VARCHAR(64) NOT NULL,
	scopes     TEXT NOT NULL,
	created_at DATETIME(6) NOT NULL,
	updated_at DATETIME(6) NOT NULL,
	PRIMARY KEY (user_id, client_id),
	CONSTRAINT fk_oauth_consents_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
	CONSTRAINT fk_oauth_consents_client_id FOREIGN KEY (client_id) REFERENCES oauth_clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oauth_device_codes (
	device_code_hash VARBINARY(32) NOT NULL PRIMARY KEY,
	user_code        VARCHAR(20) NOT NULL,
	client_id        VARCHAR(64) NOT NULL,
	scopes           TEXT NOT NULL,
	state            VARCHAR(10) NOT NULL,
	user_id          VARCHAR(64) NOT NULL DEFAULT '',
	auth_time        DATETIME(6),
	amr              VARCHAR(200) NOT NULL DEFAULT '[]',
	created_at       DATETIME(6) NOT NULL,
	expires_at       DATETIME(6) NOT NULL,
	CONSTRAINT fk_oauth_device_codes_client_id FOREIGN KEY (client_id) REFERENCES oauth_clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_oauth_device_codes_user_code ON oauth_device_codes (user_code);
CREATE INDEX ix_oauth_device_codes_expires ON oauth_device_codes (expires_at);

CREATE TABLE oauth_signing_keys (
	id          VARCHAR(64) NOT NULL PRIMARY KEY,
	seq         BIGINT NOT NULL,
	algorithm   VARCHAR(10) NOT NULL,
	private_key BLOB NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	active_at   DATETIME(6) NOT NULL,
	retired_at  DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_oauth_signing_keys_seq ON oauth_signing_keys (seq);

CREATE TABLE oauth_revocations (
	id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	kind       VARCHAR(10) NOT NULL,
	subject    VARCHAR(64) NOT NULL,
	revoked_at DATETIME(6) NOT NULL,
	expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_oauth_revocations_expires ON oauth_revocations (expires_at);
