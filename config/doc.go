// Package config is the configuration of a userdb server: the Config type
// with plain Go values (strings, time.Duration, byte counts), its documented
// defaults (Default, and the file Defaults prints), Load, which reads one
// YAML file and USERDB_* environment variables (secrets also from files),
// and Validate, which reports every problem at once in a *Problems.
//
// A Go program that embeds userdb can build a Config in code and never touch
// YAML:
//
//	cfg := config.Default()
//	cfg.Database.DSN = dsn
//	cfg.Sessions.Lifetime = 24 * time.Hour
//
// Secrets are plain strings, so nothing stops a program from printing one;
// the Config as a whole prints, logs and marshals with them redacted.
package config
