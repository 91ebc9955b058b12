-- Devices users signed in from, known by the SHA-256 of the device cookie's
-- id; and the password expiry warnings sent, one row per password and
-- warning, so that of several nodes exactly one sends each.
CREATE TABLE devices (
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	device_hash  BLOB NOT NULL,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (user_id, device_hash)
);

CREATE TABLE password_warnings (
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	changed_at TEXT NOT NULL,
	before_s   INTEGER NOT NULL,
	sent_at    TEXT NOT NULL,
	PRIMARY KEY (user_id, changed_at, before_s)
);
