package web

import (
	"net/http"

	"github.com/userdb/userdb/internal/ui"
)

// forgot shows the forgotten-password form.
func (p *Pages) forgot(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, p.newView(r, "forgot"))
}

// forgotPost sends a reset link. Whether or not the account exists, the
// answer is the same "check your email" (the service even looks the user up
// after answering).
func (p *Pages) forgotPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "forgot")
	login := ui.FormValue(r, "login")
	if login == "" {
		v.Invalid("login", msg("enter-login"))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	if err := p.svc.Forgot(r.Context(), login); err != nil {
		v.setError(r, err, "login")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	setFlash(w, r, flashResetSent)
	ui.Redirect(w, r, ForgotPath)
}
