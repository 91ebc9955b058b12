package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumInstall is how to get the browser, for skip and failure messages.
const chromiumInstall = "apt-get install -y chromium, or set USERDB_TEST_CHROMIUM to a Chromium binary"

// browserTimeout bounds each browser test as a whole.
const browserTimeout = 2 * time.Minute

// chromium returns the Chromium binary: $USERDB_TEST_CHROMIUM, else
// /usr/bin/chromium. Without one the test is skipped, or fails when
// USERDB_TEST_E2E is 1 (so CI cannot pass by skipping).
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("USERDB_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		msg := "chromium not installed (" + path + "): " + chromiumInstall
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// tab is one tab of a headless Chromium of its own, pointed at a userdb
// server. Its methods fail the test on the first error.
type tab struct {
	t   *testing.T
	ctx context.Context
	s   *server

	mu         sync.Mutex
	violations []string // Content-Security-Policy reports from the console
}

// newTab starts Chromium for the test, with scripts switched off unless
// javascript is set, and stops it when the test ends.
func newTab(t *testing.T, s *server, javascript bool) *tab {
	t.Helper()
	path := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		// English as the browser's language, so that date inputs take month,
		// day, year (typeDate) where other languages are installed too.
		chromedp.Flag("lang", "en-US"),
		chromedp.Env("LANG=en_US.UTF-8", "LANGUAGE=en_US"),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)

	b := &tab{t: t, ctx: ctx, s: s}
	// Chromium reports what a Content-Security-Policy blocks on the console.
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && strings.Contains(e.Entry.Text, "Content Security Policy") {
			b.mu.Lock()
			b.violations = append(b.violations, e.Entry.Text)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: !javascript})
		return err
	}))
	// Clean-ups run last registered first: CSP violations are counted, then
	// a failed test's page is saved, and only then is the browser closed.
	t.Cleanup(b.screenshotFailure)
	t.Cleanup(b.checkCSP)
	return b
}

// do runs actions in the tab.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v\n%s", err, b.s.logs)
	}
}

// open loads a page of the server (or any absolute URL).
func (b *tab) open(path string) {
	b.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = b.s.url + path
	}
	b.do(chromedp.Navigate(path))
}

// fill types into the inputs named by the keys (name attributes).
func (b *tab) fill(fields map[string]string) {
	b.t.Helper()
	for name, value := range fields {
		retype(b, name, value)
	}
}

// retype replaces what the input named name holds by typing over its
// selected text, as a person would. (chromedp.Clear empties the value
// attribute only: text typed before stays, and a page whose script keeps
// state from input events, such as React 15, would not see it cleared.)
// Typing over a selection can be done again, so a page that replaced its
// document between finding the input and typing (a navigation ending)
// is tried again, at most three times.
func retype(b *tab, name, value string) {
	b.t.Helper()
	sel := `input[name="` + name + `"]`
	selectAll := `(() => { const e = document.querySelector('` + sel + `'); e.focus(); e.select(); return true })()`
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(b.ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](selectAll))
			return err
		}), chromedp.SendKeys(chromedp.CSS(sel), value))
		if err == nil {
			return
		}
		if attempt == 3 || !strings.Contains(err.Error(), "Could not find node") {
			b.t.Fatalf("typing into %s: %v\n%s", sel, err, b.s.logs)
		}
	}
}

// typeDate types a date into the date input named name with key presses,
// as a person would: Chromium's date input takes the digits of each part
// in the order of the browser's language (month, day, year in en-US, which
// newTab asks for) and moves on by itself. It checks the input took it.
func (b *tab) typeDate(name string, year, month, day int) {
	b.t.Helper()
	sel := chromedp.CSS(`input[type="date"][name="` + name + `"]`)
	b.do(chromedp.Focus(sel), chromedp.SendKeys(sel, fmt.Sprintf("%02d%02d%04d", month, day, year)))
	if got, want := b.value(name), fmt.Sprintf("%04d-%02d-%02d", year, month, day); got != want {
		b.t.Fatalf("typed %s into %s, which now holds %q: does the browser order date parts otherwise?", want, name, got)
	}
}

// focused returns the name (or else the tag) of the element that has the
// keyboard focus.
func (b *tab) focused() string {
	b.t.Helper()
	name, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`(e => e ? (e.name || e.tagName.toLowerCase()) : "")(document.activeElement)`))
	if err != nil {
		b.t.Fatal(err)
	}
	return name
}

// tabTo moves the focus to the top of the page, then presses Tab until the
// field named name has it, as a person without a mouse would; the test
// fails if ten presses do not reach it.
func (b *tab) tabTo(name string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.activeElement.blur(), true`)); err != nil {
		b.t.Fatal(err)
	}
	var path []string
	for range 10 {
		b.do(chromedp.KeyEvent(kb.Tab))
		f := b.focused()
		if f == name {
			return
		}
		path = append(path, f)
	}
	b.t.Fatalf("ten presses of Tab did not reach %s; they went to %v", name, path)
}

// press clicks the button whose text is label, as a person would.
func (b *tab) press(label string) {
	b.t.Helper()
	b.do(chromedp.Click(fmt.Sprintf(`//button[normalize-space()=%q]`, label)))
}

