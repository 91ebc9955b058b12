package service

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// Upstream talks to identity providers for the service; the server adapts
// internal/connector to it, so the service needs no OAuth library.
type Upstream interface {
	// AuthCodeURL returns the provider's sign-in page for one sign-in.
	AuthCodeURL(ctx context.Context, c *userdb.Connector, secret string, a UpstreamAuth) (string, error)
	// Exchange trades a callback's code for the verified identity; its
	// errors are *UpstreamFault.
	Exchange(ctx context.Context, c *userdb.Connector, secret string, a UpstreamAuth, code string) (*UpstreamIdentity, error)
}

// Sealer encrypts secrets at rest with the instance key (internal/seal).
type Sealer interface {
	Seal(plain, ad []byte) ([]byte, error)
	Open(sealed, ad []byte) ([]byte, error)
}

// UpstreamAuth is what one sign-in sends to a provider and checks in its
// answer.
type UpstreamAuth struct {
	RedirectURL, State, Nonce, Verifier, LoginHint string
}

// UpstreamIdentity is what a provider asserted about a user.
type UpstreamIdentity struct {
	Issuer, Subject              string
	Email                        string
	EmailVerified                bool
	Username, GivenName, Surname string
	Name                         string
	Groups                       []string
	Attributes                   map[string]any
	Tokens                       []byte `json:"-"` // the provider's tokens, JSON
}

// UpstreamFault is a provider's failure as the Upstream adapter reports
// it: Reason is one of "unreachable", "misconfigured", "refused" and
// "bad_token"; Upstream is the provider's own error, for the event.
type UpstreamFault struct {
	Reason   string
	Upstream string
	Err      error
}

func (e *UpstreamFault) Error() string {
	return fmt.Sprintf("upstream %s: %s: %v", e.Reason, e.Upstream, e.Err)
}

func (e *UpstreamFault) Unwrap() error { return e.Err }

// UpstreamError is a failed upstream sign-in in words the user
// understands: what happened and what to do. Reason says which it was.
type UpstreamError struct {
	Reason string
	Err    *userdb.Error
}

func (e *UpstreamError) Error() string { return e.Err.Error() }
func (e *UpstreamError) Unwrap() error { return e.Err }

// Reasons of an UpstreamError besides the UpstreamFault ones.
const (
	ReasonState           = "state"            // tampered, replayed or expired callback
	ReasonEmailUnverified = "email_unverified" // no verified email where one is needed
	ReasonAccountDisabled = "account_disabled" // the user or its account cannot sign in
	ReasonNoAccount       = "no_account"       // no linked user, and the connector creates none
	ReasonLinkedElsewhere = "linked_elsewhere" // the identity belongs to another user
	ReasonUnavailable     = "unavailable"      // no such connector, or disabled
)

func upstreamError(reason, code, format string, args ...any) *UpstreamError {
	return &UpstreamError{Reason: reason, Err: userdb.Errorf(code, format, args...)}
}

// Flow kinds.
const (
	flowAuth = "auth" // between the redirect to the provider and its callback
	flowLink = "link" // an identity waiting for its user's proof
)

// flowData is what a flow remembers, sealed with the instance key.
type flowData struct {
	Connector string            `json:"c"`
	Nonce     string            `json:"n,omitempty"`
	Verifier  string            `json:"v,omitempty"`
	Next      string            `json:"next,omitempty"`
	LoginHint string            `json:"hint,omitempty"`
	LinkUser  string            `json:"link,omitempty"` // linking from the profile of this user
	UserID    string            `json:"u,omitempty"`    // flowLink: the user who must prove
	Identity  *UpstreamIdentity `json:"id,omitempty"`   // flowLink: the identity to link
}

// connectors returns every connector: the configuration's, then the
// store's; a stored connector with a configured id is hidden.
func (s *Service) connectors(ctx context.Context, accountID string) ([]*userdb.Connector, error) {
	stored, err := s.store.FindConnectors(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []*userdb.Connector
	seen := map[string]bool{}
	for _, c := range s.configured {
		if accountID == "" || c.AccountID == accountID {
			out = append(out, c)
		}
		seen[c.ID] = true
	}
	for _, c := range stored {
		if !seen[c.ID] {
			out = append(out, c)
		}
	}
	return out, nil
}

// connector finds one connector, configured or stored.
func (s *Service) connector(ctx context.Context, id string) (*userdb.Connector, error) {
	for _, c := range s.configured {
		if c.ID == id {
			return c, nil
		}
	}
	c, err := s.store.FindConnector(ctx, id)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, userdb.Errorf(userdb.ENOTFOUND, "No such connector.")
	}
	return c, err
}

