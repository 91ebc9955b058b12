package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// skipError is why a scenario cannot run in this setting.
type skipError string

func (e skipError) Error() string { return string(e) }

// scenario runs one scenario and returns its result.
func (h *harness) scenario(ctx context.Context, name string) *Result {
	r := &Result{Scenario: name, OtherCPU: -1}
	before := snapCPU(h.pids()...)
	var err error
	switch name {
	case scStartup:
		err = h.startup(r)
	case scTrivial:
		err = h.trivial(ctx, r)
	case scMe:
		err = h.me(ctx, r)
	case scHash:
		err = h.hash(ctx, r)
	case scLogin:
		err = h.login(ctx, r)
	case scLoginStorm:
		err = h.loginStorm(ctx, r)
	case scLoginTOTP:
		err = h.loginTOTP(ctx, r)
	case scRegister:
		err = h.register(ctx, r)
	case scForgot:
		err = h.forgot(ctx, r)
	case scAdminSearch:
		err = h.adminSearch(ctx, r)
	case scImport:
		err = h.importUsers(ctx, r)
	case scSign:
		err = h.sign(ctx, r)
	case scOAuthToken:
		err = h.oauthToken(ctx, r)
	case scOAuthIntrospect:
		err = h.oauthIntrospect(ctx, r)
	}
	// The import's own process is not one of h.pids: its CPU would count as
	// another process's.
	if other := otherCPU(before, snapCPU(h.pids()...)); other >= 0 && name != scStartup && name != scImport {
		r.OtherCPU = round(100*other, 1)
	}
	var skip skipError
	if errors.As(err, &skip) {
		r.Skipped = string(skip)
	} else if err != nil {
		r.Error = err.Error()
	}
	return r
}

// startup reports the start-up times and idle memory of userdb serve,
// measured when the harness started it.
func (h *harness) startup(r *Result) error {
	if len(h.startups) == 0 {
		if h.report.OpenMS > 0 {
			return skipError(fmt.Sprintf("needs --bin to time the binary (in this process server.Open took %.1f ms)", h.report.OpenMS))
		}
		return skipError("needs --bin")
	}
	for _, d := range h.startups {
		r.StartupMS = append(r.StartupMS, round(ms(d), 1))
	}
	r.IdleRSSMB = round(h.idleRSS, 1)
	r.Notes = append(r.Notes, "from starting the process to the first 200 from GET /healthz, with the seeded database already migrated")
	return nil
}

// pids returns the processes whose CPU time counts as the measurement's:
// this one and the server's.
func (h *harness) pids() []int {
	pids := []int{os.Getpid()}
	if h.tgt.pid != 0 && h.tgt.pid != os.Getpid() {
		pids = append(pids, h.tgt.pid)
	}
	return pids
}

// loop is closedLoop that also measures the CPU time it cost. A request
// still unanswered --timeout after the end is cancelled.
func (h *harness) loop(ctx context.Context, conc int, d time.Duration, expect int, fn call) *sample {
	ctx, cancel := context.WithTimeout(ctx, d+h.o.timeout)
	defer cancel()
	before := snapCPU(h.pids()...)
	s := closedLoop(ctx, conc, d, h.o.maxRequests, expect, fn)
	s.cpu(before, snapCPU(h.pids()...), len(h.pids()) > 1)
	return s
}

// needSessions fails the scenario when there are no sessions to use.
func (h *harness) needSessions() error {
	if len(h.cookies) == 0 {
		return skipError("needs sessions: with --url, give --login and --password")
	}
	return nil
}

// getLoop runs GET url at conc with the session cookies, each client
// cycling through sessions of its own, after a warm-up.
func (h *harness) getLoop(ctx context.Context, url string, conc int) *sample {
	c := newClient(conc)
	defer c.close()
	// The requests carry a context that ends a hung one.
	ctx, cancel := context.WithTimeout(ctx, h.o.warmup+h.o.duration+h.o.timeout)
	defer cancel()
	// Requests are built up front, so that building them costs the load
	// generator nothing; a request may be sent again once its answer is read.
	reqs := make([][]*http.Request, conc)
	for w := range conc {
		for i := w % len(h.cookies); ; i += conc {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			req.Header.Set("Cookie", h.cookieName+"="+h.cookies[i%len(h.cookies)])
			req.Header.Set("Accept", "application/json")
			reqs[w] = append(reqs[w], req)
			if i+conc >= len(h.cookies) {
				break
			}
		}
	}
	fn := func(_ context.Context, w, n int) (int, error) {
		return c.send(reqs[w][n%len(reqs[w])])
	}
	if h.o.warmup > 0 {
		closedLoop(ctx, conc, h.o.warmup, h.o.maxRequests, http.StatusOK, fn)
	}
	return h.loop(ctx, conc, h.o.duration, http.StatusOK, fn)
}

