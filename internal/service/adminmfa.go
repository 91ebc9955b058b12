package service

import (
	"context"
	"slices"
	"time"

	"github.com/userdb/userdb"
)

// Administrators need a second factor (ASVS 4.3.1), as Okta's admin
// console does: with mfa.admins required (the default), a holder of an
// admin or super-admin role is treated as policy required, with a grace
// of its own (mfa.admins_grace) counted from its first sign-in as an
// administrator, so that a fresh install's first administrator signs in
// at once and is asked for a factor for a week before it must have one.
// The rule follows the roles: a user who loses them loses it. API keys
// and the command line do not sign in, so it does not reach them.

// mfaRule is what applies to a user: the policy and the grace of a user
// it requires a factor of.
type mfaRule struct {
	policy userdb.MFAPolicy
	grace  time.Duration
	// admin: the policy is required by the administrators' rule alone.
	admin bool
}

// mfaRuleOf returns the rule of u: the policies' (policyOf), or the
// administrators' when u holds an admin role and they do not require a
// factor already.
func (s *Service) mfaRuleOf(ctx context.Context, u *userdb.User) (mfaRule, error) {
	p, err := s.policyOf(ctx, u)
	if err != nil {
		return mfaRule{}, err
	}
	adminRule := s.opts.MFA.Admins == userdb.MFARequired && s.holdsAdminRole(u)
	switch {
	case adminRule && p != userdb.MFARequired:
		return mfaRule{policy: userdb.MFARequired, grace: s.opts.MFA.AdminsGrace, admin: true}, nil
	case adminRule:
		// Required by a policy too: the shorter grace, so that a long
		// mfa.grace does not stretch the administrators' (0 is the
		// shortest: enrolment first).
		return mfaRule{policy: p, grace: min(s.opts.MFA.Grace, s.opts.MFA.AdminsGrace)}, nil
	}
	return mfaRule{policy: p, grace: s.opts.MFA.Grace}, nil
}

// holdsAdminRole reports whether u holds an admin or super-admin role.
func (s *Service) holdsAdminRole(u *userdb.User) bool {
	return slices.ContainsFunc(u.Roles, s.isAdminRole)
}

// AdminMFADeadline returns, for an administrator who must have a second
// factor, has none and is in its grace period, when that grace ends: the
// pages and the console show it ("Administrators must add a second factor
// by ..."). nil for everyone else, without reading the store for users
// who hold no admin role.
func (s *Service) AdminMFADeadline(ctx context.Context, u *userdb.User) (*time.Time, error) {
	if !s.holdsAdminRole(u) {
		return nil, nil
	}
	rule, err := s.mfaRuleOf(ctx, u)
	if err != nil || rule.policy != userdb.MFARequired {
		return nil, err
	}
	factors, err := s.secondFactors(ctx, u)
	if err != nil || len(factors) > 0 {
		return nil, err
	}
	return s.graceUntil(ctx, u, rule)
}
