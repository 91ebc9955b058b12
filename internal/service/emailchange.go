package service

import (
	"context"

	"github.com/userdb/userdb"
)

// Email kinds of a change of email address.
const (
	// EmailChangeConfirm goes to the new address, with the link that
	// confirms it.
	EmailChangeConfirm = "email-change"
	// EmailChangeNotice goes to the old address: a change was asked for.
	EmailChangeNotice = "email-change-notice"
)

// RequestEmailChange starts changing a signed-in user's email address. The
// address does not change now: a single-use link is emailed to the new
// address (ConfirmEmailChange finishes the change), and a notice to the old
// one. The current password is required, so a session left open somewhere
// cannot move the account to another mailbox.
//
// An address that belongs to another account gets the same answer and
// writes the same kind of rows, but no email is sent to it and no link
// exists: the requester learns nothing about other accounts (no user
// enumeration), and the other account's owner is not bothered. Errors are
// EINVALID naming the field: newEmail or currentPassword.
func (s *Service) RequestEmailChange(ctx context.Context, u *userdb.User, newEmail, password string) error {
	if err := s.stepUp(ctx, u); err != nil { // mfa.go
		return err
	}
	newEmail = userdb.NormalizeIdentifier(newEmail)
	if newEmail == "" {
		return userdb.FieldError("newEmail", "Enter the new email address.")
	}
	if userdb.ValidateEmail(newEmail) != nil {
		return userdb.FieldError("newEmail", "Enter a valid email address, like name@example.com.")
	}
	fresh, err := s.store.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	if password == "" && fresh.PasswordHash != "" {
		return userdb.FieldError("currentPassword", "Enter your current password.")
	}
	if userdb.Fold(newEmail) == userdb.Fold(fresh.Email) {
		return userdb.FieldError("newEmail", "That is already your email address.")
	}
	ok := false
	if fresh.PasswordHash == "" {
		// A user without a password proves it is them by a recent
		// sign-in (an emailed link or a passkey) instead.
		if err := s.recentSignIn(ctx, fresh); err != nil {
			return err
		}
		ok = true
	} else if len(password) <= MaxPasswordBytes {
		if ok, _, err = s.hasher.Verify(ctx, password, fresh.PasswordHash); err != nil && !userdb.IsCode(err, userdb.EINTERNAL) {
			return err
		}
	} else {
		s.hasher.DummyVerify(ctx, password)
	}
	if !ok {
		s.recordRefusal(ctx, "email.change_failed", fresh, map[string]any{"reason": "bad_current_password"})
		return userdb.FieldError("currentPassword", "Current password is incorrect.")
	}
	taken, err := s.emailTaken(ctx, s.store, fresh.ID, newEmail)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		// Only the newest link works.
		if err := tx.DeleteUserTokens(ctx, fresh.ID, userdb.TokenEmailChange); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "email.change_requested", fresh, map[string]any{"to": newEmail, "taken": taken}); err != nil {
			return err
		}
		if err := s.queueEmail(ctx, tx, EmailChangeNotice, fresh, ""); err != nil {
			return err
		}
		if taken {
			return nil
		}
		secret, hash := userdb.NewSecret()
		now := s.clock.Now()
		t := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenEmailChange, UserID: fresh.ID,
			Email: newEmail, CreatedAt: now, ExpiresAt: now.Add(s.opts.VerifyTTL)}
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		to := *fresh
		to.Email = newEmail
		return s.queueEmail(ctx, tx, EmailChangeConfirm, &to, link(s.opts.EmailChangeURL, secret))
	})
	if err != nil {
		return err
	}
	s.kick()
	return nil
}

// emailTaken reports whether another user than id signs in with addr, as
// email or as username.
func (s *Service) emailTaken(ctx context.Context, st userdb.Store, id, addr string) (bool, error) {
	other, err := st.FindUserByLogin(ctx, addr)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return other.ID != id, nil
}

// CheckEmailChangeToken reports whether an email-change link is still good,
// without using it up, and returns the address it confirms.
func (s *Service) CheckEmailChangeToken(ctx context.Context, token string) (string, error) {
	t, err := s.findToken(ctx, userdb.TokenEmailChange, token)
	if err != nil {
		return "", err
	}
	return t.Email, nil
}

// ErrEmailTaken answers the confirmation of an address that another account
// took after the change was asked for.
var ErrEmailTaken = &userdb.Error{Code: userdb.ECONFLICT, Field: "newEmail",
	Message: "This email address is now used by another account, so it cannot be yours. Ask for the change again with another address."}

// ConfirmEmailChange uses up an email-change token: the user's email becomes
// the address the token was sent to, verified (opening the link proved it).
// A username that was the old address follows the email. Links sent to the
// old address (verification, reset, other email changes) stop working, and
// the change is recorded with the user as actor unless ctx names another.
// An address another account took in the meantime fails with ErrEmailTaken
// and leaves the token unused.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string) (*userdb.User, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, errBadToken
	}
	var out *userdb.User
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		now := s.clock.Now()
		t, err := tx.ConsumeToken(ctx, userdb.TokenEmailChange, userdb.HashSecret(token), now)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadToken
		} else if err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, t.UserID)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadToken
		} else if err != nil {
			return err
		}
		if u.Status == userdb.StatusDisabled || t.Email == "" {
			return errBadToken
		}
		taken, err := s.emailTaken(ctx, tx, u.ID, t.Email)
		if err != nil {
			return err
		}
		if taken {
			return ErrEmailTaken
		}
		up := userdb.UserUpdate{Email: &t.Email, EmailVerifiedAt: &now}
		if userdb.Fold(u.Username) == userdb.Fold(u.Email) {
			up.Username = &t.Email
		}
		out, err = tx.UpdateUser(ctx, u.ID, up, now)
		if userdb.IsCode(err, userdb.ECONFLICT) {
			return ErrEmailTaken // taken between the check and the write
		} else if err != nil {
			return err
		}
		if err := s.killTokens(ctx, tx, u.ID); err != nil {
			return err
		}
		if m := MetaFrom(ctx); m.ActorID == "" {
			m.ActorID = u.ID // the link, sent at the user's request, acts for the user
			ctx = WithMeta(ctx, m)
		}
		return s.record(ctx, tx, "email.changed", out, map[string]any{"from": u.Email, "to": out.Email})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(out.ID)
	return out, nil
}
