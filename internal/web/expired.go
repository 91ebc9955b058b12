package web

import (
	"net/http"

	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/ui"
)

// expired asks a user whose password has expired (or was marked to be
// changed by an administrator) for a new one before going on.
func (p *Pages) expired(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	next := r.URL.Query().Get("next")
	if !p.svc.PasswordExpired(me.User) {
		ui.Redirect(w, r, p.returnTo(next))
		return
	}
	v := p.newView(r, "expired")
	v.User, v.Next = me.User, p.keepNext(next)
	p.render(w, r, http.StatusOK, v)
}

// expiredPost sets the new password. As in the original library this signs
// the user out everywhere, so they sign in again with the new password.
func (p *Pages) expiredPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	if !p.svc.PasswordExpired(me.User) {
		// This form asks for no current password: it is only for a password
		// that must change. Others change it on the profile page.
		ui.Redirect(w, r, ProfilePath)
		return
	}
	v := p.newView(r, "expired")
	v.User, v.Next = me.User, p.keepNext(r.PostFormValue("next"))
	password, ok := confirmed(r, v)
	if !ok {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	if err := p.svc.ChangeExpiredPassword(r.Context(), me.User, password); err != nil {
		v.setError(r, err, "password")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.edge.ClearSession(w, r)
	setFlash(w, r, flashExpiredChanged)
	ui.Redirect(w, r, SignInPath+p.nextQuery(v.Next))
}
