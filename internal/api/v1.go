package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// V1Prefix is where the REST admin API lives.
const V1Prefix = "/api/v1"

// route is one route of the REST admin API: its method and its path below
// V1Prefix, in http.ServeMux pattern syntax.
type route struct {
	Method string
	Path   string
	h      http.HandlerFunc
}

// v1Routes is the one table of the REST admin API. The OpenAPI document
// must describe exactly these routes (openapi_test.go checks it).
func (a *API) v1Routes() []route {
	return append([]route{
		{"GET", "/users", a.v1ListUsers},
		{"POST", "/users", a.v1CreateUser},
		{"POST", "/users/import", a.v1ImportUsers},
		{"GET", "/users/export", a.v1ExportUsers},
		{"GET", "/users/{id}", a.v1GetUser},
		{"PATCH", "/users/{id}", a.v1UpdateUser},
		{"DELETE", "/users/{id}", a.v1DeleteUser},
		{"POST", "/users/{id}/enable", a.v1SetUserStatus(userdb.StatusEnabled)},
		{"POST", "/users/{id}/disable", a.v1SetUserStatus(userdb.StatusDisabled)},
		{"POST", "/users/{id}/unlock", a.v1UnlockUser},
		{"POST", "/users/{id}/reset-password", a.v1ResetPassword},
		{"POST", "/users/{id}/resend-invite", a.v1ResendInvite},
		{"POST", "/users/{id}/expire-password", a.v1ExpirePassword},
		{"POST", "/users/{id}/end-sessions", a.v1EndSessions},
		{"POST", "/users/{id}/compromised", a.v1Compromised},
		{"GET", "/users/{id}/roles", a.v1UserRoles},
		{"PUT", "/users/{id}/roles/{role}", a.v1AddUserRole},
		{"DELETE", "/users/{id}/roles/{role}", a.v1RemoveUserRole},
		{"GET", "/users/{id}/sessions", a.v1UserSessions},
		{"GET", "/users/{id}/events", a.v1UserEvents},
		{"GET", "/users/{id}/factors", a.v1UserFactors},
		{"DELETE", "/users/{id}/factors", a.v1ResetUserFactors},
		{"PUT", "/accounts/{id}/mfa-policy", a.v1SetMFAPolicy},
		{"PUT", "/roles/{id}/mfa-policy", a.v1SetMFAPolicy},

		{"GET", "/accounts", a.v1ListAccounts},
		{"POST", "/accounts", a.v1CreateAccount},
		{"GET", "/accounts/{id}", a.v1GetAccount},
		{"PATCH", "/accounts/{id}", a.v1UpdateAccount},
		{"DELETE", "/accounts/{id}", a.v1DeleteAccount},
		{"POST", "/accounts/{id}/enable", a.v1SetAccountStatus(userdb.StatusEnabled)},
		{"POST", "/accounts/{id}/disable", a.v1SetAccountStatus(userdb.StatusDisabled)},

		{"GET", "/roles", a.v1ListRoles},
		{"POST", "/roles", a.v1CreateRole},
		{"GET", "/roles/{id}", a.v1GetRole},
		{"PATCH", "/roles/{id}", a.v1UpdateRole},
		{"DELETE", "/roles/{id}", a.v1DeleteRole},

		{"GET", "/events", a.v1Events},

		{"GET", "/api-keys", a.v1ListAPIKeys},
		{"POST", "/api-keys", a.v1CreateAPIKey},
		{"DELETE", "/api-keys/{id}", a.v1RevokeAPIKey},

		{"GET", "/clients", a.v1ListClients},
		{"POST", "/clients", a.v1CreateClient},
		{"GET", "/clients/{id}", a.v1GetClient},
		{"PATCH", "/clients/{id}", a.v1UpdateClient},
		{"DELETE", "/clients/{id}", a.v1DeleteClient},
		{"POST", "/clients/{id}/rotate-secret", a.v1RotateClientSecret},
	}, a.v1ConnectorRoutes()...)
}