// see waits until the page shows an element of the kind (h1, div.alert...)
// holding text.
func (b *tab) see(kind, text string) {
	b.t.Helper()
	tag, class, _ := strings.Cut(kind, ".")
	cond := fmt.Sprintf("contains(normalize-space(), %q)", text)
	if class != "" {
		cond += fmt.Sprintf(` and contains(concat(" ", @class, " "), " %s ")`, class)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(fmt.Sprintf("//%s[%s]", tag, cond))); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("no %s with %q: %v\n%s", kind, text, err, html)
	}
}

// location returns the address of the page.
func (b *tab) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// artifactsDir is where the screenshots go: $USERDB_TEST_ARTIFACTS (a
// relative path is relative to this directory), else artifacts/ here. The
// first screenshot of a run clears the screenshots an earlier run left
// there, so the directory shows this run's pages only.
func artifactsDir(t *testing.T) string {
	t.Helper()
	artifacts.once.Do(func() {
		dir := os.Getenv("USERDB_TEST_ARTIFACTS")
		if dir == "" {
			dir = "artifacts"
		}
		if artifacts.dir, artifacts.err = filepath.Abs(dir); artifacts.err != nil {
			return
		}
		if artifacts.err = os.MkdirAll(artifacts.dir, 0o755); artifacts.err != nil {
			return
		}
		// Only screenshots: the directory may be one the caller keeps
		// other files in.
		old, _ := filepath.Glob(filepath.Join(artifacts.dir, "*.png"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				artifacts.err = err
				return
			}
		}
	})
	if artifacts.err != nil {
		t.Fatalf("artifacts directory: %v", artifacts.err)
	}
	return artifacts.dir
}

var artifacts struct {
	once sync.Once
	dir  string
	err  error
}

// screenshot saves the whole page at a viewport width as name.png in the
// artifacts directory; 360 wide is a small phone, and there the test fails
// if the page is wider than the screen (it would scroll sideways).
func (b *tab) screenshot(name string, width int64) {
	b.t.Helper()
	height, opts := int64(800), []chromedp.EmulateViewportOption(nil)
	if width < 600 {
		height, opts = 740, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
	}
	b.do(chromedp.EmulateViewport(width, height, opts...))
	if width < 600 {
		b.checkNoSidewaysScroll(name, width)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1280, 800))
	if err := os.WriteFile(filepath.Join(artifactsDir(b.t), name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// overflow is what checkNoSidewaysScroll measures.
type overflow struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Wide        []string `json:"wide"` // elements reaching past the right edge
}

// checkNoSidewaysScroll fails the test if the page is wider than a screen
// width px wide. It compares with the layout viewport (the root's
// clientWidth), not window.innerWidth: on a phone, and in Chromium's
// emulation of one, innerWidth grows to fit a page that is too wide.
func (b *tab) checkNoSidewaysScroll(name string, width int64) {
	b.t.Helper()
	o, err := chromedp.Run(b.ctx, chromedp.Evaluate[overflow](`(() => {
		const root = document.documentElement, w = root.clientWidth, wide = [];
		for (const e of document.querySelectorAll("body *")) {
			if (e.getBoundingClientRect().right > w + 0.5 && wide.length < 10) {
				const cls = typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "";
				wide.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + cls);
			}
		}
		return {scrollWidth: root.scrollWidth, clientWidth: w, wide};
	})()`))
	if err != nil {
		b.t.Fatalf("measuring %s: %v", name, err)
	}
	if o.ClientWidth != int(width) || o.ScrollWidth > o.ClientWidth {
		b.t.Errorf("%s: the page is %d px wide, its viewport %d px, on a %d px screen (it scrolls sideways); sticking out: %v",
			name, o.ScrollWidth, o.ClientWidth, width, o.Wide)
	}
}

// screenshotFailure saves the page as failed-<test>.png when the test has
// failed, to show where it stopped.
func (b *tab) screenshotFailure() {
	if !b.t.Failed() {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		b.t.Logf("no screenshot of the failure: %v", err)
		return
	}
	name := "failed-" + strings.NewReplacer("/", "-", " ", "_", "\\", "-").Replace(b.t.Name()) + ".png"
	path := filepath.Join(artifactsDir(b.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("no screenshot of the failure: %v", err)
		return
	}
	b.t.Logf("the page when the test failed: %s", path)
}

// checkCSP fails the test if the pages broke their own Content-Security-Policy.
func (b *tab) checkCSP() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, v := range b.violations {
		b.t.Errorf("Content-Security-Policy violation: %s", v)
	}
}

// clickLink clicks the link whose text is label.
func clickLink(label string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(fmt.Sprintf(`//a[normalize-space()=%q]`, label))
}
