package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

const outboxColumns = `id, to_address, subject, text_body, html_body, kind, user_id, created_at, attempts,
	next_attempt_at, sent_at, last_error`

// maxErrorLen bounds the error text kept for a failed email.
const maxErrorLen = 2000

func scanEmail(sc scanner) (*userdb.OutboxEmail, error) {
	var m userdb.OutboxEmail
	err := sc.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Kind, &m.UserID, timeDest{&m.CreatedAt}, &m.Attempts,
		timeDest{&m.NextAttemptAt}, nullTimeDest{&m.SentAt}, &m.LastError)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// EnqueueEmail adds an email to the outbox and sets its ID. A zero
// NextAttemptAt is taken to be CreatedAt: the email is due at once. Its
// times are kept in UTC to the microsecond, and m is updated to match.
func (s *Store) EnqueueEmail(ctx context.Context, m *userdb.OutboxEmail) error {
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	if err := requireTimes(namedTime{"createdAt", m.CreatedAt}); err != nil {
		return err
	}
	id, err := s.insertID(ctx, `INSERT INTO outbox (to_address, subject, text_body, html_body, kind, user_id, created_at,
		attempts, next_attempt_at, sent_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.To, m.Subject, m.Text, m.HTML, m.Kind, m.UserID, s.d.time(m.CreatedAt),
		m.Attempts, s.d.time(m.NextAttemptAt), s.d.nullTime(m.SentAt), truncate(m.LastError, maxErrorLen))
	if err != nil {
		return err
	}
	m.ID = id
	m.CreatedAt, m.NextAttemptAt, m.SentAt = storedTime(m.CreatedAt), storedTime(m.NextAttemptAt), storedTimePtr(m.SentAt)
	return nil
}

// ClaimEmails takes up to limit unsent emails due at now, oldest due first,
// adds one to their attempts and hides them from other claims until
// now+lease. The rows are selected FOR UPDATE SKIP LOCKED where the
// database can (PostgreSQL, MySQL 8, MariaDB 10.6), so concurrent senders
// take different emails instead of waiting for each other; on SQLite the
// write transaction serializes them.
func (s *Store) ClaimEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*userdb.OutboxEmail, error) {
	if limit <= 0 {
		return nil, nil
	}
	var claimed []*userdb.OutboxEmail
	err := s.inTx(ctx, func(tx *Store) error {
		rows, err := tx.writer().QueryContext(ctx, tx.d.rebind(`SELECT id FROM outbox
			WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+tx.d.skipLocked),
			tx.d.time(now), limit)
		if err != nil {
			return tx.wrap(err)
		}
		ids, err := collect(rows, func(sc scanner) (any, error) {
			var id int64
			err := sc.Scan(&id)
			return id, err
		})
		if err != nil || len(ids) == 0 {
			return tx.wrap(err)
		}
		in := "(" + placeholders(len(ids)) + ")"
		if _, err := tx.exec(ctx, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id IN "+in,
			append([]any{tx.d.time(now.Add(lease))}, ids...)...); err != nil {
			return err
		}
		rows, err = tx.query(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE id IN "+in+" ORDER BY id", ids...)
		if err != nil {
			return err
		}
		claimed, err = collect(rows, scanEmail)
		return tx.wrap(err)
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// MarkEmailSent records that the email was sent at now.
func (s *Store) MarkEmailSent(ctx context.Context, id int64, now time.Time) error {
	return s.updateEmail(ctx, "UPDATE outbox SET sent_at = ? WHERE id = ?", s.d.time(now), id)
}

// MarkEmailFailed records why sending failed (shortened to a bounded
// length) and when to try again.
func (s *Store) MarkEmailFailed(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.updateEmail(ctx, "UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?",
		truncate(errMsg, maxErrorLen), s.d.time(next), id)
}

func (s *Store) updateEmail(ctx context.Context, q string, args ...any) error {
	n, err := s.execCount(ctx, q, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("email")
	}
	return nil
}

// FindEmails lists up to limit emails, sent and unsent, newest first.
func (s *Store) FindEmails(ctx context.Context, limit int) ([]*userdb.OutboxEmail, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, "SELECT "+outboxColumns+" FROM outbox ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	ms, err := collect(rows, scanEmail)
	return ms, s.wrap(err)
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
