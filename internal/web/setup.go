package web

import (
	"crypto/subtle"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/ui"
)

// SetupPath is the page that creates the first administrator.
const SetupPath = "/setup"

// setupAllowed reports whether the request carries the set-up token and
// the set-up is still open. Anything else is answered 404, as if the page
// did not exist: a wrong token reveals nothing, and after the first
// administrator the page is gone for good.
func (p *Pages) setupAllowed(w http.ResponseWriter, r *http.Request, token string) bool {
	if p.setupToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(p.setupToken)) != 1 {
		p.NotFound(w, r, nil)
		return false
	}
	open, err := p.svc.SetupOpen(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return false
	}
	if !open {
		p.NotFound(w, r, nil)
		return false
	}
	return true
}

// setup shows the form of the first administrator: email, password and its
// confirmation.
func (p *Pages) setup(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if !p.setupAllowed(w, r, token) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	v := p.newView(r, "setup")
	v.SetValue("token", token)
	p.render(w, r, http.StatusOK, v)
}

// setupPost creates the first administrator, signs it in and shows its
// profile, which links to the console.
func (p *Pages) setupPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	token := r.PostFormValue("token")
	if !p.setupAllowed(w, r, token) {
		return
	}
	r = p.edge.WithMeta(r, "")
	w.Header().Set("Cache-Control", "no-store")
	v := p.newView(r, "setup")
	v.SetValue("token", token)
	email := ui.FormValue(r, "email")
	if email == "" {
		v.Invalid("email", msg("enter-email"))
	}
	password, ok := confirmed(r, v)
	if !ok || email == "" {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	l, err := p.svc.CreateFirstAdmin(r.Context(), email, password)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		p.NotFound(w, r, nil) // another browser was first
		return
	} else if err != nil {
		v.setError(r, err, "email", "password")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.edge.SetSession(w, r, l)
	setFlash(w, r, flashSetupDone)
	ui.Redirect(w, r, ProfilePath)
}
