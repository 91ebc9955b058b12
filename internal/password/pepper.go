package password

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/userdb/userdb"
)

// MinPepperLen is the shortest pepper key accepted: 256 bits, the size of
// HMAC-SHA256's output.
const MinPepperLen = 32

// maxPepperIDLen bounds a pepper id, which every peppered hash carries.
const maxPepperIDLen = 16

// Pepper is a secret key that every new argon2id hash mixes in (ASVS
// 2.4.5): the password goes through HMAC-SHA256 with the key before
// argon2id, so a copy of the database without the key cannot be cracked.
// The key lives in the configuration, never in the database; hashes record
// only its ID, so the key can be rotated: hashes made with a previous key
// verify while that key is configured, and are rehashed with the current
// one at the user's next sign-in.
type Pepper struct {
	ID  string // 1 to 16 letters and digits
	Key []byte // MinPepperLen bytes or more
}

// String keeps the key out of logs.
func (p Pepper) String() string { return "pepper " + p.ID }

// ValidatePepperID returns an EINVALID error unless id can be a pepper's id.
func ValidatePepperID(id string) error {
	if !validPepperID(id) {
		return userdb.Errorf(userdb.EINVALID, "a pepper id must be 1 to %d letters and digits, not %q", maxPepperIDLen, id)
	}
	return nil
}

func validPepperID(id string) bool {
	if id == "" || len(id) > maxPepperIDLen {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// SetPeppers makes h hash new passwords with current (nil: without a
// pepper) and verify hashes made with current or any of previous. Hashes
// made with another pepper, or without one, are rehashed with current at
// sign-in. Call it before the hasher is used; it returns an EINVALID error
// for a bad id or key, or an id given twice.
func (h *Hasher) SetPeppers(current *Pepper, previous []Pepper) error {
	keys := map[string][]byte{}
	all := previous
	if current != nil {
		all = append([]Pepper{*current}, previous...)
	}
	for _, p := range all {
		if err := ValidatePepperID(p.ID); err != nil {
			return err
		}
		if len(p.Key) < MinPepperLen {
			return userdb.Errorf(userdb.EINVALID, "pepper %s: the key must be at least %d bytes", p.ID, MinPepperLen)
		}
		if _, dup := keys[p.ID]; dup {
			return userdb.Errorf(userdb.EINVALID, "pepper id %s is given twice", p.ID)
		}
		keys[p.ID] = p.Key
	}
	h.peppers, h.pepperID = keys, ""
	if current != nil {
		h.pepperID = current.ID
	}
	return nil
}

// withPepper returns input through HMAC-SHA256 with key, or input itself
// when key is nil (no pepper).
func withPepper(key, input []byte) []byte {
	if key == nil {
		return input
	}
	m := hmac.New(sha256.New, key)
	m.Write(input)
	return m.Sum(nil)
}

// bindPepper gives stored's argon2id layer the key of the pepper it names.
// A pepper that is not configured is an error: the hash cannot be verified
// (and a guess must not be taken for a mismatch).
func (h *Hasher) bindPepper(stored hash) error {
	a := outerArgon2(stored)
	if a == nil || a.pepperID == "" {
		return nil
	}
	key, ok := h.peppers[a.pepperID]
	if !ok {
		return fmt.Errorf("password: the hash was made with pepper %q, which is not configured (password.pepper)", a.pepperID)
	}
	a.pepperKey = key
	return nil
}

// outerArgon2 returns the argon2id layer of stored that a pepper applies
// to, or nil.
func outerArgon2(stored hash) *argon2idHash {
	switch s := stored.(type) {
	case *argon2idHash:
		return s
	case *wrappedHash:
		return s.outer
	}
	return nil
}

// cutPepperID splits "m=..,t=..,p=..,pepper=ID" into the cost parameters
// and the ID ("" when there is none).
func cutPepperID(params string) (rest, id string) {
	if i := strings.LastIndex(params, ",pepper="); i >= 0 {
		return params[:i], params[i+len(",pepper="):]
	}
	return params, ""
}
