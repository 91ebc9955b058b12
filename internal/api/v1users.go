package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// v1ListUsers: GET /api/v1/users?q=&status=&account=&role=&createdAfter=
// &createdBefore=&lastLoginAfter=&lastLoginBefore=&sort=[-]key&cursor=&limit=
func (a *API) v1ListUsers(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := userdb.UserFilter{
		AccountID: q.str("account"), Status: q.status(), Role: q.str("role"), Query: q.str("q"),
		CreatedAfter: q.time("createdAfter"), CreatedBefore: q.time("createdBefore"),
		LastLoginAfter: q.time("lastLoginAfter"), LastLoginBefore: q.time("lastLoginBefore"),
		Cursor: q.str("cursor"), Limit: q.limit(),
	}
	f.Sort, f.Desc = strings.CutPrefix(q.str("sort"), "-")
	if q.err != nil {
		httpx.Error(w, r, q.err)
		return
	}
	page, err := a.svc.AdminListUsers(r.Context(), f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]*AdminUserView, len(page.Users))
	for i, u := range page.Users {
		if items[i], err = a.adminUserView(r, u); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	httpx.JSON(w, http.StatusOK, Page{Items: items, Next: page.Next, Total: &page.Total, TotalCapped: page.TotalCapped})
}

type v1NewUser struct {
	Account       string         `json:"account"`
	Username      string         `json:"username"`
	Email         string         `json:"email"`
	GivenName     string         `json:"givenName"`
	MiddleName    string         `json:"middleName"`
	Surname       string         `json:"surname"`
	FullName      string         `json:"fullName"`
	Password      string         `json:"password"`
	Invite        bool           `json:"invite"`
	Status        string         `json:"status"`
	Roles         []string       `json:"roles"`
	EmailVerified bool           `json:"emailVerified"`
	CustomData    map[string]any `json:"customData"`
}

// v1CreateUser: POST /api/v1/users -> 201 with the user. Without a password
// the user must be invited ("invite": true).
func (a *API) v1CreateUser(w http.ResponseWriter, r *http.Request) {
	var req v1NewUser
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	var st userdb.Status
	if req.Status != "" {
		var err error
		if st, err = userdb.ParseStatus(req.Status); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	u, err := a.svc.AdminCreateUser(r.Context(), service.NewUser{
		Account: req.Account, Username: req.Username, Email: req.Email, GivenName: req.GivenName,
		MiddleName: req.MiddleName, Surname: req.Surname, FullName: req.FullName, Password: req.Password,
		Status: st, Roles: req.Roles, CustomData: req.CustomData, Invite: req.Invite, Verified: req.EmailVerified,
	})
	a.writeUser(w, r, http.StatusCreated, u, err)
}

// v1GetUser: GET /api/v1/users/{id}.
func (a *API) v1GetUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.svc.AdminGetUser(r.Context(), r.PathValue("id"))
	a.writeUser(w, r, http.StatusOK, u, err)
}

type v1UserPatch struct {
	Version    *int64         `json:"version"`
	Username   *string        `json:"username"`
	Email      *string        `json:"email"`
	GivenName  *string        `json:"givenName"`
	MiddleName *string        `json:"middleName"`
	Surname    *string        `json:"surname"`
	Status     *string        `json:"status"`
	CustomData map[string]any `json:"customData"`
	Password   *string        `json:"password"`
}

// v1UpdateUser: PATCH /api/v1/users/{id} with the version last read; a
// stale version is 409. customData keys are merged; null removes one.
// password sets the password with the profile, as Okta's user update does
// with credentials.password.value: policy, history, the end of the user's
// other sessions and the password-set email, in one transaction.
func (a *API) v1UpdateUser(w http.ResponseWriter, r *http.Request) {
	var req v1UserPatch
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Version == nil {
		httpx.Error(w, r, userdb.FieldError("version", "version is required: send the version of the user you read."))
		return
	}
	p := service.ProfileUpdate{
		Username: req.Username, Email: req.Email, GivenName: req.GivenName, MiddleName: req.MiddleName,
		Surname: req.Surname, CustomData: req.CustomData, Version: req.Version, Password: req.Password,
	}
	if req.Status != nil {
		st, err := userdb.ParseStatus(*req.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		p.Status = &st
	}
	u, err := a.svc.AdminUpdateUser(r.Context(), r.PathValue("id"), p)
	a.writeUser(w, r, http.StatusOK, u, err)
}

// v1DeleteUser: DELETE /api/v1/users/{id} -> 204.
func (a *API) v1DeleteUser(w http.ResponseWriter, r *http.Request) {
	noContent(w, r, a.svc.AdminDeleteUser(r.Context(), r.PathValue("id")))
}

// v1SetUserStatus: POST /api/v1/users/{id}/enable and /disable.
func (a *API) v1SetUserStatus(st userdb.Status) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := a.svc.AdminSetUserStatus(r.Context(), r.PathValue("id"), st)
		a.writeUser(w, r, http.StatusOK, u, err)
	}
}

// v1UnlockUser: POST /api/v1/users/{id}/unlock.
func (a *API) v1UnlockUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.svc.AdminUnlockUser(r.Context(), r.PathValue("id"))
	a.writeUser(w, r, http.StatusOK, u, err)
}

