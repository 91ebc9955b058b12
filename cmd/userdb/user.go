package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// userView is a user as the command line shows it. It has no password
// material: whether the user has a password, not its hash.
type userView struct {
	ID                 string         `json:"id"`
	Account            string         `json:"account"`
	Username           string         `json:"username"`
	Email              string         `json:"email"`
	GivenName          string         `json:"givenName,omitempty"`
	MiddleName         string         `json:"middleName,omitempty"`
	Surname            string         `json:"surname,omitempty"`
	FullName           string         `json:"fullName,omitempty"`
	Status             userdb.Status  `json:"status"`
	Roles              []string       `json:"roles"`
	EmailVerified      bool           `json:"emailVerified"`
	HasPassword        bool           `json:"hasPassword"`
	PasswordMustChange bool           `json:"passwordMustChange"`
	FailedLogins       int            `json:"failedLogins"`
	CustomData         map[string]any `json:"customData,omitempty"`
	CreatedAt          time.Time      `json:"createdAt"`
	UpdatedAt          time.Time      `json:"updatedAt"`
	LastLoginAt        *time.Time     `json:"lastLoginAt,omitempty"`
	LockedAt           *time.Time     `json:"lockedAt,omitempty"`
	PasswordChangedAt  *time.Time     `json:"passwordChangedAt,omitempty"`
	Version            int64          `json:"version"`
}

// viewUser returns the command-line view of u.
func viewUser(u *userdb.User) userView {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return userView{
		ID: u.ID, Account: u.AccountID, Username: u.Username, Email: u.Email,
		GivenName: u.GivenName, MiddleName: u.MiddleName, Surname: u.Surname, FullName: u.FullName,
		Status: u.Status, Roles: roles, EmailVerified: u.EmailVerifiedAt != nil,
		HasPassword: u.PasswordHash != "", PasswordMustChange: u.PasswordMustChange,
		FailedLogins: u.FailedLogins, CustomData: u.CustomData, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		LastLoginAt: u.LastLoginAt, LockedAt: u.LockedAt, PasswordChangedAt: u.PasswordChangedAt, Version: u.Version,
	}
}

// printUser prints a user as a list of fields, or as JSON.
func printUser(w io.Writer, u *userdb.User, asJSON bool) error {
	v := viewUser(u)
	if asJSON {
		return printJSON(w, v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\naccount\t%s\nusername\t%s\nemail\t%s\nname\t%s\nstatus\t%s\nroles\t%s\nverified\t%v\ncreated\t%s\n",
		v.ID, v.Account, v.Username, v.Email, v.FullName, v.Status, strings.Join(v.Roles, ","), v.EmailVerified,
		v.CreatedAt.Format(time.RFC3339))
	return tw.Flush()
}

// userCmd runs a `user` action.
func userCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("user: missing action (add, list, show, update, disable, enable, unlock, unlock-all, reset-password, add-role, remove-role, delete)")
	}
	action, rest := args[0], args[1:]
	if isHelp(action) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	switch action {
	case "add":
		return userAdd(e, rest)
	case "list":
		return userList(e, rest)
	case "show":
		return userShow(e, rest)
	case "update":
		return userUpdate(e, rest)
	case "disable", "enable", "unlock", "delete":
		return userLifecycle(e, action, rest)
	case "unlock-all":
		return userUnlockAll(e, rest)
	case "reset-password":
		return userResetPassword(e, rest)
	case "add-role", "remove-role":
		return userRole(e, action, rest)
	}
	return usagef("user: unknown action %q", action)
}

