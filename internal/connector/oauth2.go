package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/userdb/userdb"
)

// oauth2Connector is a plain OAuth 2.0 provider: the user is whoever its
// userinfo URL says the access token belongs to.
type oauth2Connector struct {
	c         *userdb.Connector
	secret    string
	client    *http.Client
	issuer    string
	emailsURL string
	verified  bool
}

func newOAuth2(c *userdb.Connector, secret string, client *http.Client) (Connector, error) {
	s := c.Settings
	if s.AuthURL == "" || s.TokenURL == "" || s.UserInfoURL == "" {
		return nil, errors.New("connector: an OAuth 2.0 connector needs auth_url, token_url and userinfo_url")
	}
	issuer := s.Issuer
	if issuer == "" {
		// The identity's key needs an issuer: the authorization server's origin.
		u, err := url.Parse(s.AuthURL)
		if err != nil {
			return nil, err
		}
		issuer = u.Scheme + "://" + u.Host
	}
	p := presets[c.Type]
	emails := p.emailsURL
	if emails != "" && s.UserInfoURL != presets[c.Type].settings.UserInfoURL {
		// GitHub Enterprise: the emails API sits beside the configured /user.
		emails = s.UserInfoURL + "/emails"
	}
	return &oauth2Connector{c: c, secret: secret, client: client, issuer: issuer, emailsURL: emails, verified: p.emailsVerified}, nil
}

func (o *oauth2Connector) config(a Auth) *oauth2.Config {
	s := o.c.Settings
	return &oauth2.Config{ClientID: o.c.ClientID, ClientSecret: o.secret, RedirectURL: a.RedirectURL, Scopes: s.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.AuthURL, TokenURL: s.TokenURL}}
}

func (o *oauth2Connector) AuthCodeURL(_ context.Context, a Auth) (string, error) {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.Verifier)}
	if a.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login", a.LoginHint))
	}
	return o.config(a).AuthCodeURL(a.State, opts...), nil
}

func (o *oauth2Connector) Exchange(ctx context.Context, a Auth, code string) (*Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.client)
	tok, err := o.config(a).Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, tokenError(err)
	}
	if tok.AccessToken == "" {
		return nil, fail(BadToken, "", errors.New("the token response has no access_token"))
	}
	var claims map[string]any
	if err := o.get(ctx, tok, o.c.Settings.UserInfoURL, &claims); err != nil {
		return nil, err
	}
	id, err := mapClaims(claims, o.c.Settings.Claims)
	if err != nil {
		return nil, err
	}
	id.Issuer = o.issuer
	if o.verified {
		id.EmailVerified = id.Email != ""
	}
	if o.emailsURL != "" {
		// GitHub's /user shows the public address, if any, and says
		// nothing of verification: the emails API says which address is
		// the primary one and whether GitHub verified it.
		var emails []struct {
			Email    string `json:"email"`
			Primary  bool   `json:"primary"`
			Verified bool   `json:"verified"`
		}
		if err := o.get(ctx, tok, o.emailsURL, &emails); err != nil {
			return nil, err
		}
		id.Email, id.EmailVerified = "", false
		for _, e := range emails {
			if e.Primary {
				id.Email, id.EmailVerified = e.Email, e.Verified
			}
		}
	}
	if o.c.Settings.KeepTokens {
		id.Tokens = tokenJSON(tok, "")
	}
	return id, nil
}

// get reads a JSON answer of the provider's API with the access token.
func (o *oauth2Connector) get(ctx context.Context, tok *oauth2.Token, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail(Misconfigured, "", err)
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := o.client.Do(req)
	if err != nil {
		return fail(Unreachable, "", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fail(Unreachable, "", err)
	}
	switch {
	case resp.StatusCode >= 500:
		return fail(Unreachable, resp.Status, nil)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fail(Refused, resp.Status, fmt.Errorf("%s answered %s", u, resp.Status))
	case resp.StatusCode != http.StatusOK:
		return fail(Misconfigured, resp.Status, fmt.Errorf("%s answered %s", u, resp.Status))
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fail(BadToken, "", fmt.Errorf("%s: %w", u, err))
	}
	return nil
}
