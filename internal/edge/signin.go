package edge

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// signInCookie is the name of the cookie that binds a passwordless sign-in
// by email to the browser that asked for it: the session cookie's name with
// "_signin".
func (e *Edge) signInCookie() string { return e.opts.CookieName + "_signin" }

// SignInNonce returns the nonce the browser keeps for sign-in emails ("" for
// none) and the next= it asked to go to once signed in (unchecked: callers
// check it as any next=).
func (e *Edge) SignInNonce(r *http.Request) (nonce, next string) {
	c, err := r.Cookie(e.signInCookie())
	if err != nil {
		return "", ""
	}
	nonce, enc, _ := strings.Cut(c.Value, ".")
	if b, err := base64.RawURLEncoding.DecodeString(enc); err == nil {
		next = string(b)
	}
	return nonce, next
}

// SetSignInNonce keeps the nonce of a sign-in email and where to go next in
// the browser for ttl. It is SameSite=Lax whatever the session cookie's
// setting: the link is opened from a mail client, another site, and must
// bring the nonce along to sign in without asking.
func (e *Edge) SetSignInNonce(w http.ResponseWriter, r *http.Request, nonce, next string, ttl time.Duration) {
	v := nonce
	if next != "" && len(next) <= 1024 {
		v += "." + base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	http.SetCookie(w, &http.Cookie{
		Name: e.signInCookie(), Value: v, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: e.secure(r), SameSite: http.SameSiteLaxMode,
	})
}
