package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/userdb/userdb"
)

// Connector signs a user in at one upstream provider.
type Connector interface {
	// AuthCodeURL returns the provider's page the browser is sent to.
	AuthCodeURL(ctx context.Context, a Auth) (string, error)
	// Exchange trades the code of the callback for the user's identity,
	// verified. Errors are *Error.
	Exchange(ctx context.Context, a Auth, code string) (*Identity, error)
}

// Checker is a connector that can check its configuration against the
// provider (discovery) without a user.
type Checker interface {
	Check(ctx context.Context) error
}

// Auth is what one sign-in sends to the provider and checks in its answer.
type Auth struct {
	RedirectURL string
	State       string
	Nonce       string // OpenID Connect: must come back in the ID token
	Verifier    string // PKCE code verifier (RFC 7636)
	LoginHint   string // an email the user typed, if any
}

// Identity is what the provider asserted about the user, mapped through
// the connector's claim map.
type Identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Username        string
	GivenName       string
	Surname         string
	Name            string
	Groups          []string
	Attributes      map[string]any
	// Tokens are the provider's tokens as JSON, for connectors that keep them.
	Tokens []byte
}

// Kind classifies what went wrong at the provider, so the user is told
// what happened and what to do.
type Kind int

const (
	// Unreachable: the provider did not answer in time, or answered 5xx.
	Unreachable Kind = iota + 1
	// Misconfigured: the provider refused the connector itself (wrong
	// client secret, unknown client, discovery that does not match).
	Misconfigured
	// Refused: the provider refused the sign-in (the user cancelled, the
	// code was used or expired).
	Refused
	// BadToken: the ID token failed verification (signature, issuer,
	// audience, expiry, nonce) or the answer was malformed.
	BadToken
)

func (k Kind) String() string {
	switch k {
	case Unreachable:
		return "unreachable"
	case Misconfigured:
		return "misconfigured"
	case Refused:
		return "refused"
	case BadToken:
		return "bad_token"
	}
	return "unknown"
}

// Error is a failure at the provider. Upstream is the provider's own error
// code or description, for the event; it is never shown as the page's text.
type Error struct {
	Kind     Kind
	Upstream string
	Err      error
}

func (e *Error) Error() string {
	s := "connector: " + e.Kind.String()
	if e.Upstream != "" {
		s += ": " + e.Upstream
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func fail(k Kind, upstream string, err error) *Error {
	return &Error{Kind: k, Upstream: upstream, Err: err}
}

// KindOf returns the kind of a connector error, 0 for other errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Options are shared by every connector.
type Options struct {
	// Timeout bounds each request to the provider.
	Timeout time.Duration
	// Transport, when set, carries the requests (tests).
	Transport http.RoundTripper
}

// factory builds the connector of a type from its data and plain secret.
type factory func(c *userdb.Connector, secret string, client *http.Client) (Connector, error)

var factories = map[string]factory{
	userdb.ConnectorOIDC:      newOIDC,
	userdb.ConnectorGoogle:    newOIDC,
	userdb.ConnectorMicrosoft: newOIDC,
	userdb.ConnectorGitLab:    newOIDC,
	userdb.ConnectorApple:     newOIDC,
	userdb.ConnectorOAuth2:    newOAuth2,
	userdb.ConnectorGitHub:    newOAuth2,
	userdb.ConnectorFacebook:  newOAuth2,
}

// Open builds the connector c describes, with its presets applied.
func Open(c *userdb.Connector, secret string, o Options) (Connector, error) {
	f, ok := factories[c.Type]
	if !ok {
		return nil, fmt.Errorf("connector: unknown type %q", c.Type)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	cc := *c
	cc.Settings = WithPreset(c.Type, c.Settings)
	client := &http.Client{Timeout: o.Timeout, Transport: o.Transport,
		// A provider's endpoints answer directly; a redirect to elsewhere
		// is not followed with the client's credentials.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f(&cc, secret, client)
}
