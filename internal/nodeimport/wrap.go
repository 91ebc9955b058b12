package nodeimport

import (
	"context"
	"runtime"
	"sync"

	"github.com/userdb/userdb"
)

// Wrapper wraps weak password hashes in argon2id (internal/password's
// Hasher; ASVS 2.4.4).
type Wrapper interface {
	// WrapWeak returns encoded, or when its cost is below the minimum for
	// its algorithm, its argon2id wrapping (wrapped true).
	WrapWeak(ctx context.Context, encoded string) (stored string, wrapped bool, err error)
	// Wraps reports whether stored is a wrapping of legacy.
	Wraps(stored, legacy string) bool
}

// wrapHashes wraps the weak bcrypt hashes of rows and of their old
// passwords, before the transaction that writes them so that it does not
// stay open through the hashing. The hashes are computed on as many
// goroutines as there are CPUs, each waiting for the wrapper's bounded pool
// like any sign-in. It returns the wrapping of each weak source hash.
func (im *importer) wrapHashes(ctx context.Context, rows []userRow, olds []oldPasswordRow) (map[string]string, error) {
	if im.opts.Wrapper == nil {
		return nil, nil
	}
	var (
		mu      sync.Mutex
		out     = make(map[string]string)
		firstEr error
		wg      sync.WaitGroup
		slots   = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	hashes := make(map[string]bool)
	for _, r := range rows {
		hashes[r.Password] = true
	}
	for _, o := range olds {
		hashes[o.Hash] = true
	}
	for h := range hashes {
		if !validBcrypt(h) {
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			stored, wrapped, err := im.opts.Wrapper.WrapWeak(ctx, h)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case userdb.IsCode(err, userdb.EINVALID):
				// validBcrypt reads the prefix and cost only: a hash with
				// a broken body cannot be wrapped, nor verify any password.
				// It is kept as the source has it, signing nobody in, as
				// before wrapping existed; one such row does not stop the run.
			case err != nil && firstEr == nil:
				firstEr = err
			case wrapped:
				out[h] = stored
			}
		})
	}
	wg.Wait()
	return out, firstEr
}

// storedHash sets want's password hash to what userdb keeps of the source's:
// the hash as it is when it is not weak; the wrapping userdb has already
// when it wraps the same source hash (so that a second run changes
// nothing); else the fresh wrapping, which the report counts.
func (im *importer) storedHash(rep *Report, want, have *userdb.User, wraps map[string]string) {
	wrapped, ok := wraps[want.PasswordHash]
	switch {
	case !ok:
	case have != nil && im.opts.Wrapper.Wraps(have.PasswordHash, want.PasswordHash):
		want.PasswordHash = have.PasswordHash
	default:
		want.PasswordHash = wrapped
		rep.Wrapped++
	}
}

// inHistory reports whether userdb's history (has) holds the source's old
// hash, as it is or wrapped.
func (im *importer) inHistory(has map[string]bool, old string, wraps map[string]string) bool {
	if has[old] {
		return true
	}
	if _, weak := wraps[old]; weak {
		for h := range has {
			if im.opts.Wrapper.Wraps(h, old) {
				return true
			}
		}
	}
	return false
}
