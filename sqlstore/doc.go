// Package sqlstore is the SQL implementation of userdb.Store for SQLite,
// PostgreSQL and MySQL/MariaDB, with the schema migrations of each embedded.
package sqlstore
