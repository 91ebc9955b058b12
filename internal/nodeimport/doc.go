// Package nodeimport moves an installation of the Node library userdb
// (npm userdb@1.0.13) to userdb: Import copies its database (the tables of
// its knex.sql) into a userdb.Store, and TranslateConfig turns its options
// into a userdb configuration file.
//
// The import keeps every id, bcrypt hash and timestamp it can, reports every
// row it cannot take with the row's id and the reason, and can be run again:
// rows already imported and unchanged are left alone. The source database is
// only ever read.
package nodeimport
