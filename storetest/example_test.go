package storetest_test

import (
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
	"github.com/userdb/userdb/storetest"
)

// A store's own tests run the conformance suite with a function that opens
// a fresh, migrated store for each case. (Run needs the *testing.T of a
// test, so this example is compiled, not run; sqlstore's TestConformance is
// the suite running for real.)
func ExampleRun() {
	TestConformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) userdb.Store {
			st, err := sqlstore.Open(t.Context(), "sqlite:"+t.TempDir()+"/userdb.db", sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			return st
		})
	}
	_ = TestConformance
}
