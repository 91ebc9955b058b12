package okta

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// Okta's user statuses, mapped from userdb's:
//
//	PENDING  with a password -> STAGED (created without activation)
//	PENDING  without one     -> PROVISIONED (invited: activation email sent)
//	ENABLED                  -> ACTIVE, or PASSWORD_EXPIRED when it must change
//	LOCKED                   -> LOCKED_OUT
//	DISABLED                 -> SUSPENDED, or DEPROVISIONED once deactivated
const (
	statusStaged          = "STAGED"
	statusProvisioned     = "PROVISIONED"
	statusActive          = "ACTIVE"
	statusPasswordExpired = "PASSWORD_EXPIRED"
	statusLockedOut       = "LOCKED_OUT"
	statusSuspended       = "SUSPENDED"
	statusDeprovisioned   = "DEPROVISIONED"
)

func (a *API) status(u *userdb.User) string {
	switch u.Status {
	case userdb.StatusPending:
		if u.PasswordHash == "" {
			return statusProvisioned
		}
		return statusStaged
	case userdb.StatusLocked:
		return statusLockedOut
	case userdb.StatusDisabled:
		if u.DeactivatedAt != nil {
			return statusDeprovisioned
		}
		return statusSuspended
	}
	if a.svc.PasswordExpired(u) {
		return statusPasswordExpired
	}
	return statusActive
}

// filterStatus narrows f to the users of an Okta status; false for an
// unknown status. The service fills in the password age cutoff.
func filterStatus(f *userdb.UserFilter, status string) bool {
	yes, no := true, false
	switch status {
	case statusStaged:
		f.Status, f.HasPassword = userdb.StatusPending, &yes
	case statusProvisioned:
		f.Status, f.HasPassword = userdb.StatusPending, &no
	case statusActive:
		f.Status, f.PasswordExpired = userdb.StatusEnabled, &no
	case statusPasswordExpired:
		f.Status, f.PasswordExpired = userdb.StatusEnabled, &yes
	case statusLockedOut:
		f.Status = userdb.StatusLocked
	case statusSuspended:
		f.Status, f.Deactivated = userdb.StatusDisabled, &no
	case statusDeprovisioned:
		f.Status, f.Deactivated = userdb.StatusDisabled, &yes
	default:
		return false
	}
	return true
}

// timeFormat is how Okta writes times.
const timeFormat = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

func tsPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

// baseAttributes are the profile attributes that are user fields, not
// custom data. A custom attribute cannot take one of these names.
var baseAttributes = map[string]bool{"login": true, "email": true, "firstName": true, "lastName": true, "middleName": true}

type link struct {
	Href string `json:"href"`
}

// userView is Okta's user object.
type userView struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Created         string          `json:"created"`
	Activated       *string         `json:"activated"`
	StatusChanged   *string         `json:"statusChanged"`
	LastLogin       *string         `json:"lastLogin"`
	LastUpdated     string          `json:"lastUpdated"`
	PasswordChanged *string         `json:"passwordChanged"`
	Profile         map[string]any  `json:"profile"`
	Credentials     map[string]any  `json:"credentials"`
	Links           map[string]link `json:"_links"`
}

var provider = map[string]string{"type": "OKTA", "name": "OKTA"}

func (a *API) userView(u *userdb.User) *userView {
	p := make(map[string]any, len(u.CustomData)+5)
	for k, v := range u.CustomData {
		if !baseAttributes[k] {
			p[k] = v
		}
	}
	p["login"], p["email"], p["firstName"], p["lastName"] = u.Username, u.Email, u.GivenName, u.Surname
	if u.MiddleName != "" {
		p["middleName"] = u.MiddleName
	}
	creds := map[string]any{"provider": provider}
	if u.PasswordHash != "" {
		creds["password"] = map[string]any{}
	}
	return &userView{
		ID: u.ID, Status: a.status(u), Created: ts(u.CreatedAt), LastLogin: tsPtr(u.LastLoginAt),
		LastUpdated: ts(u.UpdatedAt), PasswordChanged: tsPtr(u.PasswordChangedAt), Profile: p,
		Credentials: creds, Links: map[string]link{"self": {a.opts.OrgURL + "/api/v1/users/" + u.ID}},
	}
}

// writeUser answers with u, or with err about the user ref.
func (a *API) writeUser(w http.ResponseWriter, r *http.Request, u *userdb.User, err error, ref string) {
	if err != nil {
		writeError(w, r, err, "User", ref)
		return
	}
	writeJSON(w, http.StatusOK, a.userView(u))
}

