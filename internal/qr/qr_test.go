package qr_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/qr"
)

func TestDataURIIsAPNG(t *testing.T) {
	uri, err := qr.DataURI("otpauth://totp/userdb:ann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=userdb")
	if err != nil {
		t.Fatal(err)
	}
	b64, ok := strings.CutPrefix(uri, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URI: %.40s", uri)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Fatalf("size %v", b)
	}
}
