package service

import (
	"context"

	"github.com/userdb/userdb"
)

// AdminAccount applies the Admin* rules to an action on something owned by
// an account that another package manages (OAuth clients): it returns the
// id of the account named by ref (id or name), or for ref "" the actor's
// own account, or "" (every account) for super-admins; it refuses actors without an
// administrative role, and admins naming another account, which is
// reported as not found.
func (s *Service) AdminAccount(ctx context.Context, action, ref string) (string, error) {
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return "", err
	}
	if ref == "" {
		if sc.super {
			return "", nil
		}
		return sc.account, nil
	}
	a, err := s.findAccount(ctx, ref)
	if err != nil {
		return "", err
	}
	if !sc.in(a.ID) {
		return "", s.deny(ctx, errNoAccount, action, target{id: ref, accountID: a.ID})
	}
	return a.ID, nil
}

// AdminReaches reports whether the actor may act on something of the
// account: nil, or an error with code ENOTFOUND (out of its reach, so that
// existence does not leak) or EFORBIDDEN (no administrative role).
func (s *Service) AdminReaches(ctx context.Context, action, accountID, targetID string) error {
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return err
	}
	if !sc.in(accountID) {
		return s.deny(ctx, userdb.Errorf(userdb.ENOTFOUND, "Not found."), action, target{id: targetID, accountID: accountID})
	}
	return nil
}

// RecordEvent writes an event of another package's action with the
// request's actor, address and browser.
func (s *Service) RecordEvent(ctx context.Context, typ, accountID string, details map[string]any) error {
	m := MetaFrom(ctx)
	return s.store.CreateEvent(ctx, &userdb.Event{Type: typ, Time: s.clock.Now(), ActorID: m.ActorID, AccountID: accountID,
		IP: m.IP, UserAgent: truncate(m.UserAgent, 512), Details: details})
}
