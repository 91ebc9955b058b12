package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/ui"
)

// HomePath is the front door: the first page anyone opens.
const HomePath = "/"

// home is the front door. A browser goes where it can do something: to
// the sign-in page when signed out, to the profile (or to change an expired
// password first) when signed in. Other clients are told, in JSON, where
// things are, since a redirect to a page would be no use to them.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	if !httpx.WantsHTML(r) {
		httpx.JSON(w, http.StatusOK, map[string]string{
			"name": p.look.Brand.ProductName, "signIn": SignInPath, "login": "POST /login",
			"openapi": "/api/v1/openapi.json", "health": "/healthz",
		})
		return
	}
	me, err := p.edge.Authenticate(r)
	switch {
	case err == nil && p.svc.PasswordExpired(me.User):
		ui.Redirect(w, r, ExpiredPath)
	case err == nil:
		ui.Redirect(w, r, ProfilePath)
	default:
		ui.Redirect(w, r, SignInPath)
	}
}

// NotFound answers a path no surface serves: the branded page for a
// browser, the JSON error for anyone else — never Go's plain text. When
// the path exists for other methods, the answer is 405 with Allow.
func (p *Pages) NotFound(w http.ResponseWriter, r *http.Request, allow []string) {
	if len(allow) > 0 {
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		if !httpx.WantsHTML(r) {
			httpx.JSON(w, http.StatusMethodNotAllowed, httpx.ErrorBody{Status: http.StatusMethodNotAllowed,
				Message: msg("method-not-allowed")})
			return
		}
		p.message(w, r, http.StatusMethodNotAllowed, ui.Message{Title: msg("method-not-allowed-title"),
			Text: msg("method-not-allowed"), Link: HomePath, LinkText: msg("link-go-home")})
		return
	}
	if !httpx.WantsHTML(r) {
		httpx.Error(w, r, userdb.Errorf(userdb.ENOTFOUND, "%s", msg("notfound-json")))
		return
	}
	p.message(w, r, http.StatusNotFound, ui.Message{Title: msg("notfound-title"),
		Text: msg("notfound"), Link: HomePath, LinkText: msg("link-go-home")})
}

// isAdmin reports whether u may use the console: the pages offer it a link.
func (p *Pages) isAdmin(u *userdb.User) bool {
	if u == nil {
		return false
	}
	super := u.AccountID == userdb.DefaultAccountID && u.HasRole(p.svc.Options().SuperAdminRole)
	return super || u.HasRole(userdb.RoleAdmin)
}

// callerKey carries the signed-in user from signedIn to newView, which
// offers administrators the console in the account's navigation.
type callerKey struct{}
