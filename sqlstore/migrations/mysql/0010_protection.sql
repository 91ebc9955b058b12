-- Devices users signed in from, known by the SHA-256 of the device cookie's
-- id; and the password expiry warnings sent, one row per password and
-- warning, so that of several nodes exactly one sends each.
CREATE TABLE devices (
	user_id      VARCHAR(64) NOT NULL,
	device_hash  VARBINARY(32) NOT NULL,
	created_at   DATETIME(6) NOT NULL,
	last_seen_at DATETIME(6) NOT NULL,
	ip           VARCHAR(100) NOT NULL DEFAULT '',
	user_agent   VARCHAR(512) NOT NULL DEFAULT '',
	PRIMARY KEY (user_id, device_hash),
	CONSTRAINT fk_devices_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE password_warnings (
	user_id    VARCHAR(64) NOT NULL,
	changed_at DATETIME(6) NOT NULL,
	before_s   BIGINT NOT NULL,
	sent_at    DATETIME(6) NOT NULL,
	PRIMARY KEY (user_id, changed_at, before_s),
	CONSTRAINT fk_password_warnings_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