// userAdd creates a user with a password read from stdin, or invites one.
func userAdd(e *env, args []string) error {
	var c common
	fs := c.flags("user add", true)
	var n service.NewUser
	var roles stringList
	fs.StringVar(&n.Email, "email", "", "email `address` (required)")
	fs.StringVar(&n.Username, "username", "", "username (default: the email)")
	fs.StringVar(&n.GivenName, "given-name", "", "given name")
	fs.StringVar(&n.MiddleName, "middle-name", "", "middle name")
	fs.StringVar(&n.Surname, "surname", "", "surname")
	fs.StringVar(&n.Account, "account", "", "`account` name or id (default: the default account)")
	fs.Var(&roles, "role", "give the user a `role` of its account (repeatable)")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	fs.BoolVar(&n.Invite, "invite", false, "email an invitation; the user chooses a password (sent by the running server)")
	fs.BoolVar(&n.Verified, "verified", false, "mark the email as verified")
	if _, err := parse(e, fs, args, 0, 0, "--email E (--password-stdin | --invite) [flags]"); err != nil {
		return err
	}
	if n.Email == "" {
		return usagef("user add: --email is required")
	}
	// Check the address before the database is opened, so a typo creates
	// nothing, not even an empty database file.
	if err := userdb.ValidateEmail(n.Email); err != nil {
		return err
	}
	if *stdin == n.Invite {
		return usagef("user add: give --password-stdin (the password on standard input) or --invite (an email lets the user choose one)")
	}
	if *stdin {
		pw, err := readPassword(e.stdin)
		if err != nil {
			return err
		}
		n.Password = pw
	}
	n.Roles = roles
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		if n.Account != "" {
			a, err := findAccount(ctx, svc, n.Account)
			if err != nil {
				return err
			}
			n.Account = a.ID
		}
		u, err := svc.AdminCreateUser(ctx, n)
		if err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

// userList lists one page of users.
func userList(e *env, args []string) error {
	var c common
	fs := c.flags("user list", true)
	var f userdb.UserFilter
	var account, status string
	fs.StringVar(&account, "account", "", "only users of this `account` (name or id)")
	fs.StringVar(&status, "status", "", "only users with this `status`: pending, enabled, disabled or locked")
	fs.StringVar(&f.Role, "role", "", "only users with this `role`")
	fs.StringVar(&f.Query, "query", "", "only users whose username, email or name contains `text`")
	fs.StringVar(&f.Sort, "sort", "", "sort `key`: created (default), email, username, surname or givenName")
	fs.BoolVar(&f.Desc, "desc", false, "sort in descending order")
	fs.IntVar(&f.Limit, "limit", 50, "most users to list, 1 to 1000")
	fs.StringVar(&f.Cursor, "cursor", "", "the `cursor` printed as next with the previous page")
	if _, err := parse(e, fs, args, 0, 0, "[flags]"); err != nil {
		return err
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return usagef("user list: --limit must be between 1 and 1000")
	}
	if status != "" {
		st, err := userdb.ParseStatus(status)
		if err != nil {
			return err
		}
		f.Status = st
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		if account != "" {
			a, err := findAccount(ctx, svc, account)
			if err != nil {
				return err
			}
			f.AccountID = a.ID
		}
		page, err := svc.AdminListUsers(ctx, f)
		if err != nil {
			return err
		}
		users, next := page.Users, page.Next
		if c.json {
			views := make([]userView, len(users))
			for i, u := range users {
				views[i] = viewUser(u)
			}
			return printJSON(e.stdout, map[string]any{"users": views, "next": next})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tSTATUS\tROLES\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Email, u.Status,
				strings.Join(u.Roles, ","), u.CreatedAt.Format(time.RFC3339))
		}
		if next != "" {
			fmt.Fprintf(tw, "(more: --cursor %s)\n", next)
		}
		return tw.Flush()
	})
}

