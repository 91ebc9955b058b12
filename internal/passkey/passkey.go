// Package passkey runs WebAuthn ceremonies (passkeys and security keys) on
// go-webauthn for the service: the options a browser's
// navigator.credentials.create and .get take, and the checks of their
// answers (challenge, origin, relying party id, signature, counter).
package passkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/userdb/userdb/internal/service"
)

// Config is the relying party.
type Config struct {
	RPID             string
	RPName           string
	Origins          []string
	UserVerification string // required | preferred | discouraged
	Timeout          time.Duration
}

// RP is a relying party. It implements service.WebAuthn.
type RP struct {
	w  *webauthn.WebAuthn
	uv protocol.UserVerificationRequirement
}

var _ service.WebAuthn = (*RP)(nil)

// New checks c and returns its relying party.
func New(c Config) (*RP, error) {
	w, err := webauthn.New(&webauthn.Config{
		RPID: c.RPID, RPDisplayName: c.RPName, RPOrigins: c.Origins,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: c.Timeout, TimeoutUVD: c.Timeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: c.Timeout, TimeoutUVD: c.Timeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return &RP{w: w, uv: protocol.UserVerificationRequirement(c.UserVerification)}, nil
}

// user is a service.WebAuthnUser as go-webauthn sees it.
type user struct {
	u     *service.WebAuthnUser
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.u.Handle }
func (u *user) WebAuthnName() string                       { return u.u.Name }
func (u *user) WebAuthnDisplayName() string                { return u.u.DisplayName }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newUser(u *service.WebAuthnUser) (*user, error) {
	out := &user{u: u}
	for _, c := range u.Credentials {
		var wc webauthn.Credential
		if err := json.Unmarshal(c.Record, &wc); err != nil {
			return nil, fmt.Errorf("passkeys: a stored credential does not decode: %w", err)
		}
		// The counter lives in the factor's column, updated at each use.
		wc.Authenticator.SignCount = c.SignCount
		out.creds = append(out.creds, wc)
	}
	return out, nil
}

// BeginRegistration returns the options of navigator.credentials.create
// for a discoverable credential (a passkey, so that it signs in without a
// name), excluding the user's credentials, and the ceremony's state.
func (rp *RP) BeginRegistration(u *service.WebAuthnUser) (options, state []byte, err error) {
	wu, err := newUser(u)
	if err != nil {
		return nil, nil, err
	}
	creation, session, err := rp.w.BeginRegistration(wu,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: rp.uv,
		}),
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
	)
	if err != nil {
		return nil, nil, err
	}
	return encode(creation, session)
}

// FinishRegistration checks the browser's answer to the options of state
// and returns the new credential.
func (rp *RP) FinishRegistration(u *service.WebAuthnUser, state, answer []byte) (*service.WebAuthnCredential, error) {
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, badAnswer(err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, badAnswer(err)
	}
	wu, err := newUser(u)
	if err != nil {
		return nil, err
	}
	c, err := rp.w.CreateCredential(wu, session, parsed)
	if err != nil {
		return nil, badAnswer(err)
	}
	return credential(c, c.Flags.UserVerified, false, session.Challenge)
}

// BeginLogin returns the options of navigator.credentials.get: for u's
// credentials (a second factor), or, with u nil, for any discoverable
// credential of this relying party (a sign-in without a name; the pages
// also offer it as autofill, conditional mediation).
func (rp *RP) BeginLogin(u *service.WebAuthnUser) (options, state []byte, err error) {
	uv := webauthn.WithUserVerification(rp.uv)
	if u == nil {
		assertion, session, err := rp.w.BeginDiscoverableLogin(uv)
		if err != nil {
			return nil, nil, err
		}
		return encode(assertion, session)
	}
	wu, err := newUser(u)
	if err != nil {
		return nil, nil, err
	}
	assertion, session, err := rp.w.BeginLogin(wu, uv)
	if err != nil {
		return nil, nil, err
	}
	return encode(assertion, session)
}

// FinishLogin checks an assertion against the options of state. find
// returns the user whose handle and credential id the assertion names,
// with its credentials; for a ceremony begun for a user, the assertion
// must name that user. It returns the user and the credential used, with
// its new counter, whether this ceremony verified the user, and whether
// the counter went backwards (a cloned authenticator).
func (rp *RP) FinishLogin(state, answer []byte, find func(handle, credentialID []byte) (*service.WebAuthnUser, error)) (*service.WebAuthnUser, *service.WebAuthnCredential, error) {
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, nil, badAnswer(err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, nil, badAnswer(err)
	}
	var found *user
	var findErr error
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		u, err := find(handle, rawID)
		if err != nil {
			findErr = err
			return nil, err
		}
		if found, err = newUser(u); err != nil {
			return nil, err
		}
		return found, nil
	}
	var c *webauthn.Credential
	if len(session.UserID) == 0 {
		_, c, err = rp.w.ValidatePasskeyLogin(handler, session, parsed)
	} else {
		handle := parsed.Response.UserHandle
		if len(handle) == 0 {
			handle = session.UserID
		}
		if !bytes.Equal(handle, session.UserID) {
			return nil, nil, badAnswer(errors.New("the assertion names another user than the ceremony"))
		}
		var wu webauthn.User
		if wu, err = handler(parsed.RawID, handle); err == nil {
			c, err = rp.w.ValidateLogin(wu, session, parsed)
		}
	}
	if findErr != nil {
		return nil, nil, findErr // the service's own answer (an unknown credential, a store error)
	}
	if err != nil {
		return nil, nil, badAnswer(err)
	}
	out, err := credential(c, parsed.Response.AuthenticatorData.Flags.HasUserVerified(), c.Authenticator.CloneWarning, session.Challenge)
	return found.u, out, err
}

// credential is the service's view of a go-webauthn credential.
func credential(c *webauthn.Credential, verified, clone bool, challenge string) (*service.WebAuthnCredential, error) {
	record, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	transports := make([]string, len(c.Transport))
	for i, t := range c.Transport {
		transports[i] = string(t)
	}
	return &service.WebAuthnCredential{
		ID: c.ID, Record: record, SignCount: c.Authenticator.SignCount, Transports: transports,
		UserVerified: verified, BackupEligible: c.Flags.BackupEligible, CloneWarning: clone,
		Challenge: challenge,
	}, nil
}

// encode writes the options a browser takes and the state the service
// keeps (sealed) until the answer.
func encode(options any, session *webauthn.SessionData) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, err
	}
	s, err := json.Marshal(session)
	if err != nil {
		return nil, nil, err
	}
	return o, s, nil
}

// badAnswer is a refused answer: the service words it for the user, the
// detail goes to the event.
func badAnswer(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return &service.WebAuthnError{Detail: pe.Details + ": " + pe.DevInfo}
	}
	if errors.As(err, &pe) {
		return &service.WebAuthnError{Detail: pe.Details}
	}
	return &service.WebAuthnError{Detail: err.Error()}
}
