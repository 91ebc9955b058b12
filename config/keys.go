package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
)

// KeySize is the size of generated keys and of the encryption key: 256 bits.
const KeySize = 32

// Keys are the instance keys, decoded. Printed, logged or marshalled, they
// read "[redacted]".
type Keys struct {
	CookieKey     []byte // authenticates cookies; KeySize bytes or more
	EncryptionKey []byte // AES-256-GCM key for secrets at rest; KeySize bytes
}

// String returns "[redacted]".
func (Keys) String() string { return redacted }

// GoString keeps the keys out of %#v.
func (Keys) GoString() string { return "config.Keys{" + redacted + "}" }

// LogValue implements slog.LogValuer.
func (Keys) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the keys out of JSON and YAML output.
func (Keys) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// SecretsFile returns the file that keeps the generated keys of a SQLite
// database: secrets.file, or the database path with ".secrets" appended. It
// returns "" for other databases and for an in-memory SQLite database.
func (c *Config) SecretsFile() string {
	if c.DatabaseKind() != SQLite {
		return ""
	}
	if c.Secrets.File != "" {
		return c.Secrets.File
	}
	path := c.SQLitePath()
	if path == ":memory:" || strings.HasPrefix(path, "file::memory:") {
		return ""
	}
	return path + ".secrets"
}

// ResolveKeys returns the instance keys. Keys set in the configuration are
// used as they are. With SQLite, a missing key comes from SecretsFile, which
// is created with fresh random keys and mode 0600 on first start and read on
// every later start (an in-memory database gets fresh keys each time). With
// PostgreSQL and MySQL both keys must be configured, since every node must
// use the same ones.
func (c *Config) ResolveKeys() (Keys, error) {
	p := &Problems{}
	cookie, enc := c.checkKeys(p)
	if err := p.err(); err != nil {
		return Keys{}, err
	}
	if cookie != nil && enc != nil {
		return Keys{CookieKey: cookie, EncryptionKey: enc}, nil
	}
	if c.DatabaseKind() != SQLite {
		return Keys{}, errors.New("config: database.dsn: unknown database")
	}
	k, err := storedKeys(c.SecretsFile())
	if err != nil {
		return Keys{}, err
	}
	if cookie != nil {
		k.CookieKey = cookie
	}
	if enc != nil {
		k.EncryptionKey = enc
	}
	return k, nil
}

// checkKeys reports problems with the configured keys and returns those set
// and valid.
func (c *Config) checkKeys(p *Problems) (cookie, enc []byte) {
	s := &c.Secrets
	var err error
	if s.CookieKey != "" {
		if cookie, err = decodeCookieKey(s.CookieKey); err != nil {
			p.add("secrets.cookie_key", "%v", err)
		}
	}
	if s.EncryptionKey != "" {
		if enc, err = decodeEncryptionKey(s.EncryptionKey); err != nil {
			p.add("secrets.encryption_key", "%v", err)
		}
	}
	if kind := c.DatabaseKind(); kind == Postgres || kind == MySQL {
		requireShared(p, "cookie_key", s.CookieKey)
		requireShared(p, "encryption_key", s.EncryptionKey)
	}
	return cookie, enc
}

// requireShared reports a key that is missing although several nodes must
// share it.
func requireShared(p *Problems, name string, value string) {
	if value == "" {
		key := "secrets." + name
		p.add(key, "required with PostgreSQL/MySQL, where several nodes must share it: set %s or %s_file", EnvName(key), key)
	}
}

// decodeCookieKey accepts KeySize bytes or more, in base64 or raw.
func decodeCookieKey(s string) ([]byte, error) {
	if b := decodeBase64(s); len(b) >= KeySize {
		return b, nil
	}
	if len(s) >= KeySize {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("must be at least %d bytes, raw or in base64", KeySize)
}

// decodeEncryptionKey accepts exactly KeySize bytes in base64.
func decodeEncryptionKey(s string) ([]byte, error) {
	if b := decodeBase64(s); len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("must be %d bytes in base64", KeySize)
}

// decodeBase64 decodes s in either alphabet, padded or not, or returns nil.
func decodeBase64(s string) []byte {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

// keyFile is the JSON content of a secrets file; keys are in standard base64.
type keyFile struct {
	CookieKey     string `json:"cookie_key"`
	EncryptionKey string `json:"encryption_key"`
}

// storedKeys reads the keys kept in the file at path, creating it with new
// keys if it does not exist. An empty path gives new keys that are kept
// nowhere.
func storedKeys(path string) (Keys, error) {
	if path == "" {
		return newKeys()
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	if err != nil {
		return Keys{}, fmt.Errorf("config: secrets file: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return Keys{}, fmt.Errorf("config: secrets file %s: %w", path, err)
	}
	var k Keys
	if k.CookieKey, err = decodeCookieKey(kf.CookieKey); err != nil {
		return Keys{}, fmt.Errorf("config: secrets file %s: cookie_key %w", path, err)
	}
	if k.EncryptionKey, err = decodeEncryptionKey(kf.EncryptionKey); err != nil {
		return Keys{}, fmt.Errorf("config: secrets file %s: encryption_key %w", path, err)
	}
	return k, nil
}

// createKeyFile writes new keys to a new file at path, readable by its owner
// only. If another process created the file first, its keys win.
func createKeyFile(path string) (Keys, error) {
	k, err := newKeys()
	if err != nil {
		return Keys{}, err
	}
	data, err := json.Marshal(keyFile{
		CookieKey:     base64.StdEncoding.EncodeToString(k.CookieKey),
		EncryptionKey: base64.StdEncoding.EncodeToString(k.EncryptionKey),
	})
	if err != nil {
		return Keys{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return storedKeys(path)
	}
	if err != nil {
		return Keys{}, fmt.Errorf("config: secrets file: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return Keys{}, fmt.Errorf("config: secrets file: %w", err)
	}
	return k, nil
}

func newKeys() (Keys, error) {
	k := Keys{CookieKey: make([]byte, KeySize), EncryptionKey: make([]byte, KeySize)}
	if _, err := rand.Read(k.CookieKey); err != nil {
		return Keys{}, err
	}
	if _, err := rand.Read(k.EncryptionKey); err != nil {
		return Keys{}, err
	}
	return k, nil
}
