package config_test

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

func TestSMTPCAFile(t *testing.T) {
	dir := t.TempDir()
	ca := mailtest.NewCert(t).CAFile
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
