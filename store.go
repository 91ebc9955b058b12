package userdb

import (
	"context"
	"time"
)

// Store keeps everything userdb persists. The SQL implementation lives in
// package sqlstore; any other implementation must pass storetest.Run.
//
// Callers set IDs (NewID) and creation times; the store writes what it is
// given and sets User.Version to 1 on creation. Times are stored and returned
// in UTC, to at least the microsecond. Lookups of a missing row fail with
// ENOTFOUND (never nil, nil), and so do updates and deletes of one;
// uniqueness violations (a duplicate id, token hash, email...) fail with
// ECONFLICT; invalid filters with EINVALID. Time-range filters include both
// bounds.
//
// Emails and usernames are unique across all accounts, compared by Fold.
// Role names are unique within an account, ignoring case.
type Store interface {
	// Tx runs fn in one transaction: every write fn makes through tx commits
	// together or not at all. Calling Tx on tx runs fn in the same transaction.
	Tx(ctx context.Context, fn func(tx Store) error) error
	// Ping reports whether the database is reachable and its schema current.
	Ping(ctx context.Context) error
	Close() error

	AccountStore
	UserStore
	RoleStore
	SessionStore
	TokenStore
	EventStore
	OutboxStore
	APIKeyStore
	ProfileAttributeStore
	ProtectionStore
	ConnectorStore
	IdentityStore
	UpstreamFlowStore
	OAuthStore
	PendingLoginStore
	MFAStore
	SetupStore
}

// SetupStore remembers the one-time set-up steps that have been taken.
type SetupStore interface {
	// ClaimSetup takes the step for good; ECONFLICT when it was taken
	// before. Of concurrent claims exactly one succeeds; a claim made in a
	// transaction that rolls back was never made.
	ClaimSetup(ctx context.Context, step string, now time.Time) error
	// SetupClaimed reports whether the step has been taken.
	SetupClaimed(ctx context.Context, step string) (bool, error)
}

// AccountStore keeps accounts (tenants).
type AccountStore interface {
	// CreateAccount fails with ECONFLICT when the name is taken (case-insensitively).
	CreateAccount(ctx context.Context, a *Account) error
	FindAccountByID(ctx context.Context, id string) (*Account, error)
	FindAccountByName(ctx context.Context, name string) (*Account, error)
	// FindAccounts lists the accounts matching f, ordered by name (names
	// are unique, compared by Fold).
	FindAccounts(ctx context.Context, f AccountFilter) ([]*Account, error)
	// CountAccounts counts the accounts matching f's Query and Status.
	CountAccounts(ctx context.Context, f AccountFilter) (int, error)
	UpdateAccount(ctx context.Context, id string, up AccountUpdate, now time.Time) (*Account, error)
	// DeleteAccount deletes an account and its roles; it fails with ECONFLICT
	// while users belong to it.
	DeleteAccount(ctx context.Context, id string) error
}

// AccountFilter selects accounts and a page of them. Zero fields do not
// filter; a zero Limit lists every account.
type AccountFilter struct {
	Query  string // substring of the name, case-insensitive
	Status Status
	// Sort is SortName (the default), SortDescription or SortStatus; the
	// last two tie on the name.
	Sort string
	Desc bool // descending
	// After is the name of the last account of the previous page: the
	// listing starts after it, in its order (keyset pagination, by name
	// only).
	After string
	// Offset skips that many accounts (after After): the original
	// library's paging. After costs less.
	Offset int
	Limit  int
}

