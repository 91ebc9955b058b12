package web

import (
	"github.com/userdb/userdb"

	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
	"net/http"
	"net/url"
)

// signIn shows the sign-in form. A user who is signed in already goes
// straight on to next=.
func (p *Pages) signIn(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if me, err := p.edge.Authenticate(r); err == nil {
		if p.svc.PasswordExpired(me.User) {
			ui.Redirect(w, r, ExpiredPath+p.nextQuery(next))
		} else {
			ui.Redirect(w, r, p.returnTo(next))
		}
		return
	}
	v := p.newView(r, "signin")
	v.Next = p.keepNext(next)
	v.Buttons = p.signInButtons(r, v.Next)
	// login= fills the name in: the OAuth provider passes a client's
	// login_hint this way.
	if hint := r.URL.Query().Get("login"); hint != "" && len(hint) <= 254 {
		v.SetValue("login", hint)
	}
	p.render(w, r, http.StatusOK, v)
}

// signInPost signs in with a username or email and a password, then goes
// on to next= — or first to the page of the stage the sign-in stopped at
// (a second factor), or to change an expired password.
func (p *Pages) signInPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "signin")
	next := r.PostFormValue("next")
	v.Next = p.keepNext(next)
	login, password := ui.FormValue(r, "login"), r.PostFormValue("password")
	v.Buttons = p.signInButtons(r, v.Next)
	if c := p.homeRealm(r, login); c != nil && (password == "" || c.Settings.Required) {
		// Home-realm discovery: this address's organisation signs in at
		// its own provider. Typed without a password, or where the
		// provider is the only way in, the address gets its button.
		v.Realm = &button{ID: c.ID, Name: c.Name, Href: startURL(c.ID, v.Next, login), Text: msg("hrd", login, c.Name)}
		p.render(w, r, http.StatusOK, v)
		return
	}
	if login == "" {
		v.Invalid("login", msg("enter-login"))
	}
	if password == "" {
		v.Invalid("password", msg("enter-password"))
	}
	if len(v.Errors) > 0 {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	if r.PostFormValue("remember") != "" {
		r = r.WithContext(service.KeepSignedIn(r.Context()))
	}
	l, err := p.svc.Login(r.Context(), login, password)
	if err != nil {
		v.setError(r, err, "login", "password")
		offerResend(v, err, login)
		if v.Focus == "" {
			v.Focus = "password" // the name is kept; the password is to type again
		}
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	if l.Pending != nil && pendingPath(l.Pending.Stage) == "" {
		// A stage these pages do not take: say so rather than fail, and
		// start no session.
		v.setError(r, &userdb.Error{Code: userdb.EFORBIDDEN, Message: msg("stage-unsupported")}, "login", "password")
		p.render(w, r, http.StatusForbidden, v)
		return
	}
	p.signedInTo(w, r, l, next)
}

// keepNext is the next= a page carries on to its form: checked, and empty
// when there was none.
func (p *Pages) keepNext(next string) string {
	if next == "" {
		return ""
	}
	return p.returnTo(next)
}

// nextQuery is "?next=..." for a checked next=, or "" when there is none.
func (p *Pages) nextQuery(next string) string {
	if next = p.keepNext(next); next == "" {
		return ""
	}
	return "?next=" + url.QueryEscape(next)
}
