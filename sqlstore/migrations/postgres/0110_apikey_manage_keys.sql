-- API keys may carry the right to create and revoke keys (issue 17): without
-- it, only a signed-in administrator (or the command line) creates keys, so
-- a stolen key cannot mint others.
ALTER TABLE api_keys ADD COLUMN manage_keys BOOLEAN NOT NULL DEFAULT FALSE;
