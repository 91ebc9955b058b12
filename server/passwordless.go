package server

import (
	"cmp"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/passkey"
	"github.com/userdb/userdb/internal/service"
)

// magicLinkMessage configures the passwordless sign-in email, which the
// original did not have.
var magicLinkMessage = config.Message{Enabled: true, Subject: "Sign in to {{.ProductName}}", Format: mail.FormatBoth}

var _ service.MagicLinkComposer = (*composer)(nil)

// ComposeMagicLink renders the sign-in email: its link, its code, and how
// long they work in words.
func (c *composer) ComposeMagicLink(u *userdb.User, link, code string, ttl time.Duration) (*userdb.OutboxEmail, error) {
	return c.compose(service.EmailMagicLink, u, mail.Data{Link: link, Code: code, Expires: "in " + inWords(ttl)})
}

// inWords writes a duration of minutes or hours as a person would.
func inWords(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	if d >= time.Hour && d%time.Hour == 0 {
		return plural(int(d/time.Hour), "hour")
	}
	return plural(max(int((d+time.Minute-1)/time.Minute), 1), "minute")
}

// passwordlessMetrics counts passwordless sign-ins from the service's
// counters.
func (s *Server) passwordlessMetrics() {
	m := s.svc.MagicLinkStats()
	counter := func(name, help string, f func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
	}
	s.metrics.reg.MustRegister(
		counter("userdb_magic_links_sent_total", "Passwordless sign-in emails (link and code) queued.", m.Sent.Load),
		counter("userdb_magic_link_signins_total", "Sign-ins by an emailed link.", m.ByLink.Load),
		counter("userdb_email_code_signins_total", "Sign-ins by an emailed code.", m.ByCode.Load),
		counter("userdb_email_code_failures_total", "Emailed codes refused (wrong, used, expired or out of attempts).", m.BadCodes.Load),
	)
	k := s.svc.PasskeyStats()
	s.metrics.reg.MustRegister(
		counter("userdb_passkey_signins_total", "Sign-ins with a passkey.", k.SignIns.Load),
		counter("userdb_passkey_refusals_total", "Passkey assertions refused (unknown or another user's credential, wrong origin or relying party, bad signature, replay).", k.Refused.Load),
		counter("userdb_passkeys_registered_total", "Passkeys registered.", k.Registered.Load),
	)
}

// newWebAuthn is the relying party of passkeys (nil when they are off):
// its id and origins default from server.base_url, its name from the
// branding.
//
// Browsers refuse WebAuthn on an IP address, so a base URL on one (as in
// tests and quick starts on 127.0.0.1) leaves passkeys off (said in the log),
// rather than failing start-up; an explicit passkeys.rp_id is checked.
func newWebAuthn(cfg *config.Config, log *slog.Logger) (service.WebAuthn, error) {
	k := cfg.Passkeys
	if !k.Enabled {
		return nil, nil
	}
	if k.RPID == "" && net.ParseIP(cfg.PasskeyRPID()) != nil {
		log.Info("passkeys are off: server.base_url is on an IP address, where browsers refuse WebAuthn; use a host name (localhost works) or set passkeys.rp_id",
			"base_url", cfg.BaseURL())
		return nil, nil
	}
	name := k.RPName
	if name == "" {
		name = cmp.Or(cfg.Branding.ProductName, "userdb")
	}
	rp, err := passkey.New(passkey.Config{RPID: cfg.PasskeyRPID(), RPName: name, Origins: cfg.PasskeyOrigins(),
		UserVerification: k.UserVerification, Timeout: k.Timeout})
	if err != nil {
		return nil, &userdb.Error{Code: userdb.EINVALID, Message: err.Error()}
	}
	return rp, nil
}