// UserStore keeps users and their failed-login counters.
type UserStore interface {
	// CreateUser fails with ECONFLICT when the email or username is taken
	// (case-insensitively) and ENOTFOUND when the account does not exist.
	CreateUser(ctx context.Context, u *User) error
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByLogin finds a user by username or email, case-insensitively;
	// when one user's email is another's username, the email match wins.
	FindUserByLogin(ctx context.Context, login string) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUserByUsername finds a user by username only, case-insensitively.
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	// FindUsers returns one page of users and the cursor of the next page
	// ("" on the last page).
	FindUsers(ctx context.Context, f UserFilter) (users []*User, next string, err error)
	// CountUsers counts the users matching f (its cursor and limit
	// ignored), stopping at upTo when it is above zero: a count that stops
	// early costs the same however many users match.
	CountUsers(ctx context.Context, f UserFilter, upTo int) (int, error)
	// UpdateUser applies up and returns the user as stored. With up.Version
	// set, a stale version fails with ECONFLICT.
	UpdateUser(ctx context.Context, id string, up UserUpdate, now time.Time) (*User, error)
	// DeleteUser deletes the user with its roles, sessions, tokens and
	// password history; its events stay.
	DeleteUser(ctx context.Context, id string) error
	// RecordFailedLogin adds one to the user's failed-login count in a single
	// atomic step, sets LastFailedLoginAt to now and, when the count reaches
	// lockAfter (> 0) while the user is ENABLED, locks the user (LockedAt =
	// now). locked is true only for the one call that locked it.
	RecordFailedLogin(ctx context.Context, id string, now time.Time, lockAfter int) (count int, locked bool, err error)
	// UnlockUser enables a LOCKED user and resets its counter. It fails with
	// ECONFLICT when the user is not locked (so two unlocks record one event).
	UnlockUser(ctx context.Context, id string, now time.Time) error
	// FindLockedUsers lists the ids of LOCKED users locked at or before until.
	FindLockedUsers(ctx context.Context, until time.Time) ([]string, error)

	// AddPasswordHistory records a former password hash and keeps only the
	// newest keep entries of the user.
	AddPasswordHistory(ctx context.Context, userID, hash string, at time.Time, keep int) error
	// FindPasswordHistory returns up to n former hashes, newest first.
	FindPasswordHistory(ctx context.Context, userID string, n int) ([]string, error)
}

// User sort keys accepted by UserFilter.Sort.
const (
	SortCreated   = "created"
	SortEmail     = "email"
	SortUsername  = "username"
	SortSurname   = "surname"
	SortGivenName = "givenName"
	// SortAccount sorts by the name of the user's account, SortRole by the
	// first of the user's role names in alphabetical order (users without a
	// role first), SortStatus by the status's name: the sorts of the
	// original library's users table.
	SortAccount = "account"
	SortRole    = "role"
	SortStatus  = "status"
)

// Sort keys of AccountFilter.Sort and RoleFilter.Sort (and SortStatus).
// Descriptions sort by their first 255 characters, ignoring case.
const (
	SortName        = "name"
	SortDescription = "description"
)

// CountLimit is where user listings stop counting: a total of CountLimit
// means "at least that many".
const CountLimit = 10_000

// MaxQueryWords is how many words UserFilter.Query may have.
const MaxQueryWords = 8

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	AccountID string
	Status    Status
	Role      string // role name
	// Query selects the users for whom every word of it (at most
	// MaxQueryWords, split at spaces) starts their username, email, given
	// name or surname, literally (no wildcards) and ignoring case: "smi"
	// finds Smith, "john smi" finds John Smith, "j.smith@" finds
	// j.smith@example.com. Prefixes, not substrings, so that each word is a
	// range over an index and a search stays fast at millions of users.
	Query           string
	CreatedAfter    *time.Time
	CreatedBefore   *time.Time
	LastLoginAfter  *time.Time
	LastLoginBefore *time.Time
	UpdatedAfter    *time.Time
	UpdatedBefore   *time.Time
	// Match lists conditions on single fields, all of which must hold.
	Match []FieldMatch
	// Deactivated, when set, selects users with (true) or without (false)
	// a DeactivatedAt.
	Deactivated *bool
	// HasPassword, when set, selects users with (true) or without (false)
	// a password hash.
	HasPassword *bool
	// PasswordExpired, when set, selects users whose password has (true) or
	// has not (false) expired: marked to be changed at the next sign-in, or,
	// with PasswordSetBefore set, a password set (changed, or else created)
	// at or before that time. Users without a password have none expired
	// unless marked.
	PasswordExpired   *bool
	PasswordSetBefore *time.Time
	Sort              string // one of the Sort* keys; SortCreated by default
	Desc              bool
	Cursor            string // from the previous page
	// Offset skips that many users (after Cursor): the original library's
	// paging, which costs a walk over the users skipped. Cursor costs less.
	Offset int
	Limit  int // 50 by default; more than 1000 counts as 1000
}

