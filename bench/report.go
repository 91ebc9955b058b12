package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured; it is what --out writes.
type Report struct {
	Started    time.Time `json:"started"`
	GoVersion  string    `json:"go_version"`
	OS         string    `json:"os"`
	CPUs       int       `json:"cpus"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	// Mode is where the server ran: "in-process", "child" (--bin) or "url".
	Mode     string `json:"mode"`
	Database string `json:"database"`
	Users    int    `json:"users"`
	Sessions int    `json:"sessions"`
	// SeedSeconds is how long seeding the users and sessions took.
	SeedSeconds float64 `json:"seed_seconds,omitempty"`
	// OpenMS is how long server.Open took on the seeded database (in-process).
	OpenMS  float64    `json:"open_ms,omitempty"`
	Hashing HashParams `json:"hashing"`

	Results []*Result `json:"results"`
	Targets []Target  `json:"targets"`
	Notes   []string  `json:"notes,omitempty"`
}

// HashParams are the argon2id parameters of the server measured.
type HashParams struct {
	MemoryKiB   uint32 `json:"memory_kib"`
	Iterations  uint32 `json:"iterations"`
	Parallelism uint8  `json:"parallelism"`
	Workers     int    `json:"workers"`
}

// Result is one scenario's measurement.
type Result struct {
	Scenario string `json:"scenario"`
	// Skipped says why the scenario did not run.
	Skipped     string  `json:"skipped,omitempty"`
	Error       string  `json:"error,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	Seconds     float64 `json:"seconds,omitempty"`
	Requests    int64   `json:"requests,omitempty"`
	Errors      int64   `json:"errors"`
	// PerSecond is requests (or, for hash, hashes) completed per second.
	PerSecond float64          `json:"per_second,omitempty"`
	P50MS     float64          `json:"p50_ms,omitempty"`
	P99MS     float64          `json:"p99_ms,omitempty"`
	MaxMS     float64          `json:"max_ms,omitempty"`
	Statuses  map[string]int64 `json:"statuses,omitempty"`
	// Ceiling names the baseline PerSecond is compared with, and Ratio is
	// PerSecond over the baseline's.
	Ceiling string  `json:"ceiling,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	// CPURatio is the ceiling's CPU time per request over this one's: what
	// Ratio would be on a machine doing nothing else, when both are bound
	// by the CPU. Other processes disturb it much less than Ratio.
	CPURatio float64 `json:"cpu_ratio,omitempty"`
	// RSSBeforeMB and PeakRSSMB are the server process's resident memory
	// before the scenario and at its peak during it (login-storm).
	RSSBeforeMB float64 `json:"rss_before_mb,omitempty"`
	PeakRSSMB   float64 `json:"peak_rss_mb,omitempty"`
	// StartupMS are the start-up times measured (startup), IdleRSSMB the
	// resident memory of the idle server after the last start.
	StartupMS []float64 `json:"startup_ms,omitempty"`
	IdleRSSMB float64   `json:"idle_rss_mb,omitempty"`
	// CPUPerRequestUS is the CPU time the harness and the server spent per
	// request, in microseconds: less disturbed by other processes than
	// throughput (Linux only).
	CPUPerRequestUS float64 `json:"cpu_us_per_request,omitempty"`
	// CPUBusyPercent is the CPU time the harness and the server spent over
	// the time all CPUs had: below 100, some CPU sat idle (waiting on a
	// lock, a disk or a queue) while requests were waiting.
	CPUBusyPercent float64 `json:"cpu_busy_percent,omitempty"`
	// ServerCPUPerRequestUS is the server's part of it, when it runs in a
	// process of its own.
	ServerCPUPerRequestUS float64 `json:"server_cpu_us_per_request,omitempty"`
	// OtherCPU is the share of the machine's CPU time, in percent, that
	// processes other than the harness and the server used meanwhile: what
	// disturbed the measurement (Linux only; -1 unknown).
	OtherCPU float64 `json:"other_cpu_percent"`
	// ErrorSamples are a few distinct failures, to start looking with.
	ErrorSamples []string `json:"error_samples,omitempty"`
	Notes        []string `json:"notes,omitempty"`
}

// fill sets the throughput fields from a load sample.
func (r *Result) fill(s *sample, conc int) {
	r.Concurrency = conc
	r.Seconds = round(s.elapsed.Seconds(), 3)
	r.Requests = s.requests()
	r.Errors = s.errors
	r.PerSecond = round(s.rate(), 1)
	r.P50MS = ms(s.quantile(0.50))
	r.P99MS = ms(s.quantile(0.99))
	if len(s.latencies) > 0 {
		r.MaxMS = ms(s.latencies[len(s.latencies)-1])
	}
	r.CPUPerRequestUS = round(float64(s.perRequest(s.cpuTicks))/float64(time.Microsecond), 1)
	r.ServerCPUPerRequestUS = round(float64(s.perRequest(s.serverTicks))/float64(time.Microsecond), 1)
	if s.cpuTicks >= 0 && s.elapsed > 0 {
		busy := time.Duration(s.cpuTicks) * (time.Second / 100)
		r.CPUBusyPercent = round(100*busy.Seconds()/(s.elapsed.Seconds()*float64(runtime.NumCPU())), 1)
	}
	r.Statuses = map[string]int64{}
	for code, n := range s.statuses {
		key := strconv.Itoa(code)
		if code == 0 {
			key = "no answer"
		}
		r.Statuses[key] = n
	}
	r.ErrorSamples = s.messages
}

// Target is one of the performance targets and whether this run met it.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// result returns the result of a scenario that ran, or nil.
func (rep *Report) result(name string) *Result {
	for _, r := range rep.Results {
		if r.Scenario == name && r.Skipped == "" && r.Error == "" {
			return r
		}
	}
	return nil
}

// evaluate checks the results against the targets.
func (rep *Report) evaluate() {
	add := func(name, want string, got string, met bool) {
		rep.Targets = append(rep.Targets, Target{Name: name, Want: want, Got: got, Met: met})
	}
	for _, r := range rep.Results {
		if r.OtherCPU > 10 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: other processes used %.0f%% of the machine's CPU meanwhile; its figures are disturbed", r.Scenario, r.OtherCPU))
		}
	}
	if r := rep.result(scMe); r != nil && r.Ceiling != "" {
		add("me throughput", ">= 0.5 of trivial", ratioText(r), r.Ratio >= 0.5)
		add("me p99", "< 10 ms", fmt.Sprintf("%.2f ms", r.P99MS), r.P99MS < 10)
		add("me errors", "0", strconv.FormatInt(r.Errors, 10), r.Errors == 0)
	}
	if r := rep.result(scLogin); r != nil && r.Ceiling != "" {
		add("login throughput", ">= 0.85 of hash", ratioText(r), r.Ratio >= 0.85)
		add("login errors", "0", strconv.FormatInt(r.Errors, 10), r.Errors == 0)
	}
	if r := rep.result(scLoginStorm); r != nil {
		var bad int64
		for code, n := range r.Statuses {
			if c, err := strconv.Atoi(code); err != nil || c >= 500 {
				bad += n
			}
		}
		add("login-storm answered", "every request, no 5xx", fmt.Sprintf("%d of %d failed", bad, r.Requests), bad == 0)
		if r.PeakRSSMB > 0 {
			add("login-storm peak RSS", "< 600 MB", fmt.Sprintf("%.0f MB", r.PeakRSSMB), r.PeakRSSMB < 600)
		}
	}
	if r := rep.result(scOAuthToken); r != nil && r.Ceiling != "" {
		add("oauth-token throughput", ">= 0.8 of RS256 signing", ratioText(r), r.Ratio >= 0.8)
		add("oauth-token errors", "0", strconv.FormatInt(r.Errors, 10), r.Errors == 0)
	}
	if r := rep.result(scOAuthIntrospect); r != nil {
		add("oauth-introspect errors", "0", strconv.FormatInt(r.Errors, 10), r.Errors == 0)
	}
	if r := rep.result(scAdminSearch); r != nil {
		add("admin-search p99", "< 50 ms", fmt.Sprintf("%.2f ms", r.P99MS), r.P99MS < 50)
	}
	if r := rep.result(scStartup); r != nil && len(r.StartupMS) > 0 {
		med := median(r.StartupMS)
		add("start-up, existing database", "< 200 ms", fmt.Sprintf("%.0f ms (median)", med), med < 200)
		if r.IdleRSSMB > 0 {
			add("idle RSS of userdb serve", "< 40 MB", fmt.Sprintf("%.1f MB", r.IdleRSSMB), r.IdleRSSMB < 40)
		}
	}
}

// ratioText shows a ratio and, when known, its estimate from CPU time.
func ratioText(r *Result) string {
	if r.CPURatio > 0 {
		return fmt.Sprintf("%.2f (by CPU %.2f)", r.Ratio, r.CPURatio)
	}
	return fmt.Sprintf("%.2f", r.Ratio)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// print writes the results as a table.
func (rep *Report) print(w io.Writer) {
	fmt.Fprintf(w, "\nuserdb bench: %s, %s, %d CPUs, %s database, %d users, %d sessions\n",
		rep.Mode, rep.GoVersion, rep.CPUs, rep.Database, rep.Users, rep.Sessions)
	fmt.Fprintf(w, "argon2id m=%d KiB t=%d p=%d, %d hash workers\n\n",
		rep.Hashing.MemoryKiB, rep.Hashing.Iterations, rep.Hashing.Parallelism, rep.Hashing.Workers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tconc\trequests\tper s\tp50 ms\tp99 ms\tmax ms\terrors\tCPU µs/req\tother CPU\tratio\t")
	var extra []string
	for _, r := range rep.Results {
		switch {
		case r.Skipped != "":
			extra = append(extra, fmt.Sprintf("%s: skipped: %s", r.Scenario, r.Skipped))
			continue
		case r.Error != "":
			extra = append(extra, fmt.Sprintf("%s: failed: %s", r.Scenario, r.Error))
			continue
		case r.Scenario == scImport:
			extra = append(extra, fmt.Sprintf("import: %d rows in %.1f s (%.0f rows/s), peak RSS of userdb import %.1f MB", r.Requests, r.Seconds, r.PerSecond, r.PeakRSSMB))
			for _, n := range r.Notes {
				extra = append(extra, "import: "+n)
			}
			continue
		case r.Scenario == scStartup:
			line := fmt.Sprintf("startup: %s ms", joinFloats(r.StartupMS))
			if r.IdleRSSMB > 0 {
				line += fmt.Sprintf(", idle RSS %.1f MB", r.IdleRSSMB)
			}
			extra = append(extra, line)
			continue
		}
		ratio := ""
		if r.Ceiling != "" {
			ratio = fmt.Sprintf("%.2f of %s", r.Ratio, r.Ceiling)
			if r.CPURatio > 0 {
				ratio += fmt.Sprintf(" (by CPU %.2f)", r.CPURatio)
			}
		}
		other := "?"
		if r.OtherCPU >= 0 {
			other = fmt.Sprintf("%.0f%%", r.OtherCPU)
		}
		cpu := fmt.Sprintf("%.0f", r.CPUPerRequestUS)
		if r.ServerCPUPerRequestUS > 0 {
			cpu += fmt.Sprintf(" (server %.0f)", r.ServerCPUPerRequestUS)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t\n", r.Scenario, r.Concurrency, r.Requests,
			r.PerSecond, r.P50MS, r.P99MS, r.MaxMS, r.Errors, cpu, other, ratio)
		if r.Scenario == scLoginStorm {
			line := fmt.Sprintf("login-storm: %d sign-ins at once answered in %.2f s; statuses %s", r.Requests, r.Seconds, statusList(r.Statuses))
			if r.PeakRSSMB > 0 {
				line += fmt.Sprintf("; RSS %.0f MB before, peak %.0f MB", r.RSSBeforeMB, r.PeakRSSMB)
			}
			extra = append(extra, line)
		} else if r.Errors > 0 {
			extra = append(extra, fmt.Sprintf("%s: statuses %s; %s", r.Scenario, statusList(r.Statuses), strings.Join(r.ErrorSamples, "; ")))
		}
		for _, n := range r.Notes {
			extra = append(extra, r.Scenario+": "+n)
		}
	}
	tw.Flush()
	if rep.SeedSeconds > 0 || rep.OpenMS > 0 {
		fmt.Fprintf(w, "\nseeding %.1f s", rep.SeedSeconds)
		if rep.OpenMS > 0 {
			fmt.Fprintf(w, "; server.Open on the seeded database %.1f ms", rep.OpenMS)
		}
		fmt.Fprintln(w)
	}
	if len(extra) > 0 {
		fmt.Fprintln(w)
		for _, l := range extra {
			fmt.Fprintln(w, l)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
	if len(rep.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets:")
		for _, t := range rep.Targets {
			mark := "MET"
			if !t.Met {
				mark = "MISSED"
			}
			fmt.Fprintf(w, "  %-6s %-30s want %-24s got %s\n", mark, t.Name, t.Want, t.Got)
		}
	}
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strings.Join(s, ", ")
}

func statusList(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// write saves the report as indented JSON.
func (rep *Report) write(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
