package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/userdb/userdb/internal/inside"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// clientFlags are the settings of `client add` and `client update`; only
// the flags given change anything.
type clientFlags struct {
	fs                                       *flag.FlagSet
	account, name, typ, auth, jwks, format   optString
	grants, redirects, logouts, scopes, defs stringList
	accessTTL, idTTL, refreshTTL             optString
	firstParty                               optString
}

func newClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{fs: fs}
	fs.Var(&f.account, "account", "account that owns the client (id or name)")
	fs.Var(&f.name, "name", "name shown to users on the consent page")
	fs.Var(&f.typ, "type", "confidential (a server or service) or public (a SPA or native app, PKCE only)")
	fs.Var(&f.auth, "auth-method", "client_secret_basic, client_secret_post, private_key_jwt or none")
	fs.Var(&f.jwks, "jwks", "public JSON Web Key Set of a private_key_jwt client")
	fs.Var(&f.grants, "grant", "allowed grant: authorization_code, refresh_token, client_credentials, device_code (repeatable)")
	fs.Var(&f.redirects, "redirect-uri", "exact redirect URI (repeatable)")
	fs.Var(&f.logouts, "post-logout-uri", "exact post-logout redirect URI (repeatable)")
	fs.Var(&f.scopes, "scope", "scope the client may ask for (repeatable)")
	fs.Var(&f.defs, "default-scope", "scope granted when a request names none (repeatable)")
	fs.Var(&f.accessTTL, "access-token-ttl", "lifetime of access tokens, e.g. 15m (0 = the server's)")
	fs.Var(&f.idTTL, "id-token-ttl", "lifetime of ID tokens (0 = the server's)")
	fs.Var(&f.refreshTTL, "refresh-token-ttl", "lifetime of refresh tokens (0 = the server's)")
	fs.Var(&f.format, "token-format", "jwt or opaque access tokens")
	fs.Var(&f.firstParty, "first-party", "true: the operator's own app; users are not asked to consent")
	return f
}

// input turns the flags given into a ClientInput.
func (f *clientFlags) input() (oauth.ClientInput, error) {
	var in oauth.ClientInput
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	in.Account, in.Name, in.Type, in.AuthMethod, in.JWKS, in.TokenFormat = f.account.ptr(), f.name.ptr(), f.typ.ptr(), f.auth.ptr(), f.jwks.ptr(), f.format.ptr()
	list := func(name string, v stringList) *[]string {
		if !set[name] {
			return nil
		}
		out := []string(v)
		return &out
	}
	in.RedirectURIs, in.PostLogoutRedirectURIs = list("redirect-uri", f.redirects), list("post-logout-uri", f.logouts)
	in.Scopes, in.DefaultScopes = list("scope", f.scopes), list("default-scope", f.defs)
	if g := list("grant", f.grants); g != nil {
		for i, x := range *g {
			if x == "device_code" {
				(*g)[i] = userdb.GrantDeviceCode
			}
		}
		in.GrantTypes = g
	}
	for _, d := range []struct {
		flag string
		v    optString
		dst  **time.Duration
	}{{"access-token-ttl", f.accessTTL, &in.AccessTokenTTL}, {"id-token-ttl", f.idTTL, &in.IDTokenTTL}, {"refresh-token-ttl", f.refreshTTL, &in.RefreshTokenTTL}} {
		if p := d.v.ptr(); p != nil {
			t, err := time.ParseDuration(*p)
			if err != nil || t < 0 {
				return in, usagef("client: --%s must be a duration such as 15m", d.flag)
			}
			*d.dst = &t
		}
	}
	if p := f.firstParty.ptr(); p != nil {
		b := *p == "true" || *p == "yes"
		if !b && *p != "false" && *p != "no" {
			return in, usagef("client: --first-party must be true or false")
		}
		in.FirstParty = &b
	}
	return in, nil
}

// withProvider opens the server and runs fn with its OAuth provider, as
// the system actor.
func (c *common) withProvider(e *env, fn func(ctx context.Context, p *oauth.Provider, az oauth.Authorizer) error) error {
	srv, err := c.open(e)
	if err != nil {
		return err
	}
	err = runProvider(e, srv, fn)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), closeTimeout)
	defer cancel()
	if cerr := srv.Close(cctx); err == nil {
		err = cerr
	}
	return err
}

func runProvider(e *env, srv *server.Server, fn func(ctx context.Context, p *oauth.Provider, az oauth.Authorizer) error) error {
	p := inside.OAuth(srv)
	if p == nil {
		return errors.New("the OAuth provider is off (oauth.enabled: false)")
	}
	ctx := service.WithActor(service.WithMeta(e.ctx, service.Meta{ActorID: cliActor}), service.SystemActor())
	return fn(ctx, p, inside.Service(srv))
}

