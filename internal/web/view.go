package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"time"
	"unicode"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/ui"
)

//go:embed templates
var templateFS embed.FS

// pageNames are the page templates; each is rendered inside layout.html
// with the shared pieces of parts.html.
var pageNames = []string{
	"signin", "signup", "verify", "forgot", "reset", "expired",
	"profile", "sessions", "invitation", "message", "emailchange", "notme",
	"identities", "upstreamlink", "apps", "signinemail", "signinlink", "setup",
	"mfa", "mfaenrol", "recoverycodes", "reauth",
}

// templates holds every page, parsed once when the program starts: a
// missing or broken template stops it there rather than at a user's request.
var templates = mustParse(templateFS)

func mustParse(fsys fs.FS) map[string]*template.Template {
	t, err := parsePages(fsys)
	if err != nil {
		panic(err)
	}
	return t
}

// parsePages parses the page templates of fsys.
func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	return ui.ParsePages(fsys, pageNames, funcs)
}

var funcs = template.FuncMap{
	"field": func(v *view, name, label, typ, autocomplete string) ui.Field {
		return v.Field(name, label, typ, autocomplete)
	},
	"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	"initials": initials,
	"factor":   factorKind,
}

// factorKind names a kind of second factor (service.FactorInfo.Kind) on
// the profile.
func factorKind(kind string) string {
	switch userdb.FactorKind(kind) {
	case userdb.FactorTOTP:
		return "TOTP"
	case userdb.FactorWebAuthn:
		return "Passkey"
	}
	return kind
}

// initials are the letters on a user's avatar: of the first and last name,
// else of the email address.
func initials(u *userdb.User) string {
	first := func(s string) string {
		for _, r := range s {
			return string(unicode.ToUpper(r))
		}
		return ""
	}
	if s := first(u.GivenName) + first(u.Surname); s != "" {
		return s
	}
	return first(u.Email)
}

// view is what every page template receives: the branding, the flash
// message, the form and the page's own data.
type view struct {
	ui.Form
	Page  string // template name, also a class on <body>
	Title string
	Brand ui.Branding
	Asset ui.AssetURLs
	Flash *ui.Flash
	// User is the signed-in user on pages that need one.
	User *userdb.User
	// Next is where to go after signing in, already checked (see returnTo).
	Next        string
	CanRegister bool
	Data        any
	// Buttons are the upstream providers offered (sign-in and sign-up);
	// Realm the one the typed address's domain signs in with.
	Buttons []button
	Realm   *button
	// HasApps shows the connected-applications page in the account's
	// navigation (the OAuth provider is on).
	HasApps bool
	// PasswordRule is the policy in a sentence, shown next to the field of
	// a new password; Meter loads the strength meter on pages that have one.
	PasswordRule string
	Meter        bool
	// Console links to the admin console: the signed-in user is an
	// administrator.
	Console bool
	// MagicLink offers sign-in by email on the sign-in page.
	MagicLink bool
	// KeepSignedIn offers "Keep me signed in" on the sign-in page
	// (sessions.remember_lifetime is not 0).
	KeepSignedIn bool
	// PasskeyScript is the URL of the passkeys' script when passkeys are
	// on ("" when off).
	PasskeyScript string
	// InlineImages lets the page show data: images (a QR code made here).
	InlineImages bool
}

// meterPages are the pages where a new password is chosen.
var meterPages = map[string]bool{"signup": true, "reset": true, "expired": true, "profile": true, "invitation": true}

// newView starts the view of a page, keeping what the user typed into a
// posted form (but never a password: see ui.Form.Field).
func (p *Pages) newView(r *http.Request, page string, titleArgs ...any) *view {
	return &view{
		Form: ui.NewForm(r.PostForm),
		Page: page, Title: msg("title-"+page, titleArgs...), Brand: p.look.Brand, Asset: p.look.URLs,
		CanRegister: p.registrationEnabled(), HasApps: p.apps != nil,
		PasswordRule: p.svc.PasswordRule(), Meter: meterPages[page],
		Console:       p.isAdmin(callerFrom(r)),
		MagicLink:     p.svc.Options().MagicLinkEnabled,
		KeepSignedIn:  p.svc.Options().RememberLifetime > 0,
		PasskeyScript: passkeyScriptURL(p),
	}
}

// setError shows err next to its field when the form has that field, and
// above the form otherwise (ui.Form.SetError).
func (v *view) setError(r *http.Request, err error, fields ...string) {
	v.SetError(r, err, msg("internal-form"), fields...)
}

// render writes a page with the status. An absolute logo URL is the only
// thing loaded from elsewhere: the policy allows images from its origin
// and nothing more. A form that goes on to an allowed return URL of
// another site may lead there, and no further.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	v.Flash = flashes.Take(w, r)
	csp := ""
	if w.Header().Get("Content-Security-Policy") != "" {
		var img, form []string
		if src := p.look.LogoOrigin; src != "" {
			img = []string{src}
		}
		if v.InlineImages {
			img = append(img, "data:")
		}
		if o := p.returnOrigin(v.Next); o != "" {
			form = []string{o}
		}
		if img != nil || form != nil {
			csp = httpx.ContentSecurityPolicy(form, img)
		}
	}
	httpx.SetRetryAfter(w, v.Cause) // a rate limit's answer says when to retry
	ui.Render(w, r, templates[v.Page], status, v, csp, msg("internal-plain"))
}

// message renders a page that only says something, with a link onwards.
func (p *Pages) message(w http.ResponseWriter, r *http.Request, status int, m ui.Message) {
	v := p.newView(r, "message")
	v.Title, v.Data = m.Title, m
	p.render(w, r, status, v)
}

// fail answers a request whose page could not be built at all.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.StatusOf(err)
	text := userdb.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		httpx.Logger(r).Error("page failed", "path", r.URL.Path, "err", err)
		text = msg("internal")
	}
	p.message(w, r, status, ui.Message{Title: msg("error-title"), Text: text, Kind: "error",
		Link: SignInPath, LinkText: msg("link-back-signin")})
}

// callerFrom returns the signed-in user signedIn let through, or nil.
func callerFrom(r *http.Request) *userdb.User {
	u, _ := r.Context().Value(callerKey{}).(*userdb.User)
	return u
}

// notFound answers a page that does not exist (or is switched off).
func (p *Pages) notFound(w http.ResponseWriter, r *http.Request) {
	p.message(w, r, http.StatusNotFound, ui.Message{Title: msg("notfound-title"),
		Text: msg("notfound"), Link: SignInPath, LinkText: msg("link-go-signin")})
}

// parseForm reads a posted form; a body that cannot be read is answered here.
func (p *Pages) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		p.message(w, r, http.StatusBadRequest, ui.Message{Title: msg("form-unreadable-title"),
			Text: msg("form-unreadable-retry"), Kind: "error"})
		return false
	}
	return true
}
