package oauth

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/sqlstore"
)

func openStore(t *testing.T) userdb.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "k.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestScheduledRotationAcrossNodes runs the scheduled rotation on two
// nodes of one database at once: one new key is made, both nodes publish
// it before it signs, and the old key stays published until its tokens
// have expired.
func TestScheduledRotationAcrossNodes(t *testing.T) {
	st := openStore(t)
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	seal := make([]byte, 32)
	node := func() *keyRing {
		return &keyRing{store: st, sealKey: seal, alg: "RS256", clock: clk, keep: 25 * time.Hour}
	}
	a, b := node(), node()
	if err := a.load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := b.load(t.Context()); err != nil {
		t.Fatal(err)
	}
	first, _ := a.current()
	if k, _ := b.current(); k.id != first.id {
		t.Fatalf("nodes disagree on the first key: %s and %s", first.id, k.id)
	}
	const every = 90 * 24 * time.Hour
	if err := a.maybeRotate(t.Context(), every); err != nil || len(a.published()) != 1 {
		t.Fatalf("rotated before it was due: %v, %d keys", err, len(a.published()))
	}

	clk.Add(every + time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range []*keyRing{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = r.maybeRotate(t.Context(), every) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("rotation: %v", err)
		}
	}
	a.load(t.Context())
	b.load(t.Context())
	if len(a.published()) != 2 || len(b.published()) != 2 {
		t.Fatalf("keys after two nodes rotated at once: %d and %d, want 2", len(a.published()), len(b.published()))
	}
	// Published now, signing after the propagation delay.
	if k, _ := a.current(); k.id != first.id {
		t.Error("the new key signs before every node has published it")
	}
	clk.Add(keyPropagation)
	k, _ := a.current()
	if k2, _ := b.current(); k.id == first.id || k2.id != k.id {
		t.Errorf("after the delay the nodes sign with %s and %s, want the new key", k.id, k2.id)
	}
	// The old key stays until the longest token it signed has expired.
	clk.Add(24 * time.Hour)
	a.load(t.Context())
	if a.byID(first.id) == nil {
		t.Error("the old key left before its tokens expired")
	}
	clk.Add(2 * time.Hour)
	a.load(t.Context())
	if a.byID(first.id) != nil {
		t.Error("the old key is still published after its tokens expired")
	}
}

func TestSealedKeysNeedTheInstanceKey(t *testing.T) {
	st := openStore(t)
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a := &keyRing{store: st, sealKey: make([]byte, 32), alg: "ES256", clock: clk, keep: time.Hour}
	if err := a.load(t.Context()); err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	other[0] = 1
	b := &keyRing{store: st, sealKey: other, alg: "ES256", clock: clk, keep: time.Hour}
	if err := b.load(t.Context()); err == nil {
		t.Error("keys sealed with one instance key opened with another")
	}
	keys, _ := st.FindOAuthSigningKeys(t.Context(), clk.Now())
	if len(keys) != 1 || len(keys[0].PrivateKey) < 40 {
		t.Fatalf("stored keys %v", keys)
	}
}
