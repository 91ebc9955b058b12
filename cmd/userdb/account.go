package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

type accountView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
	UpdatedAt   time.Time      `json:"updatedAt"`
}

func viewAccount(a *userdb.Account) accountView {
	return accountView{ID: a.ID, Name: a.Name, Description: a.Description, Status: a.Status,
		CustomData: a.CustomData, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func printAccount(w io.Writer, a *userdb.Account, asJSON bool) error {
	if asJSON {
		return printJSON(w, viewAccount(a))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\nname\t%s\ndescription\t%s\nstatus\t%s\ncreated\t%s\n",
		a.ID, a.Name, a.Description, a.Status, a.CreatedAt.Format(time.RFC3339))
	return tw.Flush()
}

func accountCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("account: missing action (add, list, show, update, disable, enable, delete)")
	}
	action, rest := args[0], args[1:]
	var c common
	fs := c.flags("account "+action, true)
	switch action {
	case "add":
		desc := fs.String("description", "", "")
		pos, err := parse(fs, rest, 1, 1, "add NAME [--description D]")
		if err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			a, err := svc.CreateAccount(ctx, service.NewAccount{Name: pos[0], Description: *desc})
			if err != nil {
				return err
			}
			return printAccount(e.stdout, a, c.json)
		})
	case "list":
		if _, err := parse(fs, rest, 0, 0, ""); err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			list, err := svc.Store().FindAccounts(ctx, userdb.AccountFilter{})
			if err != nil {
				return err
			}
			if c.json {
				views := make([]accountView, len(list))
				for i, a := range list {
					views[i] = viewAccount(a)
				}
				return printJSON(e.stdout, map[string]any{"accounts": views})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCREATED")
			for _, a := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Status, a.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		})
	case "show", "disable", "enable", "update", "delete":
		var name, desc optString
		force := false
		if action == "update" {
			fs.Var(&name, "name", "")
			fs.Var(&desc, "description", "")
		}
		if action == "delete" {
			fs.BoolVar(&force, "force", false, "")
		}
		pos, err := parse(fs, rest, 1, 1, action+" ACCOUNT")
		if err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			a, err := svc.FindAccount(ctx, pos[0])
			if err != nil {
				return err
			}
			var up userdb.AccountUpdate
			switch action {
			case "show":
				return printAccount(e.stdout, a, c.json)
			case "delete":
				if err := svc.DeleteAccount(ctx, a.ID, force); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s: deleted\n", a.Name)
				return nil
			case "disable":
				up.Status = ptr(userdb.StatusDisabled)
			case "enable":
				up.Status = ptr(userdb.StatusEnabled)
			case "update":
				up.Name, up.Description = name.ptr(), desc.ptr()
			}
			if a, err = svc.UpdateAccount(ctx, a.ID, up); err != nil {
				return err
			}
			return printAccount(e.stdout, a, c.json)
		})
	}
	return usagef("account: unknown action %q", action)
}

func roleCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("role: missing action (add, list, delete)")
	}
	action, rest := args[0], args[1:]
	var c common
	fs := c.flags("role "+action, true)
	switch action {
	case "add":
		desc := fs.String("description", "", "")
		pos, err := parse(fs, rest, 2, 2, "add ACCOUNT NAME [--description D]")
		if err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			r, err := svc.CreateRole(ctx, pos[0], pos[1], *desc)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(e.stdout, viewRole(r))
			}
			fmt.Fprintf(e.stdout, "%s\t%s\n", r.ID, r.Name)
			return nil
		})
	case "list":
		account := fs.String("account", "", "")
		if _, err := parse(fs, rest, 0, 0, ""); err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			id := ""
			if *account != "" {
				a, err := svc.FindAccount(ctx, *account)
				if err != nil {
					return err
				}
				id = a.ID
			}
			list, err := svc.Store().FindRoles(ctx, id)
			if err != nil {
				return err
			}
			if c.json {
				views := make([]roleView, len(list))
				for i, r := range list {
					views[i] = viewRole(r)
				}
				return printJSON(e.stdout, map[string]any{"roles": views})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tACCOUNT\tNAME\tSTATUS\tDESCRIPTION")
			for _, r := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.AccountID, r.Name, r.Status, r.Description)
			}
			return tw.Flush()
		})
	case "delete":
		pos, err := parse(fs, rest, 1, 2, "delete ACCOUNT NAME (or ROLE-ID)")
		if err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			var r *userdb.Role
			if len(pos) == 1 {
				r, err = svc.Store().FindRoleByID(ctx, pos[0])
			} else {
				var a *userdb.Account
				if a, err = svc.FindAccount(ctx, pos[0]); err == nil {
					r, err = svc.Store().FindRoleByName(ctx, a.ID, pos[1])
				}
			}
			if err != nil {
				return err
			}
			if err := svc.DeleteRole(ctx, r.ID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: deleted\n", r.Name)
			return nil
		})
	}
	return usagef("role: unknown action %q", action)
}

type roleView struct {
	ID          string        `json:"id"`
	Account     string        `json:"account"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Status      userdb.Status `json:"status"`
}

func viewRole(r *userdb.Role) roleView {
	return roleView{ID: r.ID, Account: r.AccountID, Name: r.Name, Description: r.Description, Status: r.Status}
}

func ptr[T any](v T) *T { return &v }
