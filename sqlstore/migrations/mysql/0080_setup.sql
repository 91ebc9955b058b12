-- One-time set-up steps (issue 20). A row claims a step for good: the
-- first administrator created in the browser inserts 'first-admin' in the
-- transaction that creates the user, so of two racing requests, on any
-- number of nodes, the primary key lets exactly one through.
CREATE TABLE setup_steps (
	step       VARCHAR(64) NOT NULL PRIMARY KEY,
	claimed_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
