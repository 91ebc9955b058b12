package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/service"
)

// syncBuffer is a log destination the test reads while the service writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestASVS_2_4_5_MissingPepperLoggedNotShown: a stored hash whose pepper is
// no longer configured refuses the sign-in with the generic answer to a
// wrong password, and logs an error naming the pepper id (never the
// password).
func TestASVS_2_4_5_MissingPepperLoggedNotShown(t *testing.T) {
	var logs syncBuffer
	e := newEnvDeps(t, func(d *service.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	const pw = "a long enough passphrase 1"
	u := e.user("", "ann@example.com", pw)
	gone := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 1, 0)
	if err := gone.SetPeppers(&password.Pepper{ID: "lost", Key: bytes.Repeat([]byte{7}, 32)}, nil); err != nil {
		t.Fatal(err)
	}
	h, err := gone.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateUser(context.Background(), u.ID, userdb.UserUpdate{PasswordHash: &h}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = e.login("ann@example.com", pw)
	_, wrong := e.login("ann@example.com", pw+"x")
	if err == nil || userdb.ErrorMessage(err) != userdb.ErrorMessage(wrong) || userdb.ErrorCode(err) != userdb.ErrorCode(wrong) {
		t.Errorf("sign-in with the pepper gone: %v; want the answer to a wrong password, %v", err, wrong)
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, `pepper \"lost\"`) || strings.Contains(out, pw) {
		t.Errorf("log:\n%s\nwant an error naming pepper \"lost\", without the password", out)
	}
}
