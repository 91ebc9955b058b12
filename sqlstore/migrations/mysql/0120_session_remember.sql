-- "Keep me signed in" (sessions.remember_lifetime): a session the user
-- asked to keep lives that long and does not end when idle. A pending
-- sign-in carries the choice to the session it becomes.
ALTER TABLE sessions ADD COLUMN remembered BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pending_logins ADD COLUMN remember BOOLEAN NOT NULL DEFAULT FALSE;