// enabledConnector finds a connector users may sign in through.
func (s *Service) enabledConnector(ctx context.Context, id string) (*userdb.Connector, error) {
	c, err := s.connector(ctx, id)
	if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && (c.Status != userdb.StatusEnabled || s.upstream == nil)) {
		return nil, upstreamError(ReasonUnavailable, userdb.ENOTFOUND, "There is no sign-in with %q here. Sign in another way.", id)
	}
	return c, err
}

// SignInConnectors lists the connectors offered on the sign-in page.
func (s *Service) SignInConnectors(ctx context.Context) ([]*userdb.Connector, error) {
	if s.upstream == nil {
		return nil, nil
	}
	all, err := s.connectors(ctx, "")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c *userdb.Connector) bool { return c.Status != userdb.StatusEnabled }), nil
}

// ConnectorForEmail finds the connector whose domains include the email's
// (home-realm discovery), or fails with ENOTFOUND.
func (s *Service) ConnectorForEmail(ctx context.Context, email string) (*userdb.Connector, error) {
	d := userdb.EmailDomain(email)
	if d == "" {
		return nil, userdb.Errorf(userdb.ENOTFOUND, "No connector for this address.")
	}
	cs, err := s.SignInConnectors(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if slices.Contains(c.Settings.Domains, d) {
			return c, nil
		}
	}
	return nil, userdb.Errorf(userdb.ENOTFOUND, "No connector for this address.")
}

// requiredConnector returns the connector an account's users must sign in
// through, or nil.
func (s *Service) requiredConnector(ctx context.Context, accountID string) (*userdb.Connector, error) {
	cs, err := s.SignInConnectors(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Settings.Required && c.AccountID == accountID {
			return c, nil
		}
	}
	return nil, nil
}

// clientSecret opens a connector's sealed client secret.
func (s *Service) clientSecret(c *userdb.Connector) (string, error) {
	if len(c.SealedSecret) == 0 {
		return "", nil
	}
	if s.sealer == nil {
		return "", errors.New("service: no sealer for connector secrets")
	}
	b, err := s.sealer.Open(c.SealedSecret, []byte("connector:"+c.ID))
	if err != nil {
		return "", fmt.Errorf("service: the client secret of connector %s does not open with the instance key: %w", c.ID, err)
	}
	return string(b), nil
}

// StartOptions say what an upstream sign-in is for.
type StartOptions struct {
	Next      string       // where to go afterwards (checked by the caller)
	LoginHint string       // the email the user typed, if any
	LinkUser  *userdb.User // set: link the identity to this signed-in user
}

// UpstreamStart is where to send the browser, and the state to bind to it.
type UpstreamStart struct {
	URL string
	// State goes both to the provider and into a cookie; the callback must
	// bring the same value back in both.
	State string
}

// StartUpstream begins a sign-in (or a link) through a connector: it
// remembers the flow, sealed, for UpstreamFlowTTL, and returns the
// provider's page.
func (s *Service) StartUpstream(ctx context.Context, id string, o StartOptions) (*UpstreamStart, error) {
	c, err := s.enabledConnector(ctx, id)
	if err != nil {
		return nil, err
	}
	secret, err := s.clientSecret(c)
	if err != nil {
		s.upstreamFailed(ctx, c, nil, "misconfigured", err.Error())
		return nil, s.faultError(c, &UpstreamFault{Reason: "misconfigured", Err: err})
	}
	state, hash := userdb.NewSecret()
	nonce, _ := userdb.NewSecret()
	verifier, _ := userdb.NewSecret() // 43 characters of base64url: a valid PKCE verifier
	d := flowData{Connector: c.ID, Nonce: nonce, Verifier: verifier, Next: o.Next, LoginHint: truncate(o.LoginHint, userdb.MaxEmailLen)}
	if o.LinkUser != nil {
		d.LinkUser = o.LinkUser.ID
	}
	a := UpstreamAuth{RedirectURL: s.ConnectorCallbackURL(c.ID), State: state, Nonce: nonce, Verifier: verifier, LoginHint: d.LoginHint}
	u, err := s.upstream.AuthCodeURL(ctx, c, secret, a)
	if err != nil {
		var f *UpstreamFault
		if errors.As(err, &f) {
			s.upstreamFailed(ctx, c, nil, f.Reason, faultDetail(f))
			return nil, s.faultError(c, f)
		}
		return nil, err
	}
	if err := s.saveFlow(ctx, s.store, flowAuth, hash, d); err != nil {
		return nil, err
	}
	return &UpstreamStart{URL: u, State: state}, nil
}

