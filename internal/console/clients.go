package console

import (
	"net/http"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/oauth"
)

// clientsPath is the OAuth clients page.
const clientsPath = Prefix + "clients"

// grantChoices are the grants the forms offer, with their labels.
var grantChoices = []option{
	{userdb.GrantAuthorizationCode, "Authorization code (sign-in with a browser)"},
	{userdb.GrantRefreshToken, "Refresh token"},
	{userdb.GrantClientCredentials, "Client credentials (a service's own token)"},
	{userdb.GrantDeviceCode, "Device code (TVs, command lines)"},
}

// clientsData is the clients page and a client's page.
type clientsData struct {
	Clients  []clientRow
	Client   *userdb.OAuthClient
	Accounts []option
	Grants   []option
	Scopes   []string
	// Secret is a new secret, shown on the page that answers its creation
	// or rotation and never again.
	Secret  string
	NewName string
}

// clientForm is what the client fields of parts.html receive.
type clientForm struct {
	V *view
	D *clientsData
}

type clientRow struct {
	*userdb.OAuthClient
	AccountName string
}

// clientProvider returns the OAuth provider, or shows that it is off.
func (c *Console) clientProvider(w http.ResponseWriter, r *http.Request, me *admin) (*oauth.Provider, bool) {
	if c.opts.OAuth == nil {
		c.notFound(w, r, me)
		return nil, false
	}
	return c.opts.OAuth, true
}

// clients lists the clients with the form to create one.
func (c *Console) clients(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "clients", "clients", "Clients")
	v.setValues("grants", []string{userdb.GrantAuthorizationCode, userdb.GrantRefreshToken})
	v.setValues("scopes", userdb.BuiltinScopes)
	c.showClients(w, r, me, http.StatusOK, v, nil)
}

func (c *Console) showClients(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view, d *clientsData) {
	p, ok := c.clientProvider(w, r, me)
	if !ok {
		return
	}
	if d == nil {
		d = &clientsData{}
	}
	names, accounts, err := c.accountNames(r, me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	if me.Super {
		d.Accounts = accounts[1:]
	}
	list, err := p.Clients(r.Context(), c.svc, "")
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	for _, cl := range list {
		d.Clients = append(d.Clients, clientRow{OAuthClient: cl, AccountName: names[cl.AccountID]})
	}
	d.Grants, d.Scopes = grantChoices, p.Scopes()
	v.Data = d
	c.render(w, r, status, v)
}

// clientInput reads the client form.
func clientInput(r *http.Request) oauth.ClientInput {
	lines := func(name string) *[]string {
		var out []string
		for _, l := range strings.Split(r.PostFormValue(name), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return &out
	}
	list := func(name string) *[]string { v := r.PostForm[name]; return &v }
	in := oauth.ClientInput{
		Name: ptr(formValue(r, "name")), Type: ptr(formValue(r, "type")), GrantTypes: list("grants"),
		RedirectURIs: lines("redirect_uris"), PostLogoutRedirectURIs: lines("logout_uris"), Scopes: list("scopes"),
		FirstParty: ptr(r.PostFormValue("first_party") == "yes"),
	}
	if t := formValue(r, "token_format"); t != "" {
		in.TokenFormat = &t
	}
	return in
}

// clientFields are the form's fields, for errors the provider names.
var clientFields = []string{"name", "type", "grants", "redirect_uris", "logout_uris", "scopes", "account"}

// clientFormError shows an error of the provider at its form field.
func clientFormError(v *view, r *http.Request, err error) {
	switch fieldOf(err) {
	case "grantTypes":
		v.invalid("grants", userdb.ErrorMessage(err))
	case "redirectUris":
		v.invalid("redirect_uris", userdb.ErrorMessage(err))
	case "postLogoutRedirectUris":
		v.invalid("logout_uris", userdb.ErrorMessage(err))
	case "authMethod":
		v.invalid("type", userdb.ErrorMessage(err))
	default:
		v.setError(r, err, clientFields...)
	}
}

// clientsPost creates a client, showing its secret once.
func (c *Console) clientsPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	p, ok := c.clientProvider(w, r, me)
	if !ok {
		return
	}
	v := c.newView(r, me, "clients", "clients", "Clients")
	if r.PostFormValue("intent") != "create" {
		v.Error = msg("unknown-action")
		c.showClients(w, r, me, http.StatusBadRequest, v, nil)
		return
	}
	in := clientInput(r)
	if me.Super {
		in.Account = ptr(formValue(r, "account"))
	}
	cl, secret, err := p.CreateClient(r.Context(), c.svc, in)
	if err != nil {
		if formStatus(err) >= 500 {
			c.fail(w, r, me, err)
			return
		}
		clientFormError(v, r, err)
		c.showClients(w, r, me, formStatus(err), v, nil)
		return
	}
	fresh := c.newView(r, me, "clients", "clients", "Clients")
	fresh.form = nil
	fresh.setValues("grants", []string{userdb.GrantAuthorizationCode, userdb.GrantRefreshToken})
	fresh.setValues("scopes", userdb.BuiltinScopes)
	c.showClients(w, r, me, http.StatusCreated, fresh, &clientsData{Secret: secret, NewName: cl.Name, Client: cl})
}

// client shows one client's settings.
func (c *Console) client(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "client", "clients", "Client")
	c.showClient(w, r, me, http.StatusOK, v, "")
}

