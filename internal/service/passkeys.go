package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// WebAuthn runs the ceremonies of passkeys and security keys
// (internal/passkey on go-webauthn); the service keeps the credentials, as
// factors of kind webauthn, and the rules.
type WebAuthn interface {
	// BeginRegistration returns the options of navigator.credentials.create
	// (JSON) for a new credential of u and the ceremony's state.
	BeginRegistration(u *WebAuthnUser) (options, state []byte, err error)
	// FinishRegistration checks the browser's answer; a *WebAuthnError
	// when it is refused.
	FinishRegistration(u *WebAuthnUser, state, answer []byte) (*WebAuthnCredential, error)
	// BeginLogin returns the options of navigator.credentials.get for u's
	// credentials, or with u nil for any discoverable credential.
	BeginLogin(u *WebAuthnUser) (options, state []byte, err error)
	// FinishLogin checks an assertion; find gives the user the assertion
	// names by its handle and credential id. A *WebAuthnError when refused.
	FinishLogin(state, answer []byte, find func(handle, credentialID []byte) (*WebAuthnUser, error)) (*WebAuthnUser, *WebAuthnCredential, error)
}

// WebAuthnUser is a user as the ceremonies see it: the handle is the
// user's id (random, no personal data), the credentials its passkeys.
type WebAuthnUser struct {
	Handle            []byte
	Name, DisplayName string
	Credentials       []WebAuthnCredential
	user              *userdb.User
	factors           []*userdb.Factor
}

// WebAuthnCredential is a credential as a ceremony returns it.
type WebAuthnCredential struct {
	ID []byte
	// Record is the library's record of the credential (public key,
	// transports, flags...), kept as the factor's data.
	Record     []byte
	SignCount  uint32
	Transports []string
	// UserVerified: this ceremony verified the user (PIN, biometrics).
	UserVerified bool
	// BackupEligible: a synced passkey rather than a key bound to one
	// device.
	BackupEligible bool
	// CloneWarning: the counter went backwards.
	CloneWarning bool
	// Challenge is the ceremony's challenge, used once.
	Challenge string
}

// WebAuthnError is a ceremony's answer the relying party refused: a wrong
// origin or relying party id, a bad signature, a credential of another
// user, an expired ceremony. Detail goes to the event, never to the user.
type WebAuthnError struct{ Detail string }

func (e *WebAuthnError) Error() string { return "webauthn: " + e.Detail }

// TokenWebAuthn records a WebAuthn challenge once a ceremony completed with
// it (a used one-time token keyed by its hash), so that an answer cannot be
// replayed within the ceremony's lifetime.
const TokenWebAuthn userdb.TokenKind = "webauthn"

// MethodWebAuthn completes a second-factor stage with a passkey.
const MethodWebAuthn = "webauthn"

var (
	errPasskeysOff = userdb.Errorf(userdb.EFORBIDDEN, "Passkeys are not enabled.")
	errBadPasskey  = userdb.Errorf(userdb.EUNAUTHORIZED, "This passkey could not be verified.")
	errBadCeremony = userdb.Errorf(userdb.EINVALID, "The passkey request has expired or is not valid. Please try again.")
)

// PasskeyStats count passkey sign-ins and refusals, for the metrics.
type PasskeyStats struct{ SignIns, Refused, Registered atomic.Int64 }

// PasskeyStats returns the service's counters.
func (s *Service) PasskeyStats() *PasskeyStats { return &s.passkeyStats }

// PasskeysEnabled says whether passkeys are offered.
func (s *Service) PasskeysEnabled() bool { return s.webauthn != nil }

// Ceremony is what a browser needs to run one: the options for
// navigator.credentials, and the state it sends back with its answer
// (sealed with the instance key: the client can neither read nor change it).
type Ceremony struct {
	Options json.RawMessage `json:"publicKey"`
	State   string          `json:"state"`
}

// ceremony AD: a state sealed for one purpose (and user) opens for no other.
func ceremonyAD(purpose, userID string) []byte { return []byte("webauthn:" + purpose + ":" + userID) }

func (s *Service) sealCeremony(options, state []byte, purpose, userID string) (*Ceremony, error) {
	var wrapper struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &wrapper); err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(state, ceremonyAD(purpose, userID))
	if err != nil {
		return nil, err
	}
	return &Ceremony{Options: wrapper.PublicKey, State: base64.RawURLEncoding.EncodeToString(sealed)}, nil
}

func (s *Service) openCeremony(state, purpose, userID string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || len(b) > 8<<10 {
		return nil, errBadCeremony
	}
	plain, err := s.sealer.Open(b, ceremonyAD(purpose, userID))
	if err != nil {
		return nil, errBadCeremony
	}
	return plain, nil
}

