package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
)

// Open a store (SQLite here; postgres:// and mysql:// DSNs work the same),
// apply the migrations, and use it through the userdb.Store interface.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqlstore-example-")
	defer os.RemoveAll(dir)

	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "userdb.db"), sqlstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}

	var s userdb.Store = st
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &userdb.User{ID: userdb.NewID("usr"), AccountID: userdb.DefaultAccountID, Email: "Ann@Example.com",
		Status: userdb.StatusEnabled, CreatedAt: now, UpdatedAt: now}
	u.Normalize()
	if err := s.CreateUser(ctx, u); err != nil {
		fmt.Println(err)
		return
	}
	got, err := s.FindUserByLogin(ctx, "ann@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Username, got.Version, got.CreatedAt)
	_, err = s.FindUserByEmail(ctx, "bob@example.com")
	fmt.Println(userdb.ErrorCode(err))
	// Output:
	// Ann@Example.com 1 2026-01-02 03:04:05 +0000 UTC
	// not_found
}
