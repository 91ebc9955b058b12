package edge

import (
	"net/http"
	"time"

	"github.com/userdb/userdb/internal/service"
)

// PendingCookie is the name of the cookie that holds a pending sign-in's
// secret (service.Pending): the session cookie's name with "_pending",
// so a "__Host-" prefix carries over.
func (e *Edge) PendingCookie() string { return e.opts.CookieName + "_pending" }

// HasPending reports whether r carries a pending sign-in's cookie: such a
// request is answered as that sign-in's next step, not as a session's.
func (e *Edge) HasPending(r *http.Request) bool {
	c, err := r.Cookie(e.PendingCookie())
	return err == nil && c.Value != ""
}

// SetPending sets the cookie of a pending sign-in. It is HttpOnly like the
// session's, so the page's scripts never see the secret, and lives as long
// as the state on the server.
func (e *Edge) SetPending(w http.ResponseWriter, r *http.Request, p *service.Pending) {
	http.SetCookie(w, &http.Cookie{
		Name: e.PendingCookie(), Value: p.Secret, Path: "/",
		MaxAge:   int(p.ExpiresAt.Sub(p.CreatedAt).Seconds()),
		HttpOnly: true, Secure: e.secure(r), SameSite: e.opts.SameSite,
	})
}

// ClearPending removes the pending sign-in cookie (once it is complete,
// cancelled or refused).
func (e *Edge) ClearPending(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: e.PendingCookie(), Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: e.secure(r), SameSite: e.opts.SameSite,
	})
}

// RememberCookie is the name of the remembered-device cookie: a browser
// that carries it skips the second factor of its user (service.MFAOptions
// RememberDevice).
func (e *Edge) RememberCookie() string { return e.opts.CookieName + "_mfa" }

// SetRemembered sets the remembered-device cookie of a sign-in that asked
// for it (service.Login.RememberSecret), for maxAge.
func (e *Edge) SetRemembered(w http.ResponseWriter, r *http.Request, secret string, maxAge time.Duration) {
	if secret == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: e.RememberCookie(), Value: secret, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: e.secure(r), SameSite: e.opts.SameSite,
	})
}