// ConnectorCallbackURL is the callback URL of a connector: what its
// administrator registers at the provider as the redirect URI.
func (s *Service) ConnectorCallbackURL(id string) string {
	return strings.TrimSuffix(s.opts.BaseURL, "/") + "/upstream/" + id + "/callback"
}

func (s *Service) saveFlow(ctx context.Context, st userdb.Store, kind string, hash []byte, d flowData) error {
	plain, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if s.sealer == nil {
		return errors.New("service: no sealer for upstream flows")
	}
	sealed, err := s.sealer.Seal(plain, []byte("flow:"+kind))
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return st.CreateUpstreamFlow(ctx, &userdb.UpstreamFlow{Hash: hash, Kind: kind, Data: sealed,
		CreatedAt: now, ExpiresAt: now.Add(s.opts.UpstreamFlowTTL)})
}

func (s *Service) openFlow(f *userdb.UpstreamFlow) (flowData, error) {
	var d flowData
	plain, err := s.sealer.Open(f.Data, []byte("flow:"+f.Kind))
	if err != nil {
		return d, err
	}
	return d, json.Unmarshal(plain, &d)
}

// UpstreamCallback is what the provider's redirect brought back.
type UpstreamCallback struct {
	State        string // the state parameter
	BrowserState string // the state cookie of the browser
	Code         string
	// Error and ErrorDescription are the provider's refusal (RFC 6749
	// section 4.1.2.1).
	Error, ErrorDescription string
}

// UpstreamResult is the outcome of a callback: exactly one of Login,
// Linked and Pending is set.
type UpstreamResult struct {
	Connector *userdb.Connector
	Next      string
	// Login: the user is signed in.
	Login *Login
	// Linked: the identity was linked to the signed-in user who asked.
	Linked *userdb.Identity
	// Pending: a user with the identity's verified email exists; the
	// identity is linked only once that user proves control (CompleteLink).
	// Pending is the secret of the waiting link, for a cookie.
	Pending string
}

var errBadState = upstreamError(ReasonState, userdb.EINVALID,
	"This sign-in has expired, was already used, or was started in another browser. Please start again.")