// userShow prints one user.
func userShow(e *env, args []string) error {
	var c common
	fs := c.flags("user show", true)
	pos, err := parse(e, fs, args, 1, 1, "USER")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := findUser(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

// userUpdate changes a user's profile.
func userUpdate(e *env, args []string) error {
	var c common
	fs := c.flags("user update", true)
	var email, username, given, middle, surname, custom optString
	fs.Var(&email, "email", "new email `address`")
	fs.Var(&username, "username", "new username")
	fs.Var(&given, "given-name", "new given name")
	fs.Var(&middle, "middle-name", "new middle name")
	fs.Var(&surname, "surname", "new surname")
	fs.Var(&custom, "custom-data", "`JSON` object merged into the custom data; a null value removes a key")
	pos, err := parse(e, fs, args, 1, 1, "USER [flags]")
	if err != nil {
		return err
	}
	if !email.set && !username.set && !given.set && !middle.set && !surname.set && !custom.set {
		return usagef("user update: nothing to change; give at least one of --email, --username, --given-name, --middle-name, --surname, --custom-data")
	}
	p := service.ProfileUpdate{Email: email.ptr(), Username: username.ptr(), GivenName: given.ptr(),
		MiddleName: middle.ptr(), Surname: surname.ptr()}
	if custom.set {
		if err := json.Unmarshal([]byte(custom.v), &p.CustomData); err != nil || p.CustomData == nil {
			return usagef("user update: --custom-data must be a JSON object")
		}
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := findUser(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		if u, err = svc.AdminUpdateUser(ctx, u.ID, p); err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

// userLifecycle disables, enables, unlocks or deletes a user.
func userLifecycle(e *env, action string, args []string) error {
	var c common
	fs := c.flags("user "+action, false)
	pos, err := parse(e, fs, args, 1, 1, "USER")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := findUser(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		switch action {
		case "disable":
			_, err = svc.AdminSetUserStatus(ctx, u.ID, userdb.StatusDisabled)
		case "enable":
			_, err = svc.AdminSetUserStatus(ctx, u.ID, userdb.StatusEnabled)
		case "unlock":
			if u.Status != userdb.StatusLocked {
				// The original's unlockUser returned without error for a
				// user who was not locked (index.js:854-860), so its
				// manage-user.js --operation=unlock exited 0.
				fmt.Fprintf(e.stdout, "%s: not locked\n", u.Username)
				return nil
			}
			_, err = svc.AdminUnlockUser(ctx, u.ID)
		case "delete":
			err = svc.AdminDeleteUser(ctx, u.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", u.Username, pastTense[action])
		return nil
	})
}

// pastTense reports what userLifecycle did.
var pastTense = map[string]string{"disable": "disabled", "enable": "enabled", "unlock": "unlocked", "delete": "deleted"}

// userUnlockAll unlocks the users locked longer than lockout.unlock_after,
// as the original's unlockUsers did (index.js:862-882: users whose last
// failed sign-in is older than reenableLockedAccountsAfterSeconds), so a
// cron job running it does not defeat the lockout; --all unlocks every
// locked user, however recently locked.
func userUnlockAll(e *env, args []string) error {
	var c common
	fs := c.flags("user unlock-all", false)
	all := fs.Bool("all", false, "also unlock users locked less than lockout.unlock_after ago")
	if _, err := parse(e, fs, args, 0, 0, "[--all]"); err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		n, err := svc.AdminUnlockUsers(ctx, *all)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "unlocked %d user(s)\n", n)
		return nil
	})
}

// userResetPassword emails a user a reset link, or sets a password read
// from stdin.
func userResetPassword(e *env, args []string) error {
	var c common
	fs := c.flags("user reset-password", false)
	send := fs.Bool("send-email", false, "email the user a password reset link (sent by the running server)")
	stdin := fs.Bool("password-stdin", false, "set the password read from the first line of standard input")
	mustChange := fs.Bool("must-change", false, "with --password-stdin: the user must change it at the next sign-in")
	pos, err := parse(e, fs, args, 1, 1, "USER (--send-email | --password-stdin [--must-change])")
	if err != nil {
		return err
	}
	if *send == *stdin {
		return usagef("user reset-password: give --send-email (the user gets a reset link) or --password-stdin")
	}
	if *mustChange && !*stdin {
		return usagef("user reset-password: --must-change goes with --password-stdin")
	}
	var pw string
	if *stdin {
		if pw, err = readPassword(e.stdin); err != nil {
			return err
		}
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := findUser(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		if *send {
			if err := svc.AdminSendPasswordReset(ctx, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: reset email queued\n", u.Username)
			return nil
		}
		if _, err := svc.AdminSetPassword(ctx, u.ID, pw, *mustChange); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: password set\n", u.Username)
		return nil
	})
}

// userRole gives a user a role of its account or takes one away.
func userRole(e *env, action string, args []string) error {
	var c common
	fs := c.flags("user "+action, true)
	pos, err := parse(e, fs, args, 2, 2, "USER ROLE")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := findUser(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		if action == "add-role" {
			u, err = addRole(ctx, e, svc, u, pos[1], c.json)
		} else {
			u, err = svc.AdminRemoveRole(ctx, u.ID, pos[1])
		}
		if err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

// addRole gives u the role of its account named name, creating the role
// first when the account has none of that name, as the original's
// manage-user.js --operation=add-role did with findOrCreateRole
// (bin/manage-user.js:198-216).
func addRole(ctx context.Context, e *env, svc *service.Service, u *userdb.User, name string, quiet bool) (*userdb.User, error) {
	page, err := svc.AdminListRoles(ctx, userdb.RoleFilter{AccountID: u.AccountID})
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(page.Roles, func(r *userdb.Role) bool { return userdb.Fold(r.Name) == userdb.Fold(name) }) {
		if _, err := svc.AdminCreateRole(ctx, u.AccountID, name, ""); err != nil && !userdb.IsCode(err, userdb.ECONFLICT) {
			return nil, err
		}
		if !quiet {
			fmt.Fprintf(e.stdout, "created role %q\n", strings.TrimSpace(name))
		}
	}
	return svc.AdminAddRole(ctx, u.ID, name)
}
