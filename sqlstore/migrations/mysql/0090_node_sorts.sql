-- The sorts of the original library's admin tables (issue 22): users by
-- their account's name, by their first role's name and by status; accounts
-- and roles by description and by status. Each is a column of the listed
-- table with an index that ends in the listing's tie-breaker (InnoDB's
-- secondary indexes end in the primary key), so a page is a range of an
-- index, as the other sorts are:
--   users.account_key     the folded name of the user's account;
--   users.role_key        the least folded name of the user's roles ('' for none);
--   *.description_key     the folded description, cut to 255 characters
--                         (an index cannot hold the whole TEXT).
-- The store keeps the keys in step in the statements that change them.
-- Existing rows are backfilled with LOWER(TRIM()). The ALTER TABLE
-- statements commit implicitly.

ALTER TABLE users
	ADD COLUMN account_key VARCHAR(255) NOT NULL DEFAULT '',
	ADD COLUMN role_key VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN description_key VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN description_key VARCHAR(255) NOT NULL DEFAULT '';

UPDATE users JOIN accounts a ON a.id = users.account_id SET users.account_key = a.name_fold;
UPDATE users JOIN (SELECT ur.user_id, MIN(r.name_fold) AS role_key
	FROM user_roles ur JOIN roles r ON r.id = ur.role_id GROUP BY ur.user_id) k ON k.user_id = users.id
	SET users.role_key = k.role_key;
UPDATE accounts SET description_key = LOWER(SUBSTRING(TRIM(description), 1, 255));
UPDATE roles SET description_key = LOWER(SUBSTRING(TRIM(description), 1, 255));

ALTER TABLE users
	ADD KEY ix_users_account_key (account_key, id),
	ADD KEY ix_users_role_key (role_key, id),
	ADD KEY ix_users_status_id (status, id);
ALTER TABLE accounts
	ADD KEY ix_accounts_description (description_key, name_fold),
	ADD KEY ix_accounts_status (status, name_fold);
ALTER TABLE roles
	ADD KEY ix_roles_description (description_key, name_fold, id),
	ADD KEY ix_roles_status (status, name_fold, id);
