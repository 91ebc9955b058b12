package server

import (
	"fmt"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/geo"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/service"
)

// composer renders workflow emails as the configuration says.
type composer struct {
	t           *mail.Templates
	cfg         *config.Config
	productName string
	geo         *geo.DB
}

var _ service.Composer = (*composer)(nil)

// invitationMessage configures the invitation email, which the original did
// not have.
var invitationMessage = config.Message{Enabled: true, Subject: "You are invited to {{.ProductName}}", Format: mail.FormatBoth}

// The emails of a change of email address, which the original did not have
// either.
var (
	emailChangeMessage       = config.Message{Enabled: true, Subject: "Confirm your new email address", Format: mail.FormatBoth}
	emailChangeNoticeMessage = config.Message{Enabled: true, Subject: "A change of your email address was requested", Format: mail.FormatBoth}
)

// The emails of account protection: a new-device notice and the password
// expiry warning.
var (
	newDeviceMessage        = config.Message{Enabled: true, Subject: "New sign-in to your {{.ProductName}} account", Format: mail.FormatBoth}
	passwordExpiringMessage = config.Message{Enabled: true, Subject: "Your {{.ProductName}} password expires soon", Format: mail.FormatBoth}
)

// The security notices (ASVS 2.2.3, 2.5.5).
var (
	emailChangedMessage   = config.Message{Enabled: true, Subject: "Your {{.ProductName}} email address was changed", Format: mail.FormatBoth}
	passwordSetMessage    = config.Message{Enabled: true, Subject: "A new password was set for your {{.ProductName}} account", Format: mail.FormatBoth}
	apiKeyChangedMessage  = config.Message{Enabled: true, Subject: "A change to your {{.ProductName}} API keys", Format: mail.FormatBoth}
	apiKeyExpiringMessage = config.Message{Enabled: true, Subject: "A {{.ProductName}} API key expires soon", Format: mail.FormatBoth}
)

// The emails of second factors.
var (
	factorAddedMessage   = config.Message{Enabled: true, Subject: "A second factor was added to your {{.ProductName}} account", Format: mail.FormatBoth}
	factorRemovedMessage = config.Message{Enabled: true, Subject: "A second factor was removed from your {{.ProductName}} account", Format: mail.FormatBoth}
	recoveryUsedMessage  = config.Message{Enabled: true, Subject: "A recovery code of your {{.ProductName}} account was used", Format: mail.FormatBoth}
	codeReusedMessage    = config.Message{Enabled: true, Subject: "A code of your {{.ProductName}} authenticator app was used twice", Format: mail.FormatBoth}
	mfaResetMessage      = config.Message{Enabled: true, Subject: "The second factors of your {{.ProductName}} account were reset", Format: mail.FormatBoth}
)

func (c *composer) message(kind string) config.Message {
	e := c.cfg.Email
	switch kind {
	case service.EmailVerification:
		return e.AccountVerification.Message
	case service.EmailVerificationSucceeded:
		return e.AccountVerificationSuccessful
	case service.EmailWelcome:
		return e.AccountWelcome
	case service.EmailForgotPassword:
		return e.ForgotPassword.Message
	case service.EmailPasswordResetDone:
		return e.PasswordResetSuccessful
	case service.EmailInvitation:
		if e.AccountVerification.Endpoint != "" {
			// Invitations are the original's verification email (inviteURL).
			return e.AccountVerification.Message
		}
		return invitationMessage
	case service.EmailChangeConfirm:
		return emailChangeMessage
	case service.EmailChangeNotice:
		return emailChangeNoticeMessage
	case service.EmailNewDevice:
		return newDeviceMessage
	case service.EmailPasswordExpiring:
		return passwordExpiringMessage
	case service.EmailEmailChanged:
		return emailChangedMessage
	case service.EmailPasswordSet:
		return passwordSetMessage
	case service.EmailAPIKeyChanged:
		return apiKeyChangedMessage
	case service.EmailAPIKeyExpiring:
		return apiKeyExpiringMessage
	case service.EmailFactorAdded:
		return factorAddedMessage
	case service.EmailFactorRemoved:
		return factorRemovedMessage
	case service.EmailRecoveryUsed:
		return recoveryUsedMessage
	case service.EmailCodeReused:
		return codeReusedMessage
	case service.EmailMFAReset:
		return mfaResetMessage
	case service.EmailMagicLink:
		return magicLinkMessage
	}
	return config.Message{}
}

// Compose renders the email of a kind for u, or returns nil when that email
// is switched off.
func (c *composer) Compose(kind string, u *userdb.User, link string) (*userdb.OutboxEmail, error) {
	return c.compose(kind, u, mail.Data{Link: link})
}

// ComposeNotice renders a security notice saying detail.
func (c *composer) ComposeNotice(kind string, u *userdb.User, detail string) (*userdb.OutboxEmail, error) {
	return c.compose(kind, u, mail.Data{Detail: detail})
}

// ComposeSignIn renders the new-device notice: the time in UTC, the place
// from the GeoIP file (if any), the browser named from its User-Agent.
func (c *composer) ComposeSignIn(u *userdb.User, link string, in service.SignIn) (*userdb.OutboxEmail, error) {
	return c.compose(service.EmailNewDevice, u, mail.Data{Link: link, SignIn: mail.SignInData{
		Time: in.Time.UTC().Format("2 January 2006, 15:04 UTC"), Place: c.geo.Place(in.IP),
		Browser: geo.Browser(in.UserAgent), IP: in.IP,
	}})
}

// ComposeExpiring renders the password expiry warning.
func (c *composer) ComposeExpiring(u *userdb.User, link string, expires time.Time, now time.Time) (*userdb.OutboxEmail, error) {
	days := int(expires.Sub(now).Round(24*time.Hour) / (24 * time.Hour))
	when := "on " + expires.UTC().Format("2 January 2006")
	if days >= 1 {
		when = fmt.Sprintf("in %d day%s, %s", days, map[bool]string{true: "", false: "s"}[days == 1], when)
	}
	return c.compose(service.EmailPasswordExpiring, u, mail.Data{Link: link, Expires: when})
}

func (c *composer) compose(kind string, u *userdb.User, d mail.Data) (*userdb.OutboxEmail, error) {
	m := c.message(kind)
	if !m.Enabled {
		return nil, nil
	}
	tmpl := m.Template
	if tmpl == "" {
		tmpl = kind
		if kind == service.EmailInvitation && c.cfg.Email.AccountVerification.Endpoint != "" {
			tmpl = service.EmailVerification
		}
	}
	d.ProductName, d.BaseURL, d.User = c.productName, c.cfg.BaseURL(), mail.NewUserData(u)
	d.Envelope = mail.Envelope{From: c.cfg.SMTP.From, To: u.Email}
	d.SetLink(d.Link)
	r, err := c.t.Render(tmpl, m.Format, m.Subject, d)
	if err != nil {
		return nil, err
	}
	return &userdb.OutboxEmail{To: u.Email, Subject: r.Subject, Text: r.Text, HTML: r.HTML}, nil
}
