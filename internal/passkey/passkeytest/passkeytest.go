// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the options of navigator.credentials.create and .get as a
// browser with a passkey would (ES256, "none" attestation), and can be
// told to lie about the origin or the relying party id.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator holds one credential.
type Authenticator struct {
	Key     *ecdsa.PrivateKey
	ID      []byte // credential id
	Handle  []byte // the user handle it was created for
	Counter uint32
	// Origin is what the browser puts in the client data; RPID the
	// relying party id the authenticator data is bound to.
	Origin, RPID string
	// Verified sets the UV flag; Synced the backup flags (a passkey that
	// syncs) and keeps the counter at 0, as synced passkeys do.
	Verified, Synced bool
}

// New returns an authenticator with a fresh key.
func New(origin, rpID string) *Authenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Authenticator{Key: k, ID: id, Origin: origin, RPID: rpID, Verified: true}
}

var b64 = base64.RawURLEncoding

type options struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
	User      struct {
		ID string `json:"id"`
	} `json:"user"`
}

func (a *Authenticator) flags(attested bool) byte {
	f := byte(0x01) // UP
	if a.Verified {
		f |= 0x04
	}
	if a.Synced {
		f |= 0x08 | 0x10 // BE, BS
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (a *Authenticator) authData(attested bool) []byte {
	rp := sha256.Sum256([]byte(a.RPID))
	out := append(rp[:], a.flags(attested))
	out = binary.BigEndian.AppendUint32(out, a.Counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.ID)))
		out = append(out, a.ID...)
		x, y := a.Key.PublicKey.X.FillBytes(make([]byte, 32)), a.Key.PublicKey.Y.FillBytes(make([]byte, 32))
		key, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
		if err != nil {
			panic(err)
		}
		out = append(out, key...)
	}
	return out
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// Register answers the publicKey options of a registration.
func (a *Authenticator) Register(publicKey []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(publicKey, &o); err != nil {
		return nil, err
	}
	h, err := b64.DecodeString(o.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user id: %w", err)
	}
	a.Handle = h
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(true)})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.ID), "rawId": b64.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Assert answers the publicKey options of a sign-in, signing as Handle.
func (a *Authenticator) Assert(publicKey []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(publicKey, &o); err != nil {
		return nil, err
	}
	if !a.Synced {
		a.Counter++
	}
	auth := a.authData(false)
	cd := a.clientData("webauthn.get", o.Challenge)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.ID), "rawId": b64.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.Handle),
		},
		"clientExtensionResults": map[string]any{},
	})
}
