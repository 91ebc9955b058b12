-- Issue 23. "Keep me signed in" (sessions.remember_lifetime): a session the user
-- asked to keep lives that long and does not end when idle. A pending
-- sign-in carries the choice to the session it becomes.
ALTER TABLE sessions ADD COLUMN remembered BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pending_logins ADD COLUMN remember BOOLEAN NOT NULL DEFAULT FALSE;
-- A password an administrator set to be changed (--must-change) is
-- temporary: it stops working password.temporary_ttl after it was set
-- (ASVS 2.3.1).
ALTER TABLE users ADD COLUMN password_temporary BOOLEAN NOT NULL DEFAULT FALSE;
