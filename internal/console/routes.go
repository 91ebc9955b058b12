package console

import (
	"net/http"

	"github.com/userdb/userdb/internal/ui"
)

// Routes registers the console on mux. Every form posts to its own page;
// the cross-origin protection in front of mux refuses posts from other
// sites, and the security headers middleware sets the strict CSP and
// frame-ancestors 'none' on every answer.
func (c *Console) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"{$}", c.signedIn(func(w http.ResponseWriter, r *http.Request, me *admin) {
		ui.Redirect(w, r, usersPath)
	}))
	mux.Handle("GET "+Prefix+"assets/console.css", c.css)

	mux.HandleFunc("GET "+usersPath, c.signedIn(c.users))
	mux.HandleFunc("GET "+usersPath+"/new", c.signedIn(c.newUser))
	mux.HandleFunc("POST "+usersPath+"/new", c.signedIn(c.newUserPost))
	mux.HandleFunc("GET "+usersPath+"/{id}", c.signedIn(c.user))
	mux.HandleFunc("POST "+usersPath+"/{id}", c.signedIn(c.userPost))

	mux.HandleFunc("GET "+accountsPath, c.signedIn(c.accounts))
	mux.HandleFunc("POST "+accountsPath, c.signedIn(c.accountsPost))
	mux.HandleFunc("GET "+accountsPath+"/{id}", c.signedIn(c.account))
	mux.HandleFunc("POST "+accountsPath+"/{id}", c.signedIn(c.accountPost))

	mux.HandleFunc("GET "+rolesPath, c.signedIn(c.roles))
	mux.HandleFunc("POST "+rolesPath, c.signedIn(c.rolesPost))
	mux.HandleFunc("GET "+rolesPath+"/{id}", c.signedIn(c.role))
	mux.HandleFunc("POST "+rolesPath+"/{id}", c.signedIn(c.rolePost))

	mux.HandleFunc("GET "+eventsPath, c.signedIn(c.events))

	mux.HandleFunc("GET "+apiKeysPath, c.signedIn(c.apiKeys))
	mux.HandleFunc("POST "+apiKeysPath, c.signedIn(c.apiKeysPost))

	mux.HandleFunc("GET "+connectorsPath, c.signedIn(c.connectors))
	mux.HandleFunc("POST "+connectorsPath, c.signedIn(c.connectorsPost))
	mux.HandleFunc("GET "+clientsPath, c.signedIn(c.clients))
	mux.HandleFunc("POST "+clientsPath, c.signedIn(c.clientsPost))
	mux.HandleFunc("GET "+clientsPath+"/{id}", c.signedIn(c.client))
	mux.HandleFunc("POST "+clientsPath+"/{id}", c.signedIn(c.clientPost))

	c.importRoutes(mux)

	// Anything else under the prefix: the console's own "not found", to
	// administrators only (others learn nothing about what exists).
	mux.HandleFunc(Prefix, c.signedIn(func(w http.ResponseWriter, r *http.Request, me *admin) {
		c.notFound(w, r, me)
	}))
}
