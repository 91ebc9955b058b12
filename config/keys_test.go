package config_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userdb/userdb/config"
)

// sqliteConfig returns a configuration with a SQLite database in a new
// temporary directory.
func sqliteConfig(t *testing.T) *config.Config {
	t.Helper()
	c := config.Default()
	c.Database.DSN = "sqlite:" + filepath.Join(t.TempDir(), "userdb.db")
	return c
}

func TestResolveKeysGeneratesAndReuses(t *testing.T) {
	c := sqliteConfig(t)
	first, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.CookieKey) != config.KeySize || len(first.EncryptionKey) != config.KeySize {
		t.Errorf("generated keys of %d and %d bytes, want %d", len(first.CookieKey), len(first.EncryptionKey), config.KeySize)
	}
	if bytes.Equal(first.CookieKey, first.EncryptionKey) {
		t.Error("cookie and encryption keys are the same")
	}
	info, err := os.Stat(c.SQLitePath() + ".secrets")
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secrets file has mode %o, want 600", perm)
	}

	second, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CookieKey, second.CookieKey) || !bytes.Equal(first.EncryptionKey, second.EncryptionKey) {
		t.Error("second start generated new keys instead of reusing the secrets file")
	}
}

func TestResolveKeysSecretsFileSetting(t *testing.T) {
	c := sqliteConfig(t)
	c.Secrets.File = filepath.Join(t.TempDir(), "keys.json")
	if _, err := c.ResolveKeys(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Secrets.File); err != nil {
		t.Errorf("secrets.file not written: %v", err)
	}
	if _, err := os.Stat(c.SQLitePath() + ".secrets"); !os.IsNotExist(err) {
		t.Errorf("default secrets file written although secrets.file is set (stat: %v)", err)
	}
}

func TestResolveKeysConfiguredKeyWins(t *testing.T) {
	c := sqliteConfig(t)
	generated, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	c.Secrets.CookieKey = "0123456789abcdef0123456789abcdef-raw"
	k, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	if string(k.CookieKey) != string(c.Secrets.CookieKey) {
		t.Errorf("cookie key %q, want the configured one", k.CookieKey)
	}
	if !bytes.Equal(k.EncryptionKey, generated.EncryptionKey) {
		t.Error("encryption key is not the stored one")
	}
}

func TestResolveKeysConfigured(t *testing.T) {
	c := config.Default()
	c.Database.DSN = "postgres://db/userdb"
	c.Secrets.CookieKey, c.Secrets.EncryptionKey = key32, key32
	k, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := base64.StdEncoding.DecodeString(key32)
	if !bytes.Equal(k.CookieKey, want) || !bytes.Equal(k.EncryptionKey, want) {
		t.Errorf("keys %x, %x; want the base64-decoded %x", k.CookieKey, k.EncryptionKey, want)
	}
}

func TestResolveKeysErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, c *config.Config)
		want   string
	}{
		{"postgres without cookie key", func(t *testing.T, c *config.Config) {
			c.Database.DSN, c.Secrets.EncryptionKey = "postgres://db/userdb", key32
		}, "secrets.cookie_key: required with PostgreSQL/MySQL, where several nodes must share it: " +
			"set USERDB_SECRETS_COOKIE_KEY or secrets.cookie_key_file"},
		{"mysql without encryption key", func(t *testing.T, c *config.Config) {
			c.Database.DSN, c.Secrets.CookieKey = "mysql://db/userdb", key32
		}, "secrets.encryption_key: required with PostgreSQL/MySQL"},
		{"bad configured key", func(t *testing.T, c *config.Config) { c.Secrets.EncryptionKey = "not base64!" },
			"secrets.encryption_key: must be 32 bytes in base64"},
		{"corrupt secrets file", func(t *testing.T, c *config.Config) {
			if err := os.WriteFile(c.SecretsFile(), []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "secrets file"},
		{"secrets file with a short key", func(t *testing.T, c *config.Config) {
			data := `{"cookie_key": "` + key32 + `", "encryption_key": "c2hvcnQ="}`
			if err := os.WriteFile(c.SecretsFile(), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "encryption_key must be 32 bytes in base64"},
		{"unwritable directory", func(t *testing.T, c *config.Config) {
			c.Secrets.File = filepath.Join(t.TempDir(), "missing", "keys.json")
		}, "secrets file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sqliteConfig(t)
			tt.change(t, c)
			_, err := c.ResolveKeys()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ResolveKeys() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestResolveKeysInMemory(t *testing.T) {
	c := config.Default()
	c.Database.DSN = "sqlite::memory:"
	a, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.ResolveKeys()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.CookieKey, b.CookieKey) {
		t.Error("in-memory database: keys repeat, so they were kept somewhere")
	}
}
