package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// apiKeyView is an API key as the command line shows it: never the secret's hash.
type apiKeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Account    string     `json:"account,omitempty"`
	Roles      []string   `json:"roles"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	// Secret is set only in the answer to create: it is shown once.
	Secret string `json:"secret,omitempty"`
}

func viewAPIKey(k *userdb.APIKey) apiKeyView {
	roles := k.Roles
	if roles == nil {
		roles = []string{}
	}
	return apiKeyView{ID: k.ID, Name: k.Name, Account: k.AccountID, Roles: roles, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// apiKeyCmd runs an `apikey` action.
func apiKeyCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("apikey: missing action (create, list, revoke)")
	}
	action, rest := args[0], args[1:]
	var c common
	fs := c.flags("apikey "+action, true)
	switch action {
	case "create":
		var n service.NewAPIKey
		var roles stringList
		fs.StringVar(&n.Account, "account", "", "account the key acts in (id or name); none for a global super-admin key")
		fs.Var(&roles, "role", "role the key carries (repeatable)")
		ttl := fs.Duration("expires-in", 0, "lifetime of the key, e.g. 720h; 0 = never expires")
		fs.BoolVar(&n.ManageKeys, "manage-keys", false, "the key may create and revoke API keys")
		pos, err := parse(e, fs, rest, 1, 1, "NAME [--account A] [--role R]... [--expires-in D]")
		if err != nil {
			return err
		}
		if *ttl < 0 {
			return usagef("apikey create: --expires-in must not be negative")
		}
		n.Name, n.Roles = pos[0], roles
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			if *ttl > 0 {
				exp := time.Now().UTC().Add(*ttl)
				n.ExpiresAt = &exp
			}
			k, secret, err := svc.AdminCreateAPIKey(ctx, n)
			if err != nil {
				return err
			}
			v := viewAPIKey(k)
			v.Secret = secret
			if c.json {
				return printJSON(e.stdout, v)
			}
			fmt.Fprintf(e.stdout, "id      %s\nsecret  %s\n(the secret is shown only now; send it as Authorization: Bearer SECRET)\n", k.ID, secret)
			return nil
		})
	case "list":
		account := fs.String("account", "", "only keys of this account")
		if _, err := parse(e, fs, rest, 0, 0, "[--account A]"); err != nil {
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
			keys, err := svc.AdminListAPIKeys(ctx, accountID)
			if err != nil {
				return err
			}
			if c.json {
				views := make([]apiKeyView, len(keys))
				for i, k := range keys {
					views[i] = viewAPIKey(k)
				}
				return printJSON(e.stdout, map[string]any{"apiKeys": views})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tACCOUNT\tROLES\tCREATED\tSTATE\tEXPIRES IF UNUSED")
			for _, k := range keys {
				state, inactive := svc.APIKeyState(k)
				unused := "-"
				if inactive != nil {
					unused = inactive.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, dash(k.AccountID), dash(strings.Join(k.Roles, ",")),
					k.CreatedAt.Format(time.RFC3339), state, unused)
			}
			return tw.Flush()
		})
	case "revoke":
		pos, err := parse(e, fs, rest, 1, 1, "KEY-ID")
		if err != nil {
			return err
		}
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			if err := svc.AdminRevokeAPIKey(ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: revoked\n", pos[0])
			return nil
		})
	}
	if isHelp(action) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	return usagef("apikey: unknown action %q", action)
}
