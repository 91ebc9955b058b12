package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/userdb/userdb"
)

// MFAOptions are the rules of second factors (config mfa.*).
type MFAOptions struct {
	// Default is the policy of accounts and roles that set none.
	Default userdb.MFAPolicy
	// Issuer names the service in authenticator apps.
	Issuer string
	// Grace is how long a user who must have a factor and has none still
	// gets a session (and is sent to enrolment); 0: enrolment first.
	Grace time.Duration
	// Admins is the rule for holders of an admin role (ASVS 4.3.1):
	// MFARequired requires a factor of them whatever the policies say,
	// with AdminsGrace instead of Grace; anything else adds no rule.
	Admins userdb.MFAPolicy
	// AdminsGrace is how long an administrator required a factor by Admins
	// alone may sign in without one, from the start of its grace (its
	// first sign-in as an administrator); 0: enrolment first.
	AdminsGrace time.Duration
	// RememberDevice is how long "remember this device" lasts; 0: off.
	RememberDevice time.Duration
	// StepUpMaxAge is how recent a second factor must be for sensitive
	// changes of a user who has one.
	StepUpMaxAge time.Duration
	// ReauthMaxAge is how recent a sign-in must be for the most sensitive
	// operations (ASVS 3.7.1); 0: no check.
	ReauthMaxAge time.Duration
	// URL is the page where users manage their factors, linked from the
	// emails.
	URL string
}

// Emails of second factors.
const (
	EmailFactorAdded   = "mfa-factor-added"
	EmailFactorRemoved = "mfa-factor-removed"
	EmailRecoveryUsed  = "mfa-recovery-code-used"
	EmailMFAReset      = "mfa-reset"
	// EmailCodeReused tells of a TOTP code used a second time within its
	// step (ASVS 2.8.5): someone else may have the password and the code.
	EmailCodeReused = "mfa-code-reused"
)

// Methods a pending sign-in can be completed with.
const (
	MethodTOTP     = "totp"
	MethodRecovery = "recovery_code"
)

// PendingMFAEnrol is the stage of a user who must add a second factor
// before any session: the pending state authorizes only the enrolment.
const PendingMFAEnrol userdb.PendingStage = "mfa_enrol"

