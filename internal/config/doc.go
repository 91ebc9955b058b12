// Package config decodes, defaults, overrides and validates userdb's configuration: one YAML file,
// environment variables and secret files, turned into a Config.
package config