// webauthnUser loads u's passkeys for a ceremony.
func (s *Service) webauthnUser(ctx context.Context, st userdb.Store, u *userdb.User) (*WebAuthnUser, error) {
	all, err := st.FindUserFactors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	wu := &WebAuthnUser{Handle: []byte(u.ID), Name: loginName(u), DisplayName: cmpOr(u.FullName, u.Email), user: u}
	for _, f := range all {
		if f.Kind != userdb.FactorWebAuthn || f.ConfirmedAt == nil {
			continue
		}
		wu.factors = append(wu.factors, f)
		wu.Credentials = append(wu.Credentials, WebAuthnCredential{Record: []byte(f.Data), SignCount: uint32(f.Counter)})
	}
	return wu, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// credentialKey is the factor's key hash of a credential id.
func credentialKey(id []byte) []byte { h := sha256.Sum256(id); return h[:] }

// BeginPasskeyRegistration starts adding a passkey for the signed-in u.
// Managing factors asks for a recent second factor (step-up) of a user who
// has one.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u *userdb.User) (*Ceremony, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	if err := s.mayAddFactor(ctx, u); err != nil {
		return nil, err
	}
	wu, err := s.webauthnUser(ctx, s.store, u)
	if err != nil {
		return nil, err
	}
	options, state, err := s.webauthn.BeginRegistration(wu)
	if err != nil {
		return nil, err
	}
	return s.sealCeremony(options, state, "register", u.ID)
}

// maxPasskeyName bounds a passkey's name.
const maxPasskeyName = 100

// FinishPasskeyRegistration stores the passkey the browser created for the
// ceremony state, named name: a confirmed factor of kind webauthn, with an
// event and the factor-added email, in one transaction that also uses the
// ceremony's challenge up.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, u *userdb.User, name, state string, answer []byte) (*FactorInfo, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > maxPasskeyName {
		return nil, userdb.FieldError("name", "A name is at most %d characters.", maxPasskeyName)
	}
	if err := s.stepUp(ctx, u); err != nil {
		return nil, err
	}
	plain, err := s.openCeremony(state, "register", u.ID)
	if err != nil {
		return nil, err
	}
	wu, err := s.webauthnUser(ctx, s.store, u)
	if err != nil {
		return nil, err
	}
	c, err := s.webauthn.FinishRegistration(wu, plain, answer)
	if we, ok := err.(*WebAuthnError); ok {
		s.recordRefusal(ctx, "mfa.factor_refused", u, map[string]any{"kind": "webauthn", "reason": we.Detail})
		return nil, userdb.Errorf(userdb.EINVALID, "The passkey could not be registered. Please try again.")
	} else if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	f := &userdb.Factor{ID: userdb.NewID("fac"), UserID: u.ID, Kind: userdb.FactorWebAuthn, Name: name,
		Data: string(c.Record), KeyHash: credentialKey(c.ID), Counter: int64(c.SignCount), ConfirmedAt: &now, CreatedAt: now}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := s.useChallenge(ctx, tx, u, c.Challenge); err != nil {
			return err
		}
		if err := tx.CreateFactor(ctx, f); userdb.IsCode(err, userdb.ECONFLICT) {
			return userdb.Errorf(userdb.ECONFLICT, "This passkey is registered already.")
		} else if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "mfa.factor_added", u, map[string]any{"factor": f.ID, "kind": "webauthn",
			"transports": c.Transports, "synced": c.BackupEligible}); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailFactorAdded, u, s.opts.MFA.URL)
	})
	if err != nil {
		return nil, err
	}
	s.passkeyStats.Registered.Add(1)
	s.kick()
	info := factorInfo(f)
	return &info, nil
}

// useChallenge records a ceremony's challenge as used, through st: the
// second completion of one ceremony (a replayed answer) conflicts.
func (s *Service) useChallenge(ctx context.Context, st userdb.Store, u *userdb.User, challenge string) error {
	now := s.clock.Now()
	t := &userdb.OneTimeToken{TokenHash: userdb.HashSecret("webauthn:" + challenge), Kind: TokenWebAuthn, UserID: u.ID,
		CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour), ConsumedAt: &now}
	if err := st.CreateToken(ctx, t); userdb.IsCode(err, userdb.ECONFLICT) {
		return errBadCeremony
	} else {
		return err
	}
}

// Passkeys lists u's passkeys.
func (s *Service) Passkeys(ctx context.Context, u *userdb.User) ([]FactorInfo, error) {
	wu, err := s.webauthnUser(ctx, s.store, u)
	if err != nil {
		return nil, err
	}
	out := []FactorInfo{}
	for _, f := range wu.factors {
		out = append(out, factorInfo(f))
	}
	return out, nil
}

// BeginPasskeyLogin starts a sign-in with any passkey of this site (no name
// needed). It writes nothing: the sign-in page asks for one at every view,
// for autofill.
func (s *Service) BeginPasskeyLogin(ctx context.Context) (*Ceremony, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	options, state, err := s.webauthn.BeginLogin(nil)
	if err != nil {
		return nil, err
	}
	return s.sealCeremony(options, state, "login", "")
}

