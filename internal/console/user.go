package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// userData is a user's page.
type userData struct {
	User        *userdb.User
	AccountName string
	Roles       []ui.Option
	Sessions    []sessionRow
	Events      []eventRow
	HasPassword bool
	Self        bool
	EventsURL   string
	// Factors are the user's second factors; RecoveryCodes how many
	// unused recovery codes it has. "Reset MFA" removes them all.
	Factors       []factorRow
	RecoveryCodes int
}

type factorRow struct {
	Kind, Name string
	Added      time.Time
	LastUsed   *time.Time
}

// factorKinds name the kinds of factors as the page shows them.
var factorKinds = map[string]string{
	string(userdb.FactorTOTP):     "Authenticator app",
	string(userdb.FactorWebAuthn): "Security key or passkey",
}

type sessionRow struct {
	Device, IP        string
	Started, LastSeen time.Time
}

// user shows a user: the profile form, roles, actions, sessions and the
// latest events. A user the administrator may not reach is not found.
func (c *Console) user(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "user", "users", "User")
	c.showUser(w, r, me, http.StatusOK, v)
}

func (c *Console) showUser(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	ctx := r.Context()
	id := r.PathValue("id")
	u, err := c.svc.AdminGetUser(ctx, id)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	d := &userData{User: u, HasPassword: u.PasswordHash != "", Self: u.ID == me.User.ID,
		EventsURL: withParams(eventsPath, nil, "user", u.ID)}
	if a, err := c.svc.AdminGetAccount(ctx, u.AccountID); err == nil {
		d.AccountName = a.Name
	} else {
		c.fail(w, r, me, err)
		return
	}
	if d.Roles, err = c.roleOptions(r, me, u.AccountID, ""); err != nil {
		c.fail(w, r, me, err)
		return
	}
	sessions, err := c.svc.AdminUserSessions(ctx, u.ID)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, sessionRow{Device: catalogue.DescribeAgent(s.UserAgent), IP: s.IP,
			Started: s.CreatedAt, LastSeen: s.LastSeenAt})
	}
	mfa, err := c.svc.AdminUserFactors(ctx, u.ID)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	for _, f := range mfa.Factors {
		kind := factorKinds[f.Kind]
		if kind == "" {
			kind = f.Kind
		}
		d.Factors = append(d.Factors, factorRow{Kind: kind, Name: f.Name, Added: f.CreatedAt, LastUsed: f.LastUsedAt})
	}
	d.RecoveryCodes = mfa.RecoveryCodesLeft
	events, err := c.svc.AdminUserEvents(ctx, u.ID, userdb.EventFilter{Limit: 15})
	if err == nil {
		d.Events, err = c.eventRows(r, me, events)
	}
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	if v.Value("intent") != "profile" {
		// The form shows what is stored, unless it comes back with what the
		// administrator typed.
		for name, value := range map[string]string{
			"username": u.Username, "email": u.Email, "givenName": u.GivenName,
			"middleName": u.MiddleName, "surname": u.Surname, "customData": customDataText(u.CustomData),
		} {
			v.Input.Set(name, value)
		}
		v.Input.Set("version", strconv.FormatInt(u.Version, 10))
	}
	if v.Value("intent") != "roles" {
		v.SetValues("roles", u.Roles)
	}
	v.Title = u.Email
	v.Data = d
	c.render(w, r, status, v)
}

// customDataText is custom data as the form shows it: indented JSON, its
// size linear in the data's. Indentation grows with depth, so a deeply
// nested object indented in full is quadratic (a 54 KB object 9,000 levels
// deep became 162 MB of page); past maxIndent levels the lines stop moving
// right, which keeps every line's indentation under 2*maxIndent bytes.
// Custom data written today is bounded (custom_data.max_depth), but rows
// stored before the bounds may not be.
func customDataText(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(indentCapped(b, maxIndent))
}

const maxIndent = 16