// TOTP parameters: what every authenticator app understands (RFC 6238's
// defaults), and a window of one step either way for clocks that drift.
const (
	totpPeriod  = 30
	totpDigits  = otp.DigitsSix
	totpSkew    = 1
	totpKeySize = 20 // 160 bits, RFC 4226's recommendation
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

var (
	errBadCode      = userdb.Errorf(userdb.EUNAUTHORIZED, "Invalid code.")
	errNoFactor     = userdb.Errorf(userdb.ENOTFOUND, "No such factor.")
	errMFAOff       = userdb.Errorf(userdb.EFORBIDDEN, "Second factors are switched off for your account.")
	errLastRequired = userdb.Errorf(userdb.ECONFLICT, "Your account requires a second factor: add another before removing this one.")
	// ErrStepUp asks a user with a second factor to use it again before a
	// sensitive change; its Field lets clients tell it from other 403s.
	ErrStepUp = &userdb.Error{Code: userdb.EFORBIDDEN, Field: "step_up", Message: "Confirm it is you: sign in again with your second factor to do this."}
	// ErrReauth asks for a recent sign-in before a sensitive operation.
	ErrReauth = &userdb.Error{Code: userdb.EFORBIDDEN, Field: "reauth", Message: "Confirm it is you: sign in again to do this."}
)

// FactorInfo describes a factor for its owner and administrators; secrets
// stay out.
type FactorInfo struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// MFAStatus is what a user's second factors look like.
type MFAStatus struct {
	Policy            userdb.MFAPolicy `json:"policy"`
	Factors           []FactorInfo     `json:"factors"`
	RecoveryCodesLeft int              `json:"recovery_codes_left"`
	// EnrolRequired: the policy requires a factor and the user has none.
	EnrolRequired bool `json:"enrol_required"`
	// GraceUntil is when such a user stops getting sessions without one.
	GraceUntil *time.Time `json:"grace_until,omitempty"`
}

func factorInfo(f *userdb.Factor) FactorInfo {
	return FactorInfo{ID: f.ID, Kind: string(f.Kind), Name: f.Name, CreatedAt: f.CreatedAt, LastUsedAt: f.LastUsedAt}
}

// confirmedFactors returns u's factors that count.
func (s *Service) confirmedFactors(ctx context.Context, st userdb.Store, userID string) ([]*userdb.Factor, error) {
	all, err := st.FindUserFactors(ctx, userID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(f *userdb.Factor) bool { return f.ConfirmedAt == nil }), nil
}

// MFAPolicyOf returns the policy that applies to u: its account's (or the
// default), made stricter by any of its roles' — a role can require a
// factor in an account that only offers one, never the reverse — and
// required of an administrator under mfa.admins (adminmfa.go).
func (s *Service) MFAPolicyOf(ctx context.Context, u *userdb.User) (userdb.MFAPolicy, error) {
	r, err := s.mfaRuleOf(ctx, u)
	return r.policy, err
}

// policyOf is MFAPolicyOf without the administrators' rule.
func (s *Service) policyOf(ctx context.Context, u *userdb.User) (userdb.MFAPolicy, error) {
	ids := []string{u.AccountID}
	if len(u.Roles) > 0 {
		roles, err := heldRoles(ctx, s.store, u)
		if err != nil {
			return "", err
		}
		for _, r := range roles {
			ids = append(ids, r.ID)
		}
	}
	set, err := s.store.FindMFAPolicies(ctx, ids)
	if err != nil {
		return "", err
	}
	p := s.opts.MFA.Default
	if ap, ok := set[u.AccountID]; ok {
		p = ap
	}
	for _, id := range ids[1:] {
		if set[id] == userdb.MFARequired || (set[id] == userdb.MFAOptional && p == userdb.MFAOff) {
			p = set[id]
		}
	}
	return p, nil
}

// mfaStage is loginStage's part for second factors.
func (s *Service) mfaStage(ctx context.Context, u *userdb.User) (userdb.PendingStage, error) {
	rule, err := s.mfaRuleOf(ctx, u)
	if err != nil || rule.policy == userdb.MFAOff {
		return "", err
	}
	factors, err := s.secondFactors(ctx, u)
	if err != nil {
		return "", err
	}
	if len(factors) > 0 {
		if s.rememberedDevice(ctx, u) {
			return "", nil
		}
		return userdb.PendingMFA, nil
	}
	if rule.policy != userdb.MFARequired {
		return "", nil
	}
	if until, err := s.graceUntil(ctx, u, rule); err != nil {
		return "", err
	} else if until != nil && s.clock.Now().Before(*until) {
		return "", nil // a session, and the pages send the user to enrolment
	}
	return PendingMFAEnrol, nil
}

// graceUntil is when u, required a factor by rule and without one, stops
// getting sessions without one (nil: no grace). The grace starts at the
// first call, and ends when the user adds a factor (EndMFAGrace).
func (s *Service) graceUntil(ctx context.Context, u *userdb.User, rule mfaRule) (*time.Time, error) {
	if rule.grace <= 0 {
		return nil, nil
	}
	start, err := s.store.StartMFAGrace(ctx, u.ID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	return ptr(start.Add(rule.grace)), nil
}

// MFAStatusOf describes u's second factors.
func (s *Service) MFAStatusOf(ctx context.Context, u *userdb.User) (*MFAStatus, error) {
	rule, err := s.mfaRuleOf(ctx, u)
	if err != nil {
		return nil, err
	}
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil {
		return nil, err
	}
	st := &MFAStatus{Policy: rule.policy, Factors: []FactorInfo{}}
	for _, f := range factors {
		st.Factors = append(st.Factors, factorInfo(f))
	}
	if st.RecoveryCodesLeft, err = s.store.CountRecoveryCodes(ctx, u.ID); err != nil {
		return nil, err
	}
	if rule.policy == userdb.MFARequired && len(factors) == 0 {
		st.EnrolRequired = true
		if st.GraceUntil, err = s.graceUntil(ctx, u, rule); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// secondFactors are u's confirmed factors that VerifyMFA can check after a
// password: authenticator apps, and passkeys while passkeys are on (with
// them off, a passkey could not answer the stage it would start).
func (s *Service) secondFactors(ctx context.Context, u *userdb.User) ([]*userdb.Factor, error) {
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil || s.webauthn != nil {
		return factors, err
	}
	return slices.DeleteFunc(factors, func(f *userdb.Factor) bool { return f.Kind == userdb.FactorWebAuthn }), nil
}

// Methods lists the ways u can complete a second-factor stage.
func (s *Service) Methods(ctx context.Context, u *userdb.User) ([]string, error) {
	factors, err := s.secondFactors(ctx, u)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range factors {
		m := string(f.Kind)
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if n, err := s.store.CountRecoveryCodes(ctx, u.ID); err != nil {
		return nil, err
	} else if n > 0 {
		out = append(out, MethodRecovery)
	}
	return out, nil
}

// TOTPEnrolment is a TOTP factor waiting for its first code.
type TOTPEnrolment struct {
	FactorID string `json:"factor_id"`
	// Secret is the key in base32, for typing into an app.
	Secret string `json:"secret"`
	// URI is the otpauth:// URI a QR code carries.
	URI string `json:"otpauth_uri"`
}

// BeginTOTP starts adding an authenticator app for the signed-in u: a new
// key, sealed with the instance key, in an unconfirmed factor that counts
// for nothing until ConfirmTOTP. An earlier unconfirmed one is dropped.
func (s *Service) BeginTOTP(ctx context.Context, u *userdb.User) (*TOTPEnrolment, error) {
	if err := s.mayAddFactor(ctx, u); err != nil {
		return nil, err
	}
	return s.beginTOTP(ctx, u)
}

// mayAddFactor refuses adding a factor to the signed-in u without a recent
// proof: a second factor (stepUp) from a user who has one, a recent
// sign-in (Reauth) from one who has none — else a stolen session could add
// its own authenticator, which a required policy then makes the user's way
// in (and which hands the thief the recovery codes).
func (s *Service) mayAddFactor(ctx context.Context, u *userdb.User) error {
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil {
		return err
	}
	if len(factors) > 0 {
		return s.stepUp(ctx, u)
	}
	return s.Reauth(ctx)
}

// BeginTOTPPending is BeginTOTP for a user at the enrolment stage.
func (s *Service) BeginTOTPPending(ctx context.Context, p *Pending) (*TOTPEnrolment, error) {
	if p.Stage != PendingMFAEnrol {
		return nil, errPendingGone
	}
	return s.beginTOTP(ctx, p.User)
}

func (s *Service) beginTOTP(ctx context.Context, u *userdb.User) (*TOTPEnrolment, error) {
	if policy, err := s.MFAPolicyOf(ctx, u); err != nil {
		return nil, err
	} else if policy == userdb.MFAOff {
		return nil, errMFAOff
	}
	if s.sealer == nil {
		return nil, userdb.Errorf(userdb.EINTERNAL, "no instance key to seal secrets with")
	}
	all, err := s.store.FindUserFactors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	key := make([]byte, totpKeySize)
	rand.Read(key)
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
	id := userdb.NewID("fac")
	sealed, err := s.sealer.Seal([]byte(secret), factorAD(id))
	if err != nil {
		return nil, err
	}
	f := &userdb.Factor{ID: id, UserID: u.ID, Kind: userdb.FactorTOTP, Name: "Authenticator app", Secret: sealed, CreatedAt: s.clock.Now()}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		for _, old := range all {
			if old.Kind == userdb.FactorTOTP && old.ConfirmedAt == nil {
				if err := tx.DeleteFactor(ctx, old.ID); err != nil && !userdb.IsCode(err, userdb.ENOTFOUND) {
					return err
				}
			}
		}
		return tx.CreateFactor(ctx, f)
	})
	if err != nil {
		return nil, err
	}
	account := u.Email
	if account == "" {
		account = u.Username
	}
	k, err := otp.NewKeyFromURL("otpauth://totp/" + pathEscape(s.opts.MFA.Issuer) + ":" + pathEscape(account) +
		"?secret=" + secret + "&issuer=" + queryEscape(s.opts.MFA.Issuer) + "&algorithm=SHA1&digits=6&period=30")
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{FactorID: id, Secret: secret, URI: k.URL()}, nil
}

// factorAD binds a sealed factor secret to its row.
func factorAD(id string) []byte { return []byte("factor:" + id) }

// Enrolled is the result of confirming a factor.
type Enrolled struct {
	Factor FactorInfo `json:"factor"`
	// RecoveryCodes are shown once: set when this was the user's first
	// factor (or the user had no codes left).
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	// Login is the session a user at the enrolment stage gets.
	Login *Login `json:"-"`
}

// ConfirmTOTP confirms the signed-in u's unconfirmed factor with its first
// code: the factor counts from now on, and the user gets recovery codes
// if it has none.
func (s *Service) ConfirmTOTP(ctx context.Context, u *userdb.User, factorID, code string) (*Enrolled, error) {
	if err := s.stepUp(ctx, u); err != nil {
		return nil, err
	}
	return s.confirmTOTP(ctx, u, factorID, code, nil)
}

// ConfirmTOTPPending is ConfirmTOTP at the enrolment stage: it also
// completes the sign-in (Enrolled.Login).
func (s *Service) ConfirmTOTPPending(ctx context.Context, p *Pending, factorID, code string) (*Enrolled, error) {
	if p.Stage != PendingMFAEnrol {
		return nil, errPendingGone
	}
	return s.confirmTOTP(ctx, p.User, factorID, code, p)
}

func (s *Service) confirmTOTP(ctx context.Context, u *userdb.User, factorID, code string, p *Pending) (*Enrolled, error) {
	f, err := s.store.FindFactor(ctx, strings.TrimSpace(factorID))
	if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && (f.UserID != u.ID || f.Kind != userdb.FactorTOTP || f.ConfirmedAt != nil)) {
		return nil, userdb.FieldError("factor_id", "No such factor waiting for its first code; start again.")
	} else if err != nil {
		return nil, err
	}
	step, ok, err := s.checkTOTP(f, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		// A wrong first code proves nothing about the account: not a
		// failed sign-in, so not counted toward the lockout.
		return nil, userdb.FieldError("code", "That code is not right; check the time on your device and try the next one.")
	}
	var codes []string
	out := &Enrolled{}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.ConfirmFactor(ctx, f.ID, step, s.clock.Now()); userdb.IsCode(err, userdb.ENOTFOUND) {
			return userdb.FieldError("factor_id", "No such factor waiting for its first code; start again.")
		} else if err != nil {
			return err
		}
		n, err := tx.CountRecoveryCodes(ctx, u.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			if codes, err = s.newRecoveryCodes(ctx, tx, u); err != nil {
				return err
			}
		}
		if err := tx.EndMFAGrace(ctx, u.ID); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "mfa.factor_added", u, map[string]any{"factor": f.ID, "kind": string(f.Kind)}); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailFactorAdded, u, s.opts.MFA.URL)
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	f.ConfirmedAt = ptr(s.clock.Now())
	out.Factor, out.RecoveryCodes = factorInfo(f), codes
	if p != nil {
		if out.Login, err = s.CompletePending(ctx, p, "otp"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkTOTP reports whether code is f's code for the current step or one
// either side, and which step it is. Every step is compared in constant
// time, and all three are always computed.
func (s *Service) checkTOTP(f *userdb.Factor, code string) (int64, bool, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	secret, err := s.sealer.Open(f.Secret, factorAD(f.ID))
	if err != nil {
		return 0, false, userdb.Errorf(userdb.EINTERNAL, "a factor's secret does not open: %v", err)
	}
	now := s.clock.Now().Unix() / totpPeriod
	var match int64
	found := false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := hotp.GenerateCodeCustom(string(secret), uint64(now+d), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false, userdb.Errorf(userdb.EINTERNAL, "computing a TOTP code: %v", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !found {
			match, found = now+d, true
		}
	}
	return match, found, nil
}

// MFAProof is what a user sends to complete a second-factor stage.
type MFAProof struct {
	Method string // MethodTOTP, MethodRecovery or MethodWebAuthn; "" guesses from the code
	Code   string
	// State and Answer are a passkey's: the ceremony of BeginPasskeyMFA
	// and the browser's assertion (MethodWebAuthn).
	State  string
	Answer []byte
	// Remember asks to skip the second factor on this browser for
	// MFAOptions.RememberDevice.
	Remember bool
}

// VerifyMFA completes a pending sign-in at the second-factor stage. A
// wrong code counts toward the lockout like a wrong password (a user it
// locks cannot go on); a TOTP code is accepted once (its step is stored
// with an UPDATE that requires it to grow, so a replay or a concurrent
// second use fails); a recovery code is used up, recorded and mailed.
func (s *Service) VerifyMFA(ctx context.Context, p *Pending, proof MFAProof) (*Login, error) {
	if p.Stage != userdb.PendingMFA {
		return nil, errPendingGone
	}
	if p.User.Status != userdb.StatusEnabled {
		return nil, errPendingGone
	}
	method := proof.Method
	code := strings.TrimSpace(proof.Code)
	if method != MethodWebAuthn {
		if code == "" {
			return nil, userdb.FieldError("code", "Enter the code.")
		}
		if len(code) > 64 {
			return nil, userdb.FieldError("code", "That is not a code.")
		}
	}
	if method == "" {
		method = MethodTOTP
		if len(strings.ReplaceAll(code, " ", "")) > 8 {
			method = MethodRecovery
		}
	}
	var amr string
	var err error
	switch method {
	case MethodTOTP:
		amr, err = s.useTOTP(ctx, p.User, code)
	case MethodRecovery:
		amr, err = s.useRecoveryCode(ctx, p.User, code)
	case MethodWebAuthn:
		amr, err = s.usePasskeyFactor(ctx, p, proof.State, proof.Answer)
	default:
		return nil, userdb.FieldError("method", "Unknown method %q.", method)
	}
	if err == errBadCode || err == errBadPasskey {
		if cerr := s.countFailure(ctx, p.User, "mfa.failed", method); cerr != nil {
			return nil, cerr
		}
		return nil, err
	} else if err != nil {
		return nil, err
	}
	l, err := s.CompletePending(ctx, p, amr)
	if err != nil {
		return nil, err
	}
	if proof.Remember && s.opts.MFA.RememberDevice > 0 {
		if l.RememberSecret, err = s.rememberMFADevice(ctx, p.User); err != nil {
			s.log.WarnContext(ctx, "remembering a device", "err", err)
		}
	}
	return l, nil
}

// useTOTP checks code against u's TOTP factors and uses the matching step.
func (s *Service) useTOTP(ctx context.Context, u *userdb.User, code string) (string, error) {
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil {
		return "", err
	}
	for _, f := range factors {
		if f.Kind != userdb.FactorTOTP {
			continue
		}
		step, ok, err := s.checkTOTP(f, code)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		err = s.store.UseFactor(ctx, f.ID, step, s.clock.Now())
		if userdb.IsCode(err, userdb.ECONFLICT) {
			if step == f.Counter {
				// The very code that was used (an older step's code after a
				// newer one is refused as well, but is no second use).
				s.codeReused(ctx, u, f)
			}
			return "", errBadCode
		}
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return "", errBadCode // removed meanwhile
		}
		return "otp", err
	}
	return "", errBadCode
}

// codeReused records a right code used again within its step (a replay,
// or a second person with the code) and tells the user (ASVS 2.8.5). The
// sign-in is refused and counted like a wrong code all the same.
func (s *Service) codeReused(ctx context.Context, u *userdb.User, f *userdb.Factor) {
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := s.record(ctx, tx, "mfa.code_reused", u, map[string]any{"factor": f.ID}); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailCodeReused, u, s.opts.MFA.URL)
	})
	if err != nil {
		s.log.WarnContext(ctx, "recording a reused code", "err", err)
		return
	}
	s.kick()
}

