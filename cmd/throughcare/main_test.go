package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"throughcare/internal/apperr"
)

// runCmd runs the program with args and a clean environment plus env,
// returning what it printed.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err = run(context.Background(), append([]string{"throughcare"}, args...), getenv, &out, &errb)
	return out.String(), errb.String(), err
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCmd(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "throughcare ") {
		t.Fatalf("version: %q, %v", out, err)
	}
	_, _, err = runCmd(t, nil)
	if !errors.Is(err, errUsage) {
		t.Errorf("no command: err = %v, want usage error", err)
	}
	_, stderr, err := runCmd(t, nil, "frobnicate")
	if !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage: throughcare COMMAND") {
		t.Errorf("unknown command: err = %v, stderr %q", err, stderr)
	}
	if exitCode(err) != 2 {
		t.Errorf("exit code for a usage error = %d, want 2", exitCode(err))
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		_, stderr, err := runCmd(t, nil, c.name, "--help")
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s --help: err = %v, want flag.ErrHelp", c.name, err)
		}
		if !strings.Contains(stderr, "Usage: throughcare "+c.name) {
			t.Errorf("%s --help printed %q", c.name, stderr)
		}
	}
}

func TestFlagsFallBackToEnvironment(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "env.db")
	out, _, err := runCmd(t, map[string]string{"THROUGHCARE_DB": dsn}, "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "up to date") {
		t.Errorf("migrate printed %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Errorf("THROUGHCARE_DB was not used: %v", err)
	}
	_, _, err = runCmd(t, nil, "migrate", "--db", "mysql://nope")
	if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "sqlite:PATH") {
		t.Errorf("bad --db: %v", err)
	}
}

// TestImportExportRoundTrip generates a synthetic directory, imports it,
// exports it in every format and imports each export into the same
// database, which must change nothing.
func TestImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "rt.db")
	gen := filepath.Join(dir, "gen.json")
	if _, _, err := runCmd(t, nil, "demo", "--generate", "200", "--out", gen); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, nil, "import", "--db", db, gen)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "gen.json: ") || strings.Contains(out, " 0 inserted,") {
		t.Fatalf("first import printed %q", out)
	}
	out, _, err = runCmd(t, nil, "import", "--db", db, gen)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, ": 0 inserted, 0 updated, 0 deleted") {
		t.Fatalf("second import of the same file changed something: %q", out)
	}
	for _, format := range []string{"json", "ndjson", "csv"} {
		target := filepath.Join(dir, "export-"+format)
		if format != "csv" {
			target += "." + format
		}
		if _, _, err := runCmd(t, nil, "export", "--db", db, "--format", format, "--out", target); err != nil {
			t.Fatalf("export %s: %v", format, err)
		}
		out, _, err := runCmd(t, nil, "import", "--db", db, target)
		if err != nil {
			t.Fatalf("import the %s export: %v", format, err)
		}
		if !strings.Contains(out, ": 0 inserted, 0 updated, 0 deleted") {
			t.Errorf("importing the %s export changed the data: %q", format, out)
		}
	}
}

func TestImportBadFileChangesNothing(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "bad.db")
	good := filepath.Join(dir, "good.json")
	if _, _, err := runCmd(t, nil, "demo", "--generate", "20", "--out", good); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, nil, "import", "--db", db, good); err != nil {
		t.Fatal(err)
	}
	export := func(name string) string {
		out := filepath.Join(dir, name)
		if _, _, err := runCmd(t, nil, "export", "--db", db, "--format", "ndjson", "--out", out); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := export("before.ndjson")

	svc, attr, term := "3fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa8", "3fa85f64-5717-4562-b3fc-2c963f66afa9"
	for _, tc := range []struct{ name, body, want string }{
		{"syntax.json", "{\"id\": \"x\",\n \"name\": }", "syntax.json:2:10"},
		{"id.json", `{"id": "not-a-uuid", "name": "X", "status": "active"}`, "id"},
		{"type.json", `{"id": "` + svc + `", "name": "X", "status": "active", "minimum_age": "ten"}`, "minimum_age"},
		{"required.json", `{"id": "` + svc + `", "status": "active"}`, "name"},
		{"term.json", `{"id": "` + svc + `", "name": "X", "status": "active", "attributes": [{"id": "` + attr + `", "taxonomy_term_id": "` + term + `"}]}`, "unknown taxonomy term"},
		{"empty.json", "", "file is empty"},
	} {
		path := filepath.Join(dir, tc.name)
		os.WriteFile(path, []byte(tc.body), 0o644)
		_, _, err := runCmd(t, nil, "import", "--db", db, path)
		if err == nil || !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want the file name and %q", tc.name, err, tc.want)
		}
		if exitCode(err) != 2 {
			t.Errorf("%s: exit code = %d, want 2 for bad input", tc.name, exitCode(err))
		}
	}
	if after := export("after.ndjson"); after != before {
		t.Error("a rejected import changed the directory")
	}
}

// TestDemoServes starts the demo server as `make run` does and reads a page
// of services from the Open Referral API.
func TestDemoServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr lockedBuffer
	go func() {
		done <- run(ctx, []string{"throughcare", "demo", "--db", "sqlite:" + filepath.Join(t.TempDir(), "demo.db"), "--addr", addr},
			func(string) string { return "" }, io.Discard, &stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo server: %v\n%s", err, stderr.String())
		}
	}()
	var resp *http.Response
	for range 200 {
		resp, err = http.Get("http://" + addr + "/openreferral/services?per_page=5")
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v\n%s", err, stderr.String())
	}
	defer resp.Body.Close()
	var page struct {
		TotalItems int               `json:"total_items"`
		Size       int               `json:"size"`
		Contents   []json.RawMessage `json:"contents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(page.Contents) != 5 || page.TotalItems < 150 {
		t.Fatalf("status %d, %d items of %d", resp.StatusCode, len(page.Contents), page.TotalItems)
	}
	home, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(home.Body)
	home.Body.Close()
	if home.StatusCode != 200 || !bytes.Contains(bytes.ToLower(body), []byte("demo")) {
		t.Errorf("home page: status %d, demo label missing", home.StatusCode)
	}

	// Every route carries the security headers, the API's and the health
	// check's as much as the pages', and refuses forged cross-origin posts.
	for _, path := range []string{"/", "/openreferral/services", "/api/v1/search?q=x", "/healthz"} {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: security headers missing: %v", path, h)
		}
	}
	// The access log names each request without its query string, so
	// tokens in e-mailed links never reach the log.
	const secret = "s3cret-link-token-value"
	if res, err := http.Get("http://" + addr + "/sign-in/reset?token=" + secret); err == nil {
		res.Body.Close()
	}
	if res, err := http.PostForm("http://"+addr+"/sign-in", url.Values{"email": {"someone@example.org"}, "password": {secret}}); err == nil {
		res.Body.Close()
	}
	if strings.Contains(stderr.String(), secret) {
		t.Errorf("the server log holds a secret from a request:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "path=/sign-in/reset") {
		t.Errorf("the access log does not record requests:\n%s", stderr.String())
	}

	for _, path := range []string{"/sign-out", "/openreferral/services", "/healthz"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("forged cross-origin POST %s: status %d, want 403", path, res.StatusCode)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe to write from a server goroutine
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
