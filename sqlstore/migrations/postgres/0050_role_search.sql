-- Role listings in the store: a folded copy of the description, so that
-- the admin RPC's search matches names and descriptions ignoring case as
-- it did in memory, and an index of (folded name, id), the order of every
-- account's roles with keyset pagination. The store writes userdb.Fold of
-- each description; existing rows are backfilled with lower(btrim()).

ALTER TABLE roles ADD COLUMN description_fold TEXT NOT NULL DEFAULT '';

UPDATE roles SET description_fold = lower(btrim(description));

CREATE INDEX ix_roles_name_id ON roles (name_fold, id);
DROP INDEX ix_roles_name_fold;
