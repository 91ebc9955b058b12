package web

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/ui"
)

// The expired-password page takes one of two callers (ASVS 2.1.6, 2.3.1):
// a sign-in with an expired, temporary or common password, which got a
// pending sign-in (its cookie) and no session — the new password completes
// it and signs the user in; or a signed-in user (a session older than the
// expiry), who must also give the current password and is then signed out
// everywhere. A session alone sets nothing.

// expiredData says which of the two the form is for.
type expiredData struct {
	Pending bool // no current password: the pending sign-in proved it
}

// expiredPage serves GET: the form of the pending sign-in, else the
// signed-in user's.
func (p *Pages) expiredPage(w http.ResponseWriter, r *http.Request) {
	if !p.edge.HasPending(r) {
		p.signedIn(p.expired, true)(w, r)
		return
	}
	if r, pend, ok := p.pending(w, r, userdb.PendingPasswordChange, r.URL.Query().Get("next")); ok { // signinstage.go
		v := p.newView(r, "expired")
		v.User, v.Next, v.Data = pend.User, p.keepNext(r.URL.Query().Get("next")), expiredData{Pending: true}
		p.render(w, r, http.StatusOK, v)
	}
}

// expiredPagePost serves POST, for the same two callers.
func (p *Pages) expiredPagePost(w http.ResponseWriter, r *http.Request) {
	if !p.edge.HasPending(r) {
		p.signedIn(p.expiredPost, true)(w, r)
		return
	}
	if !p.parseForm(w, r) {
		return
	}
	r, pend, ok := p.pending(w, r, userdb.PendingPasswordChange, r.PostFormValue("next"))
	if !ok {
		return
	}
	v := p.newView(r, "expired")
	v.User, v.Next, v.Data = pend.User, p.keepNext(r.PostFormValue("next")), expiredData{Pending: true}
	password, ok := confirmed(r, v)
	if !ok {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	l, err := p.svc.ChangePendingPassword(r.Context(), pend, password)
	if err != nil {
		v.setError(r, err, "password")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.edge.ClearPending(w, r)
	p.edge.SetSession(w, r, l)
	setFlash(w, r, flashPasswordChanged)
	ui.Redirect(w, r, p.returnTo(v.Next))
}

// expired asks a signed-in user whose password has expired (or was marked
// to be changed by an administrator) for the current one and a new one.
func (p *Pages) expired(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	next := r.URL.Query().Get("next")
	if !p.svc.PasswordExpired(me.User) {
		ui.Redirect(w, r, p.returnTo(next))
		return
	}
	v := p.newView(r, "expired")
	v.User, v.Next, v.Data = me.User, p.keepNext(next), expiredData{}
	p.render(w, r, http.StatusOK, v)
}

// expiredPost sets the new password. As in the original library this signs
// the user out everywhere, so they sign in again with the new password.
func (p *Pages) expiredPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	if !p.svc.PasswordExpired(me.User) {
		// Only for a password that must change. Others change it on the
		// profile page, which keeps this session.
		ui.Redirect(w, r, ProfilePath)
		return
	}
	v := p.newView(r, "expired")
	v.User, v.Next, v.Data = me.User, p.keepNext(r.PostFormValue("next")), expiredData{}
	current := r.PostFormValue("currentPassword")
	if current == "" {
		v.Invalid("currentPassword", msg("enter-current-password"))
	}
	password, ok := confirmed(r, v)
	if !ok || current == "" {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	if err := p.svc.ChangeExpiredPassword(r.Context(), me.User, current, password); err != nil {
		v.setError(r, err, "currentPassword", "password")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.edge.ClearSession(w, r)
	setFlash(w, r, flashExpiredChanged)
	ui.Redirect(w, r, SignInPath+p.nextQuery(v.Next))
}