// Fields a FieldMatch may name.
const (
	MatchID        = "id"
	MatchUsername  = "username"
	MatchEmail     = "email"
	MatchGivenName = "givenName"
	MatchSurname   = "surname"
)

// FieldMatch is a condition on one field of a user: the field equals Value
// or, with Prefix, starts with it, ignoring case (as Fold compares). Ids
// are compared exactly and take no prefix. Other fields, and an empty
// prefix, fail with EINVALID.
type FieldMatch struct {
	Field  string
	Prefix bool
	Value  string
}

// RoleStore keeps roles and who has them.
type RoleStore interface {
	// CreateRole fails with ECONFLICT when the account already has a role of
	// that name and ENOTFOUND when the account does not exist.
	CreateRole(ctx context.Context, r *Role) error
	FindRoleByID(ctx context.Context, id string) (*Role, error)
	FindRoleByName(ctx context.Context, accountID, name string) (*Role, error)
	// FindRoles lists the roles of an account ("" for all), ordered by name.
	FindRoles(ctx context.Context, accountID string) ([]*Role, error)
	// SearchRoles lists the roles matching f, ordered by name, then id.
	SearchRoles(ctx context.Context, f RoleFilter) ([]*Role, error)
	// CountRoles counts the roles matching f's AccountID and Query.
	CountRoles(ctx context.Context, f RoleFilter) (int, error)
	UpdateRole(ctx context.Context, id string, up RoleUpdate, now time.Time) (*Role, error)
	// DeleteRole deletes the role and every assignment of it.
	DeleteRole(ctx context.Context, id string) error
	// AddUserRole gives a user a role; giving it twice is not an error.
	AddUserRole(ctx context.Context, userID, roleID string) error
	// RemoveUserRole takes a role away; ENOTFOUND when the user lacked it.
	RemoveUserRole(ctx context.Context, userID, roleID string) error
}

// RoleFilter selects roles and a page of them. Zero fields do not filter;
// a zero Limit lists every role.
type RoleFilter struct {
	AccountID string
	Query     string // substring of the name or the description, case-insensitive
	// Sort is SortName (the default), SortDescription or SortStatus; the
	// last two tie on the name, then the id.
	Sort string
	Desc bool // descending
	// AfterName and AfterID are the name and id of the last role of the
	// previous page: the listing starts after it, in its order (keyset
	// pagination by name only; names repeat across accounts).
	AfterName, AfterID string
	// Offset skips that many roles (after AfterName): the original
	// library's paging.
	Offset int
	Limit  int
}

// SessionStore keeps sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	FindSessionByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	FindSessionByID(ctx context.Context, id string) (*Session, error)
	// FindSessionsByUser lists a user's sessions, newest first.
	FindSessionsByUser(ctx context.Context, userID string) ([]*Session, error)
	// TouchSessions records last-seen times in one batch (session id -> time);
	// a time never moves backwards and unknown ids are ignored.
	TouchSessions(ctx context.Context, seen map[string]time.Time) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of the user except exceptID and
	// returns the sessions it ended.
	DeleteUserSessions(ctx context.Context, userID, exceptID string) ([]*Session, error)
	// DeleteExpiredSessions removes sessions past their absolute expiry, or
	// (idleBefore non-zero) not Remembered and last seen before
	// idleBefore, and returns how
	// many it removed. Every node of a cluster sweeps: concurrent calls
	// remove each session once, without waiting long for one another.
	DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error)
}

