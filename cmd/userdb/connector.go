package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"strings"
	"text/tabwriter"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
	"github.com/userdb/userdb/internal/service"
)

// connectorFlags are the settings a connector command may set; nil or
// unset flags leave the setting as it is.
type connectorFlags struct {
	fs                                   *flag.FlagSet
	typ, name, clientID, account, status string
	secretStdin                          bool
	icon, issuer, authURL, tokenURL, ui  string
	scopes, domains, roles               stringList
	claims, groupRoles, domainAccounts   stringList
	createUsers, required, keepTokens    string // "", "true" or "false"
}

func newConnectorFlags(fs *flag.FlagSet, add bool) *connectorFlags {
	f := &connectorFlags{fs: fs}
	fs.StringVar(&f.typ, "type", "", "oidc | oauth2 | google | microsoft | github | gitlab | apple | facebook")
	fs.StringVar(&f.name, "name", "", "name on the sign-in button")
	fs.StringVar(&f.clientID, "client-id", "", "the client id registered at the provider")
	fs.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from standard input")
	if add {
		fs.StringVar(&f.account, "account", "", "account the connector belongs to and new users join (id or name)")
	}
	fs.StringVar(&f.status, "status", "", "ENABLED or DISABLED")
	fs.StringVar(&f.icon, "icon-url", "", "icon on the button")
	fs.StringVar(&f.issuer, "issuer", "", "OpenID Connect issuer (discovery)")
	fs.StringVar(&f.authURL, "auth-url", "", "OAuth 2.0 authorization endpoint")
	fs.StringVar(&f.tokenURL, "token-url", "", "OAuth 2.0 token endpoint")
	fs.StringVar(&f.ui, "userinfo-url", "", "OAuth 2.0 userinfo URL")
	fs.Var(&f.scopes, "scope", "scope to ask for (repeatable; replaces the preset's)")
	fs.Var(&f.domains, "domain", "email domain sent here by the sign-in page (repeatable)")
	fs.Var(&f.roles, "default-role", "role every new user gets (repeatable)")
	fs.Var(&f.claims, "claim", "FIELD=CLAIM, FIELD one of subject, email, email_verified, username, given_name, surname, name, groups, or attr.NAME (repeatable)")
	fs.Var(&f.groupRoles, "group-role", "GROUP=ROLE (repeatable)")
	fs.Var(&f.domainAccounts, "domain-account", "DOMAIN=ACCOUNT: new users of the domain join the account (repeatable)")
	fs.StringVar(&f.createUsers, "create-users", "", "true: create users at their first sign-in")
	fs.StringVar(&f.required, "required", "", "true: the account's users must sign in through it")
	fs.StringVar(&f.keepTokens, "keep-tokens", "", "true: keep the provider's tokens, encrypted")
	return f
}

// set reports whether the flag was given.
func (f *connectorFlags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// apply writes the given flags onto s.
func (f *connectorFlags) apply(s *userdb.ConnectorSettings) error {
	strs := map[string]*string{"icon-url": &s.IconURL, "issuer": &s.Issuer, "auth-url": &s.AuthURL, "token-url": &s.TokenURL, "userinfo-url": &s.UserInfoURL}
	vals := map[string]string{"icon-url": f.icon, "issuer": f.issuer, "auth-url": f.authURL, "token-url": f.tokenURL, "userinfo-url": f.ui}
	for name, dst := range strs {
		if f.set(name) {
			*dst = vals[name]
		}
	}
	if f.set("scope") {
		s.Scopes = f.scopes
	}
	if f.set("domain") {
		s.Domains = f.domains
	}
	if f.set("default-role") {
		s.DefaultRoles = f.roles
	}
	bools := map[string]*bool{"create-users": &s.CreateUsers, "required": &s.Required, "keep-tokens": &s.KeepTokens}
	for name, v := range map[string]string{"create-users": f.createUsers, "required": f.required, "keep-tokens": f.keepTokens} {
		if !f.set(name) {
			continue
		}
		switch v {
		case "true":
			*bools[name] = true
		case "false":
			*bools[name] = false
		default:
			return usagef("connector: --%s must be true or false", name)
		}
	}
	var err error
	if s.GroupRoles, err = pairs("group-role", f.groupRoles, s.GroupRoles); err != nil {
		return err
	}
	if s.DomainAccounts, err = pairs("domain-account", f.domainAccounts, s.DomainAccounts); err != nil {
		return err
	}
	claims := map[string]*string{"subject": &s.Claims.Subject, "email": &s.Claims.Email, "email_verified": &s.Claims.EmailVerified,
		"username": &s.Claims.Username, "given_name": &s.Claims.GivenName, "surname": &s.Claims.Surname, "name": &s.Claims.Name,
		"groups": &s.Claims.Groups}
	for _, kv := range f.claims {
		field, claim, ok := strings.Cut(kv, "=")
		if attr, isAttr := strings.CutPrefix(field, "attr."); ok && isAttr && attr != "" {
			if s.Claims.Attributes == nil {
				s.Claims.Attributes = map[string]string{}
			}
			s.Claims.Attributes[attr] = claim
		} else if dst, known := claims[field]; ok && known {
			*dst = claim
		} else {
			return usagef("connector: --claim %q: want FIELD=CLAIM with FIELD one of subject, email, email_verified, username, given_name, surname, name, groups, attr.NAME", kv)
		}
	}
	return nil
}

// pairs adds K=V flags to m.
func pairs(flagName string, list []string, m map[string]string) (map[string]string, error) {
	if len(list) == 0 {
		return m, nil
	}
	m = maps.Clone(m)
	if m == nil {
		m = map[string]string{}
	}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return nil, usagef("connector: --%s %q: want KEY=VALUE", flagName, kv)
		}
		m[k] = v
	}
	return m, nil
}