// FinishUpstream handles a provider's callback: it checks that the state
// is this browser's and unused (using it up), trades the code for the
// identity, and signs the user in, links the identity, or asks for the
// existing user's proof. Nothing is created on any failure.
func (s *Service) FinishUpstream(ctx context.Context, id string, cb UpstreamCallback) (*UpstreamResult, error) {
	c, err := s.enabledConnector(ctx, id)
	if err != nil {
		return nil, err
	}
	// The state must be the one this browser was given (login CSRF: a
	// callback URL made by someone else carries their state, not the
	// cookie's), and is used up at once (a replayed callback finds nothing).
	if cb.State == "" || len(cb.State) > 100 || subtle.ConstantTimeCompare([]byte(cb.State), []byte(cb.BrowserState)) != 1 {
		s.upstreamFailed(ctx, c, nil, ReasonState, "state does not match the browser's")
		return nil, errBadState
	}
	f, err := s.store.ConsumeUpstreamFlow(ctx, flowAuth, userdb.HashSecret(cb.State), s.clock.Now())
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		s.upstreamFailed(ctx, c, nil, ReasonState, "state unknown, used or expired")
		return nil, errBadState
	} else if err != nil {
		return nil, err
	}
	d, err := s.openFlow(f)
	if err != nil || d.Connector != c.ID {
		s.upstreamFailed(ctx, c, nil, ReasonState, "state of another connector")
		return nil, errBadState
	}
	res := &UpstreamResult{Connector: c, Next: d.Next}
	if cb.Error != "" {
		s.upstreamFailed(ctx, c, nil, "refused", truncate(cb.Error+": "+cb.ErrorDescription, 300))
		return nil, s.faultError(c, &UpstreamFault{Reason: "refused"})
	}
	if cb.Code == "" || len(cb.Code) > 4096 {
		s.upstreamFailed(ctx, c, nil, ReasonState, "no code")
		return nil, errBadState
	}
	secret, err := s.clientSecret(c)
	if err != nil {
		s.upstreamFailed(ctx, c, nil, "misconfigured", err.Error())
		return nil, s.faultError(c, &UpstreamFault{Reason: "misconfigured", Err: err})
	}
	a := UpstreamAuth{RedirectURL: s.ConnectorCallbackURL(c.ID), State: cb.State, Nonce: d.Nonce, Verifier: d.Verifier}
	ident, err := s.upstream.Exchange(ctx, c, secret, a, cb.Code)
	if err != nil {
		var fault *UpstreamFault
		if errors.As(err, &fault) {
			s.upstreamFailed(ctx, c, nil, fault.Reason, faultDetail(fault))
			return nil, s.faultError(c, fault)
		}
		return nil, err
	}
	if d.LinkUser != "" {
		x, err := s.linkToSignedIn(ctx, c, d.LinkUser, ident)
		if err != nil {
			return nil, err
		}
		res.Linked = x
		return res, nil
	}

	known, err := s.store.FindIdentity(ctx, ident.Issuer, ident.Subject)
	switch {
	case err == nil:
		u, err := s.store.FindUserByID(ctx, known.UserID)
		if err != nil {
			return nil, err
		}
		res.Login, err = s.signInUpstream(ctx, c, u, known, ident)
		return res, err
	case !userdb.IsCode(err, userdb.ENOTFOUND):
		return nil, err
	}

	// A new identity. Its email is looked at only when the provider
	// verified it: an unverified claim is anyone's to make.
	if !ident.EmailVerified || ident.Email == "" {
		s.upstreamFailed(ctx, c, nil, ReasonEmailUnverified, "")
		return nil, upstreamError(ReasonEmailUnverified, userdb.EFORBIDDEN,
			"Your %s account has no verified email address. Verify your address at %s, then try again.", c.Name, c.Name)
	}
	existing, err := s.store.FindUserByEmail(ctx, ident.Email)
	switch {
	case err == nil:
		// Never linked by email alone, verified or not: whoever controls
		// the provider's account might not be the user. The user proves
		// control of the userdb account first (CompleteLink).
		pending, hash := userdb.NewSecret()
		err := s.store.Tx(ctx, func(tx userdb.Store) error {
			if err := s.saveFlow(ctx, tx, flowLink, hash, flowData{Connector: c.ID, Next: d.Next, UserID: existing.ID, Identity: ident}); err != nil {
				return err
			}
			return s.record(ctx, tx, "identity.link_pending", existing, map[string]any{"connector": c.ID, "issuer": ident.Issuer})
		})
		if err != nil {
			return nil, err
		}
		res.Pending = pending
		return res, nil
	case !userdb.IsCode(err, userdb.ENOTFOUND):
		return nil, err
	}
	if !c.Settings.CreateUsers {
		s.upstreamFailed(ctx, c, nil, ReasonNoAccount, "")
		return nil, upstreamError(ReasonNoAccount, userdb.EFORBIDDEN,
			"There is no account for %s here, and signing in with %s does not create one. Ask your administrator for an invitation.", ident.Email, c.Name)
	}
	res.Login, err = s.createUpstreamUser(ctx, c, ident)
	return res, err
}

