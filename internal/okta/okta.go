package okta

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// Prefix is where the API is served: an Okta SDK's orgUrl is
// {server.base_url}/okta, so that Okta's /api/v1/... paths do not meet
// userdb's own /api/v1/.
const Prefix = "/okta"

// BearerAuthenticator turns an OAuth 2.0 access token into the actor it
// was issued for and the scopes it grants (okta.users.read, ...). The
// OIDC provider implements it; without one, bearer tokens are refused.
type BearerAuthenticator interface {
	AuthenticateBearer(ctx context.Context, token string) (service.Actor, []string, error)
}

// Options configure the API.
type Options struct {
	// OrgURL is the absolute URL the API is served at (base URL + Prefix):
	// _links and the Link header of listings are built on it.
	OrgURL string
	// Bearer authenticates OAuth access tokens; nil refuses them.
	Bearer BearerAuthenticator
}

// API serves Okta's management API.
type API struct {
	svc  *service.Service
	opts Options
}

// New returns the API.
func New(svc *service.Service, o Options) *API {
	o.OrgURL = strings.TrimSuffix(o.OrgURL, "/")
	return &API{svc: svc, opts: o}
}

// Scopes of Okta's OAuth access tokens, by what a route does.
const (
	scopeUsersRead    = "okta.users.read"
	scopeUsersManage  = "okta.users.manage"
	scopeGroupsRead   = "okta.groups.read"
	scopeGroupsManage = "okta.groups.manage"
	scopeSchemasRead  = "okta.schemas.read"
	scopeSchemaManage = "okta.schemas.manage"
)

type route struct {
	method, path string
	scope        string // the scope a bearer token needs; a manage scope also reads
	h            http.HandlerFunc
}

func (a *API) routes() []route {
	return []route{
		{"GET", "/api/v1/users", scopeUsersRead, a.listUsers},
		{"POST", "/api/v1/users", scopeUsersManage, a.createUser},
		{"GET", "/api/v1/users/{id}", scopeUsersRead, a.getUser},
		{"POST", "/api/v1/users/{id}", scopeUsersManage, a.updateUser(false)},
		{"PUT", "/api/v1/users/{id}", scopeUsersManage, a.updateUser(true)},
		{"DELETE", "/api/v1/users/{id}", scopeUsersManage, a.deleteUser},
		{"GET", "/api/v1/users/{id}/groups", scopeUsersRead, a.userGroups},
		{"POST", "/api/v1/users/{id}/lifecycle/{op}", scopeUsersManage, a.lifecycle},
		{"POST", "/api/v1/users/{id}/credentials/change_password", scopeUsersManage, a.changePassword},

		{"GET", "/api/v1/groups", scopeGroupsRead, a.listGroups},
		{"POST", "/api/v1/groups", scopeGroupsManage, a.createGroup},
		{"GET", "/api/v1/groups/{id}", scopeGroupsRead, a.getGroup},
		{"PUT", "/api/v1/groups/{id}", scopeGroupsManage, a.updateGroup},
		{"DELETE", "/api/v1/groups/{id}", scopeGroupsManage, a.deleteGroup},
		{"GET", "/api/v1/groups/{id}/users", scopeGroupsRead, a.groupUsers},
		{"PUT", "/api/v1/groups/{id}/users/{userId}", scopeGroupsManage, a.addGroupUser},
		{"DELETE", "/api/v1/groups/{id}/users/{userId}", scopeGroupsManage, a.removeGroupUser},

		{"GET", "/api/v1/meta/schemas/user/default", scopeSchemasRead, a.getSchema},
		{"POST", "/api/v1/meta/schemas/user/default", scopeSchemaManage, a.updateSchema},
	}
}

// Routes registers the API under Prefix.
func (a *API) Routes(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		mux.HandleFunc(rt.method+" "+Prefix+rt.path, a.authed(rt.scope, rt.h))
	}
	// Anything else under the prefix answers in Okta's shape too.
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errNotFound(r.URL.Path, "Resource"), "", "")
	})
}

// Patterns returns the ServeMux patterns Routes registers for the API's
// operations.
func Patterns() []string {
	var out []string
	for _, rt := range (&API{}).routes() {
		out = append(out, rt.method+" "+Prefix+rt.path)
	}
	return out
}

// authed authenticates the caller as Okta's SDK sends it — an API key as
// `Authorization: SSWS <key>`, or an OAuth access token as `Bearer` with
// the route's scope — and puts it in the context as the service's Actor,
// which decides what it may do.
func (a *API) authed(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := service.WithMeta(r.Context(), service.Meta{IP: httpx.ClientIP(r), UserAgent: r.UserAgent()})
		actor, err := a.authenticate(ctx, r, scope)
		if err != nil {
			writeError(w, r, err, "", "")
			return
		}
		if hasNUL(r) {
			writeError(w, r, errValidation("", "Text must not contain NUL characters."), "", "")
			return
		}
		h(w, r.WithContext(service.WithActor(ctx, actor)))
	}
}

func (a *API) authenticate(ctx context.Context, r *http.Request, scope string) (service.Actor, error) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "SSWS") && cred != "":
		return a.svc.AuthenticateAPIKey(ctx, cred)
	case strings.EqualFold(scheme, "Bearer") && cred != "" && a.opts.Bearer != nil:
		actor, scopes, err := a.opts.Bearer.AuthenticateBearer(ctx, cred)
		if err != nil {
			return service.Actor{}, errInvalidToken
		}
		// A manage scope also reads.
		manage := strings.Replace(scope, ".read", ".manage", 1)
		if !slices.Contains(scopes, scope) && !slices.Contains(scopes, manage) {
			return service.Actor{}, errForbidden
		}
		return actor, nil
	}
	return service.Actor{}, errInvalidToken
}

// hasNUL reports whether the path or query carries a NUL character, which
// PostgreSQL cannot store or compare.
func hasNUL(r *http.Request) bool {
	if strings.ContainsRune(r.URL.Path, 0) {
		return true
	}
	for k, vs := range r.URL.Query() {
		if strings.ContainsRune(k, 0) || slices.ContainsFunc(vs, func(v string) bool { return strings.ContainsRune(v, 0) }) {
			return true
		}
	}
	return false
}

// decode reads a JSON body into dst. Bad JSON is Okta's E0000003; a NUL
// in any string (which JSON can only write as \u0000) is refused too.
func decode(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return errBadBody("The request body could not be read (too large?).")
	}
	if bytes.Contains(bytes.ToLower(body), []byte(`\u0000`)) {
		return errValidation("", "Text must not contain NUL characters.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if err := httpx.Decode(r, dst); err != nil {
		var e *userdb.Error
		if userdb.ErrorCode(err) == userdb.EINVALID {
			if errors.As(err, &e) && e.Field != "" {
				return errValidation(e.Field, e.Message)
			}
			return errBadBody(userdb.ErrorMessage(err))
		}
		return err
	}
	return nil
}

// writeJSON answers with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	httpx.JSON(w, status, v)
}
