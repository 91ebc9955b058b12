-- Multi-factor sign-in (issue 16).
--
-- Pending sign-ins: the password was right but the sign-in is not complete
-- (a second factor, a password change). The browser holds the secret of
-- token_hash; device_hash binds the state to its device cookie. Not a
-- session: it authorizes only completing its stage.
CREATE TABLE pending_logins (
	id          TEXT PRIMARY KEY,
	token_hash  BLOB NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	stage       TEXT NOT NULL,
	amr         TEXT NOT NULL DEFAULT '[]',
	device_hash BLOB,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_pending_logins_token ON pending_logins (token_hash);
CREATE INDEX ix_pending_logins_user ON pending_logins (user_id);
CREATE INDEX ix_pending_logins_expires ON pending_logins (expires_at);

-- Second factors of every kind (totp, webauthn...). secret is sealed with
-- the instance key; data is the kind's public part (JSON); key_hash, when
-- set, finds a factor by a credential id (SHA-256), unique; counter is
-- the last TOTP step used (replay) or a WebAuthn signature counter.
CREATE TABLE factors (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL DEFAULT '',
	secret       BLOB,
	data         TEXT NOT NULL DEFAULT '',
	key_hash     BLOB,
	counter      INTEGER NOT NULL DEFAULT 0,
	confirmed_at TEXT,
	created_at   TEXT NOT NULL,
	last_used_at TEXT
);
CREATE INDEX ix_factors_user ON factors (user_id, created_at);
CREATE UNIQUE INDEX ux_factors_key ON factors (key_hash);

-- Recovery codes, stored as SHA-256; a code is used up by one UPDATE.
CREATE TABLE recovery_codes (
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash  BLOB NOT NULL,
	created_at TEXT NOT NULL,
	used_at    TEXT,
	PRIMARY KEY (user_id, code_hash)
);

-- Browsers a user asked to remember after a second factor ("remember this
-- device"): the cookie holds the secret of token_hash.
CREATE TABLE mfa_devices (
	token_hash BLOB PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ip         TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_mfa_devices_user ON mfa_devices (user_id);
CREATE INDEX ix_mfa_devices_expires ON mfa_devices (expires_at);

-- mfa.required set on an account or a role (subject_id is its id):
-- off | optional | required.
CREATE TABLE mfa_policies (
	subject_id TEXT PRIMARY KEY,
	policy     TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- When a user who must have a second factor and has none was first told
-- so: the grace period runs from there.
CREATE TABLE mfa_grace (
	user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	started_at TEXT NOT NULL
);