// indentCapped indents compact JSON by two spaces a level, as
// json.MarshalIndent does, up to max levels.
func indentCapped(src []byte, max int) []byte {
	var out bytes.Buffer
	out.Grow(len(src) * 2)
	depth := 0
	newline := func() {
		out.WriteByte('\n')
		for range min(depth, max) {
			out.WriteString("  ")
		}
	}
	inString, escaped := false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			out.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			out.WriteByte(c)
		case '{', '[':
			out.WriteByte(c)
			// An empty object or list stays on its line.
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				out.WriteByte(src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			out.WriteByte(c)
		case ',':
			out.WriteByte(c)
			newline()
		case ':':
			out.WriteString(": ")
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

// userActions are the buttons of a user's page: each posts its intent.
var userActions = map[string]string{
	"enable": "user-enabled", "disable": "user-disabled", "unlock": "user-unlocked",
	"reset-password": "reset-sent", "resend-invite": "invite-resent", "expire-password": "password-expired",
	"end-sessions": "sessions-ended", "reset-mfa": "mfa-reset",
}

// userPost saves the profile or the roles, or takes one of the actions.
func (c *Console) userPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	v := c.newView(r, me, "user", "users", "User")
	intent := r.PostFormValue("intent")
	var err error
	switch intent {
	case "profile":
		p, ok := c.profileUpdate(r, v, id)
		if !ok {
			c.showUser(w, r, me, http.StatusBadRequest, v)
			return
		}
		if _, err = c.svc.AdminUpdateUser(ctx, id, p); err == nil {
			setFlash(w, r, "user-saved")
		}
	case "roles":
		if _, err = c.svc.AdminSetRoles(ctx, id, r.PostForm["roles"]); err == nil {
			setFlash(w, r, "roles-saved")
		}
	case "enable":
		_, err = c.svc.AdminSetUserStatus(ctx, id, userdb.StatusEnabled)
	case "disable":
		_, err = c.svc.AdminSetUserStatus(ctx, id, userdb.StatusDisabled)
	case "unlock":
		_, err = c.svc.AdminUnlockUser(ctx, id)
	case "reset-password":
		err = c.svc.AdminSendPasswordReset(ctx, id)
	case "resend-invite":
		err = c.svc.AdminResendInvitation(ctx, id)
	case "expire-password":
		_, err = c.svc.AdminExpirePassword(ctx, id)
	case "end-sessions":
		_, err = c.svc.AdminEndSessions(ctx, id)
	case "reset-mfa":
		_, err = c.svc.AdminResetMFA(ctx, id)
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			v.Invalid("confirm", msg("confirm-delete"))
			c.showUser(w, r, me, http.StatusBadRequest, v)
			return
		}
		if err = c.svc.AdminDeleteUser(ctx, id); err == nil {
			setFlash(w, r, "user-deleted")
			ui.Redirect(w, r, usersPath)
			return
		}
	default:
		v.Error = msg("unknown-action")
		c.showUser(w, r, me, http.StatusBadRequest, v)
		return
	}
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 || s == http.StatusNotFound {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "username", "email", "givenName", "middleName", "surname", "customData")
		c.showUser(w, r, me, ui.FormStatus(err), v)
		return
	}
	if key, ok := userActions[intent]; ok {
		setFlash(w, r, key)
	}
	ui.Redirect(w, r, userPath(id))
}

// profileUpdate reads the profile form. Custom data is edited as a whole
// JSON object and sent as a patch: changed keys, and removed keys as null.
func (c *Console) profileUpdate(r *http.Request, v *view, id string) (service.ProfileUpdate, bool) {
	p := service.ProfileUpdate{
		Username: ptr(ui.FormValue(r, "username")), Email: ptr(ui.FormValue(r, "email")),
		GivenName: ptr(ui.FormValue(r, "givenName")), MiddleName: ptr(ui.FormValue(r, "middleName")),
		Surname: ptr(ui.FormValue(r, "surname")),
	}
	if *p.Email == "" {
		v.Invalid("email", msg("email-required"))
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		v.Error = msg("form-unreadable")
		return p, false
	}
	p.Version = &version
	text := strings.TrimSpace(r.PostFormValue("customData"))
	if text == "" {
		text = "{}"
	}
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	if err := dec.Decode(&want); err != nil || want == nil || dec.More() {
		v.Invalid("customData", msg("custom-data-json"))
		return p, false
	}
	if len(v.Errors) > 0 {
		return p, false
	}
	// The stored data, to tell what changed; an administrator who cannot
	// reach the user gets the service's answer from the update instead.
	if u, err := c.svc.AdminGetUser(r.Context(), id); err == nil {
		patch := map[string]any{}
		for k, val := range want {
			if old, ok := u.CustomData[k]; !ok || !reflect.DeepEqual(old, val) {
				patch[k] = val
			}
		}
		for k := range u.CustomData {
			if _, ok := want[k]; !ok {
				patch[k] = nil
			}
		}
		if len(patch) > 0 {
			p.CustomData = patch
		}
	}
	return p, true
}
