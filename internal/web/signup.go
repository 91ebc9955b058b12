package web

import (
	"net/http"

	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// signUp shows the registration form, when registration is enabled.
func (p *Pages) signUp(w http.ResponseWriter, r *http.Request) {
	if !p.registrationEnabled() {
		p.notFound(w, r)
		return
	}
	v := p.newView(r, "signup")
	v.Buttons = p.signInButtons(r, p.keepNext(r.FormValue("next")))
	v.Next = p.keepNext(r.URL.Query().Get("next"))
	p.render(w, r, http.StatusOK, v)
}

// signUpPost registers a user. When the email must be verified first the
// user is sent to check their email; otherwise they are signed in.
func (p *Pages) signUpPost(w http.ResponseWriter, r *http.Request) {
	if !p.registrationEnabled() {
		p.notFound(w, r)
		return
	}
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "signup")
	v.Buttons = p.signInButtons(r, p.keepNext(r.FormValue("next")))
	next := r.PostFormValue("next")
	v.Next = p.keepNext(next)
	password := r.PostFormValue("password")
	if password != "" && password != r.PostFormValue("confirmPassword") {
		v.Invalid("confirmPassword", msg("passwords-differ"))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	_, l, err := p.svc.Register(r.Context(), service.NewUser{
		Email: ui.FormValue(r, "email"), GivenName: ui.FormValue(r, "givenName"), Surname: ui.FormValue(r, "surname"),
		Password: password,
	})
	if err != nil {
		v.setError(r, err, "email", "givenName", "surname", "password")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	if l == nil {
		setFlash(w, r, flashRegistered)
		ui.Redirect(w, r, VerifyPath)
		return
	}
	p.edge.SetSession(w, r, l)
	setFlash(w, r, flashWelcome)
	ui.Redirect(w, r, p.returnTo(next))
}
