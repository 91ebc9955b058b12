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

// accountView is an account as the command line shows it.
type accountView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
	UpdatedAt   time.Time      `json:"updatedAt"`
}

// viewAccount returns the command-line view of a.
func viewAccount(a *userdb.Account) accountView {
	return accountView{ID: a.ID, Name: a.Name, Description: a.Description, Status: a.Status,
		CustomData: a.CustomData, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// printAccount prints an account as a list of fields, or as JSON.
func printAccount(w io.Writer, a *userdb.Account, asJSON bool) error {
	if asJSON {
		return printJSON(w, viewAccount(a))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\nname\t%s\ndescription\t%s\nstatus\t%s\ncreated\t%s\n",
		a.ID, a.Name, a.Description, a.Status, a.CreatedAt.Format(time.RFC3339))
	return tw.Flush()
}

// accountCmd runs an `account` action.
func accountCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("account: missing action (add, list, show, update, disable, enable, delete)")
	}
	action, rest := args[0], args[1:]
	switch action {
	case "add":
		return accountAdd(e, rest)
	case "list":
		return accountList(e, rest)
	case "show", "update", "disable", "enable":
		return accountChange(e, action, rest)
	case "delete":
		return accountDelete(e, rest)
	}
	if isHelp(action) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	return usagef("account: unknown action %q", action)
}

// accountAdd creates an account, with its admin role.
func accountAdd(e *env, args []string) error {
	var c common
	fs := c.flags("account add", true)
	desc := fs.String("description", "", "what the account is")
	pos, err := parse(e, fs, args, 1, 1, "NAME [--description D]")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		a, err := svc.AdminCreateAccount(ctx, service.NewAccount{Name: pos[0], Description: *desc})
		if err != nil {
			return err
		}
		return printAccount(e.stdout, a, c.json)
	})
}

// accountList lists every account, by name.
func accountList(e *env, args []string) error {
	var c common
	fs := c.flags("account list", true)
	if _, err := parse(e, fs, args, 0, 0, ""); err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		page, err := svc.AdminListAccounts(ctx, userdb.AccountFilter{})
		if err != nil {
			return err
		}
		list := page.Accounts
		if c.json {
			views := make([]accountView, len(list))
			for i, a := range list {
				views[i] = viewAccount(a)
			}
			return printJSON(e.stdout, map[string]any{"accounts": views})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCREATED\tDESCRIPTION")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Status, a.CreatedAt.Format(time.RFC3339), a.Description)
		}
		return tw.Flush()
	})
}

// accountChange shows, updates, disables or enables an account and prints
// it as it is afterwards.
func accountChange(e *env, action string, args []string) error {
	var c common
	fs := c.flags("account "+action, true)
	var name, desc optString
	synopsis := "ACCOUNT"
	if action == "update" {
		fs.Var(&name, "name", "new `name`")
		fs.Var(&desc, "description", "new `description`")
		synopsis = "ACCOUNT [--name N] [--description D]"
	}
	pos, err := parse(e, fs, args, 1, 1, synopsis)
	if err != nil {
		return err
	}
	if action == "update" && !name.set && !desc.set {
		return usagef("account update: nothing to change; give --name or --description")
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		a, err := findAccount(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		switch action {
		case "update":
			a, err = svc.AdminUpdateAccount(ctx, a.ID, userdb.AccountUpdate{Name: name.ptr(), Description: desc.ptr()})
		case "disable":
			a, err = svc.AdminSetAccountStatus(ctx, a.ID, userdb.StatusDisabled)
		case "enable":
			a, err = svc.AdminSetAccountStatus(ctx, a.ID, userdb.StatusEnabled)
		}
		if err != nil {
			return err
		}
		return printAccount(e.stdout, a, c.json)
	})
}

// accountDelete deletes an account; with --force its users go too.
func accountDelete(e *env, args []string) error {
	var c common
	fs := c.flags("account delete", false)
	force := fs.Bool("force", false, "also delete the account's users")
	pos, err := parse(e, fs, args, 1, 1, "ACCOUNT [--force]")
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		a, err := findAccount(ctx, svc, pos[0])
		if err != nil {
			return err
		}
		if err := svc.AdminDeleteAccount(ctx, a.ID, *force); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: deleted\n", a.Name)
		return nil
	})
}
