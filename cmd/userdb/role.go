package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// roleView is a role as the command line shows it.
type roleView struct {
	ID          string        `json:"id"`
	Account     string        `json:"account"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Status      userdb.Status `json:"status"`
}

// viewRole returns the command-line view of r.
func viewRole(r *userdb.Role) roleView {
	return roleView{ID: r.ID, Account: r.AccountID, Name: r.Name, Description: r.Description, Status: r.Status}
}

// roleCmd runs a `role` action.
func roleCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("role: missing action (add, list, delete)")
	}
	action, rest := args[0], args[1:]
	switch action {
	case "add":
		return roleAdd(e, rest)
	case "list":
		return roleList(e, rest)
	case "delete":
		return roleDelete(e, rest)
	}
	if isHelp(action) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	return usagef("role: unknown action %q", action)
}

// roleAdd creates a role in an account.
func roleAdd(e *env, args []string) error {
	var c common
	fs := c.flags("role add", true)
	desc := fs.String("description", "", "what the role allows")
	pos, err := parse(e, fs, args, 2, 2, "ACCOUNT NAME [--description D]")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		a, err := findAccount(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		r, err := svc.AdminCreateRole(ctx, a.ID, pos[1], *desc)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(e.stdout, viewRole(r))
		}
		fmt.Fprintf(e.stdout, "%s\t%s\n", r.ID, r.Name)
		return nil
	})
}

// roleList lists the roles of one account or of all, with account names.
func roleList(e *env, args []string) error {
	var c common
	fs := c.flags("role list", true)
	account := fs.String("account", "", "only the roles of this `account` (name or id)")
	if _, err := parse(e, fs, args, 0, 0, "[--account A]"); err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		accountID := ""
		if *account != "" {
			a, err := findAccount(ctx, svc, *account)
			if err != nil {
				return err
			}
			accountID = a.ID
		}
		page, err := svc.AdminListRoles(ctx, userdb.RoleFilter{AccountID: accountID})
		if err != nil {
			return err
		}
		list := page.Roles
		if c.json {
			views := make([]roleView, len(list))
			for i, r := range list {
				views[i] = viewRole(r)
			}
			return printJSON(e.stdout, map[string]any{"roles": views})
		}
		accounts, err := svc.AdminListAccounts(ctx, userdb.AccountFilter{})
		if err != nil {
			return err
		}
		names := make(map[string]string, len(accounts.Accounts))
		for _, a := range accounts.Accounts {
			names[a.ID] = a.Name
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tACCOUNT\tNAME\tSTATUS\tDESCRIPTION")
		for _, r := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, names[r.AccountID], r.Name, r.Status, r.Description)
		}
		return tw.Flush()
	})
}

// roleDelete deletes a role, named by account and name or by its id, and
// takes it from every user who had it.
func roleDelete(e *env, args []string) error {
	var c common
	fs := c.flags("role delete", false)
	pos, err := parse(e, fs, args, 1, 2, "ACCOUNT NAME (or ROLE-ID)")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		r, err := findRole(ctx, svc, pos)
		if err != nil {
			return err
		}
		if err := svc.AdminDeleteRole(ctx, r.ID); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: deleted\n", r.Name)
		return nil
	})
}

// findRole finds a role by [id] or [account, name].
func findRole(ctx context.Context, svc *service.Service, ref []string) (*userdb.Role, error) {
	if len(ref) == 1 {
		r, err := svc.AdminGetRole(ctx, ref[0])
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, userdb.Errorf(userdb.ENOTFOUND, "No role with id %q; name a role by ACCOUNT NAME.", ref[0])
		}
		return r, err
	}
	a, err := findAccount(ctx, svc, ref[0])
	if err != nil {
		return nil, err
	}
	roles, err := svc.AdminListRoles(ctx, userdb.RoleFilter{AccountID: a.ID})
	if err != nil {
		return nil, err
	}
	for _, r := range roles.Roles {
		if userdb.Fold(r.Name) == userdb.Fold(ref[1]) {
			return r, nil
		}
	}
	return nil, userdb.Errorf(userdb.ENOTFOUND, "Account %q has no role named %q.", a.Name, ref[1])
}
