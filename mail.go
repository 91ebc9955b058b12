package userdb

import (
	"context"
	"errors"
)

// MailDriver delivers one email. userdb has an SMTP driver and, for
// development, one that writes emails to the log; a program plugs in its
// own (an email API, a queue) with server.WithMailDriver. The outbox sender
// calls it after the email was committed with its workflow, and retries
// failures with backoff.
type MailDriver interface {
	// Send delivers m. It returns nil only once the email was accepted for
	// delivery; an error that retrying cannot fix (a rejected address) is
	// wrapped with PermanentMailError, and the sender gives up on the email.
	Send(ctx context.Context, m MailMessage) error
}

// MailMessage is an email ready to send.
type MailMessage struct {
	From, To, Subject string
	Text, HTML        string // at least one is set
}

// permanentMailError marks an error that retrying the same email cannot fix.
type permanentMailError struct{ err error }

func (e *permanentMailError) Error() string { return e.err.Error() }
func (e *permanentMailError) Unwrap() error { return e.err }

// PermanentMailError marks err as permanent: the sender gives up on the
// email instead of retrying it. It returns nil for nil.
func PermanentMailError(err error) error {
	if err == nil {
		return nil
	}
	return &permanentMailError{err}
}

// IsPermanentMailError reports whether err, or an error it wraps, was marked
// by PermanentMailError.
func IsPermanentMailError(err error) bool {
	var p *permanentMailError
	return errors.As(err, &p)
}
