package service

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"github.com/userdb/userdb"
)

// A pending sign-in is the state between a right password and a session,
// when the sign-in still needs a stage: a second factor (userdb.PendingMFA)
// or a new password (userdb.PendingPasswordChange). It lives on the server
// (pending_logins) for Options.PendingTTL; the browser holds only a random
// secret, in a cookie of its own (internal/edge: SetPending), which
// reaches the service as Meta.Pending. It is bound to the browser twice:
// by that cookie, and by the device cookie of the request that started it
// (a secret copied to another browser is refused there). It is not a
// session: nothing but completing its stage accepts it, and completing it
// uses it up.
//
// The API, for every stage:
//   - Login returns a Login with Pending set (and no Session) when
//     loginStage names a stage; other ways in call beginPending.
//   - FindPending(ctx, stage) finds the request's pending sign-in, at that
//     stage, still valid for its user.
//   - CompletePending(ctx, p, amr...) uses it up and starts the session,
//     in one transaction; AdvancePending moves it to another stage.
//   - CancelPending ends it; expired ones are swept with the sessions.

// Pending is a pending sign-in with its user.
type Pending struct {
	*userdb.PendingLogin
	User *userdb.User
	// Secret goes into the pending cookie. It is set only where the state
	// is created (Login, AdvancePending).
	Secret string
}

// errPendingGone answers every use of a pending sign-in that is missing,
// expired, used, of another browser or of a user who may no longer sign
// in: the client starts over.
var errPendingGone = userdb.Errorf(userdb.EUNAUTHORIZED, "Your sign-in has expired. Please sign in again.")

// IsPendingGone reports whether err is the refusal of a pending sign-in
// that cannot go on (missing, expired, used, of another browser): the
// hosted pages send the browser back to sign in, while a wrong code, also
// EUNAUTHORIZED, stays on the page.
func IsPendingGone(err error) bool { return errors.Is(err, errPendingGone) }

// loginStage says which stage a sign-in of u whose password was right must
// complete before it gets a session ("" for none).
func (s *Service) loginStage(ctx context.Context, u *userdb.User) (userdb.PendingStage, error) {
	if s.stageForTest != nil {
		return s.stageForTest(u), nil
	}
	return s.mfaStage(ctx, u)
}

// pendingLogin ends a Login at stage: in one transaction it stores what
// the password's check found (up: a rehashed password, a common password
// to be changed), when anything, and begins the pending sign-in.
func (s *Service) pendingLogin(ctx context.Context, u *userdb.User, stage userdb.PendingStage, amr []string, up userdb.UserUpdate, details map[string]any) (*Login, error) {
	var p *Pending
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		u2 := u
		if up.PasswordHash != nil || up.PasswordMustChange != nil {
			var err error
			if u2, err = tx.UpdateUser(ctx, u.ID, up, s.clock.Now()); err != nil {
				return err
			}
		}
		var err error
		p, err = s.beginPending(ctx, tx, u2, stage, amr, details)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Login{User: p.User, AMR: p.AMR, Pending: p}, nil
}

// beginPending creates, through st, a pending sign-in of u at stage, which
// has authenticated by amr so far, bound to the request's device, and
// records login.pending with details (nil for none) added.
func (s *Service) beginPending(ctx context.Context, st userdb.Store, u *userdb.User, stage userdb.PendingStage, amr []string, details map[string]any) (*Pending, error) {
	secret, hash := userdb.NewSecret()
	now := s.clock.Now()
	pl := &userdb.PendingLogin{
		ID: userdb.NewID("pnd"), TokenHash: hash, UserID: u.ID, Stage: stage,
		AMR: slices.Clone(amr), DeviceHash: deviceHash(ctx),
		CreatedAt: now, ExpiresAt: now.Add(s.opts.PendingTTL),
		Remember: MetaFrom(ctx).Remember,
	}
	if err := st.CreatePendingLogin(ctx, pl); err != nil {
		return nil, err
	}
	ev := map[string]any{"pending": pl.ID, "stage": string(stage), "amr": pl.AMR}
	for k, v := range details {
		ev[k] = v
	}
	if err := s.record(ctx, st, "login.pending", u, ev); err != nil {
		return nil, err
	}
	return &Pending{PendingLogin: pl, User: u, Secret: secret}, nil
}

// FindPending returns the pending sign-in whose cookie the request carried
// (Meta.Pending) if it is at one of stages (any stage when none is given),
// unexpired, was started by this browser, and its user may still sign in.
// Anything else is the one EUNAUTHORIZED "sign in again".
func (s *Service) FindPending(ctx context.Context, stages ...userdb.PendingStage) (*Pending, error) {
	secret := MetaFrom(ctx).Pending
	if secret == "" || len(secret) > maxSecretLen {
		return nil, errPendingGone
	}
	pl, err := s.store.FindPendingLogin(ctx, userdb.HashSecret(secret), s.clock.Now())
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, errPendingGone
	} else if err != nil {
		return nil, err
	}
	if len(stages) > 0 && !slices.Contains(stages, pl.Stage) {
		return nil, errPendingGone
	}
	if pl.DeviceHash != nil && !bytes.Equal(pl.DeviceHash, deviceHash(ctx)) {
		// The secret came from another browser: refuse it there, and let
		// the browser that started it go on.
		u, _ := s.store.FindUserByID(ctx, pl.UserID)
		s.recordRefusal(ctx, "login.pending_refused", u, map[string]any{"pending": pl.ID, "reason": "other_device"})
		return nil, errPendingGone
	}
	u, err := s.store.FindUserByID(ctx, pl.UserID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, errPendingGone
	} else if err != nil {
		return nil, err
	}
	if err := s.mayStillSignIn(ctx, u); err != nil {
		return nil, err
	}
	return &Pending{PendingLogin: pl, User: u}, nil
}

