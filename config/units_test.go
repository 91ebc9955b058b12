package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/userdb/userdb/config"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"15m", 15 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"500ms", 500 * time.Millisecond},
		{"30d", 30 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"3600", time.Hour},
		{" 90 ", 90 * time.Second},
		{"-5m", -5 * time.Minute},
		{"-1d", -24 * time.Hour},
		{"-60", -time.Minute},
		{"+2s", 2 * time.Second},
	}
	for _, tt := range tests {
		got, err := config.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, in := range []string{"", "soon", "d", "1.5d", "5x", "1d-5h", "--5m", "-+5m", "1d1d", "99999999999999999999", "200000d"} {
		if got, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{15 * time.Second, "15s"},
		{15 * time.Minute, "15m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{24 * time.Hour, "1d"},
		{30 * 24 * time.Hour, "30d"},
		{36*time.Hour + time.Second, "1d12h0m1s"},
		{-15 * time.Minute, "-15m"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		got := config.FormatDuration(tt.in)
		if got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := config.ParseDuration(got); err != nil || back != tt.in {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, tt.in)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1048576", 1 << 20},
		{"1MiB", 1 << 20},
		{"19MiB", 19 << 20},
		{"512KiB", 512 << 10},
		{"25MB", 25e6},
		{"2kB", 2000},
		{"2KB", 2000},
		{"1 GiB", 1 << 30},
		{"1mib", 1 << 20},
		{"1TiB", 1 << 40},
		{"100B", 100},
		{"-1MiB", -(1 << 20)},
	}
	for _, tt := range tests {
		got, err := config.ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "MiB", "1.5MiB", "1MiBs", "1XB", "9999999TiB", "ten"} {
		if got, err := config.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{1 << 20, "1MiB"},
		{19 << 20, "19MiB"},
		{2 << 30, "2GiB"},
		{25e6, "25MB"},
		{3 << 10, "3KiB"},
		{1536, "1536"},
		{-(1 << 20), "-1MiB"},
	}
	for _, tt := range tests {
		got := config.FormatSize(tt.in)
		if got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := config.ParseSize(got); err != nil || back != tt.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", got, back, err, tt.in)
		}
	}
}

// TestSecretsNeverPrinted sets every secret and checks that no way of
// printing, logging or marshalling the configuration shows one.
func TestSecretsNeverPrinted(t *testing.T) {
	c := config.Default()
	c.Secrets.CookieKey = "cookie-key-CANARY-0123456789abcdef"
	c.Secrets.EncryptionKey = "encryption-CANARY"
	c.SMTP.Password = "smtp-CANARY"
	c.Redis.Password = "redis-CANARY"
	c.Upstream.Connectors = []config.ConnectorConfig{{ID: "corp", Type: "oidc", ClientSecret: "connector-CANARY"}}
	c.Database.DSN = "postgres://user:dsn-CANARY@db:5432/userdb?password=query-CANARY&sslmode=require"
	keys := config.Keys{CookieKey: []byte("keys-CANARY"), EncryptionKey: []byte("keys-CANARY")}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "keys", keys, "dsn", config.RedactDSN(c.Database.DSN))
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", *c, "keys", keys)
	jsonOut, err := json.Marshal(struct {
		C *config.Config
		K config.Keys
	}{c, keys})
	if err != nil {
		t.Fatal(err)
	}
	yamlOut, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{
		"%v":    fmt.Sprintf("%v", c),
		"%+v":   fmt.Sprintf("%+v", c),
		"%#v":   fmt.Sprintf("%#v", c),
		"%s":    fmt.Sprintf("%s", c),
		"%+v *": fmt.Sprintf("%+v", *c),
		"keys":  fmt.Sprintf("%v %+v %#v %s %x", keys, keys, keys, keys, keys),
		"slog":  logged.String(),
		"json":  string(jsonOut),
		"yaml":  string(yamlOut),
	}
	for name, out := range outputs {
		if strings.Contains(out, "CANARY") {
			t.Errorf("%s shows a secret:\n%s", name, out)
		}
		if name != "keys" && !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not show [redacted]:\n%s", name, out)
		}
	}
	if !strings.Contains(outputs["%+v"], "db:5432") {
		t.Errorf("%%+v hides the database host, which is no secret:\n%s", outputs["%+v"])
	}
	if c.Secrets.CookieKey != "cookie-key-CANARY-0123456789abcdef" || !strings.Contains(c.Database.DSN, "dsn-CANARY") ||
		c.Upstream.Connectors[0].ClientSecret != "connector-CANARY" {
		t.Error("printing the configuration changed it")
	}
}

func TestRedactedKeepsEmptySecretsEmpty(t *testing.T) {
	c := config.Default()
	c.SMTP.Password = "x"
	r := c.Redacted()
	if r.SMTP.Password != "[redacted]" || r.Redis.Password != "" || r.Database.DSN != "sqlite:userdb.db" {
		t.Errorf("Redacted: smtp.password %q, redis.password %q, dsn %q", r.SMTP.Password, r.Redis.Password, r.Database.DSN)
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct {
		dsn, want string
	}{
		{"sqlite:userdb.db", "sqlite:userdb.db"},
		{"sqlite:userdb.db?_pragma=busy_timeout(5000)", "sqlite:userdb.db?_pragma=busy_timeout(5000)"},
		{"postgres://db/userdb", "postgres://db/userdb"},
		{"postgres://user:pw@db/userdb", "postgres://user:xxxxx@db/userdb"},
		{"postgres://user@db/userdb?password=pw&sslmode=disable", "postgres://user@db/userdb?password=xxxxx&sslmode=disable"},
		{"mysql://user:pw@tcp(db:3306)/userdb", "[redacted]"},
	}
	for _, tt := range tests {
		if got := config.RedactDSN(tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}
