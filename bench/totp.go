package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpPeriod is the step of userdb's TOTP codes (RFC 6238's default).
const totpPeriod = 30

// totpUser is a seeded user with a confirmed TOTP factor.
type totpUser struct {
	login, secret string
	// last is the newest step whose code the user has used: the server
	// takes each step once per user, and only a newer one after it.
	last atomic.Int64
}

// loginTOTP measures the sign-in of users with a confirmed TOTP factor
// through the JSON API: POST /login with the password, then POST
// /login/mfa with the code computed from the secret, as an authenticator
// app would. One sign-in is both requests. Its ceiling is the raw hash, as
// login's is: the second step adds no hash.
func (h *harness) loginTOTP(ctx context.Context, r *Result) error {
	if h.users == 0 {
		return skipError("needs seeded users: it enrols them in TOTP first")
	}
	conc := h.o.concurrencyFor(scLogin)
	users, err := h.enrolTOTP(ctx, min(h.o.totpUsers, h.users), conc)
	if err != nil {
		return err
	}
	c := newClient(conc)
	defer c.close()
	var next atomic.Int64
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(ctx context.Context, _, _ int) (int, error) {
		u, step := claimTOTPStep(users, &next, time.Now())
		if u == nil {
			return 0, fmt.Errorf("every one of the %d TOTP users has used its codes of this step: raise --totp-users", len(users))
		}
		return signInTOTP(ctx, c.do, h.tgt.base, u, step)
	})
	r.fill(s, conc)
	h.ratio(r, scHash)
	r.Notes = append(r.Notes, fmt.Sprintf("%d users with a TOTP factor, enrolled through the API before the run; a sign-in is POST /login and POST /login/mfa", len(users)))
	return nil
}

// claimTOTPStep picks the next user, round robin, that still has a code to
// use at now: the step after its last one, if the server accepts that step
// now (the current one or the next, as a clock running ahead would send).
// It returns nil when every user has used both.
func claimTOTPStep(users []*totpUser, next *atomic.Int64, now time.Time) (*totpUser, int64) {
	current := now.Unix() / totpPeriod
	for range users {
		u := users[int(next.Add(1))%len(users)]
		last := u.last.Load()
		step := max(last+1, current)
		if step > current+1 {
			continue
		}
		if u.last.CompareAndSwap(last, step) {
			return u, step
		}
	}
	return nil, 0
}

// signInTOTP signs u in at base with its password and the code of step,
// each request made by do, and returns the status of the last answer.
func signInTOTP(ctx context.Context, do func(*http.Request) (*http.Response, error), base string, u *totpUser, step int64) (int, error) {
	req, err := loginRequest(ctx, base, u.login, benchPassword)
	if err != nil {
		return 0, err
	}
	res, err := do(req)
	if err != nil {
		return 0, err
	}
	var first struct {
		MFARequired bool `json:"mfa_required"`
	}
	err = json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&first)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil
	}
	if err != nil || !first.MFARequired {
		return 0, fmt.Errorf("POST /login of a TOTP user did not ask for the second factor (%v)", err)
	}
	code, err := totpCode(u.secret, step)
	if err != nil {
		return 0, err
	}
	req, err = jsonRequest(ctx, base+"/login/mfa", `{"code":`+quote(code)+`}`)
	if err != nil {
		return 0, err
	}
	setCookies(req, res.Cookies()) // the pending sign-in
	if res, err = do(req); err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}

// enrolTOTP gives n seeded users a confirmed TOTP factor as a user would
// on the JSON API: sign in, POST /me/mfa/totp, confirm with the first
// code. Each costs a hash; conc of them run at once.
func (h *harness) enrolTOTP(ctx context.Context, n, conc int) ([]*totpUser, error) {
	h.logf("  enrolling %d users in TOTP", n)
	users := make([]*totpUser, n)
	errs := make(chan error, conc)
	var wg sync.WaitGroup
	c := newClient(conc)
	defer c.close()
	var next atomic.Int64
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				// The last users, so that login (random users) and the
				// storm mostly meet users without a factor.
				u, err := h.enrolOne(ctx, c, emailOf(h.tag, h.users-1-i))
				if err != nil {
					errs <- err
					return
				}
				users[i] = u
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("enrolling TOTP users: %w", err)
	}
	return users, nil
}

// enrolOne enrols the user login.
func (h *harness) enrolOne(ctx context.Context, c *client, login string) (*totpUser, error) {
	ctx, cancel := context.WithTimeout(ctx, h.o.timeout)
	defer cancel()
	req, err := loginRequest(ctx, h.tgt.base, login, benchPassword)
	if err != nil {
		return nil, err
	}
	res, err := c.do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST /login as %s answered %d", login, res.StatusCode)
	}
	session := res.Cookies() // the session's, and the device's
	var begun struct {
		FactorID string `json:"factor_id"`
		Secret   string `json:"secret"`
	}
	if err := h.postJSON(ctx, c, session, "/me/mfa/totp", `{}`, &begun); err != nil {
		return nil, err
	}
	now := time.Now().Unix() / totpPeriod
	code, err := totpCode(begun.Secret, now)
	if err != nil {
		return nil, err
	}
	body := `{"factor_id":` + quote(begun.FactorID) + `,"code":` + quote(code) + `}`
	if err := h.postJSON(ctx, c, session, "/me/mfa/totp/confirm", body, nil); err != nil {
		return nil, err
	}
	u := &totpUser{login: login, secret: begun.Secret}
	u.last.Store(now)
	return u, nil
}

// postJSON posts body to path with the session's cookies and decodes a
// 200 answer into v (if not nil).
func (h *harness) postJSON(ctx context.Context, c *client, session []*http.Cookie, path, body string, v any) error {
	req, err := jsonRequest(ctx, h.tgt.base+path, body)
	if err != nil {
		return err
	}
	setCookies(req, session)
	res, err := c.do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s answered %d: %.200s", path, res.StatusCode, b)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(b, v)
}

// totpCode is the code of secret at step, as an authenticator app shows it.
func totpCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
}

// jsonRequest returns a POST of a JSON body that asks for JSON.
func jsonRequest(ctx context.Context, url, body string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// setCookies sends cookies with req, as a browser that received them would.
func setCookies(req *http.Request, cookies []*http.Cookie) {
	for _, ck := range cookies {
		if ck.Value != "" && ck.MaxAge >= 0 {
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
}
