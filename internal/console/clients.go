package console

import (
	"github.com/userdb/userdb/internal/ui"
	"net/http"
	"net/url"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/oauth"
)

// clientsPath is the OAuth clients page.
const clientsPath = Prefix + "clients"

// grantChoices are the grants the forms offer, with their labels.
var grantChoices = []ui.Option{
	{Value: userdb.GrantAuthorizationCode, Label: "Authorization code (sign-in with a browser)"},
	{Value: userdb.GrantRefreshToken, Label: "Refresh token"},
	{Value: userdb.GrantClientCredentials, Label: "Client credentials (a service's own token)"},
	{Value: userdb.GrantDeviceCode, Label: "Device code (TVs, command lines)"},
}

// clientsData is the clients page and a client's page.
type clientsData struct {
	Clients  []clientRow
	Client   *userdb.OAuthClient
	Accounts []ui.Option
	Grants   []ui.Option
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
	v.SetValues("grants", []string{userdb.GrantAuthorizationCode, userdb.GrantRefreshToken})
	v.SetValues("scopes", userdb.BuiltinScopes)
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
		Name: ptr(ui.FormValue(r, "name")), Type: ptr(ui.FormValue(r, "type")), GrantTypes: list("grants"),
		RedirectURIs: lines("redirect_uris"), PostLogoutRedirectURIs: lines("logout_uris"), Scopes: list("scopes"),
		FirstParty: ptr(r.PostFormValue("first_party") == "yes"),
	}
	if t := ui.FormValue(r, "token_format"); t != "" {
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
		v.Invalid("grants", userdb.ErrorMessage(err))
	case "redirectUris":
		v.Invalid("redirect_uris", userdb.ErrorMessage(err))
	case "postLogoutRedirectUris":
		v.Invalid("logout_uris", userdb.ErrorMessage(err))
	case "authMethod":
		v.Invalid("type", userdb.ErrorMessage(err))
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
		in.Account = ptr(ui.FormValue(r, "account"))
	}
	cl, secret, err := p.CreateClient(r.Context(), c.svc, in)
	if err != nil {
		if ui.FormStatus(err) >= 500 {
			c.fail(w, r, me, err)
			return
		}
		clientFormError(v, r, err)
		c.showClients(w, r, me, ui.FormStatus(err), v, nil)
		return
	}
	fresh := c.newView(r, me, "clients", "clients", "Clients")
	fresh.Input = url.Values{}
	fresh.SetValues("grants", []string{userdb.GrantAuthorizationCode, userdb.GrantRefreshToken})
	fresh.SetValues("scopes", userdb.BuiltinScopes)
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
	v.SetValue("name", cl.Name)
	v.SetValue("type", cl.Type)
	v.SetValue("token_format", cl.TokenFormat)
	v.SetValue("redirect_uris", strings.Join(cl.RedirectURIs, "\n"))
	v.SetValue("logout_uris", strings.Join(cl.PostLogoutRedirectURIs, "\n"))
	if !v.Posted("name") {
		v.SetValues("grants", cl.GrantTypes)
		v.SetValues("scopes", cl.Scopes)
		if cl.FirstParty {
			v.SetValue("first_party", "yes")
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
			if s := ui.FormStatus(err); s >= 500 || s == http.StatusNotFound {
				c.fail(w, r, me, err)
				return
			}
			clientFormError(v, r, err)
			c.showClient(w, r, me, ui.FormStatus(err), v, "")
			return
		}
		if secret != "" {
			// Switched to a secret: shown on this answer only.
			fresh := c.newView(r, me, "client", "clients", "Client")
			fresh.Input = url.Values{}
			c.showClient(w, r, me, http.StatusOK, fresh, secret)
			return
		}
		setFlash(w, r, "client-saved")
		ui.Redirect(w, r, clientsPath+"/"+id)
	case "rotate":
		_, secret, err := p.RotateSecret(r.Context(), c.svc, id)
		if err != nil {
			c.fail(w, r, me, err)
			return
		}
		fresh := c.newView(r, me, "client", "clients", "Client")
		fresh.Input = url.Values{}
		c.showClient(w, r, me, http.StatusOK, fresh, secret)
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			v.Invalid("confirm", msg("confirm-delete"))
			c.showClient(w, r, me, http.StatusBadRequest, v, "")
			return
		}
		if err := p.DeleteClient(r.Context(), c.svc, id); err != nil {
			c.fail(w, r, me, err)
			return
		}
		setFlash(w, r, "client-deleted")
		ui.Redirect(w, r, clientsPath)
	default:
		v.Error = msg("unknown-action")
		c.showClient(w, r, me, http.StatusBadRequest, v, "")
	}
}
