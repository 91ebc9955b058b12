-- The first schema of userdb on MySQL 8 and MariaDB 10.6 or later.
-- Every table uses utf8mb4 with the utf8mb4_bin collation: strings compare
-- and sort byte by byte, the same on every dialect, which keeps keyset
-- pagination consistent. Case-insensitive uniqueness comes from the unique
-- keys on the *_fold columns (userdb.Fold of their raw column), not from a
-- case-insensitive collation. Times are DATETIME(6) in UTC; secrets are
-- SHA-256 VARBINARY(32) values.
-- MySQL commits DDL implicitly, so this file is not atomic: if it fails
-- part way, drop what it created before running it again.

CREATE TABLE accounts (
	id          VARCHAR(64) NOT NULL PRIMARY KEY,
	name        VARCHAR(255) NOT NULL,
	name_fold   VARCHAR(255) NOT NULL,
	description TEXT NOT NULL,
	status      VARCHAR(16) NOT NULL,
	custom_data MEDIUMTEXT,
	created_at  DATETIME(6) NOT NULL,
	updated_at  DATETIME(6) NOT NULL,
	UNIQUE KEY ux_accounts_name_fold (name_fold)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE users (
	id                   VARCHAR(64) NOT NULL PRIMARY KEY,
	account_id           VARCHAR(64) NOT NULL,
	username             VARCHAR(255) NOT NULL,
	username_fold        VARCHAR(255) NOT NULL,
	email                VARCHAR(255) NOT NULL,
	email_fold           VARCHAR(255) NOT NULL,
	given_name           VARCHAR(255) NOT NULL DEFAULT '',
	middle_name          VARCHAR(255) NOT NULL DEFAULT '',
	surname              VARCHAR(255) NOT NULL DEFAULT '',
	full_name            VARCHAR(800) NOT NULL DEFAULT '',
	status               VARCHAR(16) NOT NULL,
	password_hash        TEXT NOT NULL,
	password_changed_at  DATETIME(6),
	password_must_change BOOLEAN NOT NULL DEFAULT FALSE,
	email_verified_at    DATETIME(6),
	last_login_at        DATETIME(6),
	last_failed_login_at DATETIME(6),
	failed_logins        INT NOT NULL DEFAULT 0,
	locked_at            DATETIME(6),
	custom_data          MEDIUMTEXT,
	created_at           DATETIME(6) NOT NULL,
	updated_at           DATETIME(6) NOT NULL,
	version              BIGINT NOT NULL DEFAULT 1,
	UNIQUE KEY ux_users_email_fold (email_fold),
	UNIQUE KEY ux_users_username_fold (username_fold),
	KEY ix_users_created (created_at, id),
	KEY ix_users_account_created (account_id, created_at, id),
	KEY ix_users_status_created (status, created_at, id),
	KEY ix_users_last_login (last_login_at),
	CONSTRAINT fk_users_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE roles (
	id          VARCHAR(64) NOT NULL PRIMARY KEY,
	account_id  VARCHAR(64) NOT NULL,
	name        VARCHAR(255) NOT NULL,
	name_fold   VARCHAR(255) NOT NULL,
	description TEXT NOT NULL,
	status      VARCHAR(16) NOT NULL,
	custom_data MEDIUMTEXT,
	created_at  DATETIME(6) NOT NULL,
	updated_at  DATETIME(6) NOT NULL,
	UNIQUE KEY ux_roles_account_name_fold (account_id, name_fold),
	KEY ix_roles_name_fold (name_fold),
	CONSTRAINT fk_roles_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE user_roles (
	user_id VARCHAR(64) NOT NULL,
	role_id VARCHAR(64) NOT NULL,
	PRIMARY KEY (user_id, role_id),
	KEY ix_user_roles_role (role_id),
	CONSTRAINT fk_user_roles_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
	CONSTRAINT fk_user_roles_role FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE password_history (
	id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id       VARCHAR(64) NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    DATETIME(6) NOT NULL,
	KEY ix_password_history_user (user_id, created_at, id),
	CONSTRAINT fk_password_history_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
	id           VARCHAR(64) NOT NULL PRIMARY KEY,
	token_hash   VARBINARY(32) NOT NULL,
	user_id      VARCHAR(64) NOT NULL,
	created_at   DATETIME(6) NOT NULL,
	last_seen_at DATETIME(6) NOT NULL,
	expires_at   DATETIME(6) NOT NULL,
	ip           VARCHAR(100) NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL,
	UNIQUE KEY ux_sessions_token_hash (token_hash),
	KEY ix_sessions_user (user_id, created_at),
	KEY ix_sessions_expires (expires_at),
	KEY ix_sessions_last_seen (last_seen_at),
	CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE tokens (
	token_hash  VARBINARY(32) NOT NULL PRIMARY KEY,
	kind        VARCHAR(32) NOT NULL,
	user_id     VARCHAR(64) NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	expires_at  DATETIME(6) NOT NULL,
	consumed_at DATETIME(6),
	KEY ix_tokens_user (user_id, kind),
	CONSTRAINT fk_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Events keep no foreign keys: the audit log outlives the users it names.
CREATE TABLE events (
	id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	type        VARCHAR(100) NOT NULL,
	occurred_at DATETIME(6) NOT NULL,
	actor_id    VARCHAR(64) NOT NULL DEFAULT '',
	user_id     VARCHAR(64) NOT NULL DEFAULT '',
	account_id  VARCHAR(64) NOT NULL DEFAULT '',
	ip          VARCHAR(100) NOT NULL DEFAULT '',
	user_agent  TEXT NOT NULL,
	details     MEDIUMTEXT,
	KEY ix_events_user (user_id, id),
	KEY ix_events_account (account_id, id),
	KEY ix_events_type (type, id),
	KEY ix_events_occurred (occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE outbox (
	id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	to_address      VARCHAR(320) NOT NULL,
	subject         TEXT NOT NULL,
	text_body       MEDIUMTEXT NOT NULL,
	html_body       MEDIUMTEXT NOT NULL,
	kind            VARCHAR(64) NOT NULL DEFAULT '',
	user_id         VARCHAR(64) NOT NULL DEFAULT '',
	created_at      DATETIME(6) NOT NULL,
	attempts        INT NOT NULL DEFAULT 0,
	next_attempt_at DATETIME(6) NOT NULL,
	sent_at         DATETIME(6),
	last_error      TEXT NOT NULL,
	KEY ix_outbox_due (sent_at, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE api_keys (
	id           VARCHAR(64) NOT NULL PRIMARY KEY,
	name         VARCHAR(255) NOT NULL,
	key_hash     VARBINARY(32) NOT NULL,
	account_id   VARCHAR(64),
	roles        TEXT NOT NULL,
	created_by   VARCHAR(64) NOT NULL DEFAULT '',
	created_at   DATETIME(6) NOT NULL,
	expires_at   DATETIME(6),
	last_used_at DATETIME(6),
	revoked_at   DATETIME(6),
	UNIQUE KEY ux_api_keys_key_hash (key_hash),
	KEY ix_api_keys_account (account_id, created_at),
	CONSTRAINT fk_api_keys_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO accounts (id, name, name_fold, description, status, created_at, updated_at)
VALUES ('acc_default', 'default', 'default', 'The default account.', 'ENABLED',
	UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));

INSERT INTO roles (id, account_id, name, name_fold, description, status, created_at, updated_at)
VALUES
	('rol_superadmin', 'acc_default', 'super-admin', 'super-admin', 'Administers every account.', 'ENABLED',
		UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
	('rol_admin_default', 'acc_default', 'admin', 'admin', 'Administers the default account.', 'ENABLED',
		UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
