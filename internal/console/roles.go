package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/ui"
)

// rolesPath is the roles page.
const rolesPath = Prefix + "roles"

// rolesData is the roles page.
type rolesData struct {
	Roles    []roleRow
	Accounts []ui.Option // super-admins: the account filter and the new role's account
	NewIn    []ui.Option
	Filter   string // the account shown; "" for all
}

type roleRow struct {
	*userdb.Role
	AccountName string
	UsersURL    string
}

// roles lists the roles of the accounts the administrator reaches, with the
// form to add one.
func (c *Console) roles(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "roles", "roles", "Roles")
	v.SetValue("account", userdb.DefaultAccountID)
	c.showRoles(w, r, me, http.StatusOK, v)
}

func (c *Console) showRoles(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	account := ""
	if me.Super {
		account = strings.TrimSpace(r.URL.Query().Get("account"))
	}
	names, accounts, err := c.accountNames(r, me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	page, err := c.svc.AdminListRoles(r.Context(), userdb.RoleFilter{AccountID: account})
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	d := &rolesData{Accounts: accounts, Filter: account}
	if me.Super {
		d.NewIn = accounts[1:]
	}
	for _, ro := range page.Roles {
		d.Roles = append(d.Roles, roleRow{Role: ro, AccountName: names[ro.AccountID],
			UsersURL: withParams(usersPath, nil, "role", ro.Name, "account", accountParam(me, ro.AccountID))})
	}
	v.Data = d
	c.render(w, r, status, v)
}

// accountParam is the account= of a users link: super-admins name it,
// admins have one only.
func accountParam(me *admin, id string) string {
	if me.Super {
		return id
	}
	return ""
}

// rolesPost creates a role.
func (c *Console) rolesPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "roles", "roles", "Roles")
	name, account := ui.FormValue(r, "name"), ""
	if me.Super {
		account = ui.FormValue(r, "account")
	}
	if name == "" {
		v.Invalid("name", msg("name-required"))
		c.showRoles(w, r, me, http.StatusBadRequest, v)
		return
	}
	ro, err := c.svc.AdminCreateRole(r.Context(), account, name, ui.FormValue(r, "description"))
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "name", "description", "account")
		c.showRoles(w, r, me, ui.FormStatus(err), v)
		return
	}
	setFlash(w, r, "role-created")
	ui.Redirect(w, r, rolePath(ro.ID))
}

func rolePath(id string) string { return rolesPath + "/" + url.PathEscape(id) }

// roleData is a role's page.
type roleData struct {
	Role        *userdb.Role
	AccountName string
	UsersURL    string
	BuiltIn     bool
}

// role shows a role with the forms to edit and delete it.
func (c *Console) role(w http.ResponseWriter, r *http.Request, me *admin) {
	c.showRole(w, r, me, http.StatusOK, c.newView(r, me, "role", "roles", "Role"))
}

func (c *Console) showRole(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	ro, err := c.svc.AdminGetRole(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	a, err := c.svc.AdminGetAccount(r.Context(), ro.AccountID)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	v.SetValue("name", ro.Name)
	v.SetValue("description", ro.Description)
	v.Title = ro.Name
	v.Data = &roleData{Role: ro, AccountName: a.Name,
		BuiltIn:  ro.Name == userdb.RoleAdmin || ro.Name == c.svc.Options().SuperAdminRole,
		UsersURL: withParams(usersPath, nil, "role", ro.Name, "account", accountParam(me, ro.AccountID))}
	c.render(w, r, status, v)
}

// rolePost saves or deletes a role.
func (c *Console) rolePost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "role", "roles", "Role")
	id := r.PathValue("id")
	var err error
	switch r.PostFormValue("intent") {
	case "save":
		name := ui.FormValue(r, "name")
		if name == "" {
			v.Invalid("name", msg("name-required"))
			c.showRole(w, r, me, http.StatusBadRequest, v)
			return
		}
		if _, err = c.svc.AdminUpdateRole(r.Context(), id, userdb.RoleUpdate{Name: &name, Description: ptr(ui.FormValue(r, "description"))}); err == nil {
			setFlash(w, r, "role-saved")
			ui.Redirect(w, r, rolePath(id))
			return
		}
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			v.Invalid("confirm", msg("confirm-delete"))
			c.showRole(w, r, me, http.StatusBadRequest, v)
			return
		}
		if err = c.svc.AdminDeleteRole(r.Context(), id); err == nil {
			setFlash(w, r, "role-deleted")
			ui.Redirect(w, r, rolesPath)
			return
		}
	default:
		v.Error = msg("unknown-action")
		c.showRole(w, r, me, http.StatusBadRequest, v)
		return
	}
	if s := ui.FormStatus(err); s >= 500 || s == http.StatusNotFound {
		c.fail(w, r, me, err)
		return
	}
	v.setError(r, err, "name", "description")
	c.showRole(w, r, me, ui.FormStatus(err), v)
}
