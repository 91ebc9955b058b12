package api

import (
	"net/http"
	"net/url"
	"strings"
)

// upstreamStart is the hosted page that starts a sign-in through a
// connector (internal/web): {upstreamStart}{id}/start.
const upstreamStart = "/upstream/"

// connectionURL is where a sign-in through the connector id starts, going
// on to next afterwards.
func connectionURL(id, next string) string {
	s := upstreamStart + url.PathEscape(id) + "/start"
	if next != "" {
		s += "?next=" + url.QueryEscape(next)
	}
	return s
}

// connection answers GET /login?connection=github (or realm=github, the
// original's name), as Auth0's /authorize?connection= does: the browser is
// sent to sign in through that connector. It reports whether it answered.
func (a *API) connection(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	id := strings.TrimSpace(q.Get("connection"))
	if id == "" {
		id = strings.TrimSpace(q.Get("realm"))
	}
	if id == "" || id == "local" {
		return false
	}
	http.Redirect(w, r, connectionURL(id, q.Get("next")), http.StatusFound)
	return true
}
