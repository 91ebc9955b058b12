package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// userView is a user as the command line shows it: no password material.
type userView struct {
	ID              string         `json:"id"`
	Account         string         `json:"account"`
	Username        string         `json:"username"`
	Email           string         `json:"email"`
	GivenName       string         `json:"givenName,omitempty"`
	MiddleName      string         `json:"middleName,omitempty"`
	Surname         string         `json:"surname,omitempty"`
	FullName        string         `json:"fullName,omitempty"`
	Status          userdb.Status  `json:"status"`
	Roles           []string       `json:"roles"`
	EmailVerified   bool           `json:"emailVerified"`
	HasPassword     bool           `json:"hasPassword"`
	FailedLogins    int            `json:"failedLogins"`
	CustomData      map[string]any `json:"customData,omitempty"`
	CreatedAt       time.Time      `json:"createdAt"`
	UpdatedAt       time.Time      `json:"updatedAt"`
	LastLoginAt     *time.Time     `json:"lastLoginAt,omitempty"`
	PasswordChanged *time.Time     `json:"passwordChangedAt,omitempty"`
	Version         int64          `json:"version"`
}

func viewUser(u *userdb.User) userView {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return userView{
		ID: u.ID, Account: u.AccountID, Username: u.Username, Email: u.Email,
		GivenName: u.GivenName, MiddleName: u.MiddleName, Surname: u.Surname, FullName: u.FullName,
		Status: u.Status, Roles: roles, EmailVerified: u.EmailVerifiedAt != nil, HasPassword: u.PasswordHash != "",
		FailedLogins: u.FailedLogins, CustomData: u.CustomData, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		LastLoginAt: u.LastLoginAt, PasswordChanged: u.PasswordChangedAt, Version: u.Version,
	}
}

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

func userCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("user: missing action (add, list, show, update, disable, enable, unlock, unlock-all, reset-password, add-role, remove-role, delete)")
	}
	action, rest := args[0], args[1:]
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

func userAdd(e *env, args []string) error {
	var c common
	fs := c.flags("user add", true)
	var n service.NewUser
	var roles stringList
	fs.StringVar(&n.Email, "email", "", "")
	fs.StringVar(&n.Username, "username", "", "")
	fs.StringVar(&n.GivenName, "given-name", "", "")
	fs.StringVar(&n.MiddleName, "middle-name", "", "")
	fs.StringVar(&n.Surname, "surname", "", "")
	fs.StringVar(&n.Account, "account", "", "")
	fs.Var(&roles, "role", "")
	stdin := fs.Bool("password-stdin", false, "")
	fs.BoolVar(&n.Invite, "invite", false, "")
	fs.BoolVar(&n.Verified, "verified", false, "")
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if n.Email == "" {
		return usagef("user add: --email is required")
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
		u, err := svc.CreateUser(ctx, n)
		if err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

func userList(e *env, args []string) error {
	var c common
	fs := c.flags("user list", true)
	var f userdb.UserFilter
	var account, status string
	fs.StringVar(&account, "account", "", "")
	fs.StringVar(&status, "status", "", "")
	fs.StringVar(&f.Role, "role", "", "")
	fs.StringVar(&f.Query, "query", "", "")
	fs.StringVar(&f.Sort, "sort", "", "")
	fs.BoolVar(&f.Desc, "desc", false, "")
	fs.IntVar(&f.Limit, "limit", 50, "")
	fs.StringVar(&f.Cursor, "cursor", "", "")
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
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
			a, err := svc.FindAccount(ctx, account)
			if err != nil {
				return err
			}
			f.AccountID = a.ID
		}
		users, next, err := svc.Store().FindUsers(ctx, f)
		if err != nil {
			return err
		}
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

func userShow(e *env, args []string) error {
	var c common
	fs := c.flags("user show", true)
	pos, err := parse(fs, args, 1, 1, "show USER")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := svc.FindUser(ctx, pos[0])
		if err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

func userUpdate(e *env, args []string) error {
	var c common
	fs := c.flags("user update", true)
	var email, username, given, middle, surname, custom optString
	fs.Var(&email, "email", "")
	fs.Var(&username, "username", "")
	fs.Var(&given, "given-name", "")
	fs.Var(&middle, "middle-name", "")
	fs.Var(&surname, "surname", "")
	fs.Var(&custom, "custom-data", "")
	pos, err := parse(fs, args, 1, 1, "update USER [flags]")
	if err != nil {
		return err
	}
	p := service.ProfileUpdate{Email: email.ptr(), Username: username.ptr(), GivenName: given.ptr(),
		MiddleName: middle.ptr(), Surname: surname.ptr()}
	if custom.set {
		if err := json.Unmarshal([]byte(custom.v), &p.CustomData); err != nil || p.CustomData == nil {
			return usagef("user update: --custom-data must be a JSON object")
		}
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := svc.FindUser(ctx, pos[0])
		if err != nil {
			return err
		}
		if u, err = svc.UpdateUser(ctx, u.ID, p); err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}

func userLifecycle(e *env, action string, args []string) error {
	var c common
	fs := c.flags("user "+action, false)
	pos, err := parse(fs, args, 1, 1, action+" USER")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := svc.FindUser(ctx, pos[0])
		if err != nil {
			return err
		}
		switch action {
		case "disable":
			_, err = svc.SetUserStatus(ctx, u.ID, userdb.StatusDisabled)
		case "enable":
			_, err = svc.SetUserStatus(ctx, u.ID, userdb.StatusEnabled)
		case "unlock":
			_, err = svc.UnlockUser(ctx, u.ID)
		case "delete":
			err = svc.DeleteUser(ctx, u.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", u.Username, pastTense[action])
		return nil
	})
}

var pastTense = map[string]string{"disable": "disabled", "enable": "enabled", "unlock": "unlocked", "delete": "deleted"}

func userUnlockAll(e *env, args []string) error {
	var c common
	fs := c.flags("user unlock-all", false)
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		n, err := svc.UnlockExpiredLocks(ctx, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "unlocked %d user(s)\n", n)
		return nil
	})
}

func userResetPassword(e *env, args []string) error {
	var c common
	fs := c.flags("user reset-password", false)
	send := fs.Bool("send-email", false, "")
	stdin := fs.Bool("password-stdin", false, "")
	mustChange := fs.Bool("must-change", false, "")
	pos, err := parse(fs, args, 1, 1, "reset-password USER (--send-email | --password-stdin [--must-change])")
	if err != nil {
		return err
	}
	if *send == *stdin {
		return usagef("user reset-password: give --send-email (the user gets a reset link) or --password-stdin")
	}
	var pw string
	if *stdin {
		if pw, err = readPassword(e.stdin); err != nil {
			return err
		}
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := svc.FindUser(ctx, pos[0])
		if err != nil {
			return err
		}
		if *send {
			if err := svc.SendPasswordReset(ctx, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: reset email queued\n", u.Username)
			return nil
		}
		if err := svc.SetPassword(ctx, u.ID, pw, *mustChange); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: password set\n", u.Username)
		return nil
	})
}

func userRole(e *env, action string, args []string) error {
	var c common
	fs := c.flags("user "+action, true)
	pos, err := parse(fs, args, 2, 2, action+" USER ROLE")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		u, err := svc.FindUser(ctx, pos[0])
		if err != nil {
			return err
		}
		if action == "add-role" {
			u, err = svc.AddRole(ctx, u.ID, pos[1])
		} else {
			u, err = svc.RemoveRole(ctx, u.ID, pos[1])
		}
		if err != nil {
			return err
		}
		return printUser(e.stdout, u, c.json)
	})
}