// findUser finds a user by id or, as Okta's paths allow, by login
// (userdb's username) or email. Another account's user is not found, as a
// missing one.
func (a *API) findUser(r *http.Request, ref string) (*userdb.User, error) {
	ctx := r.Context()
	u, err := a.svc.AdminGetUser(ctx, ref)
	if !userdb.IsCode(err, userdb.ENOTFOUND) || ref == "" {
		return u, err
	}
	for _, field := range []string{userdb.MatchUsername, userdb.MatchEmail} {
		page, err := a.svc.AdminListUsers(ctx, userdb.UserFilter{Match: []userdb.FieldMatch{{Field: field, Value: ref}}, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Users) > 0 {
			return page.Users[0], nil
		}
	}
	return nil, errNotFound(ref, "User")
}

// getUser: GET /api/v1/users/{id} (id or login).
func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("id")
	u, err := a.findUser(r, ref)
	a.writeUser(w, r, u, err, ref)
}

// listLimit reads limit: def by default, at most max.
func listLimit(q url.Values, def, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errValidation("limit", "limit must be a whole number above 0.")
	}
	return min(n, max), nil
}

// sortKeys maps search's sortBy to the store's sort keys.
var sortKeys = map[string]string{
	"created":           userdb.SortCreated,
	"id":                userdb.SortCreated,
	"profile.login":     userdb.SortUsername,
	"profile.email":     userdb.SortEmail,
	"profile.firstName": userdb.SortGivenName,
	"profile.lastName":  userdb.SortSurname,
}

// listUsers: GET /api/v1/users?q=|filter=|search=&sortBy=&sortOrder=&limit=&after=
// -> a page of users and a Link header with the next page's URL.
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := listLimit(q, 200, 200)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	f := userdb.UserFilter{Query: strings.TrimSpace(q.Get("q")), Cursor: q.Get("after"), Limit: limit}
	filter, search := q.Get("filter"), q.Get("search")
	switch {
	case filter != "" && search != "":
		err = errSearch("give filter or search, not both")
	case filter != "":
		err = applyExpression(&f, filter, false)
	case search != "":
		err = applyExpression(&f, search, true)
	}
	if err == nil && q.Get("sortBy") != "" {
		key, ok := sortKeys[q.Get("sortBy")]
		switch order := q.Get("sortOrder"); {
		case search == "":
			err = errSearch("sortBy applies to search only")
		case !ok:
			err = errSearch("search cannot sort by " + quoteAttr(q.Get("sortBy")))
		case order != "" && order != "asc" && order != "desc":
			err = errValidation("sortOrder", "sortOrder must be asc or desc.")
		default:
			f.Sort, f.Desc = key, order == "desc"
		}
	}
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	page, err := a.svc.AdminListUsers(r.Context(), f)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	out := make([]*userView, len(page.Users))
	for i, u := range page.Users {
		out[i] = a.userView(u)
	}
	a.setLinks(w, r, "/api/v1/users", page.Next)
	writeJSON(w, http.StatusOK, out)
}