// PasskeyLogin signs in with a passkey's assertion for the ceremony state:
// amr hwk (a key bound to a device) or swk (a synced passkey), with mfa when
// the authenticator verified the user, which then needs no other factor.
// Without that verification, a user with a second factor still gives one
// (a pending sign-in). The challenge is used up with the sign-in. Every
// refusal — another user's credential, a wrong origin or relying party id,
// a bad signature, a replay, a cloned key — is the same EUNAUTHORIZED
// error, counted against the client IP, and changes nothing.
func (s *Service) PasskeyLogin(ctx context.Context, state string, answer []byte) (*Login, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	ip := MetaFrom(ctx).IP
	if err := s.limits.Take(ctx, limit.LoginIP, ip); err != nil {
		return nil, err
	}
	if err := s.limits.Check(ctx, limit.LoginFailuresIP, ip); err != nil {
		return nil, err
	}
	plain, err := s.openCeremony(state, "login", "")
	if err != nil {
		return nil, err
	}
	wu, c, err := s.webauthn.FinishLogin(plain, answer, func(handle, id []byte) (*WebAuthnUser, error) {
		return s.findPasskeyUser(ctx, handle, id)
	})
	if err != nil {
		return nil, s.passkeyRefused(ctx, nil, err)
	}
	return s.passkeySignIn(ctx, wu, c)
}

// findPasskeyUser finds the user an assertion names and checks that the
// credential is that user's: an assertion by one user's key with another
// user's handle is refused here.
func (s *Service) findPasskeyUser(ctx context.Context, handle, credentialID []byte) (*WebAuthnUser, error) {
	f, err := s.store.FindFactorByKey(ctx, credentialKey(credentialID))
	if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && (f.Kind != userdb.FactorWebAuthn || f.UserID != string(handle))) {
		return nil, &WebAuthnError{Detail: "unknown credential, or another user's"}
	} else if err != nil {
		return nil, err
	}
	u, err := s.store.FindUserByID(ctx, f.UserID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, &WebAuthnError{Detail: "the credential's user is gone"}
	} else if err != nil {
		return nil, err
	}
	return s.webauthnUser(ctx, s.store, u)
}

// passkeyRefused records a refused assertion and returns the one answer.
func (s *Service) passkeyRefused(ctx context.Context, u *userdb.User, err error) error {
	we, ok := err.(*WebAuthnError)
	if !ok {
		return err
	}
	s.loginFailed(ctx)
	s.passkeyStats.Refused.Add(1)
	s.recordRefusal(ctx, "login.failed", u, map[string]any{"method": "passkey", "reason": we.Detail})
	return errBadPasskey
}

// passkeySignIn completes a verified assertion c of wu's passkey.
func (s *Service) passkeySignIn(ctx context.Context, wu *WebAuthnUser, c *WebAuthnCredential) (*Login, error) {
	u := wu.user
	f, err := wu.factorOf(c)
	if err != nil {
		return nil, s.passkeyRefused(ctx, u, err)
	}
	amr := []string{passkeyAMR(c)}
	if c.UserVerified {
		amr = append(amr, "mfa")
	}
	details := map[string]any{"method": "passkey", "factor": f.ID}
	l, err := s.passwordlessSignIn(ctx, u, amr, details, func(tx userdb.Store) error {
		return s.usePasskey(ctx, tx, u, f, c)
	})
	if err == errBadCeremony {
		return nil, s.passkeyRefused(ctx, u, &WebAuthnError{Detail: "the assertion was used before (a replay)"})
	}
	if err == nil {
		s.passkeyStats.SignIns.Add(1)
	}
	return l, err
}

// factorOf is the factor of wu that verified assertion c came from; a
// credential that is not wu's, or whose counter went backwards (a cloned
// key), is a *WebAuthnError.
func (wu *WebAuthnUser) factorOf(c *WebAuthnCredential) (*userdb.Factor, error) {
	if c.CloneWarning {
		return nil, &WebAuthnError{Detail: "the signature counter went backwards (a cloned key?)"}
	}
	for _, f := range wu.factors {
		if string(f.KeyHash) == string(credentialKey(c.ID)) {
			return f, nil
		}
	}
	return nil, &WebAuthnError{Detail: "the credential is not the user's"}
}

// passkeyAMR is RFC 8176's method of a passkey: hwk for a key bound to a
// device, swk for a synced one.
func passkeyAMR(c *WebAuthnCredential) string {
	if c.BackupEligible {
		return "swk"
	}
	return "hwk"
}

// usePasskey uses the ceremony's challenge up and records the use of f with
// its new counter, through st. A key whose counter stays 0 (synced
// passkeys do not count) keeps it and records the time; a counter that did
// not grow (a concurrent use of the same answer) conflicts.
func (s *Service) usePasskey(ctx context.Context, st userdb.Store, u *userdb.User, f *userdb.Factor, c *WebAuthnCredential) error {
	if err := s.useChallenge(ctx, st, u, c.Challenge); err != nil {
		return err
	}
	err := st.UseFactor(ctx, f.ID, int64(c.SignCount), s.clock.Now())
	if userdb.IsCode(err, userdb.ECONFLICT) || userdb.IsCode(err, userdb.ENOTFOUND) {
		return errBadCeremony
	}
	return err
}
