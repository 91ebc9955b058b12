package web

import (
	"errors"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// Paths of passwordless sign-in by email: the form that asks for a link,
// the code typed from the email, and the link itself.
const (
	MagicRequestPath = "/signin/email"
	MagicCodePath    = "/signin/email/code"
	MagicLinkPath    = "/signin/email/link"
)

// magicData is the data of the sign-in-by-email page: Sent once the email
// has been asked for (the page then takes the code).
type magicData struct {
	Sent    bool
	Email   string
	Minutes int
}

// magicLinkData is the data of the page that asks to confirm a link opened in
// another browser.
type magicLinkData struct{ Token string }

func (p *Pages) magicRoutes(mux *http.ServeMux) {
	if !p.svc.Options().MagicLinkEnabled {
		return
	}
	mux.HandleFunc("GET "+MagicRequestPath, p.magicRequest)
	mux.HandleFunc("POST "+MagicRequestPath, p.magicRequestPost)
	mux.HandleFunc("POST "+MagicCodePath, p.magicCodePost)
	mux.HandleFunc("GET "+MagicLinkPath, p.magicLink)
	mux.HandleFunc("POST "+MagicLinkPath, p.magicLinkPost)
}

// magicRequest shows the "Email me a sign-in link" form.
func (p *Pages) magicRequest(w http.ResponseWriter, r *http.Request) {
	v := p.newView(r, "signinemail")
	v.Next = p.keepNext(r.URL.Query().Get("next"))
	if hint := r.URL.Query().Get("login"); hint != "" && len(hint) <= 254 {
		v.SetValue("email", hint)
	}
	v.Data = magicData{}
	p.render(w, r, http.StatusOK, v)
}

// magicRequestPost asks for a sign-in email. Whether or not the address
// has an account, the answer is the same page that takes the code (the
// service looks the user up after answering), and the browser keeps the
// nonce the link and the code are bound to.
func (p *Pages) magicRequestPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "signinemail")
	v.Next = p.keepNext(r.PostFormValue("next"))
	v.Data = magicData{}
	email := ui.FormValue(r, "email")
	if email == "" {
		v.Invalid("email", msg("enter-email"))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	old, _ := p.edge.SignInNonce(r)
	nonce, err := p.svc.RequestMagicLink(r.Context(), email, old)
	if err != nil {
		v.setError(r, err, "email")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	ttl := p.svc.MagicLinkTTL()
	p.edge.SetSignInNonce(w, r, nonce, v.Next, ttl)
	v.Data = magicData{Sent: true, Email: email, Minutes: int(ttl.Minutes())}
	v.Focus = "code"
	p.render(w, r, http.StatusOK, v)
}

// magicCodePost signs in with the code of the email, in the browser that
// asked for it.
func (p *Pages) magicCodePost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "signinemail")
	next := r.PostFormValue("next")
	v.Next = p.keepNext(next)
	ttl := p.svc.MagicLinkTTL()
	v.Data = magicData{Sent: true, Email: ui.FormValue(r, "email"), Minutes: int(ttl.Minutes())}
	code := ui.FormValue(r, "code")
	if code == "" {
		v.Invalid("code", msg("enter-code"))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	nonce, _ := p.edge.SignInNonce(r)
	l, err := p.svc.SignInWithEmailCode(r.Context(), nonce, code)
	if err != nil {
		v.setError(r, err, "code")
		v.Focus = "code"
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.signedInTo(w, r, l, next)
}

// magicLink opens a sign-in link: in the browser that asked for it, it
// signs in; in another, it asks first (a forwarded link, or one a mail
// scanner opens, signs nobody in by itself).
func (p *Pages) magicLink(w http.ResponseWriter, r *http.Request) {
	r = p.edge.WithMeta(r, "")
	token := r.URL.Query().Get("sptoken")
	nonce, next := p.edge.SignInNonce(r)
	same, err := p.svc.CheckMagicLink(r.Context(), token, nonce)
	if err != nil {
		p.badMagicLink(w, r, err)
		return
	}
	if !same {
		v := p.newView(r, "signinlink")
		v.Data = magicLinkData{Token: token}
		p.render(w, r, http.StatusOK, v)
		return
	}
	l, err := p.svc.SignInWithMagicLink(r.Context(), token, nonce, false)
	if err != nil {
		p.badMagicLink(w, r, err)
		return
	}
	p.signedInTo(w, r, l, next)
}

// magicLinkPost signs in with a link opened in another browser, once the
// person has confirmed.
func (p *Pages) magicLinkPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	nonce, next := p.edge.SignInNonce(r)
	l, err := p.svc.SignInWithMagicLink(r.Context(), r.PostFormValue("sptoken"), nonce, true)
	if err != nil {
		p.badMagicLink(w, r, err)
		return
	}
	p.signedInTo(w, r, l, next)
}

// badMagicLink answers a link that cannot sign in, with a way to ask for
// another.
func (p *Pages) badMagicLink(w http.ResponseWriter, r *http.Request, err error) {
	if ui.FormStatus(err) >= 500 || errors.Is(err, service.ErrOtherBrowser) {
		p.fail(w, r, err)
		return
	}
	p.message(w, r, ui.FormStatus(err), ui.Message{Title: msg("magic-link-bad-title"), Text: userdb.ErrorMessage(err),
		Kind: "error", Link: MagicRequestPath, LinkText: msg("link-new-magic")})
}
