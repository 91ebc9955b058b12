package web

import (
	"errors"
	"github.com/userdb/userdb/internal/ui"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// Sign-in through upstream identity providers: the buttons of the sign-in
// and sign-up pages, the start and callback of a sign-in, the page where a
// found account proves it is the user's, and the profile's linked accounts.
const (
	UpstreamPath   = "/upstream/"
	LinkPath       = "/upstream/link"
	IdentitiesPath = "/profile/identities"
)

// Cookies of an upstream sign-in. The state cookie binds a callback to the
// browser that started it; the link cookie holds a waiting link's secret.
const (
	stateCookie = "userdb_upstream"
	linkCookie  = "userdb_link"
)

func init() {
	for k, v := range upstreamMessages {
		catalogue[k] = v
	}
	flashKinds[flashLinked] = "success"
	flashKinds[flashUnlinked] = "success"
}

const (
	flashLinked   = "identity-linked"
	flashUnlinked = "identity-unlinked"
)

var upstreamMessages = ui.Catalogue{
	"title-identities":      "Linked accounts",
	"title-upstreamlink":    "Link your account",
	flashLinked:             "The account has been linked. You can now sign in with it.",
	flashUnlinked:           "The account has been unlinked.",
	"upstream-failed-title": "You are not signed in",
	"upstream-try-again":    "Back to sign in",
	"hrd":                   "%s signs in with %s.", // the address, the connector
	"link-wrong-password":   "That is not the password of this account.",
}

// upstreamRoutes registers the upstream pages on mux.
func (p *Pages) upstreamRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+UpstreamPath+"{id}/start", p.upstreamStart)
	mux.HandleFunc("GET "+UpstreamPath+"{id}/callback", p.upstreamCallback)
	// Apple answers with a form post (response_mode=form_post).
	mux.HandleFunc("POST "+UpstreamPath+"{id}/callback", p.upstreamCallback)
	mux.HandleFunc("GET "+LinkPath, p.linkPage)
	mux.HandleFunc("POST "+LinkPath, p.linkPost)
	mux.HandleFunc("GET "+IdentitiesPath, p.signedIn(p.identities, false))
	mux.HandleFunc("POST "+IdentitiesPath, p.signedIn(p.identitiesPost, false))
}

// signInButtons are the connectors offered on the sign-in and sign-up pages.
func (p *Pages) signInButtons(r *http.Request, next string) []button {
	cs, err := p.svc.SignInConnectors(r.Context())
	if err != nil {
		// The password form still works; the buttons are missing.
		httpx.Logger(r).Error("listing connectors", "err", err)
		return nil
	}
	out := make([]button, len(cs))
	for i, c := range cs {
		out[i] = button{ID: c.ID, Name: c.Name, Icon: c.Settings.IconURL, Href: startURL(c.ID, next, "")}
	}
	return out
}

// button is a "Continue with ..." link.
type button struct {
	ID, Name, Icon, Href string
	Text                 string // why it is offered (home-realm discovery)
}

func startURL(id, next, hint string) string {
	q := url.Values{}
	if next != "" {
		q.Set("next", next)
	}
	if hint != "" {
		q.Set("login_hint", hint)
	}
	s := UpstreamPath + url.PathEscape(id) + "/start"
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// upstreamStart sends the browser to the provider. With link=1 a signed-in
// user links the provider's account to theirs instead of signing in. It
// is a link, not a form, so the page's form-action policy does not stop
// the redirect to the provider; a link request from another site is
// refused (Sec-Fetch-Site), as a form post from one would be.
func (p *Pages) upstreamStart(w http.ResponseWriter, r *http.Request) {
	r = p.edge.WithMeta(r, "")
	q := r.URL.Query()
	o := service.StartOptions{Next: p.keepNext(q.Get("next")), LoginHint: strings.TrimSpace(q.Get("login_hint"))}
	if q.Get("link") != "" {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			p.upstreamFailed(w, r, &userdb.Error{Code: userdb.EFORBIDDEN, Message: msg("form-unreadable-retry")})
			return
		}
		me, err := p.edge.Authenticate(r)
		if err != nil {
			ui.Redirect(w, r, SignInPath+"?next="+url.QueryEscape(IdentitiesPath))
			return
		}
		o.LinkUser, o.Next = me.User, IdentitiesPath
		r = p.edge.WithMeta(r, me.User.ID)
	}
	st, err := p.svc.StartUpstream(r.Context(), r.PathValue("id"), o)
	if err != nil {
		p.upstreamFailed(w, r, err)
		return
	}
	p.setFlowCookie(w, r, stateCookie, st.State, UpstreamPath)
	http.Redirect(w, r, st.URL, http.StatusSeeOther)
}

