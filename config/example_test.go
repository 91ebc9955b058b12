package config_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/userdb/userdb/config"
)

// A program builds its configuration in code from plain Go values.
func ExampleDefault() {
	cfg := config.Default()
	cfg.Database.DSN = "sqlite:app.db"
	cfg.Sessions.Lifetime = 24 * time.Hour
	cfg.Server.MaxBody = 2 * config.MiB
	if err := cfg.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(config.FormatDuration(cfg.Sessions.Lifetime), config.FormatSize(cfg.Server.MaxBody))
	// Output: 1d 2MiB
}

// Load reads the same values from YAML and USERDB_* variables; getenv is
// os.Getenv in a real program.
func ExampleLoad() {
	env := map[string]string{
		"USERDB_SESSIONS_IDLE_TIMEOUT": "30m",
		"USERDB_SERVER_MAX_BODY":       "512KiB",
		"USERDB_TOKENS_INVITE_TTL":     "14d",
	}
	cfg, err := config.Load("", func(name string) string { return env[name] })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Sessions.IdleTimeout, cfg.Server.MaxBody, cfg.Tokens.InviteTTL)
	// Output: 30m0s 524288 336h0m0s
}

// Validation reports every problem at once.
func ExampleProblems() {
	cfg := config.Default()
	cfg.Database.DSN = "postgres://app@db.internal/userdb"
	cfg.Sessions.IdleTimeout = -time.Minute
	var p *config.Problems
	if errors.As(cfg.Validate(), &p) {
		for _, pr := range p.List {
			fmt.Println(pr.Key)
		}
	}
	// Output:
	// sessions.idle_timeout
	// secrets.cookie_key
	// secrets.encryption_key
}

// Secrets are plain strings; the configuration prints them redacted.
func ExampleConfig_Redacted() {
	cfg := config.Default()
	cfg.Database.DSN = "postgres://app:s3cret@db.internal/userdb"
	cfg.SMTP.Password = "s3cret"
	r := cfg.Redacted()
	fmt.Println(r.Database.DSN)
	fmt.Println(r.SMTP.Password)
	// Output:
	// postgres://app:xxxxx@db.internal/userdb
	// [redacted]
}
