-- One-time set-up steps (issue 20). A row claims a step for good: the
-- first administrator created in the browser inserts 'first-admin' in the
-- transaction that creates the user, so of two racing requests, on any
-- number of nodes, the primary key lets exactly one through.
CREATE TABLE setup_steps (
	step       TEXT COLLATE "C" PRIMARY KEY,
	claimed_at TIMESTAMPTZ NOT NULL
);
