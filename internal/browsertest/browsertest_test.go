package browsertest

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records failures and skips instead of
// acting on them, so the helpers' own verdicts can be checked.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	errors  []string
	skipped string
	fatal   string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Helper()             {}

// inGoroutine runs f on its own goroutine, as the testing package runs a
// test, so that a Goexit from the recorder ends only f.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestMissingChromium(t *testing.T) {
	t.Setenv(ChromiumEnv, "/nonexistent/chromium")

	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	inGoroutine(func() { Start(r, http.NotFoundHandler()) })
	if !strings.Contains(r.skipped, "Chromium is not installed at /nonexistent/chromium") || r.fatal != "" {
		t.Errorf("without %s: skipped %q, fatal %q; want a skip naming the path", RequireEnv, r.skipped, r.fatal)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	inGoroutine(func() { Start(r, http.NotFoundHandler()) })
	if !strings.Contains(r.fatal, "Chromium is not installed") || r.skipped != "" {
		t.Errorf("with %s=1: skipped %q, fatal %q; want a failure", RequireEnv, r.skipped, r.fatal)
	}
}

// testPages are served to the browser: one accessible, one with known
// violations and a script error. They carry no CSP, so the inline script
// runs.
var testPages = map[string]string{
	"/good": `<!DOCTYPE html><html lang="en"><head><title>Good</title><link rel="icon" href="data:,"></head>
<body><main><h1>Good page</h1><p>Plain text.</p><img src="/pixel.svg" alt="A dot"></main></body></html>`,
	"/bad": `<!DOCTYPE html><html><head><title>Bad</title><link rel="icon" href="data:,"></head>
<body><main><h1>Bad page</h1><img src="/pixel.svg"><button></button>
<script>throw new Error("boom from the page")</script></main></body></html>`,
	"/pixel.svg": `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`,
}

func TestBrowserAndAxe(t *testing.T) {
	b := Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := testPages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".svg") {
			w.Header().Set("Content-Type", "image/svg+xml")
		}
		fmt.Fprint(w, page)
	}))

	b.Open(t, "/good")
	if got := Eval[string](t, b, `document.querySelector("h1").textContent`); got != "Good page" {
		t.Errorf("h1 = %q", got)
	}
	r := &recorder{TB: t}
	inGoroutine(func() { Axe(b.Ctx, r) })
	if r.fatal != "" || r.skipped != "" || len(r.errors) > 0 {
		t.Errorf("axe on an accessible page: fatal %q, skipped %q, errors %q", r.fatal, r.skipped, r.errors)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("problems on the good page: %q", p)
	}

	b.Open(t, "/bad")
	b.WaitFor(t, `document.readyState === "complete"`)
	r = &recorder{TB: t}
	var vs []Violation
	inGoroutine(func() { vs = Axe(b.Ctx, r) })
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"image-alt", "html-has-lang", "button-name"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe found %q, want %s among them", ids, want)
		}
	}
	joined := strings.Join(r.errors, "\n")
	if len(r.errors) < 3 || !strings.Contains(joined, "image-alt (critical)") || !strings.Contains(joined, "on /bad") || !strings.Contains(joined, `<img src="/pixel.svg">`) {
		t.Errorf("axe failures not reported with rule, impact, page and element:\n%s", joined)
	}
	problems := b.Problems()
	if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "boom from the page") }) {
		t.Errorf("the page's exception was not recorded: %q", problems)
	}
}
