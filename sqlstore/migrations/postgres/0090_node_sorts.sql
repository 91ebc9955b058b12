-- The sorts of the original library's admin tables (issue 22): users by
-- their account's name, by their first role's name and by status; accounts
-- and roles by description and by status. Each is a column of the listed
-- table with an index that ends in the listing's tie-breaker, so a page is
-- a range of an index, as the other sorts are:
--   users.account_key     the folded name of the user's account;
--   users.role_key        the least folded name of the user's roles ('' for none);
--   *.description_key     the folded description, cut to 255 characters
--                         (MySQL cannot index the whole TEXT).
-- The store keeps the keys in step in the statements that change them.
-- Existing rows are backfilled with lower(btrim()).

ALTER TABLE users ADD COLUMN account_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN role_key TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN description_key TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN description_key TEXT NOT NULL DEFAULT '';

UPDATE users SET account_key = a.name_fold FROM accounts a WHERE a.id = users.account_id;
UPDATE users SET role_key = k.role_key FROM (SELECT ur.user_id, MIN(r.name_fold) AS role_key
	FROM user_roles ur JOIN roles r ON r.id = ur.role_id GROUP BY ur.user_id) k WHERE k.user_id = users.id;
UPDATE accounts SET description_key = lower(substr(btrim(description), 1, 255));
UPDATE roles SET description_key = lower(substr(btrim(description), 1, 255));

CREATE INDEX ix_users_account_key ON users (account_key, id);
CREATE INDEX ix_users_role_key ON users (role_key, id);
CREATE INDEX ix_users_status_id ON users (status, id);
CREATE INDEX ix_accounts_description ON accounts (description_key, name_fold);
CREATE INDEX ix_accounts_status ON accounts (status, name_fold);
CREATE INDEX ix_roles_description ON roles (description_key, name_fold, id);
CREATE INDEX ix_roles_status ON roles (status, name_fold, id);
