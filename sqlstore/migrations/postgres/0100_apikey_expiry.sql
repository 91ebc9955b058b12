-- API keys expire (ASVS 2.10.1, issue 23): after api_keys.inactivity_expiry
-- without use, and at their expires_at. warned_at is when the key's creator
-- was warned of the coming expiry (claimed atomically, so that several
-- nodes send one warning); expired_at is when the key was found expired and
-- its apikey.expired event recorded (once). An expired key stays expired.
ALTER TABLE api_keys ADD COLUMN warned_at TIMESTAMPTZ;
ALTER TABLE api_keys ADD COLUMN expired_at TIMESTAMPTZ;