func (c *Console) showClient(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view, secret string) {
	p, ok := c.clientProvider(w, r, me)
	if !ok {
		return
	}
	cl, err := p.Client(r.Context(), c.svc, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	v.Title = cl.Name
	v.setValue("name", cl.Name)
	v.setValue("type", cl.Type)
	v.setValue("token_format", cl.TokenFormat)
	v.setValue("redirect_uris", strings.Join(cl.RedirectURIs, "\n"))
	v.setValue("logout_uris", strings.Join(cl.PostLogoutRedirectURIs, "\n"))
	if !v.Posted("name") {
		v.setValues("grants", cl.GrantTypes)
		v.setValues("scopes", cl.Scopes)
		if cl.FirstParty {
			v.setValue("first_party", "yes")
		}
	}
	v.Data = &clientsData{Client: cl, Grants: grantChoices, Scopes: p.Scopes(), Secret: secret}
	c.render(w, r, status, v)
}

// clientPost saves, rotates the secret of, or deletes a client.
func (c *Console) clientPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	p, ok := c.clientProvider(w, r, me)
	if !ok {
		return
	}
	id := r.PathValue("id")
	v := c.newView(r, me, "client", "clients", "Client")
	switch r.PostFormValue("intent") {
	case "save":
		_, secret, err := p.UpdateClient(r.Context(), c.svc, id, clientInput(r))
		if err != nil {
			if s := formStatus(err); s >= 500 || s == http.StatusNotFound {
				c.fail(w, r, me, err)
				return
			}
			clientFormError(v, r, err)
			c.showClient(w, r, me, formStatus(err), v, "")
			return
		}
		if secret != "" {
			// Switched to a secret: shown on this answer only.
			fresh := c.newView(r, me, "client", "clients", "Client")
			fresh.form = nil
			c.showClient(w, r, me, http.StatusOK, fresh, secret)
			return
		}
		setFlash(w, r, "client-saved")
		redirect(w, r, clientsPath+"/"+id)
	case "rotate":
		_, secret, err := p.RotateSecret(r.Context(), c.svc, id)
		if err != nil {
			c.fail(w, r, me, err)
			return
		}
		fresh := c.newView(r, me, "client", "clients", "Client")
		fresh.form = nil
		c.showClient(w, r, me, http.StatusOK, fresh, secret)
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			v.invalid("confirm", msg("confirm-delete"))
			c.showClient(w, r, me, http.StatusBadRequest, v, "")
			return
		}
		if err := p.DeleteClient(r.Context(), c.svc, id); err != nil {
			c.fail(w, r, me, err)
			return
		}
		setFlash(w, r, "client-deleted")
		redirect(w, r, clientsPath)
	default:
		v.Error = msg("unknown-action")
		c.showClient(w, r, me, http.StatusBadRequest, v, "")
	}
}