// mayStillSignIn refuses a pending sign-in whose user was disabled, locked
// (from a device the user has not signed in from) or whose account was
// disabled since the password was checked.
func (s *Service) mayStillSignIn(ctx context.Context, u *userdb.User) error {
	if u.Status != userdb.StatusEnabled && (u.Status != userdb.StatusLocked || !s.knownDevice(ctx, u)) {
		return errPendingGone
	}
	acc, err := s.store.FindAccountByID(ctx, u.AccountID)
	if err != nil {
		return err
	}
	if acc.Status != userdb.StatusEnabled {
		return errPendingGone
	}
	return nil
}

// CompletePending uses p up and signs its user in, in one transaction: the
// session's amr is p's and then amr (what the stage added), with "mfa" when
// the two together name more than one factor. A pending sign-in used
// meanwhile (a second tab, a replay) is errPendingGone.
//
// A password sign-in whose password must change goes on to that stage
// instead (Login with Pending set): a second factor does not make an
// expired password good.
func (s *Service) CompletePending(ctx context.Context, p *Pending, amr ...string) (*Login, error) {
	if p.Stage != userdb.PendingPasswordChange && slices.Contains(p.AMR, "pwd") && s.PasswordExpired(p.User) {
		np, err := s.AdvancePending(ctx, p, userdb.PendingPasswordChange, amr...)
		if err != nil {
			return nil, err
		}
		return &Login{User: np.User, AMR: np.AMR, Pending: np}, nil
	}
	return s.completePending(ctx, p, amr, nil)
}

// completePending is CompletePending with first (when not nil) run in the
// transaction that uses p up, after it: what the stage itself writes.
func (s *Service) completePending(ctx context.Context, p *Pending, amr []string, first func(tx userdb.Store) error) (*Login, error) {
	ctx = keepChoice(ctx, p)
	all := mergeAMR(p.AMR, amr)
	u := p.User
	up := userdb.UserUpdate{LastLoginAt: ptr(s.clock.Now()), ResetFailedLogins: u.Status == userdb.StatusEnabled, KeepVersion: true}
	details := map[string]any{"pending": p.ID, "stage": string(p.Stage)}
	return s.finishLogin(ctx, u, up, all, details, func(tx userdb.Store) error {
		if err := s.usePending(ctx, tx, p); err != nil || first == nil {
			return err
		}
		return first(tx)
	})
}

// AdvancePending uses p up and begins, in the same transaction, a pending
// sign-in of its user at the next stage, with amr added: a sign-in that
// needs a second factor and a new password goes through both.
func (s *Service) AdvancePending(ctx context.Context, p *Pending, next userdb.PendingStage, amr ...string) (*Pending, error) {
	ctx = keepChoice(ctx, p)
	var np *Pending
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := s.usePending(ctx, tx, p); err != nil {
			return err
		}
		var err error
		np, err = s.beginPending(ctx, tx, p.User, next, mergeAMR(p.AMR, amr), nil)
		return err
	})
	return np, err
}

// keepChoice returns ctx asking to keep the user signed in when the
// request that began p asked for it (Meta.Remember).
func keepChoice(ctx context.Context, p *Pending) context.Context {
	if !p.Remember {
		return ctx
	}
	return KeepSignedIn(ctx)
}

// usePending removes p through st: errPendingGone when it was used or
// expired meanwhile.
func (s *Service) usePending(ctx context.Context, st userdb.Store, p *Pending) error {
	err := st.UsePendingLogin(ctx, p.ID, s.clock.Now())
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return errPendingGone
	}
	return err
}

// CancelPending ends the pending sign-in whose cookie the request carried,
// if any ("start over", sign out).
func (s *Service) CancelPending(ctx context.Context) error {
	p, err := s.FindPending(ctx)
	if userdb.IsCode(err, userdb.EUNAUTHORIZED) {
		return nil
	} else if err != nil {
		return err
	}
	err = s.usePending(ctx, s.store, p)
	if userdb.IsCode(err, userdb.EUNAUTHORIZED) {
		return nil
	}
	return err
}

// mergeAMR returns a followed by the values of b not in it, with "mfa"
// added when the result names more than one factor (RFC 8176 §2).
func mergeAMR(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	factors := 0
	for _, x := range out {
		if x != "mfa" && x != "mca" {
			factors++
		}
	}
	if factors > 1 && !slices.Contains(out, "mfa") {
		out = append(out, "mfa")
	}
	return out
}