// upstreamCallback finishes a sign-in: the user is signed in, the account
// linked, or asked to prove a found account is theirs.
func (p *Pages) upstreamCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	browser := ""
	if c, err := r.Cookie(stateCookie); err == nil {
		browser = c.Value
	}
	cb := service.UpstreamCallback{State: r.FormValue("state"), BrowserState: browser, Code: r.FormValue("code"),
		Error: r.FormValue("error"), ErrorDescription: r.FormValue("error_description")}
	if cb.State == browser {
		// This browser's sign-in ends here, whatever the outcome. A callback
		// with someone else's state leaves it alone.
		p.clearCookie(w, r, stateCookie, UpstreamPath)
	}
	res, err := p.svc.FinishUpstream(r.Context(), r.PathValue("id"), cb)
	if err != nil {
		p.upstreamFailed(w, r, err)
		return
	}
	switch {
	case res.Linked != nil:
		setFlash(w, r, flashLinked)
		ui.Redirect(w, r, IdentitiesPath)
	case res.Pending != "":
		p.setFlowCookie(w, r, linkCookie, res.Pending, LinkPath)
		ui.Redirect(w, r, LinkPath)
	default:
		// A second factor (or its enrolment) may be due: the same pages
		// as after a password.
		p.signedInTo(w, r, res.Login, res.Next)
	}
}

// upstreamFailed answers a failed upstream sign-in with a page that says
// what happened and what to do; never a 500 for the provider's trouble.
func (p *Pages) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ue *service.UpstreamError
	if !errors.As(err, &ue) && userdb.ErrorCode(err) == userdb.EINTERNAL {
		p.fail(w, r, err)
		return
	}
	status := ui.FormStatus(err)
	if ue != nil {
		switch ue.Reason {
		case "unreachable", "misconfigured", "bad_token":
			// The provider's fault or its setup's, not the user's: 502.
			status = http.StatusBadGateway
		case service.ReasonAccountDisabled, service.ReasonEmailUnverified, service.ReasonNoAccount:
			status = http.StatusForbidden
		}
	}
	p.message(w, r, status, ui.Message{Title: msg("upstream-failed-title"), Text: userdb.ErrorMessage(err), Kind: "error",
		Link: SignInPath, LinkText: msg("upstream-try-again")})
}

// linkData is the link page's.
type linkData struct {
	Connector string
	Email     string
}

// linkPage asks the found account's password before the provider's account
// is linked to it.
func (p *Pages) linkPage(w http.ResponseWriter, r *http.Request) {
	pending, err := p.svc.FindPendingLink(r.Context(), p.cookie(r, linkCookie))
	if err != nil {
		p.upstreamFailed(w, r, err)
		return
	}
	v := p.newView(r, "upstreamlink")
	v.Data = linkData{Connector: pending.Connector.Name, Email: pending.Email}
	p.render(w, r, http.StatusOK, v)
}

