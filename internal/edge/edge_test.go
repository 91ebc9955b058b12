package edge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/userdb/userdb"
)

func TestReturnURLs(t *testing.T) {
	e := New(nil, Options{SignInPage: "/signin", ExpiredPage: "/password-expired"})
	get := httptest.NewRequest("GET", "/admin/users?q=ann&x=1", nil)
	post := httptest.NewRequest("POST", "/profile?intent=x", nil)
	for _, tc := range []struct{ got, want string }{
		{e.SignInURL(get), "/signin?next=%2Fadmin%2Fusers%3Fq%3Dann%26x%3D1"},
		// A post cannot be repeated after signing in: back to its page.
		{e.SignInURL(post), "/signin?next=%2Fprofile"},
		{e.ExpiredURL(get), "/password-expired?next=%2Fadmin%2Fusers%3Fq%3Dann%26x%3D1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestUnauthenticated(t *testing.T) {
	e := New(nil, Options{SignInPage: "/signin"})
	notSignedIn := userdb.Errorf(userdb.EUNAUTHORIZED, "Not signed in.")
	for _, tc := range []struct {
		name, method, accept string
		err                  error
		status               int
		location             string
	}{
		{"browser page", "GET", "text/html", notSignedIn, http.StatusFound, "/signin?next=%2Fme%3Fa%3D1"},
		{"JSON client", "GET", "application/json", notSignedIn, http.StatusUnauthorized, ""},
		// index.js:687: any request accepting HTML; a post comes back to its page.
		{"browser post", "POST", "text/html", notSignedIn, http.StatusSeeOther, "/signin?next=%2Fme"},
		{"browser delete", "DELETE", "text/html,*/*", notSignedIn, http.StatusSeeOther, "/signin?next=%2Fme"},
		{"XHR", "POST", "*/*", notSignedIn, http.StatusUnauthorized, ""},
		{"another error", "GET", "text/html", userdb.Errorf(userdb.EFORBIDDEN, "No."), http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/me?a=1", nil)
			r.Header.Set("Accept", tc.accept)
			w := httptest.NewRecorder()
			e.Unauthenticated(w, r, tc.err)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location {
				t.Fatalf("%d Location=%q, want %d %q", w.Code, w.Header().Get("Location"), tc.status, tc.location)
			}
			// index.js:692: JSON clients get {next, status, message}.
			if tc.status == http.StatusUnauthorized {
				var body struct {
					Next    *string `json:"next"`
					Status  int     `json:"status"`
					Message string  `json:"message"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Next == nil || *body.Next != "/me?a=1" ||
					body.Status != 401 || body.Message != "Not signed in." {
					t.Fatalf("401 body %s, want {next: /me?a=1, status: 401, message}", w.Body)
				}
			}
		})
	}
}

// TestMetaCarriesTheCookie: the service ends the session a sign-in's
// request carried, so the request's metadata holds the cookie's value —
// this edge's cookie only.
func TestMetaCarriesTheCookie(t *testing.T) {
	e := New(nil, Options{CookieName: "sid"})
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "192.0.2.7:4000"
	r.Header.Set("User-Agent", "test-agent")
	r.AddCookie(&http.Cookie{Name: "userdb", Value: "not-ours"})
	if m := e.Meta(r, ""); m.Session != "" || m.IP != "192.0.2.7" || m.UserAgent != "test-agent" {
		t.Fatalf("meta without the edge's cookie: %+v", m)
	}
	r.AddCookie(&http.Cookie{Name: "sid", Value: "secret"})
	if m := e.Meta(r, "usr_1"); m.Session != "secret" || m.ActorID != "usr_1" {
		t.Fatalf("meta with the edge's cookie: %+v", m)
	}
	p := &Principal{User: &userdb.User{ID: "usr_2"}, secret: "other"}
	if m := e.CallerMeta(r, p); m.Session != "other" || m.ActorID != "usr_2" {
		t.Fatalf("caller meta: %+v", m)
	}
}
