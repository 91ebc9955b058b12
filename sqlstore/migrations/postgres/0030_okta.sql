-- Okta's user lifecycle and profile editor (internal/okta).
-- deactivated_at tells a deactivated user (Okta's DEPROVISIONED) from a
-- suspended one; both are DISABLED.
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;
-- Okta's filter on lastUpdated.
CREATE INDEX ix_users_updated ON users (updated_at, id);

-- Custom-data attributes defined through the admin APIs, beside those of
-- custom_data.schema in the configuration.
CREATE TABLE profile_attributes (
	name        TEXT COLLATE "C" PRIMARY KEY,
	title       TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	type        TEXT NOT NULL,
	required    BOOLEAN NOT NULL DEFAULT FALSE,
	max_length  INTEGER NOT NULL DEFAULT 0,
	enum_values TEXT NOT NULL DEFAULT '[]',
	editable_by TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
