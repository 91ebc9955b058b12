// Package device recognises browsers by a long-lived signed cookie, so that
// sign-ins from a device a user has used before can be told from new ones
// (new-device notices, smart lockout).
package device

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Cookies issues and reads the device cookie: a random id and its HMAC
// under the instance's cookie key, so that a cookie cannot be made up.
type Cookies struct {
	Name     string
	Key      []byte
	Lifetime time.Duration
}

type idKey struct{}

// IDFrom returns the device id of the request ctx belongs to ("" outside a
// request that went through Middleware).
func IDFrom(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// WithID returns ctx carrying a device id (tests, and callers outside HTTP).
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
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
				Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
			})
		}
		next.ServeHTTP(w, r.WithContext(WithID(r.Context(), id)))
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
