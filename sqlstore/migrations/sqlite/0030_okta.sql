-- Okta's user lifecycle and profile editor (internal/okta).
-- deactivated_at tells a deactivated user (Okta's DEPROVISIONED) from a
-- suspended one; both are DISABLED.
ALTER TABLE users ADD COLUMN deactivated_at TEXT;
-- Okta's filter on lastUpdated.
CREATE INDEX ix_users_updated ON users (updated_at, id);

-- Custom-data attributes defined through the admin APIs, beside those of
-- custom_data.schema in the configuration.
CREATE TABLE profile_attributes (
	name        TEXT PRIMARY KEY,
	title       TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	type        TEXT NOT NULL,
	required    INTEGER NOT NULL DEFAULT 0,
	max_length  INTEGER NOT NULL DEFAULT 0,
	enum_values TEXT NOT NULL DEFAULT '[]',
	editable_by TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