// signInUpstream signs a linked user in. It is the one way an upstream
// sign-in starts a session, through startSession as a password sign-in
// does, recording amr "fed" (RFC 8176: federated).
func (s *Service) signInUpstream(ctx context.Context, c *userdb.Connector, u *userdb.User, x *userdb.Identity, ident *UpstreamIdentity) (*Login, error) {
	u, err := s.autoUnlock(ctx, u)
	if err != nil {
		return nil, err
	}
	if err := s.checkCanSignIn(ctx, c, u); err != nil {
		return nil, err
	}
	tokens, err := s.sealTokens(c, x.ID, ident)
	if err != nil {
		return nil, err
	}
	roles, err := s.groupRoles(ctx, c, u.AccountID, ident.Groups)
	if err != nil {
		return nil, err
	}
	// The provider proved one factor: a second one, or its enrolment, is
	// due as after a password (the user's factors, its account's and
	// roles' policy, the administrators' rule — with the roles the
	// provider's groups are about to give).
	after := *u
	for _, r := range roles {
		if !after.HasRole(r.Name) {
			after.Roles = append(slices.Clone(after.Roles), r.Name)
		}
	}
	stage, err := s.loginStage(ctx, &after)
	if err != nil {
		return nil, err
	}
	var res *Login
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.UpdateIdentityLogin(ctx, x.ID, ident.Email, tokens, s.clock.Now()); err != nil {
			return err
		}
		for _, r := range roles {
			if !u.HasRole(r.Name) {
				if err := tx.AddUserRole(ctx, u.ID, r.ID); err != nil {
					return err
				}
			}
		}
		if stage != "" {
			p, err := s.beginPending(ctx, tx, &after, stage, amrFederated, map[string]any{"method": "upstream", "connector": c.ID})
			if err == nil {
				res = &Login{User: p.User, AMR: p.AMR, Pending: p}
			}
			return err
		}
		res, err = s.startUpstreamSession(ctx, tx, c, u, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.started(res)
	if len(roles) > 0 {
		s.roles.forget()
	}
	return res, nil
}

// startUpstreamSession records the sign-in and starts the session through
// st: the one place an upstream sign-in (new or returning user, or a link
// after the password) starts a session.
func (s *Service) startUpstreamSession(ctx context.Context, st userdb.Store, c *userdb.Connector, u *userdb.User, extra map[string]any) (*Login, error) {
	u2, err := st.UpdateUser(ctx, u.ID, userdb.UserUpdate{LastLoginAt: ptr(s.clock.Now()), ResetFailedLogins: true, KeepVersion: true}, s.clock.Now())
	if err != nil {
		return nil, err
	}
	res, err := s.startSession(ctx, st, u2, amrFederated)
	if err != nil {
		return nil, err
	}
	details := map[string]any{"session": res.Session.ID, "method": "upstream", "connector": c.ID, "amr": res.AMR}
	for k, v := range extra {
		details[k] = v
	}
	if err := s.record(ctx, st, "login.succeeded", u2, details); err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	return res, nil
}

// checkCanSignIn refuses users who may not sign in: not enabled, or of a
// disabled account.
func (s *Service) checkCanSignIn(ctx context.Context, c *userdb.Connector, u *userdb.User) error {
	reason := ""
	if u.Status != userdb.StatusEnabled {
		reason = strings.ToLower(string(u.Status))
	} else if acc, err := s.store.FindAccountByID(ctx, u.AccountID); err != nil {
		return err
	} else if acc.Status != userdb.StatusEnabled {
		reason = "account_disabled"
	}
	if reason == "" {
		return nil
	}
	_ = s.record(ctx, s.store, "login.failed", u, map[string]any{"reason": reason, "method": "upstream", "connector": c.ID})
	return upstreamError(ReasonAccountDisabled, userdb.EFORBIDDEN,
		"Your account cannot sign in: it is disabled, locked or not yet active. Contact your administrator.")
}

// groupRoles returns the roles of an account that a groups claim names,
// directly or through the connector's group_roles. The super-admin role is
// never given this way: a provider's group cannot grant power over every
// account.
func (s *Service) groupRoles(ctx context.Context, c *userdb.Connector, accountID string, groups []string) ([]*userdb.Role, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	all, err := s.store.FindRoles(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []*userdb.Role
	for _, g := range groups {
		name := g
		if m, ok := c.Settings.GroupRoles[g]; ok {
			name = m
		}
		for _, r := range all {
			if strings.EqualFold(r.Name, name) && r.Name != s.opts.SuperAdminRole && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// sealTokens encrypts the provider's tokens for an identity whose connector
// keeps them; nil otherwise.
func (s *Service) sealTokens(c *userdb.Connector, identityID string, ident *UpstreamIdentity) ([]byte, error) {
	if !c.Settings.KeepTokens || len(ident.Tokens) == 0 {
		return nil, nil
	}
	return s.sealer.Seal(ident.Tokens, []byte("identity:"+identityID))
}

// newIdentity is the row of a new link.
func (s *Service) newIdentity(c *userdb.Connector, userID string, ident *UpstreamIdentity) (*userdb.Identity, error) {
	now := s.clock.Now()
	x := &userdb.Identity{ID: userdb.NewID("idn"), UserID: userID, ConnectorID: c.ID, Issuer: ident.Issuer,
		Subject: ident.Subject, Email: truncate(ident.Email, userdb.MaxEmailLen), CreatedAt: now, LastLoginAt: now}
	var err error
	x.SealedTokens, err = s.sealTokens(c, x.ID, ident)
	return x, err
}

// createUpstreamUser creates a user just in time, with its roles,
// attributes and identity, and signs it in: one transaction.
func (s *Service) createUpstreamUser(ctx context.Context, c *userdb.Connector, ident *UpstreamIdentity) (*Login, error) {
	account := c.AccountID
	if name, ok := c.Settings.DomainAccounts[userdb.EmailDomain(ident.Email)]; ok {
		account = name
	}
	acc, err := s.findAccount(ctx, account)
	if err != nil {
		return nil, s.misconfigured(ctx, c, fmt.Sprintf("account %q: %v", account, err))
	}
	now := s.clock.Now()
	u := &userdb.User{
		ID: userdb.NewID("usr"), AccountID: acc.ID, Email: ident.Email,
		GivenName: truncate(ident.GivenName, userdb.MaxNameLen), Surname: truncate(ident.Surname, userdb.MaxNameLen),
		FullName: truncate(ident.Name, userdb.MaxNameLen), Status: userdb.StatusEnabled,
		CustomData: ident.Attributes, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now,
	}
	u.Normalize()
	if err := u.Validate(); err != nil {
		return nil, s.misconfigured(ctx, c, "new user: "+err.Error())
	}
	if err := s.checkProfile(ctx, u.CustomData, u.CustomData, false); err != nil {
		return nil, s.misconfigured(ctx, c, "attributes: "+err.Error())
	}
	roles, err := s.resolveRoles(ctx, acc.ID, c.Settings.DefaultRoles)
	if err != nil {
		return nil, s.misconfigured(ctx, c, "default roles: "+err.Error())
	}
	more, err := s.groupRoles(ctx, c, acc.ID, ident.Groups)
	if err != nil {
		return nil, err
	}
	for _, r := range more {
		if !slices.ContainsFunc(roles, func(x *userdb.Role) bool { return x.ID == r.ID }) {
			roles = append(roles, r)
		}
	}
	x, err := s.newIdentity(c, u.ID, ident)
	if err != nil {
		return nil, err
	}
	var res *Login
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for _, r := range roles {
			if err := tx.AddUserRole(ctx, u.ID, r.ID); err != nil {
				return err
			}
			u.Roles = append(u.Roles, r.Name)
		}
		if err := s.record(ctx, tx, "user.created", u, map[string]any{"roles": u.Roles, "connector": c.ID}); err != nil {
			return err
		}
		if err := tx.CreateIdentity(ctx, x); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "identity.linked", u, map[string]any{"connector": c.ID, "identity": x.ID, "issuer": x.Issuer}); err != nil {
			return err
		}
		res, err = s.startUpstreamSession(ctx, tx, c, u, map[string]any{"created": true})
		return err
	})
	if userdb.IsCode(err, userdb.ECONFLICT) {
		// Another user signs in with this address as its username, or the
		// address or the identity appeared meanwhile.
		s.upstreamFailed(ctx, c, nil, "conflict", "")
		return nil, upstreamError(ReasonLinkedElsewhere, userdb.ECONFLICT,
			"An account that signs in as %s exists already. Sign in to it, then link %s from your profile.", ident.Email, c.Name)
	}
	if err != nil {
		return nil, err
	}
	s.started(res)
	s.roles.forget()
	return res, nil
}

// linkToSignedIn links an identity to the user who started the link from
// their profile (signed in, so proven).
func (s *Service) linkToSignedIn(ctx context.Context, c *userdb.Connector, userID string, ident *UpstreamIdentity) (*userdb.Identity, error) {
	u, err := s.store.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if other, err := s.store.FindIdentity(ctx, ident.Issuer, ident.Subject); err == nil {
		if other.UserID == u.ID {
			return other, nil // linked already: nothing to do
		}
		s.upstreamFailed(ctx, c, u, ReasonLinkedElsewhere, "")
		return nil, upstreamError(ReasonLinkedElsewhere, userdb.ECONFLICT,
			"This %s account is linked to another user already. Sign in with it to use that user, or unlink it there first.", c.Name)
	} else if !userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, err
	}
	x, err := s.newIdentity(c, u.ID, ident)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateIdentity(ctx, x); err != nil {
			return err
		}
		return s.record(ctx, tx, "identity.linked", u, map[string]any{"connector": c.ID, "identity": x.ID, "issuer": x.Issuer})
	})
	if userdb.IsCode(err, userdb.ECONFLICT) {
		return nil, upstreamError(ReasonLinkedElsewhere, userdb.ECONFLICT,
			"This %s account is linked to another user already.", c.Name)
	}
	return x, err
}

