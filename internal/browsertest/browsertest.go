// Package browsertest runs end-to-end tests of the web interface in headless
// Chromium through chromedp, and checks pages for accessibility with
// axe-core.
//
// Tests skip, with a message saying why, when Chromium or axe-core is not
// installed, so `go test ./...` works on any machine; with the environment
// variable THROUGHCARE_REQUIRE_BROWSER=1 (set in CI) they fail instead, so a
// broken setup cannot pass silently. Chromium is looked for at
// /usr/bin/chromium, or at the path in THROUGHCARE_CHROMIUM. axe-core is
// copied to testdata/axe.min.js by `make assets`.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Environment variables the package reads.
const (
	// RequireEnv, set to 1, turns every skip for a missing browser or
	// axe-core into a failure.
	RequireEnv = "THROUGHCARE_REQUIRE_BROWSER"
	// ChromiumEnv overrides the path of the Chromium binary.
	ChromiumEnv = "THROUGHCARE_CHROMIUM"
)

// DefaultChromium is where Debian's chromium package installs the browser.
const DefaultChromium = "/usr/bin/chromium"

// timeout bounds a whole browser test, so that a hung browser fails the test
// instead of hanging the run. It is a safety net, not an assertion.
const timeout = 2 * time.Minute

// Browser is a headless Chromium tab opened on a test server.
type Browser struct {
	// Ctx is the chromedp context of the tab; pass it to chromedp.Run.
	Ctx context.Context
	// URL is the base URL of the test server, without a trailing slash.
	URL string

	mu       sync.Mutex
	problems []string
}

// required reports whether a missing browser must fail the test.
func required() bool { return os.Getenv(RequireEnv) == "1" }

// unavailable skips t, or fails it when the browser is required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if required() {
		t.Fatalf("%s (%s=1 requires the browser tests to run)", msg, RequireEnv)
	}
	t.Skipf("%s; skipping the browser test (set %s=1 to make this a failure)", msg, RequireEnv)
}

// chromiumPath returns the browser to run.
func chromiumPath() string {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	return DefaultChromium
}

// Start serves h on a local test server, starts headless Chromium with a
// fresh profile and opens a tab. Everything is stopped when the test ends.
// It skips the test when Chromium is missing (fails it when
// THROUGHCARE_REQUIRE_BROWSER=1) and, unless the browser is required, in
// -short mode.
func Start(t testing.TB, h http.Handler) *Browser {
	t.Helper()
	if testing.Short() && !required() {
		t.Skip("browser tests do not run in -short mode")
	}
	exe := chromiumPath()
	if _, err := os.Stat(exe); err != nil {
		unavailable(t, "Chromium is not installed at %s (install Debian's chromium package, or set %s)", exe, ChromiumEnv)
	}

	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	b := &Browser{URL: srv.URL}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1024),
	)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	// Stop the tab, then the browser (waiting for it to exit, so that its
	// profile folder can be removed), then the timer.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	b.Ctx = tabCtx
	// Start the browser now, so a broken installation shows here.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", exe, err)
	}
	return b
}

// listen records what the page reports as going wrong: uncaught
// exceptions, console errors and browser log errors, which include
// Content-Security-Policy violations and failed loads. It runs on
// chromedp's reading goroutine, so it only appends.
func (b *Browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *cdpruntime.EventExceptionThrown:
		p = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			p += " " + ev.ExceptionDetails.Exception.Description
		}
	case *cdpruntime.EventConsoleAPICalled:
		if ev.Type != cdpruntime.ConsoleAPICalledTypeError && ev.Type != cdpruntime.ConsoleAPICalledTypeWarning {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		p = "console " + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError && ev.Entry.Level != log.EntryLevelWarning {
			return
		}
		p = "log " + string(ev.Entry.Source) + " " + string(ev.Entry.Level) + ": " + ev.Entry.Text
		if ev.Entry.URL != "" {
			p += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// Problems returns what the pages reported as going wrong since the last
// call (exceptions, console errors and warnings, CSP violations, failed
// loads), and forgets them.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// Open navigates the tab to path (relative to the server's URL) and waits
// for the page to load.
func (b *Browser) Open(t testing.TB, path string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(b.URL+path)); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
}

// Follow runs actions that lead to another page, such as a click on a link
// or the submission of a form, waits for that page to load and returns its
// HTTP status.
func (b *Browser) Follow(t testing.TB, steps ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	res, err := chromedp.RunResponse(b.Ctx, steps...)
	if err != nil {
		t.Fatalf("following a link or form: %v", err)
	}
	return res.Status
}

// DisableScripts stops the page's own scripts from running, as in a browser
// with JavaScript turned off, for the pages opened after it. The test's
// own evaluations (Eval, WaitFor, Axe) still run.
func (b *Browser) DisableScripts(t testing.TB) {
	t.Helper()
	err := chromedp.Do(b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	if err != nil {
		t.Fatalf("disabling scripts: %v", err)
	}
}

// SetCookie gives the browser a cookie for the test server, as if the
// server had set it: for signing in as someone without the sign-in pages.
func (b *Browser) SetCookie(t testing.TB, name, value string) {
	t.Helper()
	err := chromedp.Do(b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: b.URL})
		return err
	}))
	if err != nil {
		t.Fatalf("setting cookie %s: %v", name, err)
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its value
// into T, awaiting it if it is a promise.
func Eval[T any](t testing.TB, b *Browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// WaitFor waits until the JavaScript expression cond is true in the page.
// Unlike chromedp.Poll it needs no eval in the page, which the
// Content-Security-Policy forbids.
func (b *Browser) WaitFor(t testing.TB, cond string) {
	t.Helper()
	expr := `new Promise(resolve => {
		const check = () => { if (` + cond + `) { resolve(true) } else { setTimeout(check, 20) } }
		check()
	})`
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

// axeTags are the rule sets checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Violation is one failed axe-core rule.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\n  %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n  at %s: %s\n    %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n    "))
	}
	return b.String()
}

var axeSource = sync.OnceValues(func() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot find the browsertest package's folder")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "testdata", "axe.min.js"))
	return string(b), err
})

// Axe runs axe-core on the page open in ctx (a Browser's Ctx) against the
// WCAG 2.2 AA rules and fails t for each serious or critical violation,
// printing it; lesser ones are logged. It skips when axe-core has not been
// copied to testdata (fails when THROUGHCARE_REQUIRE_BROWSER=1).
func Axe(ctx context.Context, t testing.TB) []Violation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		unavailable(t, "axe-core is missing (%v); run `make assets`", err)
	}
	// DevTools evaluation is not subject to the page's CSP, so axe-core
	// can be injected into pages that allow no inline script.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	tags, _ := json.Marshal(axeTags)
	run := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}, resultTypes: ['violations']})
		.then(r => r.violations.map(v => ({
			id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary || ''}))
		})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	url, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("accessibility violation on %s: %s", url, v)
		} else {
			t.Logf("accessibility issue on %s: %s", url, v)
		}
	}
	return vs
}
