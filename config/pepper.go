package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
)

// Pepper is the optional secret key that password hashes mix in (ASVS
// 2.4.5): argon2id runs over HMAC-SHA256(key, password), and the hash
// records the key's ID. Keys live in the configuration (or a file, or the
// environment), never in the database; losing them locks every user out.
type Pepper struct {
	// Current is "ID:KEY", the pepper new hashes use; "" for none.
	Current string `yaml:"current" config:"secret"`
	// Previous lists "ID:KEY" pairs, comma-separated: the peppers of
	// older hashes, verified and replaced by Current at each sign-in.
	Previous string `yaml:"previous" config:"secret"`
}

// PepperKey is one decoded pepper.
type PepperKey struct {
	ID  string
	Key []byte
}

// MinPepperKeySize is the shortest pepper key: 256 bits (the hasher's own
// bound).
const MinPepperKeySize = password.MinPepperLen

// Peppers decodes password.pepper: the current pepper (nil when off) and the
// previous ones. Its errors never include a key.
func (c *Config) Peppers() (current *PepperKey, previous []PepperKey, err error) {
	p := &Problems{}
	current, previous = c.checkPeppers(p)
	return current, previous, p.err()
}

func (c *Config) checkPeppers(p *Problems) (current *PepperKey, previous []PepperKey) {
	pp := c.Password.Pepper
	seen := map[string]bool{}
	decode := func(key, pair string) (PepperKey, bool) {
		k, err := parsePepper(pair)
		if err == nil && seen[k.ID] {
			err = fmt.Errorf("pepper id %s is given twice", k.ID)
		}
		if err != nil {
			p.add(key, "%v", err)
			return k, false
		}
		seen[k.ID] = true
		return k, true
	}
	if pp.Current != "" {
		if k, ok := decode("password.pepper.current", pp.Current); ok {
			current = &k
		}
	}
	for pair := range strings.SplitSeq(pp.Previous, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		if k, ok := decode("password.pepper.previous", pair); ok {
			previous = append(previous, k)
		}
	}
	return current, previous
}

// parsePepper decodes "ID:KEY". The key is base64 (standard or URL-safe,
// padded or not).
func parsePepper(pair string) (PepperKey, error) {
	id, b64, ok := strings.Cut(pair, ":")
	if !ok {
		return PepperKey{}, fmt.Errorf("must be ID:KEY, the key in base64")
	}
	if err := password.ValidatePepperID(id); err != nil {
		return PepperKey{}, errors.New(userdb.ErrorMessage(err))
	}
	var key []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err = enc.DecodeString(strings.TrimSpace(b64)); err == nil {
			break
		}
	}
	switch {
	case err != nil:
		return PepperKey{}, fmt.Errorf("pepper %s: the key is not base64", id)
	case len(key) < MinPepperKeySize:
		return PepperKey{}, fmt.Errorf("pepper %s: the key must be at least %d bytes, not %d", id, MinPepperKeySize, len(key))
	}
	return PepperKey{ID: id, Key: key}, nil
}
