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

// The flash messages, by key.
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
)

var flashes = map[string]flash{
	flashSignedOut:       {"info", "You have signed out."},
	flashRegistered:      {"success", "Almost done! We have sent you an email with a link to verify your address."},
	flashVerifySent:      {"success", "If an account is waiting for verification, we have sent it a new link. Check your email."},
	flashResetSent:       {"success", "Check your email. If an account matches what you entered, we have sent it a link to choose a new password."},
	flashPasswordReset:   {"success", "Your password has been reset. Sign in with your new password."},
	flashPasswordChanged: {"success", "Your password has been changed. Your other sessions have been signed out."},
	flashExpiredChanged:  {"success", "Your password has been changed. Sign in with your new password."},
	flashProfileSaved:    {"success", "Your profile has been saved."},
	flashWelcome:         {"success", "Welcome! Your account is ready."},
	flashSessionEnded:    {"success", "The session has been signed out."},
	flashSessionsEnded:   {"success", "All your other sessions have been signed out."},
	flashEmailChangeSent: {"success", "Almost done: open the link we have sent to the new address to confirm it. Your email address stays the same until then."},
	flashEmailChanged:    {"success", "Your email address has been changed and verified."},
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
	if f, ok := flashes[c.Value]; ok {
		return &f
	}
	return nil
}