// setLinks writes the Link header of a listing: the page itself and, when
// there is one, the next page (the same query with after= its cursor).
func (a *API) setLinks(w http.ResponseWriter, r *http.Request, path, next string) {
	q := r.URL.Query()
	self := a.opts.OrgURL + path
	if len(q) > 0 {
		self += "?" + q.Encode()
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if next != "" {
		q.Set("after", next)
		w.Header().Add("Link", "<"+a.opts.OrgURL+path+"?"+q.Encode()+`>; rel="next"`)
	}
}

// userBody is a user as clients send it.
type userBody struct {
	Profile     map[string]any `json:"profile"`
	Credentials *struct {
		Password *struct {
			Value *string `json:"value"`
		} `json:"password"`
	} `json:"credentials"`
	GroupIDs []string `json:"groupIds"`
}

func (b *userBody) password() (string, bool) {
	if b.Credentials == nil || b.Credentials.Password == nil || b.Credentials.Password.Value == nil {
		return "", false
	}
	return *b.Credentials.Password.Value, true
}

// profileFields are a profile's base attributes (nil: not given) and its
// custom ones (a nil value removes the attribute).
type profileFields struct {
	login, email, firstName, lastName, middleName *string
	custom                                        map[string]any
}

// readProfile splits a profile into base and custom attributes. With
// whole set (create, full replace) a missing base attribute is empty, and
// login and email are required.
func readProfile(p map[string]any, whole bool) (*profileFields, error) {
	out := &profileFields{custom: map[string]any{}}
	dst := map[string]**string{"login": &out.login, "email": &out.email, "firstName": &out.firstName,
		"lastName": &out.lastName, "middleName": &out.middleName}
	for k, v := range p {
		d, base := dst[k]
		if !base {
			out.custom[k] = v
			continue
		}
		switch x := v.(type) {
		case string:
			*d = &x
		case nil:
			empty := ""
			*d = &empty
		default:
			return nil, errValidation(k, "Must be a string.")
		}
	}
	for name, d := range dst {
		if *d == nil && whole {
			empty := ""
			*d = &empty
		}
		if (name == "login" || name == "email") && *d != nil && strings.TrimSpace(**d) == "" {
			return nil, errValidation(name, "The field cannot be left blank")
		}
	}
	return out, nil
}

// createUser: POST /api/v1/users?activate= {profile, credentials, groupIds}.
// With a password the user is ACTIVE (or STAGED with activate=false);
// without one it is invited by email and PROVISIONED.
func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	activate := true
	if v := r.URL.Query().Get("activate"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, r, errValidation("activate", "activate must be true or false."), "", "")
			return
		}
		activate = b
	}
	if r.URL.Query().Get("nextLogin") != "" {
		writeError(w, r, errValidation("nextLogin", "nextLogin is not supported; expire the password after creating the user."), "", "")
		return
	}
	var body userBody
	if err := decode(r, &body); err != nil {
		writeError(w, r, err, "", "")
		return
	}
	if body.Profile == nil {
		writeError(w, r, errValidation("profile", "The field cannot be left blank"), "", "")
		return
	}
	p, err := readProfile(body.Profile, true)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	password, _ := body.password()
	n := service.NewUser{Username: *p.login, Email: *p.email, GivenName: *p.firstName, Surname: *p.lastName,
		MiddleName: *p.middleName, Password: password, CustomData: withoutNulls(p.custom)}
	switch {
	case password != "" && !activate:
		n.Status = userdb.StatusPending
	case password == "" && activate:
		n.Invite = true
	case password == "":
		writeError(w, r, errValidation("password", "A user created without activation needs a password."), "", "")
		return
	}
	if len(body.GroupIDs) > 0 {
		account := ""
		for _, id := range body.GroupIDs {
			role, err := a.svc.AdminGetRole(r.Context(), id)
			if err != nil {
				writeError(w, r, err, "UserGroup", id)
				return
			}
			if account != "" && role.AccountID != account {
				writeError(w, r, errValidation("groupIds", "The groups belong to different accounts."), "", "")
				return
			}
			account = role.AccountID
			n.Roles = append(n.Roles, role.Name)
		}
		n.Account = account
	}
	u, err := a.svc.AdminCreateUser(r.Context(), n)
	a.writeUser(w, r, u, err, "")
}

func withoutNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// updateUser: POST /api/v1/users/{id} changes the attributes given (a
// custom attribute set to null goes); PUT replaces the whole profile.
// credentials.password.value sets the password.
func (a *API) updateUser(replace bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ref := r.PathValue("id")
		var body userBody
		if err := decode(r, &body); err != nil {
			writeError(w, r, err, "", "")
			return
		}
		u, err := a.findUser(r, ref)
		if err != nil {
			writeError(w, r, err, "User", ref)
			return
		}
		password, setPassword := body.password()
		if replace && body.Profile == nil {
			writeError(w, r, errValidation("profile", "The field cannot be left blank"), "", "")
			return
		}
		if body.Profile != nil {
			p, err := readProfile(body.Profile, replace)
			if err != nil {
				writeError(w, r, err, "", "")
				return
			}
			if setPassword {
				// Checked before the profile is written, so that a password
				// the policy refuses changes nothing.
				email, login := u.Email, u.Username
				if p.email != nil {
					email = *p.email
				}
				if p.login != nil {
					login = *p.login
				}
				if err := a.svc.CheckPassword(password, email, login); err != nil {
					writeError(w, r, err, "User", ref)
					return
				}
			}
			up := service.ProfileUpdate{Username: p.login, Email: p.email, GivenName: p.firstName, Surname: p.lastName,
				MiddleName: p.middleName, CustomData: p.custom, ReplaceCustomData: replace}
			if u, err = a.svc.AdminUpdateUser(r.Context(), u.ID, up); err != nil {
				writeError(w, r, err, "User", ref)
				return
			}
		}
		if setPassword {
			u, err = a.svc.AdminSetPassword(r.Context(), u.ID, password, false)
		}
		a.writeUser(w, r, u, err, ref)
	}
}

