// Command libapp is a program of its own module that embeds userdb as a Go
// library: it mounts userdb's routes beside its own, protects its own with
// Authenticated and Authorized, and uses the programmatic user API. The
// README's "As a Go library" section is taken from it, and the e2e tests
// build it with a replace directive and drive it over HTTP.
//
//	APP_ADMIN_EMAIL=a@example.com APP_ADMIN_PASSWORD='a long pass phrase' go run . -addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dsn := flag.String("db", "sqlite:app.db", "userdb's database")
	flag.Parse()
	if err := run(ctx, *addr, *dsn, os.Getenv); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, dsn string, getenv func(string) string) error {
	cfg := server.DefaultConfig() // or server.LoadConfig("userdb.yaml", os.Getenv)
	cfg.Database.DSN = dsn
	cfg.Sessions.Lifetime = 24 * time.Hour
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close(context.WithoutCancel(ctx))

	// The original's findOrCreateRole, findOrCreateUser and addRoleToUser:
	// a first administrator who may read the reports.
	users := srv.Users()
	if _, _, err := users.FindOrCreateRole(ctx, "", "reports"); err != nil {
		return err
	}
	admin, _, err := users.FindOrCreate(ctx, server.NewUser{
		Email: getenv("APP_ADMIN_EMAIL"), Password: getenv("APP_ADMIN_PASSWORD"), Verified: true,
	})
	if err != nil {
		return err
	}
	if !admin.HasRole("reports") {
		if _, err := users.AddRole(ctx, admin.ID, "reports"); err != nil {
			return err
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/", srv) // /login, /me, /logout, the hosted pages, /admin/ ...
	mux.Handle("GET /reports", srv.Authenticated(srv.Authorized([]string{"reports"}, false)(reports(users))))
	mux.Handle("GET /hello", srv.Authenticated(http.HandlerFunc(hello)))
	mux.HandleFunc("POST /signup", signup(users))

	go srv.Run(ctx) // sends the outbox, writes batched session times
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Shutdown(context.WithoutCancel(ctx))
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// hello greets any signed-in user.
func hello(w http.ResponseWriter, r *http.Request) {
	caller, _ := server.CallerFrom(r.Context())
	fmt.Fprintf(w, "hello %s\n", caller.Email)
}

// reports is for callers with the reports role.
func reports(users *server.Users) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := users.Search(r.Context(), userdb.UserFilter{Limit: 1})
		if err != nil {
			http.Error(w, userdb.ErrorMessage(err), http.StatusInternalServerError)
			return
		}
		caller, _ := server.CallerFrom(r.Context())
		fmt.Fprintf(w, "reports for %s: %d users\n", caller.Email, page.Total)
	})
}

// signup creates a user with the programmatic API.
func signup(users *server.Users) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := users.Create(r.Context(), server.NewUser{
			Email: r.PostFormValue("email"), Password: r.PostFormValue("password"),
		})
		switch userdb.ErrorCode(err) {
		case "":
			fmt.Fprintln(w, u.ID)
		case userdb.EINVALID:
			http.Error(w, userdb.ErrorMessage(err), http.StatusBadRequest)
		case userdb.ECONFLICT:
			http.Error(w, userdb.ErrorMessage(err), http.StatusConflict)
		default:
			http.Error(w, userdb.ErrorMessage(err), http.StatusInternalServerError)
		}
	}
}
