-- Issue 23. "Keep me signed in" (sessions.remember_lifetime): a session the user
-- asked to keep lives that long and does not end when idle. A pending
-- sign-in carries the choice to the session it becomes.
ALTER TABLE sessions ADD COLUMN remembered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_logins ADD COLUMN remember INTEGER NOT NULL DEFAULT 0;
-- A password an administrator set to be changed (--must-change) is
-- temporary: it stops working password.temporary_ttl after it was set
-- (ASVS 2.3.1).
ALTER TABLE users ADD COLUMN password_temporary INTEGER NOT NULL DEFAULT 0;
