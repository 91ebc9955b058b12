package okta

import (
	"net/http"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// Groups are userdb's roles: a group's members are the users who hold the
// role, and adding a user to a group gives the user the role, with the
// service's rules about who may grant what.

type groupProfile struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type groupView struct {
	ID                    string          `json:"id"`
	Created               string          `json:"created"`
	LastUpdated           string          `json:"lastUpdated"`
	LastMembershipUpdated *string         `json:"lastMembershipUpdated"`
	ObjectClass           []string        `json:"objectClass"`
	Type                  string          `json:"type"`
	Profile               groupProfile    `json:"profile"`
	Links                 map[string]link `json:"_links"`
}

func (a *API) groupView(r *userdb.Role) *groupView {
	return &groupView{
		ID: r.ID, Created: ts(r.CreatedAt), LastUpdated: ts(r.UpdatedAt), ObjectClass: []string{"okta:user_group"},
		Type: "OKTA_GROUP", Profile: groupProfile{Name: r.Name, Description: r.Description},
		Links: map[string]link{"self": {a.opts.OrgURL + "/api/v1/groups/" + r.ID}},
	}
}

func (a *API) writeGroup(w http.ResponseWriter, r *http.Request, status int, role *userdb.Role, err error, ref string) {
	if err != nil {
		writeError(w, r, err, "UserGroup", ref)
		return
	}
	writeJSON(w, status, a.groupView(role))
}

// listGroups: GET /api/v1/groups?q=&limit=&after= -> the groups of the
// caller's reach whose name starts with q (ignoring case), by id. An
// account has few roles and the store lists them whole, so the page is
// cut here.
func (a *API) listGroups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := listLimit(q, 10000, 10000)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	all, err := a.svc.AdminListRoles(r.Context(), userdb.RoleFilter{}) // every role the caller reaches
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	roles := all.Roles
	prefix, after := userdb.Fold(q.Get("q")), q.Get("after")
	var page []*userdb.Role
	for _, role := range roles {
		if strings.HasPrefix(userdb.Fold(role.Name), prefix) && role.ID > after {
			page = append(page, role)
		}
	}
	slices.SortFunc(page, func(x, y *userdb.Role) int { return strings.Compare(x.ID, y.ID) })
	next := ""
	if len(page) > limit {
		page = page[:limit]
		next = page[limit-1].ID
	}
	out := make([]*groupView, len(page))
	for i, role := range page {
		out[i] = a.groupView(role)
	}
	a.setLinks(w, r, "/api/v1/groups", next)
	writeJSON(w, http.StatusOK, out)
}

type groupBody struct {
	Profile *groupProfile `json:"profile"`
}

func readGroup(r *http.Request) (*groupProfile, error) {
	var body groupBody
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.Profile == nil || strings.TrimSpace(body.Profile.Name) == "" {
		return nil, errValidation("name", "The field cannot be left blank")
	}
	return body.Profile, nil
}

// createGroup: POST /api/v1/groups {profile: {name, description}}, in the
// caller's own account (the default account for a super-admin).
func (a *API) createGroup(w http.ResponseWriter, r *http.Request) {
	p, err := readGroup(r)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	role, err := a.svc.AdminCreateRole(r.Context(), "", p.Name, p.Description)
	a.writeGroup(w, r, http.StatusOK, role, err, "")
}

// getGroup: GET /api/v1/groups/{id}.
func (a *API) getGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	role, err := a.svc.AdminGetRole(r.Context(), id)
	a.writeGroup(w, r, http.StatusOK, role, err, id)
}

// updateGroup: PUT /api/v1/groups/{id} {profile: {name, description}}.
func (a *API) updateGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := readGroup(r)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	role, err := a.svc.AdminUpdateRole(r.Context(), id, userdb.RoleUpdate{Name: &p.Name, Description: &p.Description})
	a.writeGroup(w, r, http.StatusOK, role, err, id)
}

// deleteGroup: DELETE /api/v1/groups/{id} -> 204.
func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.svc.AdminDeleteRole(r.Context(), id); err != nil {
		writeError(w, r, err, "UserGroup", id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// groupUsers: GET /api/v1/groups/{id}/users?limit=&after= -> the members,
// paged by the store like the users' list.
func (a *API) groupUsers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	limit, err := listLimit(r.URL.Query(), 1000, 1000)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	role, err := a.svc.AdminGetRole(r.Context(), id)
	if err != nil {
		writeError(w, r, err, "UserGroup", id)
		return
	}
	page, err := a.svc.AdminListUsers(r.Context(), userdb.UserFilter{AccountID: role.AccountID, Role: role.Name,
		Cursor: r.URL.Query().Get("after"), Limit: limit})
	if err != nil {
		writeError(w, r, err, "UserGroup", id)
		return
	}
	out := make([]*userView, len(page.Users))
	for i, u := range page.Users {
		out[i] = a.userView(u)
	}
	a.setLinks(w, r, "/api/v1/groups/"+role.ID+"/users", page.Next)
	writeJSON(w, http.StatusOK, out)
}

// member finds the group and the user of a membership route. A user of
// another account than the group's cannot be its member: it is not found.
func (a *API) member(r *http.Request) (*userdb.Role, *userdb.User, error) {
	id, uid := r.PathValue("id"), r.PathValue("userId")
	role, err := a.svc.AdminGetRole(r.Context(), id)
	if err != nil {
		return nil, nil, translate(err, "UserGroup", id)
	}
	u, err := a.svc.AdminGetUser(r.Context(), uid)
	if err != nil {
		return nil, nil, translate(err, "User", uid)
	}
	if u.AccountID != role.AccountID {
		return nil, nil, errNotFound(uid, "User")
	}
	return role, u, nil
}

// addGroupUser: PUT /api/v1/groups/{id}/users/{userId} -> 204.
func (a *API) addGroupUser(w http.ResponseWriter, r *http.Request) {
	role, u, err := a.member(r)
	if err == nil && !u.HasRole(role.Name) {
		_, err = a.svc.AdminAddRole(r.Context(), u.ID, role.Name)
		err = memberErr(err, u)
	}
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeGroupUser: DELETE /api/v1/groups/{id}/users/{userId} -> 204, also
// when the user was no member.
func (a *API) removeGroupUser(w http.ResponseWriter, r *http.Request) {
	role, u, err := a.member(r)
	if err == nil && u.HasRole(role.Name) {
		_, err = a.svc.AdminRemoveRole(r.Context(), u.ID, role.Name)
		err = memberErr(err, u)
	}
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// memberErr words a failed membership change as about the user.
func memberErr(err error, u *userdb.User) error {
	if err == nil {
		return nil
	}
	return translate(err, "User", u.ID)
}