// PendingLink is an identity waiting for its user's proof.
type PendingLink struct {
	Connector *userdb.Connector
	Email     string // the existing user's address
	Next      string
}

var errNoPending = upstreamError(ReasonState, userdb.ENOTFOUND,
	"This link request has expired or was already used. Sign in again with your provider to start over.")

// FindPendingLink returns the waiting link of a secret.
func (s *Service) FindPendingLink(ctx context.Context, secret string) (*PendingLink, error) {
	p, _, _, err := s.pendingLink(ctx, secret)
	return p, err
}

func (s *Service) pendingLink(ctx context.Context, secret string) (*PendingLink, flowData, *userdb.User, error) {
	if secret == "" || len(secret) > 100 {
		return nil, flowData{}, nil, errNoPending
	}
	f, err := s.store.FindUpstreamFlow(ctx, flowLink, userdb.HashSecret(secret), s.clock.Now())
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, flowData{}, nil, errNoPending
	} else if err != nil {
		return nil, flowData{}, nil, err
	}
	d, err := s.openFlow(f)
	if err != nil || d.Identity == nil {
		return nil, flowData{}, nil, errNoPending
	}
	c, err := s.enabledConnector(ctx, d.Connector)
	if err != nil {
		return nil, flowData{}, nil, err
	}
	u, err := s.store.FindUserByID(ctx, d.UserID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, flowData{}, nil, errNoPending
	} else if err != nil {
		return nil, flowData{}, nil, err
	}
	return &PendingLink{Connector: c, Email: u.Email, Next: d.Next}, d, u, nil
}