// AdminRoutes registers the REST admin API under V1Prefix, its OpenAPI
// document, and the original library's admin RPC routes.
func (a *API) AdminRoutes(mux *http.ServeMux) {
	for _, rt := range a.v1Routes() {
		mux.HandleFunc(rt.Method+" "+V1Prefix+rt.Path, a.admin(rt.h))
	}
	mux.HandleFunc("GET "+V1Prefix+"/openapi.json", serveOpenAPI)
	for _, rt := range a.rpcRoutes() {
		mux.HandleFunc("POST "+rt.Path, a.adminAs(rt.h, true))
	}
}

// AdminPatterns returns the ServeMux patterns of the admin routes that
// AdminRoutes registers, REST and RPC, without the public OpenAPI document.
// The authorization matrix test checks that each has its row.
func AdminPatterns() []string {
	a := &API{}
	var out []string
	for _, rt := range a.v1Routes() {
		out = append(out, rt.Method+" "+V1Prefix+rt.Path)
	}
	for _, rt := range a.rpcRoutes() {
		out = append(out, "POST "+rt.Path)
	}
	return out
}

// admin authenticates the caller of an admin route — an API key in
// `Authorization: Bearer`, or else the session cookie — and puts it in the
// context as the service's Actor; the service decides what it may do.
// Requests without valid credentials get 401.
func (a *API) admin(h http.HandlerFunc) http.HandlerFunc { return a.adminAs(h, false) }

