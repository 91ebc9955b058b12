-- "Keep me signed in" (sessions.remember_lifetime): a session the user
-- asked to keep lives that long and does not end when idle. A pending
-- sign-in carries the choice to the session it becomes.
ALTER TABLE sessions ADD COLUMN remembered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_logins ADD COLUMN remember INTEGER NOT NULL DEFAULT 0;
