package service

import (
	"context"
	"slices"

	"github.com/userdb/userdb"
)

// A passkey as the second factor of a sign-in that began with a password
// (or an emailed link): the ceremony is begun for the pending user's own
// credentials, sealed to that user, and its assertion completes the
// pending state through VerifyMFA like a code.

// BeginPasskeyMFA starts the passkey ceremony of pending sign-in p at the
// second-factor stage. It writes nothing.
func (s *Service) BeginPasskeyMFA(ctx context.Context, p *Pending) (*Ceremony, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	if p.Stage != userdb.PendingMFA {
		return nil, errPendingGone
	}
	if err := passkeyNotUsedYet(p); err != nil {
		return nil, err
	}
	return s.beginPasskeyFactor(ctx, p.User)
}

// BeginPasskeyReauth starts the passkey ceremony of a re-authentication of
// the signed-in u (Reauthenticate with MethodWebAuthn): the second factor
// after the password, as in a sign-in.
func (s *Service) BeginPasskeyReauth(ctx context.Context, u *userdb.User) (*Ceremony, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	if cu, sess := s.callerSession(ctx); sess == nil || cu.ID != u.ID {
		return nil, userdb.Errorf(userdb.EFORBIDDEN, "Sign in to confirm it is you.")
	}
	return s.beginPasskeyFactor(ctx, u)
}

// beginPasskeyFactor begins a ceremony for u's own passkeys, sealed to u
// and the purpose "mfa".
func (s *Service) beginPasskeyFactor(ctx context.Context, u *userdb.User) (*Ceremony, error) {
	wu, err := s.webauthnUser(ctx, s.store, u)
	if err != nil {
		return nil, err
	}
	if len(wu.Credentials) == 0 {
		return nil, errNoPasskey
	}
	options, state, err := s.webauthn.BeginLogin(wu)
	if err != nil {
		return nil, err
	}
	return s.sealCeremony(options, state, "mfa", u.ID)
}

var errNoPasskey = userdb.FieldError("method", "You have no passkey: use another way to confirm it is you.")

// passkeyNotUsedYet refuses a passkey as the second factor of a sign-in
// that a passkey began (one without user verification): the same kind of
// proof twice is not two factors.
func passkeyNotUsedYet(p *Pending) error {
	if slices.Contains(p.AMR, "hwk") || slices.Contains(p.AMR, "swk") {
		return userdb.FieldError("method", "You signed in with a passkey: confirm it is you with a code instead.")
	}
	return nil
}

// usePasskeyFactor checks answer, an assertion for the ceremony of state,
// as p's second factor, and uses its challenge up: a credential of another
// user, a wrong origin or relying party id, a bad signature, a cloned key
// or a replay is errBadPasskey (which VerifyMFA counts toward the lockout
// like a wrong code). It returns the amr of the passkey.
func (s *Service) usePasskeyFactor(ctx context.Context, p *Pending, state string, answer []byte) (string, error) {
	if s.webauthn == nil {
		return "", errPasskeysOff
	}
	if err := passkeyNotUsedYet(p); err != nil {
		return "", err
	}
	if len(answer) == 0 || len(answer) > 64<<10 {
		return "", userdb.FieldError("answer", "The passkey's answer is missing or too long.")
	}
	plain, err := s.openCeremony(state, "mfa", p.User.ID)
	if err != nil {
		return "", err
	}
	wu, c, err := s.webauthn.FinishLogin(plain, answer, func(handle, id []byte) (*WebAuthnUser, error) {
		if string(handle) != p.User.ID {
			return nil, &WebAuthnError{Detail: "the assertion names another user"}
		}
		return s.findPasskeyUser(ctx, handle, id)
	})
	var f *userdb.Factor
	if err == nil {
		f, err = wu.factorOf(c)
	}
	if err == nil {
		if err = s.usePasskey(ctx, s.store, p.User, f, c); err == errBadCeremony {
			err = &WebAuthnError{Detail: "the assertion was used before (a replay)"}
		}
	}
	if we, ok := err.(*WebAuthnError); ok {
		s.passkeyStats.Refused.Add(1)
		s.log.InfoContext(ctx, "passkey refused as a second factor", "user", p.User.ID, "reason", we.Detail)
		return "", errBadPasskey
	} else if err != nil {
		return "", err
	}
	return passkeyAMR(c), nil
}

// afterPasskey is the stage of a sign-in begun with a passkey that did not
// verify the user (one factor), of a user with second factors: a code when
// it has an authenticator app or recovery codes (a passkey cannot be its
// own second factor); else enrolment of one when its policy requires a
// second factor, or no stage when it only offers them (the passkey signs
// in alone, as before passkeys counted as second factors).
func (s *Service) afterPasskey(ctx context.Context, u *userdb.User) (userdb.PendingStage, error) {
	if ok, err := s.hasFactorBesidesPasskeys(ctx, u); err != nil || ok {
		return userdb.PendingMFA, err
	}
	policy, err := s.MFAPolicyOf(ctx, u)
	if err != nil || policy != userdb.MFARequired {
		return "", err
	}
	return PendingMFAEnrol, nil
}

// hasFactorBesidesPasskeys says whether u can complete a second-factor
// stage with something other than a passkey: an authenticator app or a
// recovery code.
func (s *Service) hasFactorBesidesPasskeys(ctx context.Context, u *userdb.User) (bool, error) {
	methods, err := s.Methods(ctx, u)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(methods, func(m string) bool { return m != MethodWebAuthn }), nil
}
