package config

import "time"

// MFA configures second factors (README: Multi-factor sign-in). Required
// is the policy of accounts and roles that set none: off, optional or
// required; an account's own policy replaces it, and a role's can only
// make it stricter.
type MFA struct {
	Required string `yaml:"required"`
	// Issuer names the service in authenticator apps; "" uses
	// branding.product_name.
	Issuer string `yaml:"issuer"`
	// Grace is how long a user who must have a second factor and has none
	// may still sign in without one (and is sent to enrolment); 0 sends
	// such a user to enrolment before any session.
	Grace time.Duration `yaml:"grace"`
	// Admins is the rule for holders of an admin or super-admin role
	// (ASVS 4.3.1): required (the default) requires a second factor of
	// them whatever their account's and roles' policies say; off and
	// optional add no rule of their own.
	Admins string `yaml:"admins"`
	// AdminsGrace is how long, from an administrator's first sign-in as
	// one, it may sign in without a factor under the Admins rule; 0 sends
	// it to enrolment before any session.
	AdminsGrace time.Duration `yaml:"admins_grace"`
	// RememberDevice is how long "remember this device" skips the second
	// factor on one browser; 0 hides the choice.
	RememberDevice time.Duration `yaml:"remember_device"`
	// StepUpMaxAge is how recent a second factor must be for sensitive
	// changes of users who have one (password, email, factors, admin
	// actions).
	StepUpMaxAge time.Duration `yaml:"step_up_max_age"`
	// ReauthMaxAge is how recent a sign-in must be for the most sensitive
	// operations (ending all sessions, creating API keys, changing another
	// user's email or password, granting admin roles); 0 = no check.
	ReauthMaxAge time.Duration `yaml:"reauth_max_age"`
}

func defaultMFA() MFA {
	return MFA{Required: "optional", Admins: "required", AdminsGrace: 7 * day,
		RememberDevice: 30 * day, StepUpMaxAge: 15 * time.Minute, ReauthMaxAge: 15 * time.Minute}
}

func (c *Config) validateMFA(p *Problems) {
	oneOf(p, "mfa.required", c.MFA.Required, "off", "optional", "required")
	oneOf(p, "mfa.admins", c.MFA.Admins, "off", "optional", "required")
	positive(p, "mfa.step_up_max_age", int64(c.MFA.StepUpMaxAge))
}
