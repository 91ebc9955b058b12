package console

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// Prefix is where the console lives.
const Prefix = "/admin/"

// ExampleCSVPath is where the example import file is served, at the path
// the original library used.
const ExampleCSVPath = "/import-users-example.csv"

// Options configure the console.
type Options struct {
	Branding ui.Branding
	// MaxUpload is the largest import file (server.max_upload), shown on the import page.
	MaxUpload int64
	// OAuth is the OAuth provider, whose clients the Clients page manages
	// (nil when it is off: no page).
	OAuth *oauth.Provider
}

// Console serves the admin console. It holds no rules of its own: every
// action calls the service's Admin* method with the signed-in user as the
// actor, exactly as the JSON API does, so both refuse the same things.
type Console struct {
	svc  *service.Service
	edge *edge.Edge
	look *ui.Look
	css  ui.File // console.css
	opts Options
}

// New returns the console; e authenticates its users. Its templates were
// parsed when the program started.
func New(svc *service.Service, e *edge.Edge, o Options) *Console {
	return &Console{svc: svc, edge: e, look: ui.NewLook(o.Branding),
		css: ui.NewFile(Prefix+"assets/console.css", "text/css; charset=utf-8", consoleCSS), opts: o}
}

// admin is who uses the console: the signed-in user and what the service
// will let them reach (decided again by the service on every call; this
// only shapes the pages).
type admin struct {
	User  *userdb.User
	Super bool
	// MFANotice asks an administrator without a second factor to add one
	// (nil: nothing to ask).
	MFANotice *ui.AdminMFANotice
}

// handler handles a console request of a signed-in administrator; r
// carries the actor for the service.
type handler func(w http.ResponseWriter, r *http.Request, me *admin)

// signedIn lets administrators through to h. Others signed in get a 403
// page; visitors are sent to sign in and come back; a user whose password
// has expired changes it first.
func (c *Console) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := c.edge.Authenticate(r)
		if err != nil && !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
			c.fail(w, r, nil, err)
			return
		}
		if err != nil {
			ui.Redirect(w, r, c.edge.SignInURL(r))
			return
		}
		if c.svc.PasswordExpired(p.User) {
			ui.Redirect(w, r, c.edge.ExpiredURL(r))
			return
		}
		me := &admin{User: p.User}
		superRole := c.svc.Options().SuperAdminRole
		me.Super = p.User.AccountID == userdb.DefaultAccountID && p.User.HasRole(superRole)
		if !me.Super && !p.User.HasRole(userdb.RoleAdmin) {
			c.forbidden(w, r, p.User)
			return
		}
		ctx := service.WithActor(service.WithMeta(r.Context(), c.edge.CallerMeta(r, p)), service.UserActor(p.User))
		by, err := c.svc.AdminMFADeadline(ctx, p.User)
		if err != nil {
			c.fail(w, r, me, err)
			return
		}
		me.MFANotice = ui.NewAdminMFANotice(by, c.edge.Options().ProfilePage)
		h(w, r.WithContext(ctx), me)
	}
}

// parseForm reads a posted form; a body that cannot be read is answered here.
func (c *Console) parseForm(w http.ResponseWriter, r *http.Request, me *admin) bool {
	if err := r.ParseForm(); err != nil {
		c.message(w, r, me, http.StatusBadRequest, ui.Message{Title: msg("form-unreadable-title"),
			Text: msg("form-unreadable"), Kind: "error"})
		return false
	}
	return true
}

func ptr[T any](v T) *T { return &v }