// normalizeRecoveryCode ignores case, spaces and dashes.
func normalizeRecoveryCode(code string) string {
	code = strings.ToLower(code)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
}

// recoveryAlphabet has no letters easily taken for others (0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode is 16 characters of recoveryAlphabet (79 bits) in groups
// of four. Bytes at or above the largest multiple of the alphabet's size
// are drawn again, so that every character is as likely as the others.
func newRecoveryCode() string {
	const n, limit = len(recoveryAlphabet), 256 - 256%len(recoveryAlphabet)
	var b strings.Builder
	buf := make([]byte, 32)
	for count := 0; count < 16; {
		rand.Read(buf)
		for _, x := range buf {
			if int(x) >= limit || count == 16 {
				continue
			}
			if count > 0 && count%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[int(x)%n])
			count++
		}
	}
	return b.String()
}

// recoveryCodeHash is what the store keeps of a recovery code: SHA-256 of
// the normalized code salted with the user's id (80 random bits, unique),
// as ASVS 2.6.2 asks of lookup secrets under 112 bits: one table of
// precomputed hashes cannot serve every user.
func recoveryCodeHash(userID, code string) []byte {
	return userdb.HashSecret("recovery:" + userID + ":" + normalizeRecoveryCode(code))
}

// newRecoveryCodes replaces u's recovery codes through st and returns them:
// 16 characters of 31 each (79 bits), so that SHA-256 is enough to store
// them — no guessing them offline from the hash.
func (s *Service) newRecoveryCodes(ctx context.Context, st userdb.Store, u *userdb.User) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryCodeHash(u.ID, codes[i])
	}
	if err := st.ReplaceRecoveryCodes(ctx, u.ID, hashes, s.clock.Now()); err != nil {
		return nil, err
	}
	return codes, s.record(ctx, st, "mfa.recovery_codes_generated", u, map[string]any{"count": RecoveryCodeCount})
}

