package server

import (
	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/service"
)

// composer renders workflow emails as the configuration says.
type composer struct {
	t           *mail.Templates
	cfg         *config.Config
	productName string
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
		return invitationMessage
	case service.EmailChangeConfirm:
		return emailChangeMessage
	case service.EmailChangeNotice:
		return emailChangeNoticeMessage
	}
	return config.Message{}
}

// Compose renders the email of a kind for u, or returns nil when that email
// is switched off.
func (c *composer) Compose(kind string, u *userdb.User, link string) (*userdb.OutboxEmail, error) {
	m := c.message(kind)
	if !m.Enabled {
		return nil, nil
	}
	tmpl := m.Template
	if tmpl == "" {
		tmpl = kind
	}
	r, err := c.t.Render(tmpl, m.Format, m.Subject, mail.Data{
		ProductName: c.productName, BaseURL: c.cfg.BaseURL(), Link: link, User: mail.NewUserData(u),
	})
	if err != nil {
		return nil, err
	}
	return &userdb.OutboxEmail{To: u.Email, Subject: r.Subject, Text: r.Text, HTML: r.HTML}, nil
}