func (p *Pages) linkPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	secret := p.cookie(r, linkCookie)
	password := r.PostFormValue("password")
	v := p.newView(r, "upstreamlink")
	if password == "" {
		pending, err := p.svc.FindPendingLink(r.Context(), secret)
		if err != nil {
			p.upstreamFailed(w, r, err)
			return
		}
		v.Data = linkData{Connector: pending.Connector.Name, Email: pending.Email}
		v.Invalid("password", msg("enter-password"))
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	l, pending, err := p.svc.CompleteLink(r.Context(), secret, password)
	if l != nil {
		p.edge.SetSession(w, r, l)
	}
	if err != nil && (l != nil || pending == nil) {
		// Signed in, but the link did not happen; or no link waits.
		p.clearCookie(w, r, linkCookie, LinkPath)
		p.upstreamFailed(w, r, err)
		return
	}
	if err != nil {
		v.Data = linkData{Connector: pending.Connector.Name, Email: pending.Email}
		if userdb.IsCode(err, userdb.EUNAUTHORIZED) {
			v.Invalid("password", msg("link-wrong-password"))
		} else {
			v.setError(r, err, "password")
		}
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.clearCookie(w, r, linkCookie, LinkPath)
	setFlash(w, r, flashLinked)
	if l.PasswordExpired {
		ui.Redirect(w, r, ExpiredPath+p.nextQuery(pending.Next))
		return
	}
	ui.Redirect(w, r, p.returnTo(pending.Next))
}

// identityRow is one linked account on the profile.
type identityRow struct {
	ID, Connector, Email string
	Linked, LastUsed     time.Time
}

type identitiesData struct {
	Linked    []identityRow
	Available []button // connectors not linked yet
}

// identities lists the user's linked accounts and offers the others.
func (p *Pages) identities(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	p.showIdentities(w, r, me, http.StatusOK, p.newView(r, "identities"))
}

func (p *Pages) showIdentities(w http.ResponseWriter, r *http.Request, me *edge.Principal, status int, v *view) {
	xs, err := p.svc.Identities(r.Context(), me.User)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	cs, err := p.svc.SignInConnectors(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d := identitiesData{}
	have := map[string]bool{}
	for _, x := range xs {
		d.Linked = append(d.Linked, identityRow{ID: x.ID, Connector: x.ConnectorName, Email: x.Email,
			Linked: x.CreatedAt, LastUsed: x.LastLoginAt})
		have[x.ConnectorID] = true
	}
	for _, c := range cs {
		if !have[c.ID] {
			d.Available = append(d.Available, button{ID: c.ID, Name: c.Name, Icon: c.Settings.IconURL,
				Href: UpstreamPath + url.PathEscape(c.ID) + "/start?link=1"})
		}
	}
	v.User, v.Data = me.User, d
	p.render(w, r, status, v)
}

// identitiesPost unlinks an account (intent unlink, with its id).
func (p *Pages) identitiesPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	if r.PostFormValue("intent") != "unlink" {
		p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("form-unreadable")})
		return
	}
	if err := p.svc.UnlinkIdentity(r.Context(), me.User, r.PostFormValue("id")); err != nil {
		v := p.newView(r, "identities")
		v.setError(r, err)
		p.showIdentities(w, r, me, ui.FormStatus(err), v)
		return
	}
	setFlash(w, r, flashUnlinked)
	ui.Redirect(w, r, IdentitiesPath)
}

// homeRealm finds the connector that signs in the typed email's domain:
// the sign-in page then offers it instead of asking a password.
func (p *Pages) homeRealm(r *http.Request, login string) *userdb.Connector {
	if !strings.Contains(login, "@") {
		return nil
	}
	c, err := p.svc.ConnectorForEmail(r.Context(), login)
	if err != nil {
		return nil
	}
	return c
}

// setFlowCookie sets a short-lived cookie of an upstream sign-in. A
// provider that answers with a form post (Apple) comes back cross-site, so
// over HTTPS the cookie is SameSite=None; the state it must match is what
// protects the callback.
func (p *Pages) setFlowCookie(w http.ResponseWriter, r *http.Request, name, value, path string) {
	c := &http.Cookie{Name: name, Value: value, Path: path, MaxAge: int(p.svc.Options().UpstreamFlowTTL.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode}
	if c.Secure && name == stateCookie {
		c.SameSite = http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
}

func (p *Pages) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func (p *Pages) cookie(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}