// meBody returns the body of GET /me for the first session.
func (h *harness) meBody(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.tgt.base+"/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cookie", h.cookieName+"="+h.cookies[0])
	req.Header.Set("Accept", "application/json")
	c := newClient(1)
	defer c.close()
	res, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK || !json.Valid(body) {
		return nil, fmt.Errorf("GET /me answered %d: %.200s", res.StatusCode, body)
	}
	return body, nil
}

// trivial measures the ceiling of me: a net/http handler in this process
// that only writes the body /me answers, loaded the same way.
func (h *harness) trivial(ctx context.Context, r *Result) error {
	if err := h.needSessions(); err != nil {
		return err
	}
	body, err := h.meBody(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	conc := h.o.concurrencyFor(scMe)
	r.fill(h.getLoop(ctx, "http://"+ln.Addr().String()+"/me", conc), conc)
	r.ServerCPUPerRequestUS = 0 // the handler runs in this process
	r.Notes = append(r.Notes, fmt.Sprintf("a %d-byte body, as /me answers", len(body)))
	return nil
}

// me measures GET /me with valid sessions.
func (h *harness) me(ctx context.Context, r *Result) error {
	if err := h.needSessions(); err != nil {
		return err
	}
	conc := h.o.concurrencyFor(scMe)
	r.fill(h.getLoop(ctx, h.tgt.base+"/me", conc), conc)
	h.ratio(r, scTrivial)
	return nil
}

// ratio sets r's ratio to the ceiling scenario's throughput, if it ran.
func (h *harness) ratio(r *Result, ceiling string) {
	c := h.report.result(ceiling)
	if c == nil || c.PerSecond <= 0 {
		return
	}
	r.Ceiling = ceiling
	r.Ratio = round(r.PerSecond/c.PerSecond, 3)
	if c.CPUPerRequestUS > 0 && r.CPUPerRequestUS > 0 {
		r.CPURatio = round(c.CPUPerRequestUS/r.CPUPerRequestUS, 3)
	}
}

// hash measures the ceiling of the sign-ins: argon2id with the server's
// parameters on every core, nothing else.
func (h *harness) hash(ctx context.Context, r *Result) error {
	p := h.params
	conc := runtime.NumCPU()
	pw := []byte(benchPassword)
	salt := make([]byte, p.SaltLen)
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(context.Context, int, int) (int, error) {
		argon2.IDKey(pw, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
		return http.StatusOK, nil
	})
	r.fill(s, conc)
	r.Statuses, r.ServerCPUPerRequestUS = nil, 0
	r.Notes = append(r.Notes, "per s is hashes per second; latencies are one hash each")
	return nil
}

// credentials returns the sign-in of seeded user i (any user with --url).
func (h *harness) credentials(i int) (string, string) {
	if h.users == 0 {
		return h.o.login, h.o.password
	}
	return emailOf(h.tag, i%h.users), benchPassword
}

// login measures POST /login with correct passwords of random users.
func (h *harness) login(ctx context.Context, r *Result) error {
	if h.users == 0 && h.o.login == "" {
		return skipError("needs seeded users: with --url, give --login and --password")
	}
	conc := h.o.concurrencyFor(scLogin)
	c := newClient(conc)
	defer c.close()
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(ctx context.Context, _, _ int) (int, error) {
		login, pw := h.credentials(rand.IntN(max(1, h.users)))
		req, err := loginRequest(ctx, h.tgt.base, login, pw)
		if err != nil {
			return 0, err
		}
		return c.send(req)
	})
	r.fill(s, conc)
	h.ratio(r, scHash)
	return nil
}

