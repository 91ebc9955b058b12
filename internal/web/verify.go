package web

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/ui"
)

// verify is where the verification email's link lands: with a token it
// verifies the email address; without one, or with a spent one, it offers
// to send a new link.
func (p *Pages) verify(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sptoken")
	v := p.newView(r, "verify")
	if token == "" {
		p.render(w, r, http.StatusOK, v)
		return
	}
	r = p.edge.WithMeta(r, "")
	if _, err := p.svc.Verify(r.Context(), token); err != nil {
		if !userdb.IsCode(err, userdb.EINVALID) {
			p.fail(w, r, err)
			return
		}
		v.Error = msg("verify-failed", userdb.ErrorMessage(err))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	p.message(w, r, http.StatusOK, ui.Message{
		Title: msg("verified-title"), Kind: "success",
		Text: msg("verified"),
		Link: SignInPath, LinkText: msg("link-signin"),
	})
}

// resendVerification sends a new verification link. It answers the same
// whether or not such an account exists.
func (p *Pages) resendVerification(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "verify")
	login := ui.FormValue(r, "login")
	if login == "" {
		v.Invalid("login", msg("enter-login"))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	if err := p.svc.ResendVerification(r.Context(), login); err != nil {
		v.setError(r, err, "login")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	setFlash(w, r, flashVerifySent)
	ui.Redirect(w, r, VerifyPath)
}