// adminAs is admin; for the original's RPC routes (rpc), a caller without
// credentials is answered as the original's authenticated middleware did
// (edge.Unauthenticated: a browser to the sign-in page, JSON with next).
func (a *API) adminAs(h http.HandlerFunc, rpc bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, err := a.edge.AuthenticateActor(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="userdb"`)
			if rpc && r.Header.Get("Authorization") == "" {
				a.edge.Unauthenticated(w, r, err)
				return
			}
			httpx.Error(w, r, err)
			return
		}
		ctx := service.WithActor(service.WithMeta(r.Context(), a.edge.Meta(r, "")), actor)
		if err := nulInURL(r); err != nil {
			httpx.Error(w, r, err)
			return
		}
		h(w, r.WithContext(ctx))
	}
}

// Page is a page of a listing: its items, the cursor of the next page
// (absent on the last), and how many items match in all, when known.
// TotalCapped says Total stopped counting (at userdb.CountLimit): there
// are at least that many.
type Page struct {
	Items       any    `json:"items"`
	Next        string `json:"next,omitempty"`
	Total       *int   `json:"total,omitempty"`
	TotalCapped bool   `json:"totalCapped,omitempty"`
}

// query reads and checks the parameters of a listing.
type query struct {
	r   *http.Request
	err error
}

func (q *query) fail(field, format string, args ...any) {
	if q.err == nil {
		q.err = userdb.FieldError(field, format, args...)
	}
}

func (q *query) str(name string) string { return q.r.URL.Query().Get(name) }

// time reads an RFC 3339 time; "" is nil.
func (q *query) time(name string) *time.Time {
	v := q.str(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.fail(name, "%s must be a time such as 2026-03-01T12:00:00Z.", name)
		return nil
	}
	t = t.UTC()
	return &t
}

// limit reads the page size: 50 by default, at most 1000.
func (q *query) limit() int {
	v := q.str("limit")
	if v == "" {
		return 50
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		q.fail("limit", "limit must be a whole number from 1 to 1000.")
		return 50
	}
	return min(n, 1000)
}

func (q *query) status() userdb.Status {
	v := q.str("status")
	if v == "" {
		return ""
	}
	st, err := userdb.ParseStatus(v)
	if err != nil {
		q.fail("status", "status must be one of PENDING, ENABLED, DISABLED, LOCKED.")
	}
	return st
}

func (q *query) bool(name string) bool {
	v := q.str(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fail(name, "%s must be true or false.", name)
	}
	return b
}

// nameCursor is the cursor of a listing by name (accounts, roles): the
// folded name and the id of the last item of a page.
func nameCursor(name, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(userdb.Fold(name) + "\x00" + id))
}

// nameCursor reads the cursor parameter of a listing by name: the name and
// id of the item the page starts after ("" for the first page).
func (q *query) nameCursor() (name, id string) {
	c := q.str("cursor")
	if c == "" {
		return "", ""
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	name, id, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || name == "" {
		q.fail("cursor", "The cursor is not valid.")
		return "", ""
	}
	return name, id
}

// AdminUserView is a user as the admin API shows it: the user JSON of the
// rest of the API, with what administrators need besides.
type AdminUserView struct {
	*UserView
	Version            int64      `json:"version"`
	EmailVerifiedAt    *time.Time `json:"emailVerifiedAt,omitempty"`
	LastLoginAt        *time.Time `json:"lastLoginAt,omitempty"`
	PasswordChangedAt  *time.Time `json:"passwordChangedAt,omitempty"`
	PasswordMustChange bool       `json:"passwordMustChange"`
	FailedLogins       int        `json:"failedLogins"`
	LastFailedLoginAt  *time.Time `json:"lastFailedLoginAt,omitempty"`
	LockedAt           *time.Time `json:"lockedAt,omitempty"`
}

// adminUserView builds the admin view of u.
func (a *API) adminUserView(r *http.Request, u *userdb.User) (*AdminUserView, error) {
	v, err := a.userView(r, u)
	if err != nil {
		return nil, err
	}
	return &AdminUserView{
		UserView: v, Version: u.Version,
		EmailVerifiedAt: u.EmailVerifiedAt, LastLoginAt: u.LastLoginAt, PasswordChangedAt: u.PasswordChangedAt,
		PasswordMustChange: u.PasswordMustChange, FailedLogins: u.FailedLogins,
		LastFailedLoginAt: u.LastFailedLoginAt, LockedAt: u.LockedAt,
	}, nil
}

// AccountView is the JSON of an account.
type AccountView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData"`
	CreatedAt   time.Time      `json:"createdAt"`
	ModifiedAt  time.Time      `json:"modifiedAt"`
}

// NewAccountView builds the view of an account.
func NewAccountView(acc *userdb.Account) AccountView {
	cd := acc.CustomData
	if cd == nil {
		cd = map[string]any{}
	}
	return AccountView{ID: acc.ID, Name: acc.Name, Description: acc.Description, Status: acc.Status,
		CustomData: cd, CreatedAt: acc.CreatedAt, ModifiedAt: acc.UpdatedAt}
}

// EventView is the JSON of an audit event.
type EventView struct {
	ID        int64          `json:"id"`
	Type      string         `json:"type"`
	Time      time.Time      `json:"time"`
	ActorID   string         `json:"actor_id"`
	UserID    string         `json:"user_id"`
	AccountID string         `json:"account_id"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"userAgent"`
	Details   map[string]any `json:"details"`
}

// NewEventView builds the view of an event.
func NewEventView(e *userdb.Event) EventView {
	d := e.Details
	if d == nil {
		d = map[string]any{}
	}
	return EventView{ID: e.ID, Type: e.Type, Time: e.Time, ActorID: e.ActorID, UserID: e.UserID,
		AccountID: e.AccountID, IP: e.IP, UserAgent: e.UserAgent, Details: d}
}

// APIKeyView is the JSON of an API key; Secret is set only in the answer
// that creates it.
type APIKeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	AccountID  string     `json:"account_id"`
	Roles      []string   `json:"roles"`
	CreatedBy  string     `json:"createdBy"`
	ManageKeys bool       `json:"manageKeys"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	// InactivityExpiresAt is when the key stops working unless it is used
	// before (api_keys.inactivity_expiry); ExpiredAt when it was found
	// expired, by either expiry.
	State               string     `json:"state"` // active, expired or revoked
	InactivityExpiresAt *time.Time `json:"inactivityExpiresAt,omitempty"`
	ExpiredAt           *time.Time `json:"expiredAt,omitempty"`
	Secret              string     `json:"secret,omitempty"`
}

// NewAPIKeyView builds the view of a key (never its hash) in state, with
// its inactivity expiry (service.APIKeyState).
func NewAPIKeyView(k *userdb.APIKey, state string, inactiveAt *time.Time) APIKeyView {
	roles := k.Roles
	if roles == nil {
		roles = []string{}
	}
	return APIKeyView{ID: k.ID, Name: k.Name, AccountID: k.AccountID, Roles: roles, CreatedBy: k.CreatedBy, ManageKeys: k.ManageKeys,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt,
		State: state, InactivityExpiresAt: inactiveAt, ExpiredAt: k.ExpiredAt}
}

// AdminSessionView is the JSON of a session in an administrator's list.
type AdminSessionView struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
	Remembered bool      `json:"remembered"`
}