// useRecoveryCode uses up one of u's recovery codes: an event and an
// email, in the same transaction.
func (s *Service) useRecoveryCode(ctx context.Context, u *userdb.User, code string) (string, error) {
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		err := tx.UseRecoveryCode(ctx, u.ID, recoveryCodeHash(u.ID, code), s.clock.Now())
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			// Codes made before they were salted with the user's id.
			err = tx.UseRecoveryCode(ctx, u.ID, userdb.HashSecret(normalizeRecoveryCode(code)), s.clock.Now())
		}
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadCode
		} else if err != nil {
			return err
		}
		left, err := tx.CountRecoveryCodes(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "mfa.recovery_code_used", u, map[string]any{"left": left}); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailRecoveryUsed, u, s.opts.MFA.URL)
	})
	if err != nil {
		return "", err
	}
	s.kick()
	return "otp", nil
}

// RegenerateRecoveryCodes voids the signed-in u's recovery codes and
// returns ten new ones, shown once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, u *userdb.User) ([]string, error) {
	if err := s.stepUp(ctx, u); err != nil {
		return nil, err
	}
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil {
		return nil, err
	}
	if len(factors) == 0 {
		return nil, userdb.Errorf(userdb.ECONFLICT, "Add a second factor first.")
	}
	var codes []string
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		codes, err = s.newRecoveryCodes(ctx, tx, u)
		return err
	})
	return codes, err
}

