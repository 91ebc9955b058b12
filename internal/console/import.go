package console

import "net/http"

// ImportPath is the bulk import page; its uploads may be as large as
// server.max_upload.
const ImportPath = Prefix + "import"

// importRoutes registers the import page and the example file.
func (c *Console) importRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ImportPath, c.signedIn(func(w http.ResponseWriter, r *http.Request, me *admin) {
		c.notFound(w, r, me)
	}))
}
