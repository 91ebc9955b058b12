package web

import (
	"net/http"

	"github.com/userdb/userdb/internal/ui"
)

// signOut ends the browser's session (a form post from any page).
func (p *Pages) signOut(w http.ResponseWriter, r *http.Request) {
	if me, err := p.edge.Authenticate(r); err == nil {
		r = p.edge.WithCaller(r, me)
		if err := p.svc.Logout(r.Context(), me.User, me.Session); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	if p.edge.HasPending(r) {
		// "Sign out instead" of a password change: the pending sign-in ends too.
		if err := p.svc.CancelPending(p.edge.WithMeta(r, "").Context()); err != nil {
			p.fail(w, r, err)
			return
		}
		p.edge.ClearPending(w, r)
	}
	p.edge.ClearSession(w, r)
	setFlash(w, r, flashSignedOut)
	ui.Redirect(w, r, SignInPath)
}
