-- Passwordless sign-in (issue 16).
--
-- Magic links are one-time tokens bound to the browser that asked: the
-- browser keeps a random nonce in a cookie, the token keeps its SHA-256
-- (browser_hash). The six-digit code of the same email is kept as the SHA-256
-- of the nonce and the code (code_hash), so a stolen table gives no code, and
-- attempts counts the codes tried against the token.
ALTER TABLE tokens ADD COLUMN browser_hash VARBINARY(32);
ALTER TABLE tokens ADD COLUMN code_hash VARBINARY(32);
ALTER TABLE tokens ADD COLUMN attempts INT NOT NULL DEFAULT 0;
CREATE INDEX ix_tokens_browser ON tokens (browser_hash);

-- WebAuthn credentials (passkeys and security keys) of users. credential_hash
-- is the SHA-256 of the authenticator's credential id, unique: a credential
-- belongs to one user.
CREATE TABLE passkeys (
	id               VARCHAR(64) NOT NULL PRIMARY KEY,
	user_id          VARCHAR(64) NOT NULL,
	credential_hash  VARBINARY(32) NOT NULL,
	credential_id    VARBINARY(1023) NOT NULL,
	public_key       BLOB NOT NULL,
	sign_count       BIGINT NOT NULL DEFAULT 0,
	transports       VARCHAR(255) NOT NULL DEFAULT '',
	aaguid           VARBINARY(16),
	attestation_type VARCHAR(64) NOT NULL DEFAULT '',
	user_verified    BOOLEAN NOT NULL DEFAULT FALSE,
	backup_eligible  BOOLEAN NOT NULL DEFAULT FALSE,
	backup_state     BOOLEAN NOT NULL DEFAULT FALSE,
	name             VARCHAR(255) NOT NULL,
	created_at       DATETIME(6) NOT NULL,
	last_used_at     DATETIME(6),
	UNIQUE KEY ux_passkeys_credential (credential_hash),
	KEY ix_passkeys_user (user_id, created_at),
	CONSTRAINT fk_passkeys_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