// TokenStore keeps one-time tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t *OneTimeToken) error
	// FindToken returns a token that is unused and unexpired at now, or ENOTFOUND.
	FindToken(ctx context.Context, kind TokenKind, hash []byte, now time.Time) (*OneTimeToken, error)
	// ConsumeToken uses a token up. Of any number of concurrent calls for one
	// token exactly one succeeds; the others, and calls for used, expired or
	// unknown tokens, fail with ENOTFOUND.
	ConsumeToken(ctx context.Context, kind TokenKind, hash []byte, now time.Time) (*OneTimeToken, error)
	// DeleteUserTokens deletes the user's unused tokens of a kind.
	DeleteUserTokens(ctx context.Context, userID string, kind TokenKind) error
	// TakeTokenAttempts charges one attempt to every unused, unexpired
	// token of a kind bound to a browser (OneTimeToken.Browser) that has
	// been tried fewer than max times, and returns how many it charged. A
	// token is charged before its code is compared, so of any number of
	// concurrent guesses at most max are ever compared.
	TakeTokenAttempts(ctx context.Context, kind TokenKind, browser []byte, max int, now time.Time) (int, error)
	// FindTokenByCode returns the unused, unexpired token of a kind bound
	// to browser whose code hash is code and which has been tried at most
	// max times, without using it up (ConsumeToken does), or ENOTFOUND.
	FindTokenByCode(ctx context.Context, kind TokenKind, browser, code []byte, max int, now time.Time) (*OneTimeToken, error)
	// DeleteExpiredTokens deletes the tokens expired at now, used or not,
	// and returns how many it deleted; concurrent calls delete each token
	// once.
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error)
}

// EventStore keeps the audit log.
type EventStore interface {
	// CreateEvent appends an event and sets its ID.
	CreateEvent(ctx context.Context, e *Event) error
	// FindEvents returns events newest first.
	FindEvents(ctx context.Context, f EventFilter) ([]*Event, error)
}

// OutboxStore keeps emails waiting to be sent.
type OutboxStore interface {
	// EnqueueEmail adds an email and sets its ID.
	EnqueueEmail(ctx context.Context, m *OutboxEmail) error
	// ClaimEmails takes up to limit unsent emails due at now, adds one to
	// their attempts and hides them from other claims until now+lease, so
	// several senders never take the same email at once.
	ClaimEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*OutboxEmail, error)
	MarkEmailSent(ctx context.Context, id int64, now time.Time) error
	// MarkEmailFailed records an error and when to try again.
	MarkEmailFailed(ctx context.Context, id int64, errMsg string, next time.Time) error
	// FindEmails lists emails newest first (sent and unsent), for operators and tests.
	FindEmails(ctx context.Context, limit int) ([]*OutboxEmail, error)
}

// APIKeyStore keeps API keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	FindAPIKeyByID(ctx context.Context, id string) (*APIKey, error)
	FindAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	// FindAPIKeys lists the keys of an account ("" for all), newest first.
	FindAPIKeys(ctx context.Context, accountID string) ([]*APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, now time.Time) error
	TouchAPIKey(ctx context.Context, id string, now time.Time) error
	// FindAPIKeysDue lists the keys neither revoked nor recorded as expired
	// whose ExpiresAt is at or before absBefore, or (when idleBefore is not
	// zero) whose last use, or creation if never used, is at or before
	// idleBefore: those about to expire or expired (ASVS 2.10.1). Ordered
	// by id, after afterID, at most limit.
	FindAPIKeysDue(ctx context.Context, absBefore, idleBefore time.Time, afterID string, limit int) ([]*APIKey, error)
	// ClaimAPIKeyWarning sets WarnedAt to now unless a warning was recorded
	// since the key's last use (or creation), and reports whether it did:
	// of several callers at once, one wins.
	ClaimAPIKeyWarning(ctx context.Context, id string, now time.Time) (bool, error)
	// ExpireAPIKey sets ExpiredAt to now on a key neither revoked nor
	// expired, and reports whether it did: of several callers, one wins.
	ExpireAPIKey(ctx context.Context, id string, now time.Time) (bool, error)
}
