package mail

import (
	"context"
	"html"
	"log/slog"
	"regexp"

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
// writes one short line per email to a logger at INFO — who, the subject
// and the email's first link, not its bodies. The link is one-time, which
// is how a developer signs up without a mail server, and why Log must not
// be used in production.
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
	link := firstLink.FindString(m.Text)
	if link == "" {
		link = html.UnescapeString(firstLink.FindString(m.HTML))
	}
	l.logger.InfoContext(ctx, "email written to the log (no SMTP server configured)",
		"to", m.To, "subject", m.Subject, "link", link)
	return nil
}

// firstLink finds a link in an email's body: up to a space, quote or angle
// bracket.
var firstLink = regexp.MustCompile(`https?://[^\s"'<>]+`)
