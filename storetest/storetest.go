package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// Run runs the conformance suite against the stores newStore returns. Every
// subtest calls newStore once and expects a fresh, migrated store that holds
// only what the first migration creates: the account userdb.DefaultAccountID
// with the roles super-admin and admin. newStore should close the store in a
// t.Cleanup.
//
// Besides what the userdb.Store doc comments say, the suite holds stores to
// these readings of them:
//   - Times keep at least microsecond precision and come back in UTC;
//     comparisons with times given in any zone compare instants.
//   - Emails and usernames are unique across all accounts, compared after
//     userdb.Fold (so "Zoë" and "ZOË" collide).
//   - Every method that names one row by id (update, delete, revoke, unlock,
//     record a failed login, add or remove a role) fails with ENOTFOUND when
//     the row, or the user or role it links, does not exist; lists of
//     nothing are empty, not an error. Creating a row whose id, session id
//     or token hash is taken fails with ECONFLICT.
//   - RecordFailedLogin sets LastFailedLoginAt, and LockedAt when it locks,
//     to now; ConsumeToken returns the token with ConsumedAt set to now.
//   - UserFilter.LastLoginAfter and LastLoginBefore never match users who
//     have not signed in; FindUsers returns 50 users when Limit is 0 and
//     fails with EINVALID for an unknown sort key or a cursor it did not make.
//   - MarkEmailFailed's next time replaces the lease of the last claim.
func Run(t *testing.T, newStore func(t *testing.T) userdb.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Accounts", accountTests},
		{"Users", userTests},
		{"Times", timeTests},
		{"FindUsers", findUserTests},
		{"FindUsersLifecycle", findUserLifecycleTests},
		{"Tenancy", tenancyTests},
		{"Lockout", lockoutTests},
		{"Roles", roleTests},
		{"Sessions", sessionTests},
		{"Tokens", tokenTests},
		{"Events", eventTests},
		{"Outbox", outboxTests},
		{"APIKeys", apiKeyTests},
		{"ProfileAttributes", profileAttributeTests},
		{"Protection", protectionTests},
		{"Connectors", connectorTests},
		{"Identities", identityTests},
		{"UpstreamFlows", upstreamFlowTests},
		{"OAuth", oauthTests},
		{"PendingLogins", pendingTests},
		{"MFA", mfaTests},
		{"Setup", setupTests},
		{"Tx", txTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
			}
		})
	}
}

// RunFindUsers runs the suite's user search tests alone: for a store that
// searches in more than one way, each way can be put through them.
func RunFindUsers(t *testing.T, newStore func(t *testing.T) userdb.Store) {
	for _, tc := range findUserTests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// test is one subtest of the suite; it gets a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s userdb.Store)
}

// base is the suite's fixed starting time; tests add offsets to it so that
// order never depends on the wall clock.
var base = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

// at returns the base time plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

func ptr[T any](v T) *T { return &v }