// deleteUser: DELETE /api/v1/users/{id} deactivates an active user and
// deletes a deactivated one, as Okta does -> 204.
func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("id")
	u, err := a.findUser(r, ref)
	if err == nil {
		if u.Status == userdb.StatusDisabled && u.DeactivatedAt != nil {
			err = a.svc.AdminDeleteDeactivatedUser(r.Context(), u.ID)
		} else {
			_, err = a.svc.AdminDeactivateUser(r.Context(), u.ID)
		}
	}
	if err != nil {
		writeError(w, r, err, "User", ref)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// lifecycle: POST /api/v1/users/{id}/lifecycle/{op}.
func (a *API) lifecycle(w http.ResponseWriter, r *http.Request) {
	ref, op := r.PathValue("id"), r.PathValue("op")
	u, err := a.findUser(r, ref)
	if err != nil {
		writeError(w, r, err, "User", ref)
		return
	}
	ctx := r.Context()
	switch op {
	case "activate", "reactivate":
		if u.Status == userdb.StatusEnabled {
			err = errActive
		} else {
			_, err = a.svc.AdminActivateUser(ctx, u.ID)
		}
	case "deactivate":
		_, err = a.svc.AdminDeactivateUser(ctx, u.ID)
	case "suspend":
		_, err = a.svc.AdminSuspendUser(ctx, u.ID)
	case "unsuspend":
		_, err = a.svc.AdminUnsuspendUser(ctx, u.ID)
	case "unlock":
		if u.Status != userdb.StatusLocked {
			err = errStatus
		} else {
			_, err = a.svc.AdminUnlockUser(ctx, u.ID)
		}
	case "reset_password":
		if v := r.URL.Query().Get("sendEmail"); v != "" && v != "true" {
			err = errValidation("sendEmail", "Only sendEmail=true is supported: the reset link goes to the user by email.")
		} else {
			err = a.svc.AdminSendPasswordReset(ctx, u.ID)
		}
	case "expire_password":
		u, err = a.svc.AdminExpirePassword(ctx, u.ID)
		a.writeUser(w, r, u, err, ref)
		return
	default:
		err = errNotFound(r.URL.Path, "Resource")
	}
	if err != nil {
		writeError(w, r, err, "User", ref)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// changePassword: POST /api/v1/users/{id}/credentials/change_password
// {oldPassword: {value}, newPassword: {value}} -> the credentials.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("id")
	var body struct {
		Old *struct {
			Value string `json:"value"`
		} `json:"oldPassword"`
		New *struct {
			Value string `json:"value"`
		} `json:"newPassword"`
	}
	if err := decode(r, &body); err != nil {
		writeError(w, r, err, "", "")
		return
	}
	if body.Old == nil || body.New == nil {
		writeError(w, r, errValidation("password", "oldPassword and newPassword are required."), "", "")
		return
	}
	u, err := a.findUser(r, ref)
	if err == nil {
		_, err = a.svc.AdminChangePassword(r.Context(), u.ID, body.Old.Value, body.New.Value)
	}
	if err != nil {
		var msg string
		switch e := translate(err, "User", ref); {
		case userdb.IsCode(err, userdb.EFORBIDDEN) && fieldOf(err) == "oldPassword":
			msg = "oldPassword: The credentials provided were incorrect."
		case e.Code == "E0000001" && len(e.Causes) > 0 && strings.HasPrefix(e.Causes[0].Summary, "password:"):
			msg = e.Causes[0].Summary
		}
		if msg != "" {
			err = errCredentials(msg)
		}
		writeError(w, r, err, "User", ref)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"password": map[string]any{}, "provider": provider})
}

// userGroups: GET /api/v1/users/{id}/groups.
func (a *API) userGroups(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("id")
	u, err := a.findUser(r, ref)
	var roles []*userdb.Role
	if err == nil {
		roles, err = a.svc.AdminUserRoles(r.Context(), u.ID)
	}
	if err != nil {
		writeError(w, r, err, "User", ref)
		return
	}
	out := make([]*groupView, len(roles))
	for i, role := range roles {
		out[i] = a.groupView(role)
	}
	writeJSON(w, http.StatusOK, out)
}

// fieldOf returns the field a service error names.
func fieldOf(err error) string {
	var e *userdb.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
