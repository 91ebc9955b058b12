-- Folded copies of the name columns, for case-insensitive search over the
-- full name and for sorting users by surname or given name with keyset
-- pagination. The store writes userdb.Fold of each name; existing rows are
-- backfilled with lower(). The ALTER TABLE statements commit implicitly.

ALTER TABLE users
	ADD COLUMN given_name_fold VARCHAR(255) NOT NULL DEFAULT '',
	ADD COLUMN surname_fold VARCHAR(255) NOT NULL DEFAULT '',
	ADD COLUMN full_name_fold VARCHAR(800) NOT NULL DEFAULT '';

UPDATE users SET
	given_name_fold = LOWER(given_name),
	surname_fold = LOWER(surname),
	full_name_fold = LOWER(full_name);

ALTER TABLE users
	ADD KEY ix_users_given_name (given_name_fold, id),
	ADD KEY ix_users_surname (surname_fold, id);
