package passkey_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/passkey"
	"github.com/userdb/userdb/internal/passkey/passkeytest"
	"github.com/userdb/userdb/internal/service"
)

// BenchmarkAssertion verifies a passkey sign-in's assertion (parse, client
// data, relying party, signature, counter) as PasskeyLogin does, without
// the store; BenchmarkECDSAVerify is its baseline in the same run: the one
// P-256 signature check inside it. Compare the two ns/op.
func BenchmarkAssertion(b *testing.B) {
	rp, err := passkey.New(passkey.Config{RPID: "localhost", RPName: "bench", Origins: []string{"http://localhost:8080"},
		UserVerification: "preferred", Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	a := passkeytest.New("http://localhost:8080", "localhost")
	wu := &service.WebAuthnUser{Handle: []byte("usr_bench"), Name: "bench", DisplayName: "bench"}
	options, state, err := rp.BeginRegistration(wu)
	if err != nil {
		b.Fatal(err)
	}
	var o struct{ PublicKey json.RawMessage }
	json.Unmarshal(options, &o)
	answer, err := a.Register(o.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	c, err := rp.FinishRegistration(wu, state, answer)
	if err != nil {
		b.Fatal(err)
	}
	wu.Credentials = []service.WebAuthnCredential{*c}
	find := func(handle, id []byte) (*service.WebAuthnUser, error) { return wu, nil }
	for b.Loop() {
		b.StopTimer()
		options, state, err := rp.BeginLogin(nil)
		if err != nil {
			b.Fatal(err)
		}
		json.Unmarshal(options, &o)
		answer, err := a.Assert(o.PublicKey)
		if err != nil {
			b.Fatal(err)
		}
		wu.Credentials[0].SignCount = a.Counter - 1
		b.StartTimer()
		if _, _, err := rp.FinishLogin(state, answer, find); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkECDSAVerify(b *testing.B) {
	a := passkeytest.New("http://localhost:8080", "localhost")
	digest := sha256.Sum256([]byte("authenticator data and client data hash"))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !ecdsa.VerifyASN1(&a.Key.PublicKey, digest[:], sig) {
			b.Fatal("bad signature")
		}
	}
}
