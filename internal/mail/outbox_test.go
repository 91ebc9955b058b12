package mail_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// memOutbox is an in-memory userdb.OutboxStore with the semantics the SQL
// store documents: a claim adds an attempt and hides the email until
// now+lease.
type memOutbox struct {
	mu     sync.Mutex
	emails []*userdb.OutboxEmail
	claims int
	// failMarkSent makes the next MarkEmailSent calls fail.
	failMarkSent int
}

var _ userdb.OutboxStore = (*memOutbox)(nil)

func (s *memOutbox) EnqueueEmail(_ context.Context, m *userdb.OutboxEmail) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID = int64(len(s.emails) + 1)
	c := *m
	s.emails = append(s.emails, &c)
	return nil
}

func (s *memOutbox) ClaimEmails(_ context.Context, now time.Time, lease time.Duration, limit int) ([]*userdb.OutboxEmail, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims++
	var out []*userdb.OutboxEmail
	for _, m := range s.emails {
		if len(out) == limit {
			break
		}
		if m.SentAt == nil && !m.NextAttemptAt.After(now) {
			m.Attempts++
			m.NextAttemptAt = now.Add(lease)
			c := *m
			out = append(out, &c)
		}
	}
	return out, nil
}

func (s *memOutbox) find(id int64) (*userdb.OutboxEmail, error) {
	for _, m := range s.emails {
		if m.ID == id {
			return m, nil
		}
	}
	return nil, userdb.Errorf(userdb.ENOTFOUND, "Email not found.")
}

func (s *memOutbox) MarkEmailSent(_ context.Context, id int64, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failMarkSent > 0 {
		s.failMarkSent--
		return errors.New("database is down")
	}
	m, err := s.find(id)
	if err == nil {
		m.SentAt = &now
	}
	return err
}

func (s *memOutbox) MarkEmailFailed(_ context.Context, id int64, errMsg string, next time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(id)
	if err == nil {
		m.LastError, m.NextAttemptAt = errMsg, next
	}
	return err
}

func (s *memOutbox) FindEmails(_ context.Context, limit int) ([]*userdb.OutboxEmail, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*userdb.OutboxEmail
	for _, m := range slices.Backward(s.emails) {
		if len(out) == limit {
			break
		}
		c := *m
		out = append(out, &c)
	}
	return out, nil
}

// email returns a copy of the stored email.
func (s *memOutbox) email(t *testing.T, id int64) userdb.OutboxEmail {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(id)
	if err != nil {
		t.Fatal(err)
	}
	return *m
}

func (s *memOutbox) claimCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims
}

// mustEnqueue adds an email to the store and returns its id.
func mustEnqueue(t *testing.T, st userdb.OutboxStore, to, subject string, now time.Time) int64 {
	t.Helper()
	m := &userdb.OutboxEmail{
		To: to, Subject: subject, Kind: "account-welcome",
		Text: "Hello, " + to + "\n", HTML: "<p>Hello, " + to + "</p>\n",
		CreatedAt: now, NextAttemptAt: now,
	}
	if err := st.EnqueueEmail(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// fakeClock is a userdb.Clock that only moves when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
