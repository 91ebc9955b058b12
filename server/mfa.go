package server

import (
	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/web"
)

// mfaOptions are the service's rules of second factors from cfg.mfa.
func mfaOptions(cfg *config.Config) service.MFAOptions {
	issuer := cfg.MFA.Issuer
	if issuer == "" {
		issuer = cfg.Branding.ProductName
	}
	return service.MFAOptions{
		Default: userdb.MFAPolicy(cfg.MFA.Required), Issuer: issuer, Grace: cfg.MFA.Grace,
		Admins: userdb.MFAPolicy(cfg.MFA.Admins), AdminsGrace: cfg.MFA.AdminsGrace,
		RememberDevice: cfg.MFA.RememberDevice, StepUpMaxAge: cfg.MFA.StepUpMaxAge,
		ReauthMaxAge: cfg.MFA.ReauthMaxAge, URL: cfg.BaseURL() + web.ProfilePath,
	}
}
