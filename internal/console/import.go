package console

import "net/http"

// importPath is the bulk import page.
const importPath = Prefix + "import"

// importRoutes registers the import page and the example file.
func (c *Console) importRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+importPath, c.signedIn(func(w http.ResponseWriter, r *http.Request, me *admin) {
		c.notFound(w, r, me)
	}))
}
