package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var outboxTests = []test{
	{"ClaimDueAndUnsent", testClaimEmails},
	{"ConcurrentClaimers", testClaimEmailsConcurrent},
	{"MarkSentAndFailed", testMarkEmails},
	{"FindEmails", testFindEmails},
}

func emailIDs(emails []*userdb.OutboxEmail) []int64 {
	var ids []int64
	for _, m := range emails {
		ids = append(ids, m.ID)
	}
	return ids
}

func testClaimEmails(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	m := &userdb.OutboxEmail{
		To:            "someone@example.com",
		Subject:       "Verify your email",
		Text:          "Follow the link: https://example.com/verify?sptoken=x",
		HTML:          "<p>Follow <a href=\"https://example.com/verify?sptoken=x\">the link</a>.</p>",
		Kind:          "account-verification",
		UserID:        u.ID,
		CreatedAt:     base,
		NextAttemptAt: base,
	}
	must(t, s.EnqueueEmail(ctx, m))
	if m.ID == 0 {
		t.Fatal("EnqueueEmail set no ID")
	}
	later := MustEnqueueEmail(t, s, "later@example.com", at(time.Hour))
	sent := MustEnqueueEmail(t, s, "sent@example.com", base)
	must(t, s.MarkEmailSent(ctx, sent.ID, base))

	const lease = 5 * time.Minute
	now := at(30 * time.Minute)
	got, err := s.ClaimEmails(ctx, now, lease, 10)
	must(t, err)
	wantSeq(t, "claimed", emailIDs(got), []int64{m.ID})
	if len(got) == 1 {
		c := got[0]
		wantEqual(t, "To", c.To, m.To)
		wantEqual(t, "Subject", c.Subject, m.Subject)
		wantEqual(t, "Text", c.Text, m.Text)
		wantEqual(t, "HTML", c.HTML, m.HTML)
		wantEqual(t, "Kind", c.Kind, m.Kind)
		wantEqual(t, "UserID", c.UserID, m.UserID)
		wantTime(t, "CreatedAt", c.CreatedAt, m.CreatedAt)
		wantEqual(t, "Attempts", c.Attempts, 1)
		wantTimePtr(t, "SentAt", c.SentAt, nil)
	}

	got, err = s.ClaimEmails(ctx, now, lease, 10)
	must(t, err)
	wantSeq(t, "claimed again at once", emailIDs(got), nil)
	got, err = s.ClaimEmails(ctx, now.Add(lease-time.Second), lease, 10)
	must(t, err)
	wantSeq(t, "claimed again within the lease", emailIDs(got), nil)

	now = now.Add(lease + time.Second)
	got, err = s.ClaimEmails(ctx, now, lease, 10)
	must(t, err)
	wantSeq(t, "claimed after the lease", emailIDs(got), []int64{m.ID})
	if len(got) == 1 {
		wantEqual(t, "Attempts after the second claim", got[0].Attempts, 2)
	}

	got, err = s.ClaimEmails(ctx, at(2*time.Hour), lease, 10)
	must(t, err)
	wantSet(t, "claimed when both are due", emailIDs(got), []int64{m.ID, later.ID})

	for i := range 3 {
		MustEnqueueEmail(t, s, fmt.Sprintf("bulk%d@example.com", i), base)
	}
	got, err = s.ClaimEmails(ctx, at(3*time.Hour), lease, 2)
	must(t, err)
	wantEqual(t, "claimed with limit 2", len(got), 2)
}

// testClaimEmailsConcurrent runs two senders over 20 due emails: between
// them they must take every email once.
func testClaimEmailsConcurrent(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const n = 20
	var want []int64
	for i := range n {
		want = append(want, MustEnqueueEmail(t, s, fmt.Sprintf("user%d@example.com", i), base).ID)
	}
	claimed := make([][]int64, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Go(func() {
			for {
				got, err := s.ClaimEmails(ctx, at(time.Minute), time.Hour, 3)
				if err != nil {
					errs[c] = err
					return
				}
				if len(got) == 0 {
					return
				}
				claimed[c] = append(claimed[c], emailIDs(got)...)
			}
		})
	}
	wg.Wait()
	for c, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", c, err)
		}
	}
	wantSet(t, "emails claimed by both", append(claimed[0], claimed[1]...), want)
}

func testMarkEmails(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	m := MustEnqueueEmail(t, s, "someone@example.com", base)
	const lease = 5 * time.Minute
	got, err := s.ClaimEmails(ctx, base, lease, 10)
	must(t, err)
	wantSeq(t, "first claim", emailIDs(got), []int64{m.ID})

	must(t, s.MarkEmailFailed(ctx, m.ID, "451 4.3.0 try again later", at(time.Hour)))
	emails, err := s.FindEmails(ctx, 10)
	must(t, err)
	if len(emails) != 1 {
		t.Fatalf("found %d emails, want 1", len(emails))
	}
	wantEqual(t, "LastError", emails[0].LastError, "451 4.3.0 try again later")
	wantTime(t, "NextAttemptAt", emails[0].NextAttemptAt, at(time.Hour))
	wantTimePtr(t, "SentAt", emails[0].SentAt, nil)
	wantEqual(t, "Attempts", emails[0].Attempts, 1)

	got, err = s.ClaimEmails(ctx, at(30*time.Minute), lease, 10)
	must(t, err)
	wantSeq(t, "claim before the next attempt", emailIDs(got), nil)
	got, err = s.ClaimEmails(ctx, at(time.Hour+time.Second), lease, 10)
	must(t, err)
	wantSeq(t, "claim at the next attempt", emailIDs(got), []int64{m.ID})

	must(t, s.MarkEmailSent(ctx, m.ID, at(2*time.Hour)))
	emails, err = s.FindEmails(ctx, 10)
	must(t, err)
	wantTimePtr(t, "SentAt", emails[0].SentAt, ptr(at(2*time.Hour)))
	wantEqual(t, "Attempts", emails[0].Attempts, 2)
	got, err = s.ClaimEmails(ctx, at(10*time.Hour), lease, 10)
	must(t, err)
	wantSeq(t, "claim after sending", emailIDs(got), nil)
}

func testFindEmails(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	var ids []int64
	for i := range 4 {
		ids = append(ids, MustEnqueueEmail(t, s, fmt.Sprintf("user%d@example.com", i), base).ID)
	}
	must(t, s.MarkEmailSent(ctx, ids[1], base))
	got, err := s.FindEmails(ctx, 10)
	must(t, err)
	wantSeq(t, "emails newest first", emailIDs(got), []int64{ids[3], ids[2], ids[1], ids[0]})
	got, err = s.FindEmails(ctx, 2)
	must(t, err)
	wantSeq(t, "emails limited", emailIDs(got), []int64{ids[3], ids[2]})
}