// RemoveFactor removes one of the signed-in u's factors. The last factor
// of a user whose policy requires one stays; removing the last factor
// voids the recovery codes and the remembered devices too.
func (s *Service) RemoveFactor(ctx context.Context, u *userdb.User, id string) error {
	if err := s.stepUp(ctx, u); err != nil {
		return err
	}
	f, err := s.store.FindFactor(ctx, strings.TrimSpace(id))
	if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && f.UserID != u.ID) {
		return errNoFactor
	} else if err != nil {
		return err
	}
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil {
		return err
	}
	last := f.ConfirmedAt != nil && len(factors) == 1
	if last {
		if policy, err := s.MFAPolicyOf(ctx, u); err != nil {
			return err
		} else if policy == userdb.MFARequired {
			return errLastRequired
		}
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteFactor(ctx, f.ID); userdb.IsCode(err, userdb.ENOTFOUND) {
			return errNoFactor
		} else if err != nil {
			return err
		}
		if f.ConfirmedAt == nil {
			return nil // an enrolment never finished: nothing to tell
		}
		if last {
			if err := tx.ReplaceRecoveryCodes(ctx, u.ID, nil, s.clock.Now()); err != nil {
				return err
			}
			if _, err := tx.DeleteUserMFADevices(ctx, u.ID); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, "mfa.factor_removed", u, map[string]any{"factor": f.ID, "kind": string(f.Kind), "last": last}); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailFactorRemoved, u, s.opts.MFA.URL)
	})
	if err == nil {
		s.kick()
	}
	return err
}