// v1ResetPassword: POST /api/v1/users/{id}/reset-password sends the reset email -> 202.
func (a *API) v1ResetPassword(w http.ResponseWriter, r *http.Request) {
	accepted(w, r, a.svc.AdminSendPasswordReset(r.Context(), r.PathValue("id")))
}

// v1ResendInvite: POST /api/v1/users/{id}/resend-invite -> 202.
func (a *API) v1ResendInvite(w http.ResponseWriter, r *http.Request) {
	accepted(w, r, a.svc.AdminResendInvitation(r.Context(), r.PathValue("id")))
}

// v1ExpirePassword: POST /api/v1/users/{id}/expire-password.
func (a *API) v1ExpirePassword(w http.ResponseWriter, r *http.Request) {
	u, err := a.svc.AdminExpirePassword(r.Context(), r.PathValue("id"))
	a.writeUser(w, r, http.StatusOK, u, err)
}

// v1EndSessions: POST /api/v1/users/{id}/end-sessions -> {"ended": n}.
func (a *API) v1EndSessions(w http.ResponseWriter, r *http.Request) {
	n, err := a.svc.AdminEndSessions(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]int{"ended": n})
}

// v1UserRoles: GET /api/v1/users/{id}/roles.
func (a *API) v1UserRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := a.svc.AdminUserRoles(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	writeRoles(w, roles)
}

// v1AddUserRole: PUT /api/v1/users/{id}/roles/{role} (by name) -> the user.
func (a *API) v1AddUserRole(w http.ResponseWriter, r *http.Request) {
	u, err := a.svc.AdminAddRole(r.Context(), r.PathValue("id"), r.PathValue("role"))
	a.writeUser(w, r, http.StatusOK, u, err)
}

// v1RemoveUserRole: DELETE /api/v1/users/{id}/roles/{role} -> the user.
func (a *API) v1RemoveUserRole(w http.ResponseWriter, r *http.Request) {
	u, err := a.svc.AdminRemoveRole(r.Context(), r.PathValue("id"), r.PathValue("role"))
	a.writeUser(w, r, http.StatusOK, u, err)
}

// v1UserSessions: GET /api/v1/users/{id}/sessions, newest first.
func (a *API) v1UserSessions(w http.ResponseWriter, r *http.Request) {
	list, err := a.svc.AdminUserSessions(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]AdminSessionView, len(list))
	for i, s := range list {
		items[i] = AdminSessionView{ID: s.ID, UserID: s.UserID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
			ExpiresAt: s.ExpiresAt, IP: s.IP, UserAgent: s.UserAgent}
	}
	n := len(items)
	httpx.JSON(w, http.StatusOK, Page{Items: items, Total: &n})
}

// v1UserEvents: GET /api/v1/users/{id}/events?type=&since=&until=&cursor=&limit=
func (a *API) v1UserEvents(w http.ResponseWriter, r *http.Request) {
	f, err := eventFilter(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, err := a.svc.AdminUserEvents(r.Context(), r.PathValue("id"), f)
	writeEvents(w, r, list, f.Limit, err)
}

// writeUser answers with the admin view of u, or with err.
func (a *API) writeUser(w http.ResponseWriter, r *http.Request, status int, u *userdb.User, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v, err := a.adminUserView(r, u)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, status, v)
}

// eventFilter reads the event filters of the query string.
func eventFilter(r *http.Request) (userdb.EventFilter, error) {
	q := &query{r: r}
	f := userdb.EventFilter{
		UserID: q.str("user"), AccountID: q.str("account"), Type: q.str("type"),
		Since: q.time("since"), Until: q.time("until"), Limit: q.limit(),
	}
	if c := q.str("cursor"); c != "" {
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil || id < 1 {
			q.fail("cursor", "The cursor is not valid.")
		}
		f.BeforeID = id
	}
	return f, q.err
}

// writeEvents answers with a page of events; a full page has a next cursor.
func writeEvents(w http.ResponseWriter, r *http.Request, list []*userdb.Event, limit int, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]EventView, len(list))
	for i, e := range list {
		items[i] = NewEventView(e)
	}
	next := ""
	if len(list) == limit && limit > 0 {
		next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	httpx.JSON(w, http.StatusOK, Page{Items: items, Next: next})
}

func writeRoles(w http.ResponseWriter, roles []*userdb.Role) {
	items := make([]RoleView, len(roles))
	for i, r := range roles {
		items[i] = NewRoleView(r)
	}
	n := len(items)
	httpx.JSON(w, http.StatusOK, Page{Items: items, Total: &n})
}

// noContent answers 204, or err.
func noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// accepted answers 202 {} for work that goes on after the answer (email), or err.
func accepted(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusAccepted, struct{}{})
}

// v1Compromised: POST /api/v1/users/{id}/compromised {"reason"} treats the
// user's credentials as stolen -> 202: sessions end, links die, devices are
// forgotten, the password stops working and a reset link is emailed.
func (a *API) v1Compromised(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := httpx.Decode(r, &body); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	accepted(w, r, a.svc.AdminMarkCompromised(r.Context(), r.PathValue("id"), body.Reason))
}
