package server

import (
	"net/http"

	"github.com/userdb/userdb/internal/web"
)

// probeMethods are the methods a path is tried with to tell "no such path"
// (404) from "not with this method" (405).
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// notFound is the mux's pattern of last resort ("/"): it answers every
// request no surface serves with the branded 404 page or the JSON error,
// never Go's plain text. Because "/" matches any method, a path served for
// other methods only reaches it too; it answers those 405 with Allow, as
// the mux would have. The probing costs nothing on served paths.
func notFound(mux *http.ServeMux, pages *web.Pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range probeMethods {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		pages.NotFound(w, r, allow)
	})
}
