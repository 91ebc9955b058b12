// Package device recognises browsers by a long-lived signed cookie, so that
// sign-ins from a device a user has used before can be told from new ones
// (new-device notices, smart lockout).
package device

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"github.com/userdb/userdb/internal/service"
	"net/http"
	"strings"
	"time"

	"github.com/userdb/userdb/internal/httpx"
)

// Cookies issues and reads the device cookie: a random id and its HMAC
// under the instance's cookie key, so that a cookie cannot be made up.
type Cookies struct {
	Name     string
	Key      []byte
	Lifetime time.Duration
}

// Middleware gives every request a device id: the one its cookie carries
// when the signature holds, else a new one, sent back in a new cookie.
func (c *Cookies) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if ck, err := r.Cookie(c.Name); err == nil {
			id = c.verify(ck.Value)
		}
		if id == "" {
			id = newID()
			http.SetCookie(w, &http.Cookie{
				Name: c.Name, Value: c.sign(id), Path: "/", MaxAge: int(c.Lifetime / time.Second),
				HttpOnly: true, SameSite: http.SameSiteLaxMode,
				// The scheme the client used, as far as server.trusted_proxies
				// lets us know it: a client's own X-Forwarded-Proto is no proof.
				Secure: httpx.IsHTTPS(r),
			})
		}
		next.ServeHTTP(w, r.WithContext(service.WithDevice(r.Context(), id)))
	})
}

func newID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Cookies) mac(id string) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte("userdb device\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (c *Cookies) sign(id string) string { return id + "." + c.mac(id) }

// verify returns the id of a well-signed cookie value, or "".
func (c *Cookies) verify(v string) string {
	id, mac, ok := strings.Cut(v, ".")
	if !ok || len(id) != 32 || !hmac.Equal([]byte(mac), []byte(c.mac(id))) {
		return ""
	}
	return id
}
