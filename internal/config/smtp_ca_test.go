package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/config"
)

// writeCA writes a freshly made CA certificate as PEM and returns the file.
func writeCA(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestSMTPCAFile(t *testing.T) {
	dir := t.TempDir()
	ca := writeCA(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello\n"), 0o644)
	keyOnly := filepath.Join(dir, "key.pem")
	os.WriteFile(keyOnly, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), 0o600)
	broken := filepath.Join(dir, "broken.pem")
	os.WriteFile(broken, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), 0o644)

	tests := []struct {
		name, file, tls string
		want            string // part of the problem; "" for none
	}{
		{"a CA with STARTTLS", ca, "starttls", ""},
		{"a CA with implicit TLS", ca, "tls", ""},
		{"no TLS to use it", ca, "none", "is only used with tls: starttls or tls"},
		{"missing file", filepath.Join(dir, "nope.pem"), "tls", "no such file"},
		{"not PEM", notPEM, "tls", "holds no PEM certificate"},
		{"a key, no certificate", keyOnly, "tls", "holds no PEM certificate"},
		{"a broken certificate", broken, "tls", "certificate 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.SMTP.CAFile, c.SMTP.TLS = tt.file, tt.tls
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			got := mustProblems(t, err)
			if len(got) != 1 || got[0].Key != "smtp.ca_file" || !strings.Contains(got[0].Message, tt.want) {
				t.Fatalf("problems %v, want smtp.ca_file: ...%s...", got, tt.want)
			}
		})
	}

	// From the environment, as every key.
	c, err := config.Load("", func(name string) string {
		return map[string]string{"USERDB_SMTP_CA_FILE": ca, "USERDB_SMTP_TLS": "tls"}[name]
	})
	if err != nil || c.SMTP.CAFile != ca {
		t.Fatalf("Load from the environment: %v, ca_file %q", err, c.SMTP.CAFile)
	}
}
