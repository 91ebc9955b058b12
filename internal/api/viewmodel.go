package api

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// ViewModel is the Stormpath "view model" of a form: what react-stormpath's
// LoginForm and RegistrationForm ask for with GET /login and GET /register
// (Accept: application/json) before drawing their fields. They read
// form.fields (name, label, placeholder, required, type) and walk
// accountStores looking for social providers (provider.providerId and
// authorizeUri); userdb has none, so the list is empty but present, as
// react-stormpath calls forEach on it.
type ViewModel struct {
	Form          ViewForm       `json:"form"`
	AccountStores []AccountStore `json:"accountStores"`
}

// ViewForm is the form of a view model.
type ViewForm struct {
	Fields []ViewField `json:"fields"`
}

// ViewField is one input of a view model's form.
type ViewField struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Placeholder string `json:"placeholder"`
	Required    bool   `json:"required"`
	Type        string `json:"type"`
}

// AccountStore is a social or directory login a view model offers: the
// fields react-stormpath reads to draw a provider's button.
type AccountStore struct {
	Href         string    `json:"href,omitempty"`
	Name         string    `json:"name,omitempty"`
	AuthorizeURI string    `json:"authorizeUri,omitempty"`
	Provider     *Provider `json:"provider,omitempty"`
}

// Provider names the kind of an account store ("google", "github"...).
type Provider struct {
	ProviderID string `json:"providerId"`
}

// The forms' fields carry the hosted pages' labels; their names are the
// ones POST /login and POST /register accept.
var (
	loginViewModel = ViewModel{
		Form: ViewForm{Fields: []ViewField{
			{Name: "login", Label: "Email or username", Placeholder: "Email or username", Required: true, Type: "text"},
			{Name: "password", Label: "Password", Placeholder: "Password", Required: true, Type: "password"},
		}},
		AccountStores: []AccountStore{},
	}
	registerViewModel = ViewModel{
		Form: ViewForm{Fields: []ViewField{
			{Name: "givenName", Label: "First name", Placeholder: "First name", Required: true, Type: "text"},
			{Name: "surname", Label: "Last name", Placeholder: "Last name", Required: true, Type: "text"},
			{Name: "email", Label: "Email", Placeholder: "Email", Required: true, Type: "email"},
			{Name: "password", Label: "Password", Placeholder: "Password", Required: true, Type: "password"},
		}},
		AccountStores: []AccountStore{},
	}
)

// loginView: GET /login. A browser is sent to the sign-in page with its
// next=; a JSON client (react-stormpath's UserService.getLoginViewData)
// gets the login form's view model.
func (a *API) loginView(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	if a.connection(w, r) {
		return
	}
	if httpx.WantsHTML(r) {
		a.loginPage(w, r)
		return
	}
	httpx.JSON(w, http.StatusOK, loginViewModel)
}

// registerView: GET /register. A browser is sent to the sign-up page with
// its next=; a JSON client (UserService.getRegisterViewData) gets the
// registration form's view model, or the 403 that POST /register would
// answer when registration is off.
func (a *API) registerView(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	if a.opts.RegisterPage != "" && httpx.WantsHTML(r) {
		toPage(w, r, a.opts.RegisterPage, "next")
		return
	}
	if !a.svc.Options().RegistrationEnabled {
		httpx.Error(w, r, userdb.Errorf(userdb.EFORBIDDEN, "Registration is not enabled."))
		return
	}
	httpx.JSON(w, http.StatusOK, registerViewModel)
}
