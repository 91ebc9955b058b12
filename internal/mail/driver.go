package mail

import (
	"context"
	"errors"
	"log/slog"
)

// Driver delivers one email.
type Driver interface {
	// Send delivers m. It returns nil only once the email was accepted for
	// delivery; errors that retrying cannot fix satisfy IsPermanent.
	Send(ctx context.Context, m Message) error
}

// Message is an email ready to send.
type Message struct {
	From, To, Subject string
	Text, HTML        string // at least one is set
}

// permanentError marks an error that retrying the same email cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the sender gives up on the email instead
// of retrying it. It returns nil for nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent: a 5xx reply to the mail transaction, an invalid address, or an
// email the sender gave up on.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

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
