-- The first schema of userdb on SQLite.
-- Times are TEXT in the fixed-width UTC form 2006-01-02T15:04:05.000000Z, so
-- that comparing the text compares the times. Secrets are SHA-256 BLOBs.
-- The *_fold columns hold userdb.Fold of their raw column: the unique indexes
-- on them make email, username and account name unique case-insensitively.

CREATE TABLE accounts (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	name_fold   TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	custom_data TEXT,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_accounts_name_fold ON accounts (name_fold);

CREATE TABLE users (
	id                   TEXT PRIMARY KEY,
	account_id           TEXT NOT NULL REFERENCES accounts (id),
	username             TEXT NOT NULL,
	username_fold        TEXT NOT NULL,
	email                TEXT NOT NULL,
	email_fold           TEXT NOT NULL,
	given_name           TEXT NOT NULL DEFAULT '',
	middle_name          TEXT NOT NULL DEFAULT '',
	surname              TEXT NOT NULL DEFAULT '',
	full_name            TEXT NOT NULL DEFAULT '',
	status               TEXT NOT NULL,
	password_hash        TEXT NOT NULL DEFAULT '',
	password_changed_at  TEXT,
	password_must_change INTEGER NOT NULL DEFAULT 0,
	email_verified_at    TEXT,
	last_login_at        TEXT,
	last_failed_login_at TEXT,
	failed_logins        INTEGER NOT NULL DEFAULT 0,
	locked_at            TEXT,
	custom_data          TEXT,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL,
	version              INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_users_email_fold ON users (email_fold);
CREATE UNIQUE INDEX ux_users_username_fold ON users (username_fold);
CREATE INDEX ix_users_created ON users (created_at, id);
CREATE INDEX ix_users_account_created ON users (account_id, created_at, id);
CREATE INDEX ix_users_status_created ON users (status, created_at, id);
CREATE INDEX ix_users_last_login ON users (last_login_at);

CREATE TABLE roles (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	name_fold   TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	custom_data TEXT,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_roles_account_name_fold ON roles (account_id, name_fold);
CREATE INDEX ix_roles_name_fold ON roles (name_fold);

CREATE TABLE user_roles (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, role_id)
);
CREATE INDEX ix_user_roles_role ON user_roles (role_id);

CREATE TABLE password_history (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	created_at    TEXT NOT NULL
);
CREATE INDEX ix_password_history_user ON password_history (user_id, created_at, id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	token_hash   BLOB NOT NULL,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX ux_sessions_token_hash ON sessions (token_hash);
CREATE INDEX ix_sessions_user ON sessions (user_id, created_at);
CREATE INDEX ix_sessions_expires ON sessions (expires_at);
CREATE INDEX ix_sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE tokens (
	token_hash  BLOB PRIMARY KEY,
	kind        TEXT NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	consumed_at TEXT
);
CREATE INDEX ix_tokens_user ON tokens (user_id, kind);

-- Events keep no foreign keys: the audit log outlives the users it names.
CREATE TABLE events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	type        TEXT NOT NULL,
	occurred_at TEXT NOT NULL,
	actor_id    TEXT NOT NULL DEFAULT '',
	user_id     TEXT NOT NULL DEFAULT '',
	account_id  TEXT NOT NULL DEFAULT '',
	ip          TEXT NOT NULL DEFAULT '',
	user_agent  TEXT NOT NULL DEFAULT '',
	details     TEXT
);
CREATE INDEX ix_events_user ON events (user_id, id);
CREATE INDEX ix_events_account ON events (account_id, id);
CREATE INDEX ix_events_type ON events (type, id);
CREATE INDEX ix_events_occurred ON events (occurred_at);

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	to_address      TEXT NOT NULL,
	subject         TEXT NOT NULL,
	text_body       TEXT NOT NULL DEFAULT '',
	html_body       TEXT NOT NULL DEFAULT '',
	kind            TEXT NOT NULL DEFAULT '',
	user_id         TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	sent_at         TEXT,
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_outbox_due ON outbox (sent_at, next_attempt_at);

CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	key_hash     BLOB NOT NULL,
	account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	roles        TEXT NOT NULL DEFAULT '[]',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	last_used_at TEXT,
	revoked_at   TEXT
);
CREATE UNIQUE INDEX ux_api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_account ON api_keys (account_id, created_at);

INSERT INTO accounts (id, name, name_fold, description, status, created_at, updated_at)
VALUES ('acc_default', 'default', 'default', 'The default account.', 'ENABLED',
	strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));

INSERT INTO roles (id, account_id, name, name_fold, description, status, created_at, updated_at)
VALUES
	('rol_superadmin', 'acc_default', 'super-admin', 'super-admin', 'Administers every account.', 'ENABLED',
		strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
	('rol_admin_default', 'acc_default', 'admin', 'admin', 'Administers the default account.', 'ENABLED',
		strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));