// CompleteLink proves control of the existing user with its password: the
// password sign-in runs as Login does (same failures, counting and lockout),
// then the identity is linked, using the waiting link up.
func (s *Service) CompleteLink(ctx context.Context, secret, password string) (*Login, *PendingLink, error) {
	p, d, u, err := s.pendingLink(ctx, secret)
	if err != nil {
		return nil, nil, err
	}
	l, err := s.Login(ctx, u.Email, password)
	if err != nil {
		return nil, p, err
	}
	if l.Pending != nil {
		// The password alone is not this user's whole proof (a second
		// factor, mfa.go), or must be changed before it opens anything:
		// link from the profile once signed in.
		_ = s.usePending(ctx, s.store, l.Pending)
		if l.Pending.Stage == userdb.PendingPasswordChange {
			return nil, p, userdb.Errorf(userdb.EFORBIDDEN, "Your password must be changed first: sign in, choose a new one, then link this account from your profile.")
		}
		return nil, p, userdb.Errorf(userdb.EFORBIDDEN, "Your account signs in with a second factor: sign in first, then link this account from your profile.")
	}
	c := p.Connector
	x, err := s.newIdentity(c, u.ID, d.Identity)
	if err != nil {
		return l, p, err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if _, err := tx.ConsumeUpstreamFlow(ctx, flowLink, userdb.HashSecret(secret), s.clock.Now()); err != nil {
			return err
		}
		if err := tx.CreateIdentity(ctx, x); err != nil {
			return err
		}
		return s.record(ctx, tx, "identity.linked", u, map[string]any{"connector": c.ID, "identity": x.ID,
			"issuer": x.Issuer, "proof": "password"})
	})
	switch {
	case userdb.IsCode(err, userdb.ENOTFOUND):
		return l, p, errNoPending // used meanwhile; the sign-in stands
	case userdb.IsCode(err, userdb.ECONFLICT):
		return l, p, upstreamError(ReasonLinkedElsewhere, userdb.ECONFLICT, "This %s account is linked to another user already.", c.Name)
	}
	return l, p, err
}