// loginStorm starts --storm sign-ins at once, each on a connection of its
// own, and measures how long until all are answered and the server's peak
// memory meanwhile.
func (h *harness) loginStorm(ctx context.Context, r *Result) error {
	if h.users == 0 && h.o.login == "" {
		return skipError("needs seeded users: with --url, give --login and --password")
	}
	n := h.o.storm
	c := newClient(n)
	defer c.close()
	ctx, cancel := context.WithTimeout(ctx, h.o.timeout)
	defer cancel()
	pid := h.tgt.pid
	if h.report.Mode == "in-process" {
		// Start from an idle heap, as a server waiting for a storm would.
		runtime.GC()
		debug.FreeOSMemory()
		r.Notes = append(r.Notes, "in-process: the memory is the harness's, load generator included")
	}
	var before memory
	if pid > 0 {
		if !resetPeak(pid) {
			r.Notes = append(r.Notes, "could not reset VmHWM: the peak is since the server started")
		}
		before, _ = readMemory(pid)
	}
	cpu0 := snapCPU(h.pids()...)
	s := burst(ctx, n, http.StatusOK, func(ctx context.Context, i, _ int) (int, error) {
		login, pw := h.credentials(int(int64(i) * int64(max(1, h.users)) / int64(n)))
		req, err := loginRequest(ctx, h.tgt.base, login, pw)
		if err != nil {
			return 0, err
		}
		return c.send(req)
	})
	s.cpu(cpu0, snapCPU(h.pids()...), len(h.pids()) > 1)
	r.fill(s, n)
	r.PerSecond = round(float64(n)/s.elapsed.Seconds(), 1)
	if pid > 0 {
		after, err := readMemory(pid)
		if err != nil {
			return err
		}
		r.RSSBeforeMB, r.PeakRSSMB = round(before.RSS, 1), round(after.Peak, 1)
	}
	return nil
}

// register measures POST /register of new users.
func (h *harness) register(ctx context.Context, r *Result) error {
	conc := h.o.concurrencyFor(scRegister)
	c := newClient(conc)
	defer c.close()
	var next atomic.Int64
	s := h.loop(ctx, conc, h.o.duration, http.StatusCreated, func(ctx context.Context, _, _ int) (int, error) {
		body := `{"email":` + quote(registeredEmail(h.tag, int(next.Add(1)))) + `,"password":` + quote(benchPassword) +
			`,"givenName":"Bench","surname":"Registered"}`
		return post(ctx, c, h.tgt.base+"/register", body)
	})
	r.fill(s, conc)
	if h.report.Mode == "url" {
		r.Notes = append(r.Notes, "--url: the registered users stay in that server's database")
	}
	return nil
}

// forgot measures POST /forgot for random seeded users.
func (h *harness) forgot(ctx context.Context, r *Result) error {
	conc := h.o.concurrencyFor(scForgot)
	c := newClient(conc)
	defer c.close()
	users := max(1, h.users)
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(ctx context.Context, _, _ int) (int, error) {
		return post(ctx, c, h.tgt.base+"/forgot", `{"email":`+quote(emailOf(h.tag, rand.IntN(users)))+`}`)
	})
	r.fill(s, conc)
	r.Notes = append(r.Notes, "the answer comes before the work (token, event, email), which runs in the background; 429 means its queue is full")
	if h.users == 0 {
		r.Notes = append(r.Notes, "--url: the emails are of no user there, the cheaper path")
	}
	return nil
}

// adminSearch measures the admin API's user search: GET /api/v1/users
// with a search term matching about a hundred seeded users, a page of 20
// and the total count, authenticated by a super-admin API key.
func (h *harness) adminSearch(ctx context.Context, r *Result) error {
	if h.apiKey == "" {
		return skipError("needs an API key: with --url, give --api-key")
	}
	pctx, cancel := context.WithTimeout(ctx, h.o.timeout)
	defer cancel()
	c := newClient(1)
	defer c.close()
	status, err := c.send(h.searchRequest(pctx, 0))
	if err != nil {
		return err
	}
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
		return skipError("GET /api/v1/users is not served by this build")
	}
	conc := h.o.concurrencyFor(scAdminSearch)
	c = newClient(conc)
	defer c.close()
	users := max(1, h.users)
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(ctx context.Context, _, _ int) (int, error) {
		return c.send(h.searchRequest(ctx, rand.IntN(users)))
	})
	r.fill(s, conc)
	r.Notes = append(r.Notes, "a \"starts with\" search of username and email matching about a hundred users, a page of 20 and the total (counted up to 10,000)")
	return nil
}

// searchRequest returns a user search whose term matches the hundred
// seeded users around user i.
func (h *harness) searchRequest(ctx context.Context, i int) *http.Request {
	term := "u" + pad7(i)[:5]
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.tgt.base+"/api/v1/users?limit=20&q="+term, nil)
	req.Header.Set("Authorization", "Bearer "+h.apiKey)
	req.Header.Set("Accept", "application/json")
	return req
}

// post sends a JSON body and reads the answer.
func post(ctx context.Context, c *client, url, body string) (int, error) {
	req, err := jsonRequest(ctx, url, body)
	if err != nil {
		return 0, err
	}
	return c.send(req)
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
