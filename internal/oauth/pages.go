package oauth

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

//go:embed templates
var templateFS embed.FS

// pages renders the provider's hosted pages (consent, device code, and
// messages) in the look of the other hosted pages.
type pages struct {
	kit Look
	t   map[string]*template.Template
}

// Look is how the hosted pages look: the product's name and logo and the
// versioned URLs of the pages' stylesheets and icon.
type Look struct {
	ProductName, LogoURL        string
	StyleURL, ThemeURL, IconURL string
}

func newPages(l Look) *pages {
	p := &pages{kit: l, t: map[string]*template.Template{}}
	for _, name := range []string{"consent", "device", "message"} {
		p.t[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
	}
	return p
}

type pageView struct {
	Kit     Look
	Title   string
	Refresh string // a URL to go on to at once (meta refresh)
	Message string
	Client  string
	User    string
	ID      string
	Action  string
	Code    string
	Error   string
	Scopes  []string
	Device  bool
}

func (pg *pages) render(w http.ResponseWriter, status int, name string, v pageView, csp string) {
	v.Kit = pg.kit
	var buf bytes.Buffer
	if err := pg.t[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if csp != "" {
		h.Set("Content-Security-Policy", csp)
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (p *Provider) message(w http.ResponseWriter, status int, title, msg string) {
	p.pages.render(w, status, "message", pageView{Title: title, Message: msg}, "")
}

// scopeText says in words what a scope lets a client do.
func scopeText(s string) string {
	switch s {
	case userdb.ScopeOpenID:
		return "Know who you are"
	case userdb.ScopeProfile:
		return "See your name and profile"
	case userdb.ScopeEmail:
		return "See your email address"
	case userdb.ScopeOfflineAccess:
		return "Stay connected when you are not using it"
	}
	return "Use the scope " + s
}

func scopeTexts(scopes []string) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = scopeText(s)
	}
	return out
}

// redirectOrigins are the origins of a client's redirect URIs, for the
// form-action of its consent page: Chromium checks the redirect that
// answers the form against it.
func redirectOrigins(c *userdb.OAuthClient) []string {
	var out []string
	for _, s := range c.RedirectURIs {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !httpx.PlainHost(u.Host) {
			continue
		}
		o := u.Scheme + "://" + u.Host
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// upstreamStartPath is where internal/web starts a sign-in through a
// connector: {upstreamStartPath}{id}/start (web.UpstreamPath).
const upstreamStartPath = "/upstream/"

// continueAuth is where an authorization request goes after the op package
// has checked it, and where the sign-in page sends the browser back: it
// signs the user in (or asks to), honours prompt and max_age, asks for
// consent where needed, and answers the client with a code.
func (p *Provider) continueAuth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	req, client, ok := p.pendingRequest(w, r, q.Get("id"))
	if !ok {
		return
	}
	now := p.clock.Now()
	u, sess, err := p.sess.Authenticate(r)
	signedIn := err == nil
	none := slices.Contains(req.Prompt, "none")
	needLogin := !signedIn
	if signedIn && sess.CreatedAt.Before(req.CreatedAt) {
		// Signed in before this request: prompt=login and max_age ask for a
		// fresh sign-in (OIDC Core 3.1.2.1).
		if slices.Contains(req.Prompt, "login") ||
			req.MaxAge != nil && now.Sub(sess.CreatedAt) > time.Duration(*req.MaxAge)*time.Second {
			needLogin = true
		}
	}
	if needLogin {
		if none {
			p.authError(w, r, req, oidc.ErrLoginRequired())
			return
		}
		if signedIn {
			// The sign-in page lets a signed-in browser through, so the old
			// session ends first.
			if err := p.endSess(ctx, u, sess); err != nil {
				p.log.Error("oauth: ending a session for prompt=login", "err", err)
			}
			p.sess.SignOut(w, r)
		}
		next := ContinuePath + "?id=" + url.QueryEscape(req.ID) + "&hop=1"
		page := "/signin"
		if slices.Contains(req.Prompt, "create") && p.set.Registration {
			page = "/signup"
		}
		to := page + "?next=" + url.QueryEscape(next)
		if req.LoginHint != "" && page == "/signin" {
			to += "&login=" + url.QueryEscape(req.LoginHint)
		}
		if req.Connection != "" && page == "/signin" {
			// Straight to the upstream provider, as Auth0's connection=
			// does: internal/web's start of a connector sign-in, which
			// answers a clear page for a connector that does not exist.
			to = upstreamStartPath + url.PathEscape(req.Connection) + "/start?next=" + url.QueryEscape(next)
			if req.LoginHint != "" {
				to += "&login_hint=" + url.QueryEscape(req.LoginHint)
			}
		}
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if p.needsConsent(ctx, req, client, u) {
		if none {
			p.authError(w, r, req, &oidc.Error{ErrorType: "consent_required", Description: "the user has not consented"})
			return
		}
		csp := httpx.ContentSecurityPolicy(redirectOrigins(client), nil)
		p.pages.render(w, http.StatusOK, "consent", pageView{Title: "Allow " + client.Name, Client: client.Name,
			User: u.Email, ID: req.ID, Action: ContinuePath, Scopes: scopeTexts(req.Scopes)}, csp)
		return
	}
	p.finish(w, r, req, u, sess, q.Get("hop") == "1")
}

// pendingRequest finds the request and its client, or answers a page
// saying it is gone.
func (p *Provider) pendingRequest(w http.ResponseWriter, r *http.Request, id string) (*userdb.OAuthAuthRequest, *userdb.OAuthClient, bool) {
	req, err := p.store.FindOAuthAuthRequest(r.Context(), id, p.clock.Now())
	if err == nil && req.CodeHash == nil {
		if client, err := p.clients.get(r.Context(), req.ClientID); err == nil {
			return req, client, true
		}
	}
	p.message(w, http.StatusBadRequest, "Sign-in request expired",
		"This sign-in request has expired or was completed. Go back to the application and start again.")
	return nil, nil, false
}

// needsConsent reports whether the user must be asked: a third-party
// client without a consent covering every scope, or prompt=consent.
func (p *Provider) needsConsent(ctx context.Context, req *userdb.OAuthAuthRequest, c *userdb.OAuthClient, u *userdb.User) bool {
	if c.FirstParty {
		return false
	}
	if slices.Contains(req.Prompt, "consent") {
		return true
	}
	given, err := p.store.FindOAuthConsent(ctx, u.ID, c.ID)
	if err != nil {
		return true
	}
	for _, s := range req.Scopes {
		if !slices.Contains(given.Scopes, s) {
			return true
		}
	}
	return false
}

// consentPost records the user's answer on the consent page.
func (p *Provider) consentPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	req, client, ok := p.pendingRequest(w, r, r.PostForm.Get("id"))
	if !ok {
		return
	}
	u, sess, err := p.sess.Authenticate(r)
	if err != nil {
		http.Redirect(w, r, ContinuePath+"?id="+url.QueryEscape(req.ID), http.StatusSeeOther)
		return
	}
	now := p.clock.Now()
	switch r.PostForm.Get("decision") {
	case "allow":
	case "deny":
		p.record(withRequestMeta(r), &userdb.Event{Type: "oauth.consent_denied", Time: now, UserID: u.ID, AccountID: u.AccountID,
			Details: map[string]any{"client_id": client.ID}})
		p.authError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user denied the request"))
		return
	default:
		p.message(w, http.StatusBadRequest, "Bad request", "Choose Allow or Deny.")
		return
	}
	scopes := slices.Clone(req.Scopes)
	if old, err := p.store.FindOAuthConsent(ctx, u.ID, client.ID); err == nil {
		for _, s := range old.Scopes {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	if err := p.store.SaveOAuthConsent(ctx, &userdb.OAuthConsent{UserID: u.ID, ClientID: client.ID, Scopes: scopes, CreatedAt: now, UpdatedAt: now}); err != nil {
		p.log.Error("oauth: saving a consent", "err", err)
		p.message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		return
	}
	p.record(withRequestMeta(r), &userdb.Event{Type: "oauth.consent_granted", Time: now, UserID: u.ID, AccountID: u.AccountID,
		Details: map[string]any{"client_id": client.ID, "scope": strings.Join(scopes, " ")}})
	p.finish(w, r, req, u, sess, false)
}

// finish completes the request for the user and sends the browser back to
// the client with the code. After the sign-in form (hop) the way back is a
// page that moves on by itself: the browser checks the sign-in page's
// form-action against every redirect that follows its post, and that
// policy names only this site.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, req *userdb.OAuthAuthRequest, u *userdb.User, sess *userdb.Session, hop bool) {
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	if err := p.store.CompleteOAuthAuthRequest(ctx, req.ID, u.ID, sess.CreatedAt, sess.AMR); err != nil {
		p.message(w, http.StatusBadRequest, "Sign-in request expired",
			"This sign-in request was completed already. Go back to the application and start again.")
		return
	}
	req.UserID, req.AuthTime, req.AMR = u.ID, sess.CreatedAt, sess.AMR
	ar := authRequest{req}
	if ar.GetResponseMode() == oidc.ResponseModeFormPost {
		op.AuthResponse(ar, p.op, w, r.WithContext(ctx))
		return
	}
	to, err := op.BuildAuthResponseCallbackURL(ctx, ar, p.op)
	if err != nil {
		p.authError(w, r, req, err)
		return
	}
	if hop {
		p.pages.render(w, http.StatusOK, "message", pageView{Title: "Signed in", Message: "Returning to the application…", Refresh: to}, "")
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// authError answers the client at its redirect URI with an OAuth error.
func (p *Provider) authError(w http.ResponseWriter, r *http.Request, req *userdb.OAuthAuthRequest, err error) {
	op.AuthRequestError(w, r.WithContext(op.ContextWithIssuer(r.Context(), p.issuer)), authRequest{req}, err, p.op)
}

// normalizeUserCode reads a code as people type it: any case, with or
// without the dash and spaces.
func normalizeUserCode(s string) string {
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s))
	if len(s) != 8 {
		return s
	}
	return s[:4] + "-" + s[4:]
}

// devicePage asks for the code a device shows (RFC 8628 section 3.3), then
// shows what the device asks for.
func (p *Provider) devicePage(w http.ResponseWriter, r *http.Request) {
	u, _, err := p.sess.Authenticate(r)
	if err != nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	raw := r.URL.Query().Get("user_code")
	if raw == "" {
		p.pages.render(w, http.StatusOK, "device", pageView{Title: "Connect a device", Action: DevicePath}, "")
		return
	}
	code := normalizeUserCode(truncate(raw, 40))
	d, err := p.store.FindOAuthUserCode(r.Context(), code, p.clock.Now())
	var c *userdb.OAuthClient
	if err == nil {
		c, err = p.clients.get(r.Context(), d.ClientID)
	}
	if err != nil {
		p.pages.render(w, http.StatusBadRequest, "device", pageView{Title: "Connect a device", Action: DevicePath, Code: code,
			Error: "That code is not valid or has expired. Check the code on your device."}, "")
		return
	}
	p.pages.render(w, http.StatusOK, "device", pageView{Title: "Connect a device", Action: DevicePath, Code: code, Device: true,
		Client: c.Name, User: u.Email, Scopes: scopeTexts(d.Scopes)}, "")
}

// devicePost records the user's answer for a device.
func (p *Provider) devicePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	code := normalizeUserCode(truncate(r.PostForm.Get("user_code"), 40))
	u, sess, err := p.sess.Authenticate(r)
	if err != nil {
		http.Redirect(w, r, DevicePath+"?user_code="+url.QueryEscape(code), http.StatusSeeOther)
		return
	}
	decision := r.PostForm.Get("decision")
	if decision != "allow" && decision != "deny" {
		p.message(w, http.StatusBadRequest, "Bad request", "Choose Allow or Deny.")
		return
	}
	now := p.clock.Now()
	d, err := p.store.FindOAuthUserCode(r.Context(), code, now)
	if err == nil {
		err = p.store.DecideOAuthUserCode(r.Context(), code, decision == "allow", u.ID, sess.CreatedAt, sess.AMR, now)
	}
	if err != nil {
		p.message(w, http.StatusBadRequest, "Code expired", "That code is not valid or has expired. Start again on your device.")
		return
	}
	p.record(withRequestMeta(r), &userdb.Event{Type: "oauth.device_" + map[string]string{"allow": "approved", "deny": "denied"}[decision],
		Time: now, UserID: u.ID, AccountID: u.AccountID, Details: map[string]any{"client_id": d.ClientID}})
	if decision == "deny" {
		p.message(w, http.StatusOK, "Device not connected", "You denied the request. You can close this page.")
		return
	}
	p.message(w, http.StatusOK, "Device connected", fmt.Sprintf("You can return to your device now (code %s).", code))
}