// AdminUserFactors lists a user's factors for an administrator.
func (s *Service) AdminUserFactors(ctx context.Context, id string) (*MFAStatus, error) {
	_, u, err := s.adminUser(ctx, "users.factors", id, false)
	if err != nil {
		return nil, err
	}
	return s.MFAStatusOf(ctx, u)
}

// AdminResetMFA removes every factor, recovery code and remembered device
// of a user (a lost phone): an event and an email to the user. A user
// whose policy requires a factor enrols again at the next sign-in.
func (s *Service) AdminResetMFA(ctx context.Context, id string) (int, error) {
	const action = "users.reset_mfa"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return 0, err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return 0, err
	}
	if err := s.stepUp(ctx, nil); err != nil {
		return 0, err
	}
	var n int
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		var err error
		if n, err = tx.DeleteUserFactors(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, nil, s.clock.Now()); err != nil {
			return err
		}
		if _, err := tx.DeleteUserMFADevices(ctx, u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserPendingLogins(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.EndMFAGrace(ctx, u.ID); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "mfa.reset", u, map[string]any{"factors": n}); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailMFAReset, u, s.opts.MFA.URL)
	})
	if err != nil {
		return 0, err
	}
	s.kick()
	return n, nil
}

// AdminSetMFAPolicy sets the policy of an account or a role ("" removes
// it: the default applies). Only super-admins change an account's policy
// or the default account's roles'; an admin may set its own account's
// roles'.
func (s *Service) AdminSetMFAPolicy(ctx context.Context, subjectID string, p userdb.MFAPolicy) error {
	const action = "mfa.policy"
	if p != "" && !p.Valid() {
		return userdb.FieldError("policy", "Policy must be off, optional or required.")
	}
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return err
	}
	subjectID = strings.TrimSpace(subjectID)
	var accountID string
	switch {
	case strings.HasPrefix(subjectID, "acc_"):
		a, err := s.store.FindAccountByID(ctx, subjectID)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return errNoAccount
		} else if err != nil {
			return err
		}
		if !sc.in(a.ID) {
			return s.deny(ctx, errNoAccount, action, target{id: a.ID, accountID: a.ID})
		}
		accountID = a.ID
		if err := s.requireSuper(ctx, sc, action, target{id: a.ID, accountID: a.ID}); err != nil {
			return err
		}
	case strings.HasPrefix(subjectID, "rol_"):
		r, err := s.store.FindRoleByID(ctx, subjectID)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return errNoRole
		} else if err != nil {
			return err
		}
		if !sc.in(r.AccountID) {
			return s.deny(ctx, errNoRole, action, target{id: r.ID, accountID: r.AccountID})
		}
		accountID = r.AccountID
	default:
		return userdb.FieldError("id", "Name an account (acc_...) or a role (rol_...).")
	}
	if err := s.stepUp(ctx, nil); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.SetMFAPolicy(ctx, subjectID, p, s.clock.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, "mfa.policy_set", nil, map[string]any{"subject": subjectID, "account": accountID, "policy": string(p)})
	})
}

