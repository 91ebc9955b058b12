package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/userdb/userdb/internal/seal"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := b.Seal([]byte("client secret"), []byte("connector:acme"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal([]byte("client secret"), []byte("connector:acme"))
	if bytes.Equal(s1, s2) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if bytes.Contains(s1, []byte("client secret")) {
		t.Error("the sealed value contains the plain text")
	}
	got, err := b.Open(s1, []byte("connector:acme"))
	if err != nil || string(got) != "client secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := seal.New(bytes.Repeat([]byte{8}, 32))
	tampered := bytes.Clone(s1)
	tampered[len(tampered)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"other associated data": func() ([]byte, error) { return b.Open(s1, []byte("connector:other")) },
		"other key":             func() ([]byte, error) { return other.Open(s1, []byte("connector:acme")) },
		"changed":               func() ([]byte, error) { return b.Open(tampered, []byte("connector:acme")) },
		"short":                 func() ([]byte, error) { return b.Open(s1[:10], []byte("connector:acme")) },
	} {
		if _, err := try(); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: Open error = %v, want ErrOpen", name, err)
		}
	}
	if _, err := seal.New([]byte("short")); err == nil {
		t.Error("New accepted a short key")
	}
}