// connectorCmd runs a `connector` action. It acts as the system, like the
// other commands.
func connectorCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("connector: missing action (add, list, show, update, delete)")
	}
	action, rest := args[0], args[1:]
	var c common
	fs := c.flags("connector "+action, true)
	sys := func(fn func(ctx context.Context, svc *service.Service) error) error {
		return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
			return fn(service.WithActor(ctx, service.SystemActor()), svc)
		})
	}
	show := func(svc *service.Service, x *userdb.Connector) error {
		v := api.NewConnectorView(x, svc.Options().BaseURL)
		if c.json {
			return printJSON(e.stdout, v)
		}
		fmt.Fprintf(e.stdout, "id            %s\ntype          %s\nname          %s\nstatus        %s\naccount       %s\nclient id     %s\nclient secret %s\nsource        %s\ncallback URL  %s\n",
			v.ID, v.Type, v.Name, v.Status, v.AccountID, v.ClientID, map[bool]string{true: "set", false: "none"}[v.HasClientSecret], v.Source, v.CallbackURL)
		return nil
	}
	switch action {
	case "add":
		f := newConnectorFlags(fs, true)
		pos, err := parse(e, fs, rest, 1, 1, "ID --type T --name N --client-id ID [--client-secret-stdin] [settings...]")
		if err != nil {
			return err
		}
		n := service.NewConnector{ID: pos[0], Type: f.typ, Name: f.name, Account: f.account, ClientID: f.clientID,
			Disabled: strings.EqualFold(f.status, "disabled")}
		if err := f.apply(&n.Settings); err != nil {
			return err
		}
		if f.secretStdin {
			if n.ClientSecret, err = readPassword(e.stdin); err != nil {
				return err
			}
		}
		return sys(func(ctx context.Context, svc *service.Service) error {
			x, err := svc.AdminCreateConnector(ctx, n)
			if err != nil {
				return err
			}
			return show(svc, x)
		})
	case "update":
		f := newConnectorFlags(fs, false)
		pos, err := parse(e, fs, rest, 1, 1, "ID [--name N] [--status S] [--client-id ID] [--client-secret-stdin] [settings...]")
		if err != nil {
			return err
		}
		var secret *string
		if f.secretStdin {
			s, err := readPassword(e.stdin)
			if err != nil {
				return err
			}
			secret = &s
		}
		return sys(func(ctx context.Context, svc *service.Service) error {
			x, err := svc.AdminFindConnector(ctx, pos[0])
			if err != nil {
				return err
			}
			up := service.ConnectorUpdate{ClientSecret: secret}
			if f.set("name") {
				up.Name = &f.name
			}
			if f.set("client-id") {
				up.ClientID = &f.clientID
			}
			if f.set("status") {
				st, err := userdb.ParseStatus(f.status)
				if err != nil {
					return err
				}
				up.Status = &st
			}
			settings := x.Settings
			if err := f.apply(&settings); err != nil {
				return err
			}
			up.Settings = &settings
			if x, err = svc.AdminUpdateConnector(ctx, pos[0], up); err != nil {
				return err
			}
			return show(svc, x)
		})
	case "list":
		account := fs.String("account", "", "only connectors of this account")
		if _, err := parse(e, fs, rest, 0, 0, "[--account A]"); err != nil {
			return err
		}
		return sys(func(ctx context.Context, svc *service.Service) error {
			list, err := svc.AdminConnectors(ctx, *account)
			if err != nil {
				return err
			}
			if c.json {
				views := make([]api.ConnectorView, len(list))
				for i, x := range list {
					views[i] = api.NewConnectorView(x, svc.Options().BaseURL)
				}
				return printJSON(e.stdout, map[string]any{"connectors": views})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tNAME\tSTATUS\tACCOUNT\tSOURCE")
			for _, x := range list {
				src := "api"
				if x.Source != "" {
					src = x.Source
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Type, x.Name, x.Status, x.AccountID, src)
			}
			return tw.Flush()
		})
	case "show":
		pos, err := parse(e, fs, rest, 1, 1, "ID")
		if err != nil {
			return err
		}
		return sys(func(ctx context.Context, svc *service.Service) error {
			x, err := svc.AdminFindConnector(ctx, pos[0])
			if err != nil {
				return err
			}
			return show(svc, x)
		})
	case "delete":
		pos, err := parse(e, fs, rest, 1, 1, "ID")
		if err != nil {
			return err
		}
		return sys(func(ctx context.Context, svc *service.Service) error {
			if err := svc.AdminDeleteConnector(ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: deleted (its linked identities too)\n", pos[0])
			return nil
		})
	}
	if isHelp(action) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	return usagef("connector: unknown action %q", action)
}