// MFAPolicies returns the policies set on the ids (accounts and roles).
func (s *Service) MFAPolicies(ctx context.Context, ids []string) (map[string]userdb.MFAPolicy, error) {
	return s.store.FindMFAPolicies(ctx, ids)
}

// rememberMFADevice records this browser as one that skips u's second
// factor for RememberDevice, and returns the cookie's secret: a random
// value whose hash is stored, so the record is revocable (reset, removing
// the last factor, securing the account) and cannot be forged.
func (s *Service) rememberMFADevice(ctx context.Context, u *userdb.User) (string, error) {
	secret, hash := userdb.NewSecret()
	now := s.clock.Now()
	m := MetaFrom(ctx)
	err := s.store.CreateMFADevice(ctx, &userdb.MFADevice{TokenHash: hash, UserID: u.ID, CreatedAt: now,
		ExpiresAt: now.Add(s.opts.MFA.RememberDevice), IP: m.IP, UserAgent: m.UserAgent})
	return secret, err
}

// rememberedDevice reports whether the request carries u's unexpired
// remembered-device secret (Meta.MFADevice).
func (s *Service) rememberedDevice(ctx context.Context, u *userdb.User) bool {
	secret := MetaFrom(ctx).MFADevice
	if secret == "" || len(secret) > maxSecretLen || s.opts.MFA.RememberDevice <= 0 {
		return false
	}
	_, err := s.store.FindMFADevice(ctx, u.ID, userdb.HashSecret(secret), s.clock.Now())
	return err == nil
}

// callerSession returns the session of the request's signed-in caller
// (nil when it was not made through one: the system, an API key, a
// program using the library).
func (s *Service) callerSession(ctx context.Context) (*userdb.User, *userdb.Session) {
	if a, ok := ActorFrom(ctx); ok && (a.system || a.KeyID != "") {
		return nil, nil
	}
	secret := MetaFrom(ctx).Session
	if secret == "" {
		return nil, nil
	}
	u, sess, err := s.Authenticate(ctx, secret)
	if err != nil {
		return nil, nil
	}
	return u, sess
}