// IdentityView is one of a user's identities with its connector's name.
type IdentityView struct {
	*userdb.Identity
	ConnectorName string
}

// Identities lists a user's upstream identities.
func (s *Service) Identities(ctx context.Context, u *userdb.User) ([]IdentityView, error) {
	xs, err := s.store.FindIdentitiesByUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]IdentityView, len(xs))
	for i, x := range xs {
		out[i] = IdentityView{Identity: x, ConnectorName: x.ConnectorID}
		if c, err := s.connector(ctx, x.ConnectorID); err == nil {
			out[i].ConnectorName = c.Name
		}
	}
	return out, nil
}

// UnlinkIdentity removes one of u's identities. The last way to sign in —
// no password and no other identity — cannot be removed.
func (s *Service) UnlinkIdentity(ctx context.Context, u *userdb.User, id string) error {
	xs, err := s.store.FindIdentitiesByUser(ctx, u.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(xs, func(x *userdb.Identity) bool { return x.ID == id })
	if i < 0 {
		return userdb.Errorf(userdb.ENOTFOUND, "No such linked account.")
	}
	if u.PasswordHash == "" && len(xs) == 1 {
		return userdb.Errorf(userdb.ECONFLICT, "This is your only way to sign in. Set a password or link another provider first.")
	}
	return s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteIdentity(ctx, u.ID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "identity.unlinked", u, map[string]any{"connector": xs[i].ConnectorID, "identity": id})
	})
}

// upstreamFailed records a failed upstream sign-in with the provider's
// error (never a token or code).
func (s *Service) upstreamFailed(ctx context.Context, c *userdb.Connector, u *userdb.User, reason, upstream string) {
	details := map[string]any{"reason": reason, "method": "upstream", "connector": c.ID}
	if upstream != "" {
		details["upstream_error"] = truncate(upstream, 300)
	}
	if err := s.record(context.WithoutCancel(ctx), s.store, "login.upstream_failed", u, details); err != nil {
		s.log.Warn("recording a failed upstream sign-in", "err", err)
	}
}

func faultDetail(f *UpstreamFault) string {
	msg := f.Upstream
	if f.Err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += f.Err.Error()
	}
	return msg
}

func (s *Service) misconfigured(ctx context.Context, c *userdb.Connector, detail string) error {
	s.log.Warn("connector misconfigured", "connector", c.ID, "detail", detail)
	s.upstreamFailed(ctx, c, nil, "misconfigured", detail)
	return s.faultError(c, &UpstreamFault{Reason: "misconfigured"})
}

// faultError words a provider's failure for the user.
func (s *Service) faultError(c *userdb.Connector, f *UpstreamFault) *UpstreamError {
	switch f.Reason {
	case "unreachable":
		return upstreamError(f.Reason, userdb.EUNAUTHORIZED,
			"%s could not be reached or did not answer in time, so you were not signed in. Try again in a few minutes, or sign in another way.", c.Name)
	case "refused":
		return upstreamError(f.Reason, userdb.EUNAUTHORIZED,
			"Signing in with %s was cancelled or refused. Try again, or sign in another way.", c.Name)
	case "bad_token":
		return upstreamError(f.Reason, userdb.EUNAUTHORIZED,
			"The answer from %s could not be verified, so you were not signed in. Try again; if it keeps happening, tell your administrator.", c.Name)
	}
	return upstreamError("misconfigured", userdb.EUNAUTHORIZED,
		"Signing in with %s is not set up correctly here. Please tell your administrator, and sign in another way meanwhile.", c.Name)
}

// refuseIfConnectorRequired refuses the password sign-in of a user whose
// account signs in through its connector only. It runs after the password
// was found right, so it tells nothing to someone who does not know it.
func (s *Service) refuseIfConnectorRequired(ctx context.Context, u *userdb.User) error {
	c, err := s.requiredConnector(ctx, u.AccountID)
	if err != nil || c == nil {
		return err
	}
	_ = s.record(ctx, s.store, "login.failed", u, map[string]any{"reason": "connector_required", "connector": c.ID})
	return &userdb.Error{Code: userdb.EFORBIDDEN, Field: "connector:" + c.ID,
		Message: fmt.Sprintf("Your organisation signs in with %s. Use the %s button instead of a password.", c.Name, c.Name)}
}