// printClient shows a client as the admin API's JSON (--json) or as a
// table, with its secret when one was just made.
func printClient(e *env, c *common, cl *userdb.OAuthClient, secret string) error {
	v := api.NewClientView(cl)
	v.Secret = secret
	if c.json {
		return printJSON(e.stdout, v)
	}
	ttl := func(s int64) string {
		if s == 0 {
			return "server default"
		}
		return (time.Duration(s) * time.Second).String()
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", v.ID)
	if secret != "" {
		row("secret", secret+"   (shown only now)")
	}
	row("name", v.Name)
	row("account", v.AccountID)
	row("type", v.Type+" ("+v.AuthMethod+")")
	row("grants", strings.Join(v.GrantTypes, " "))
	row("scopes", strings.Join(v.Scopes, " "))
	row("default scopes", dash(strings.Join(v.DefaultScopes, " ")))
	row("redirect URIs", dash(strings.Join(v.RedirectURIs, " ")))
	row("post-logout URIs", dash(strings.Join(v.PostLogoutRedirectURIs, " ")))
	row("token lifetimes", fmt.Sprintf("access %s, ID %s, refresh %s", ttl(v.AccessTokenTTL), ttl(v.IDTokenTTL), ttl(v.RefreshTokenTTL)))
	row("token format", v.TokenFormat)
	row("first party", fmt.Sprint(v.FirstParty))
	return tw.Flush()
}

// clientCmd runs a `client` action.
func clientCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("client: missing action (add, list, show, update, rotate-secret, delete)")
	}
	action, rest := args[0], args[1:]
	var c common
	fs := c.flags("client "+action, true)
	switch action {
	case "add", "update":
		f := newClientFlags(fs)
		synopsis := "--name NAME [--type T] [--grant G]... [--scope S]... [--redirect-uri U]... [...]"
		min := 0
		if action == "update" {
			synopsis, min = "CLIENT-ID [flags of add]", 1
		}
		pos, err := parse(e, fs, rest, min, min, synopsis)
		if err != nil {
			return err
		}
		in, err := f.input()
		if err != nil {
			return err
		}
		return c.withProvider(e, func(ctx context.Context, p *oauth.Provider, az oauth.Authorizer) error {
			if action == "add" {
				cl, secret, err := p.CreateClient(ctx, az, in)
				if err != nil {
					return err
				}
				return printClient(e, &c, cl, secret)
			}
			cl, secret, err := p.UpdateClient(ctx, az, pos[0], in)
			if err != nil {
				return err
			}
			return printClient(e, &c, cl, secret)
		})
	case "list":
		account := fs.String("account", "", "only clients of this account")
		if _, err := parse(e, fs, rest, 0, 0, "[--account A]"); err != nil {
			return err
		}
		return c.withProvider(e, func(ctx context.Context, p *oauth.Provider, az oauth.Authorizer) error {
			list, err := p.Clients(ctx, az, *account)
			if err != nil {
				return err
			}
			if c.json {
				views := make([]api.ClientView, len(list))
				for i, cl := range list {
					views[i] = api.NewClientView(cl)
				}
				return printJSON(e.stdout, map[string]any{"clients": views})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tACCOUNT\tTYPE\tGRANTS")
			for _, cl := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Name, cl.AccountID, cl.Type, strings.Join(cl.GrantTypes, ","))
			}
			return tw.Flush()
		})
	case "show", "rotate-secret", "delete":
		pos, err := parse(e, fs, rest, 1, 1, "CLIENT-ID")
		if err != nil {
			return err
		}
		return c.withProvider(e, func(ctx context.Context, p *oauth.Provider, az oauth.Authorizer) error {
			switch action {
			case "show":
				cl, err := p.Client(ctx, az, pos[0])
				if err != nil {
					return err
				}
				return printClient(e, &c, cl, "")
			case "rotate-secret":
				cl, secret, err := p.RotateSecret(ctx, az, pos[0])
				if err != nil {
					return err
				}
				return printClient(e, &c, cl, secret)
			}
			if err := p.DeleteClient(ctx, az, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: deleted\n", pos[0])
			return nil
		})
	}
	if isHelp(action) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	return usagef("client: unknown action %q", action)
}

// keysCmd runs a `keys` action.
func keysCmd(e *env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(e.stdout, usage)
			return nil
		}
		return usagef("keys: missing or unknown action (rotate)")
	}
	var c common
	fs := c.flags("keys rotate", true)
	if _, err := parse(e, fs, args[1:], 0, 0, ""); err != nil {
		return err
	}
	return c.withProvider(e, func(ctx context.Context, p *oauth.Provider, _ oauth.Authorizer) error {
		k, err := p.RotateKeys(ctx)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(e.stdout, map[string]any{"kid": k.ID, "algorithm": k.Algorithm, "signsFrom": k.ActiveAt})
		}
		fmt.Fprintf(e.stdout, "new signing key %s (%s) is published now and signs from %s; the keys it replaces stay published until their tokens expire\n",
			k.ID, k.Algorithm, k.ActiveAt.Format(time.RFC3339))
		return nil
	})
}
