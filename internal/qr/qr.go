// Package qr renders otpauth:// URIs as QR codes, inline: a PNG data URI
// that pages and JSON answers carry, so no image leaves the server and no
// external service sees the secret.
package qr

import (
	"encoding/base64"

	qrcode "github.com/skip2/go-qrcode"
)

// DataURI returns the QR code of text as a data:image/png URI, 256 pixels
// square, with medium error correction (what authenticator apps read well
// from a screen).
func DataURI(text string) (string, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 256)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
