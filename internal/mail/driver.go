package mail

import (
	"context"
	"log/slog"

	"github.com/userdb/userdb"
)

// Driver delivers one email: the root package's interface, which programs
// embedding userdb implement too.
type Driver = userdb.MailDriver

// Message is an email ready to send.
type Message = userdb.MailMessage

// Permanent marks err as permanent: the sender gives up on the email instead
// of retrying it. It returns nil for nil.
func Permanent(err error) error { return userdb.PermanentMailError(err) }

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent: a 5xx reply to the mail transaction, an invalid address, or an
// email the sender gave up on.
func IsPermanent(err error) bool { return userdb.IsPermanentMailError(err) }

// Log is the development Driver used when no SMTP server is configured: it
// writes every email, bodies included, to a logger at INFO. The bodies carry
// one-time links, which is how a developer signs up without a mail server,
// and why Log must not be used in production.
type Log struct {
	logger *slog.Logger
}

// NewLog returns a Log driver writing to logger (slog.Default() if nil).
func NewLog(logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{logger: logger}
}

// Send logs m and reports success.
func (l *Log) Send(ctx context.Context, m Message) error {
	l.logger.InfoContext(ctx, "email not sent: no SMTP server configured, here it is",
		"from", m.From, "to", m.To, "subject", m.Subject, "text", m.Text, "html", m.HTML)
	return nil
}
