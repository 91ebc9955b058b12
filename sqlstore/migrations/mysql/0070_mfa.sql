-- Multi-factor sign-in (issue 16).
--
-- Pending sign-ins: the password was right but the sign-in is not complete
-- (a second factor, a password change). The browser holds the secret of
-- token_hash; device_hash binds the state to its device cookie. Not a
-- session: it authorizes only completing its stage.
CREATE TABLE pending_logins (
	id          VARCHAR(64) NOT NULL PRIMARY KEY,
	token_hash  VARBINARY(32) NOT NULL,
	user_id     VARCHAR(64) NOT NULL,
	stage       VARCHAR(32) NOT NULL,
	amr         VARCHAR(200) NOT NULL DEFAULT '[]',
	device_hash VARBINARY(32),
	created_at  DATETIME(6) NOT NULL,
	expires_at  DATETIME(6) NOT NULL,
	UNIQUE KEY ux_pending_logins_token (token_hash),
	KEY ix_pending_logins_user (user_id),
	KEY ix_pending_logins_expires (expires_at),
	CONSTRAINT fk_pending_logins_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Second factors of every kind (totp, webauthn...). secret is sealed with
-- the instance key; data is the kind's public part (JSON); key_hash, when
-- set, finds a factor by a credential id (SHA-256), unique; counter is
-- the last TOTP step used (replay) or a WebAuthn signature counter.
CREATE TABLE factors (
	id           VARCHAR(64) NOT NULL PRIMARY KEY,
	user_id      VARCHAR(64) NOT NULL,
	kind         VARCHAR(32) NOT NULL,
	name         VARCHAR(255) NOT NULL DEFAULT '',
	secret       VARBINARY(1024),
	data         TEXT NOT NULL,
	key_hash     VARBINARY(32),
	counter      BIGINT NOT NULL DEFAULT 0,
	confirmed_at DATETIME(6),
	created_at   DATETIME(6) NOT NULL,
	last_used_at DATETIME(6),
	KEY ix_factors_user (user_id, created_at),
	UNIQUE KEY ux_factors_key (key_hash),
	CONSTRAINT fk_factors_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Recovery codes, stored as SHA-256; a code is used up by one UPDATE.
CREATE TABLE recovery_codes (
	user_id    VARCHAR(64) NOT NULL,
	code_hash  VARBINARY(32) NOT NULL,
	created_at DATETIME(6) NOT NULL,
	used_at    DATETIME(6),
	PRIMARY KEY (user_id, code_hash),
	CONSTRAINT fk_recovery_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Browsers a user asked to remember after a second factor ("remember this
-- device"): the cookie holds the secret of token_hash.
CREATE TABLE mfa_devices (
	token_hash VARBINARY(32) NOT NULL PRIMARY KEY,
	user_id    VARCHAR(64) NOT NULL,
	created_at DATETIME(6) NOT NULL,
	expires_at DATETIME(6) NOT NULL,
	ip         VARCHAR(100) NOT NULL DEFAULT '',
	user_agent VARCHAR(512) NOT NULL DEFAULT '',
	KEY ix_mfa_devices_user (user_id),
	KEY ix_mfa_devices_expires (expires_at),
	CONSTRAINT fk_mfa_devices_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- mfa.required set on an account or a role (subject_id is its id):
-- off | optional | required.
CREATE TABLE mfa_policies (
	subject_id VARCHAR(64) NOT NULL PRIMARY KEY,
	policy     VARCHAR(16) NOT NULL,
	updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- When a user who must have a second factor and has none was first told
-- so: the grace period runs from there.
CREATE TABLE mfa_grace (
	user_id    VARCHAR(64) NOT NULL PRIMARY KEY,
	started_at DATETIME(6) NOT NULL,
	CONSTRAINT fk_mfa_grace_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
