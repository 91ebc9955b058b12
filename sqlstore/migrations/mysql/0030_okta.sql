-- Okta's user lifecycle and profile editor (internal/okta).
-- deactivated_at tells a deactivated user (Okta's DEPROVISIONED) from a
-- suspended one; both are DISABLED.
ALTER TABLE users ADD COLUMN deactivated_at DATETIME(6);
-- Okta's filter on lastUpdated.
CREATE INDEX ix_users_updated ON users (updated_at, id);

-- Custom-data attributes defined through the admin APIs, beside those of
-- custom_data.schema in the configuration.
CREATE TABLE profile_attributes (
	name        VARCHAR(64) NOT NULL PRIMARY KEY,
	title       VARCHAR(255) NOT NULL DEFAULT '',
	description TEXT NOT NULL,
	type        VARCHAR(16) NOT NULL,
	required    BOOLEAN NOT NULL DEFAULT FALSE,
	max_length  INT NOT NULL DEFAULT 0,
	enum_values TEXT NOT NULL,
	editable_by VARCHAR(8) NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	updated_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
