package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/server"
)

// openExample opens a server on a new SQLite database in dir.
func openExample(ctx context.Context, dir string) (*server.Server, error) {
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.Join(dir, "app.db")
	return server.Open(ctx, cfg, server.WithLogger(slog.New(slog.DiscardHandler)))
}

// A program mounts userdb beside its own routes and protects those with
// Authenticated and Authorized.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "userdb-example-")
	defer os.RemoveAll(dir)
	srv, err := openExample(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)

	reports := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _ := server.CallerFrom(r.Context())
		fmt.Fprintf(w, "reports for %s", caller.Email)
	})
	mux := http.NewServeMux()
	mux.Handle("/", srv) // /login, /me, /logout, the hosted pages, the console...
	mux.Handle("GET /reports", srv.Authenticated(srv.Authorized([]string{"reports"}, false)(reports)))
	app := httptest.NewServer(mux)
	defer app.Close()

	users := srv.Users()
	if _, _, err := users.FindOrCreateRole(ctx, "", "reports"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := users.Create(ctx, server.NewUser{Email: "ann@example.com", Password: "correct horse battery",
		Roles: []string{"reports"}}); err != nil {
		fmt.Println(err)
		return
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func() {
		req, _ := http.NewRequest("GET", app.URL+"/reports", nil)
		req.Header.Set("Accept", "application/json")
		res, err := browser.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, strings.TrimSpace(string(body)))
	}
	get() // not signed in
	res, err := browser.Post(app.URL+"/login", "application/json",
		strings.NewReader(`{"login": "ann@example.com", "password": "correct horse battery"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	get()
	// Output:
	// 401 {"next":"/reports","status":401,"message":"Not signed in."}
	// 200 reports for ann@example.com
}

// The programmatic user API: the original library's findUserByName,
// addRoleToUser, saveUser and searchForUsers.
func ExampleUsers() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "userdb-example-")
	defer os.RemoveAll(dir)
	srv, err := openExample(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)
	users := srv.Users()

	if _, err := users.Create(ctx, server.NewUser{Email: "bo@example.com", Username: "bo", Password: "correct horse battery"}); err != nil {
		fmt.Println(err)
		return
	}
	u, err := users.FindByUsername(ctx, "BO")
	if err != nil {
		fmt.Println(err)
		return
	}
	if u, err = users.AddRole(ctx, u.ID, "admin"); err != nil {
		fmt.Println(err)
		return
	}
	u.GivenName, u.Surname = "Bo", "Diddley"
	if u, err = users.Save(ctx, u); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.FullName, u.Roles, u.Version)

	stale := *u
	stale.Version--
	_, err = users.Save(ctx, &stale)
	fmt.Println(userdb.ErrorCode(err))

	page, err := users.Search(ctx, userdb.UserFilter{Query: "didd"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(page.Total, page.Users[0].Email)
	// Output:
	// Bo Diddley [admin] 2
	// conflict
	// 1 bo@example.com
}
