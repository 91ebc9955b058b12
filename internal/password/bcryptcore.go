package password

import (
	"encoding/base64"

	"golang.org/x/crypto/blowfish"
)

// bcryptB64 is bcrypt's base64: its own alphabet, no padding.
var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// bcryptKey returns the 31 characters that follow the salt in the bcrypt
// hash of password with cost and the 22-character salt.
//
// Why not golang.org/x/crypto/bcrypt: it hashes only with a salt of its own
// choosing, and a wrapped hash (wrap.go) must recompute the hash its import
// received, with that hash's salt. This is the same computation (eksblowfish
// with the key's trailing NUL, 64 encryptions of "OrpheanBeholderScryDoubt",
// 23 of its 24 bytes encoded), checked against x/crypto's in the tests.
func bcryptKey(password string, cost int, salt []byte) []byte {
	csalt, err := bcryptB64.DecodeString(string(salt))
	if err != nil {
		return nil // checked when the hash was parsed; nil matches nothing
	}
	key := append([]byte(password), 0)
	c, err := blowfish.NewSaltedCipher(key, csalt)
	if err != nil {
		return nil
	}
	for range uint64(1) << cost {
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(csalt, c)
	}
	data := []byte("OrpheanBeholderScryDoubt")
	for i := 0; i < 24; i += 8 {
		for range 64 {
			c.Encrypt(data[i:i+8], data[i:i+8])
		}
	}
	return []byte(bcryptB64.EncodeToString(data[:23]))
}
