package web

import (
	"net/http"
	"time"
)

// flashCookie carries a flash message across a redirect. It holds only the
// key of one of the fixed messages below, so nobody can make a page say
// something else by setting it.
const flashCookie = "userdb_flash"

// flash is a one-time message shown at the top of the next page.
type flash struct {
	Kind string // "success" or "info"
	Text string
}

// The flash messages, by key: each is a key of the catalogue too.
const (
	flashSignedOut       = "signed-out"
	flashRegistered      = "registered"
	flashVerifySent      = "verification-sent"
	flashResetSent       = "reset-sent"
	flashPasswordReset   = "password-reset"
	flashPasswordChanged = "password-changed"
	flashExpiredChanged  = "expired-changed"
	flashProfileSaved    = "profile-saved"
	flashWelcome         = "welcome"
	flashSessionEnded    = "session-ended"
	flashSessionsEnded   = "sessions-ended"
	flashEmailChangeSent = "email-change-sent"
	flashEmailChanged    = "email-changed"
	flashAppRemoved      = "app-removed"
)

// flashKinds are the flash messages, by key, with their alert style; the
// text of each is the catalogue's message of the key.
var flashKinds = map[string]string{
	flashSignedOut: "info", flashRegistered: "success", flashVerifySent: "success", flashResetSent: "success",
	flashPasswordReset: "success", flashPasswordChanged: "success", flashExpiredChanged: "success",
	flashProfileSaved: "success", flashWelcome: "success", flashSessionEnded: "success",
	flashSessionsEnded: "success", flashEmailChangeSent: "success", flashEmailChanged: "success",
	flashAppRemoved: "success",
}

// setFlash shows the message of key on the next page the browser renders.
func setFlash(w http.ResponseWriter, r *http.Request, key string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the pending flash message, if any, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if kind, ok := flashKinds[c.Value]; ok {
		return &flash{Kind: kind, Text: msg(c.Value)}
	}
	return nil
}