// stepUp refuses a sensitive change (password, email, factors, admin
// actions) by a caller whose session has a second factor available but
// did not use one within StepUpMaxAge (ErrStepUp). Callers without a
// session and users without a factor pass: what they must prove is the
// recent sign-in of reauth, or the current password the change asks for.
// u is the user the change is about when it is the caller (nil: the
// caller is found from the session).
func (s *Service) stepUp(ctx context.Context, u *userdb.User) error {
	cu, sess := s.callerSession(ctx)
	if sess == nil || s.opts.MFA.StepUpMaxAge <= 0 {
		return nil
	}
	if u == nil {
		u = cu
	}
	if u.ID != sess.UserID {
		return nil
	}
	fresh := s.clock.Now().Sub(sess.CreatedAt) <= s.opts.MFA.StepUpMaxAge
	if fresh && slices.Contains(sess.AMR, "mfa") {
		return nil
	}
	factors, err := s.confirmedFactors(ctx, s.store, u.ID)
	if err != nil {
		return err
	}
	if len(factors) == 0 {
		return nil
	}
	s.recordRefusal(ctx, "auth.step_up_required", u, map[string]any{"session": sess.ID})
	return ErrStepUp
}

// Reauth refuses one of the most sensitive operations (ASVS 3.7.1, 4.3.3:
// ending all sessions, creating API keys, changing another user's email
// or password, granting admin roles) by a caller whose session started
// more than ReauthMaxAge ago (ErrReauth), and asks a user with a second
// factor for it too (ErrStepUp). The system, API keys and programs pass.
func (s *Service) Reauth(ctx context.Context) error {
	u, sess := s.callerSession(ctx)
	if sess == nil {
		return nil
	}
	if s.opts.MFA.ReauthMaxAge > 0 {
		if err := s.sessionYoungerThan(ctx, u, sess, s.opts.MFA.ReauthMaxAge); err != nil {
			return err
		}
	}
	return s.stepUp(ctx, u)
}

// sessionYoungerThan refuses (ErrReauth, recorded) a session of u started
// more than maxAge ago.
func (s *Service) sessionYoungerThan(ctx context.Context, u *userdb.User, sess *userdb.Session, maxAge time.Duration) error {
	if s.clock.Now().Sub(sess.CreatedAt) > maxAge {
		s.recordRefusal(ctx, "auth.reauth_required", u, map[string]any{"session": sess.ID})
		return ErrReauth
	}
	return nil
}

// Reauthenticate confirms the signed-in caller's identity again: the
// password (counted toward the lockout like any sign-in), then, for a user
// with a second factor, a code. It replaces the session by a new one
// whose start is now, so that every recency check passes for a while.
func (s *Service) Reauthenticate(ctx context.Context, u *userdb.User, password string, proof MFAProof) (*Login, error) {
	m := MetaFrom(ctx)
	m.MFADevice = "" // a remembered browser is no proof here
	ctx = WithMeta(ctx, m)
	l, err := s.Login(ctx, loginName(u), password)
	if err != nil {
		return nil, err
	}
	if l.Pending == nil {
		return l, nil
	}
	if l.Pending.Stage != userdb.PendingMFA {
		return l, nil // another stage: the caller goes through it
	}
	if strings.TrimSpace(proof.Code) == "" && proof.Method != MethodWebAuthn {
		_ = s.usePending(ctx, s.store, l.Pending)
		return nil, userdb.FieldError("code", "Enter the code from your authenticator app, or use your passkey.")
	}
	p := &Pending{PendingLogin: l.Pending.PendingLogin, User: l.Pending.User}
	return s.VerifyMFA(ctx, p, proof)
}

func loginName(u *userdb.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.Username
}

func pathEscape(s string) string  { return url.PathEscape(s) }
func queryEscape(s string) string { return url.QueryEscape(s) }

// RememberDeviceFor is how long "remember this device" lasts (0: off).
func (s *Service) RememberDeviceFor() time.Duration { return s.opts.MFA.RememberDevice }

// isAdminRole reports whether a role name grants administrative rights
// (admin or super-admin).
func (s *Service) isAdminRole(name string) bool {
	return s.isSuperRole(name) || strings.EqualFold(strings.TrimSpace(name), userdb.RoleAdmin)
}
