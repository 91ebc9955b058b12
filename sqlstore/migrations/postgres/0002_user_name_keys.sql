-- Folded copies of the name columns, for case-insensitive search over the
-- full name and for sorting users by surname or given name with keyset
-- pagination. The store writes userdb.Fold of each name; existing rows are
-- backfilled with lower().

ALTER TABLE users
	ADD COLUMN given_name_fold TEXT COLLATE "C" NOT NULL DEFAULT '',
	ADD COLUMN surname_fold TEXT COLLATE "C" NOT NULL DEFAULT '',
	ADD COLUMN full_name_fold TEXT COLLATE "C" NOT NULL DEFAULT '';

UPDATE users SET
	given_name_fold = lower(given_name),
	surname_fold = lower(surname),
	full_name_fold = lower(full_name);

CREATE INDEX ix_users_given_name ON users (given_name_fold, id);
CREATE INDEX ix_users_surname ON users (surname_fold, id);
