-- Role listings in the store: a folded copy of the description, so that
-- the admin RPC's search matches names and descriptions ignoring case as
-- it did in memory. The store writes userdb.Fold of each description;
-- existing rows are backfilled with LOWER(TRIM()). The index of the folded
-- name already ends in the primary key (InnoDB), so it serves the order of
-- every account's roles, (folded name, id), as it is. The ALTER TABLE
-- statement commits implicitly.

ALTER TABLE roles ADD COLUMN description_fold TEXT NOT NULL;

UPDATE roles SET description_fold = LOWER(TRIM(description));
