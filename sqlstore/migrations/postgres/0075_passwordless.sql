-- Passwordless sign-in (issue 16).
--
-- Magic links are one-time tokens bound to the browser that asked: the
-- browser keeps a random nonce in a cookie, the token keeps its SHA-256
-- (browser_hash). The six-digit code of the same email is kept as the SHA-256
-- of the nonce and the code (code_hash), so a stolen table gives no code, and
-- attempts counts the codes tried against the token.
ALTER TABLE tokens ADD COLUMN browser_hash BYTEA;
ALTER TABLE tokens ADD COLUMN code_hash BYTEA;
ALTER TABLE tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_tokens_browser ON tokens (browser_hash);

-- WebAuthn credentials (passkeys and security keys) of users. credential_hash
-- is the SHA-256 of the authenticator's credential id, unique: a credential
-- belongs to one user.
CREATE TABLE passkeys (
	id               TEXT COLLATE "C" PRIMARY KEY,
	user_id          TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	credential_hash  BYTEA NOT NULL,
	credential_id    BYTEA NOT NULL,
	public_key       BYTEA NOT NULL,
	sign_count       BIGINT NOT NULL DEFAULT 0,
	transports       TEXT NOT NULL DEFAULT '',
	aaguid           BYTEA,
	attestation_type TEXT NOT NULL DEFAULT '',
	user_verified    BOOLEAN NOT NULL DEFAULT FALSE,
	backup_eligible  BOOLEAN NOT NULL DEFAULT FALSE,
	backup_state     BOOLEAN NOT NULL DEFAULT FALSE,
	name             TEXT NOT NULL,
	created_at       TIMESTAMPTZ NOT NULL,
	last_used_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX ux_passkeys_credential ON passkeys (credential_hash);
CREATE INDEX ix_passkeys_user ON passkeys (user_id, created_at);
