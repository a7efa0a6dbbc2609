package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/argon2"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/mail"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func init() {
	expectAccess(map[string]walkCase{
		"GET /sign-in":                      {"/sign-in?next=/account", everyone},
		"POST /sign-in":                     {"/sign-in", everyone},
		"GET /sign-in/code":                 {"/sign-in/code", everyone},
		"POST /sign-in/code":                {"/sign-in/code", everyone},
		"GET /sign-in/forgot":               {"/sign-in/forgot", everyone},
		"POST /sign-in/forgot":              {"/sign-in/forgot", everyone},
		"GET /sign-in/reset":                {"/sign-in/reset?token=not-a-link", everyone},
		"POST /sign-in/reset":               {"/sign-in/reset", everyone},
		"GET /account":                      {"/account", anySignedIn},
		"POST /account/sign-out-everywhere": {"/account/sign-out-everywhere", anySignedIn},
		"GET /account/password":             {"/account/password", anySignedIn},
		"POST /account/password":            {"/account/password", anySignedIn},
		"GET /account/totp":                 {"/account/totp", anySignedIn},
		"POST /account/totp":                {"/account/totp", anySignedIn},
		// Administrators may not turn their second factor off.
		"POST /account/totp/disable": {"/account/totp/disable", "provider provider-other practitioner commissioner analyst"},
	})
	// Administrators must have a second factor before they can use any
	// page that needs signing in; the walk's administrator has one, so
	// that the walk checks what administrators may do rather than the
	// set-up page they would otherwise be sent to.
	walkSetups = append(walkSetups, func(t *testing.T, f *walkFixture) {
		u := f.users[admin]
		enableTOTP(t, f.db, u.ID)
		u.TOTPEnabled = true
		f.users[admin] = u
	})
}

// Passwords the test users sign in with.
const (
	testPassword  = "plum kettle orbit sandal"
	otherPassword = "velvet gravel lantern"
)

// testLinkKey signs the tests' links.
var testLinkKey = []byte("sign-in-test-link-key-of-32-byte")

// testHash is the hash of testPassword, made once since hashing is slow
// on purpose.
var testHash = sync.OnceValue(func() string {
	h, err := account.HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// testClock is a clock the tests move, read by the server and the
// database alike.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// authFixture is a server over a fresh database whose users have
// passwords, with a clock the tests move and e-mail kept in memory.
type authFixture struct {
	srv   *Server
	db    *store.DB
	mail  *mail.Memory
	clock *testClock
}

// testStart is when every auth test begins: 10am in the UK (British Summer
// Time).
var testStart = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func newAuthFixture(t *testing.T, db *store.DB) *authFixture {
	t.Helper()
	f := &authFixture{db: db, mail: &mail.Memory{}, clock: &testClock{t: testStart}}
	db.Now = f.clock.Now
	f.restart(t)
	return f
}

// restart replaces the server with a new one over the same database, as
// after a restart or on another node: what the old one kept in memory is
// gone. Visitors made before keep talking to the old server.
func (f *authFixture) restart(t *testing.T) {
	t.Helper()
	f.srv = newTestServer(t, Config{
		DB: f.db, Mailer: f.mail, LinkKey: testLinkKey, BaseURL: "https://throughcare.example", Now: f.clock.Now,
	}, nil)
}

// addUser creates a user with address email and password testPassword,
// after change (if not nil) has had its say.
func (f *authFixture) addUser(t *testing.T, email string, change func(u *account.User)) account.User {
	t.Helper()
	u := account.User{Email: email, Name: "Pat " + strings.ToUpper(email[:1]) + email[1:strings.IndexByte(email, '@')]}
	if change != nil {
		change(&u)
	}
	created, err := f.db.CreateUser(context.Background(), u, testHash(), audit.Event{Action: audit.UserCreated})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// enableTOTP turns on a second factor for userID and returns its secret
// and recovery codes.
func enableTOTP(t *testing.T, db *store.DB, userID string) (secret string, codes []string) {
	t.Helper()
	secret, _, err := account.NewTOTP("user@example.org")
	if err != nil {
		t.Fatal(err)
	}
	codes, hashes := account.NewRecoveryCodes()
	if err := db.SetTOTP(context.Background(), userID, secret, hashes, audit.Event{Action: audit.UserTOTPEnabled}); err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

// totpCode is the code an authenticator app shows for secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// visitor is one person's browser: it keeps the cookies the server sets
// and sends them back, from one address.
type visitor struct {
	t       *testing.T
	srv     http.Handler
	addr    string
	cookies map[string]string
}

func (f *authFixture) visitor(t *testing.T) *visitor {
	return &visitor{t: t, srv: f.srv, addr: "192.0.2.10", cookies: map[string]string{}}
}

// do serves one request from the browser, as a same-origin request.
func (b *visitor) do(method, target string, form url.Values) *http.Response {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = b.addr + ":50000"
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return res
}

func (b *visitor) get(target string) *http.Response {
	b.t.Helper()
	return b.do(http.MethodGet, target, nil)
}

func (b *visitor) post(target string, form url.Values) *http.Response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return b.do(http.MethodPost, target, form)
}

// signIn posts the sign-in form.
func (b *visitor) signIn(email, password string) *http.Response {
	b.t.Helper()
	return b.post("/sign-in", url.Values{"email": {email}, "password": {password}})
}

// signedIn reports whether the browser's session lets it see its account.
func (b *visitor) signedIn() bool {
	b.t.Helper()
	res := b.get("/account")
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// readPage reads res's page, checks the layout and that every link of the
// error summary leads to a field on the page, and returns it.
func readPage(t *testing.T, res *http.Response) *node {
	t.Helper()
	doc := parseHTML(t, body(t, res))
	checkLayout(t, doc, false)
	return doc
}

// firstText returns the text of the first element matching sel, or "".
func firstText(doc *node, sel string) string {
	if found := doc.Find(sel); len(found) > 0 {
		return found[0].Text()
	}
	return ""
}

// wantResponse fails the test unless res has status want (and, for a
// redirect, goes to location).
func wantResponse(t *testing.T, what string, res *http.Response, want int, location string) {
	t.Helper()
	if res.StatusCode != want || (location != "" && res.Header.Get("Location") != location) {
		t.Fatalf("%s: status %d, Location %q; want %d, %q", what, res.StatusCode, res.Header.Get("Location"), want, location)
	}
}

// userAuditActions returns the actions of the events about userID, oldest
// first.
func userAuditActions(t *testing.T, db *store.DB, userID string) []audit.Action {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), store.AuditFilter{RecordID: userID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Action
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Action)
	}
	return out
}

// weakHash is an argon2id hash of password made with less memory and
// time than account.HashPassword uses today.
func weakHash(t *testing.T, password string) string {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	const memory, passes = 8 * 1024, 1
	key := argon2.IDKey([]byte(password), salt, passes, memory, 1, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=1$%s$%s", argon2.Version, memory, passes, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func countOf[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

func TestSignInPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		b := f.visitor(t)

		res := b.get("/sign-in?next=/account")
		wantResponse(t, "sign-in page", res, http.StatusOK, "")
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q", got)
		}
		doc := readPage(t, res)
		for _, c := range []check{
			{"h1", 1, "Sign in"},
			{"form[action=/sign-in][method=post] input[type=hidden][name=next][value=/account]", 1, ""},
			{"label[for=email]", 1, "Email address"},
			{"input#email[name=email][type=email][autocomplete=email]", 1, ""},
			{"label[for=password]", 1, "Password"},
			{".govuk-password-input input#password[type=password][autocomplete=current-password]", 1, ""},
			{"a[href=/sign-in/forgot]", 1, "forgotten my password"},
			{".govuk-error-summary", 0, ""},
		} {
			checkDoc(t, "sign-in page", doc, c)
		}

		doc = readPage(t, b.get("/sign-in/forgot"))
		checkDoc(t, "forgot page", doc, check{"form[action=/sign-in/forgot] input#email[autocomplete=email]", 1, ""})

		// Without a password given first, the second step sends the
		// visitor back to the start.
		res = b.get("/sign-in/code")
		wantResponse(t, "code page without a password", res, http.StatusBadRequest, "")
		doc = readPage(t, res)
		checkDoc(t, "code page without a password", doc, check{".govuk-error-summary", 1, "Your sign-in timed out"})
		checkDoc(t, "code page without a password", doc, check{"form[action=/sign-in]", 1, ""})

		res = b.get("/sign-in/reset?token=not-a-link")
		wantResponse(t, "reset with a bad token", res, http.StatusBadRequest, "")
		checkDoc(t, "reset with a bad token", readPage(t, res), check{"h1", 1, "This link is not valid"})
	})
}

// checkDoc applies one check to doc.
func checkDoc(t *testing.T, what string, doc *node, c check) {
	t.Helper()
	found := doc.Find(c.sel)
	if c.count >= 0 && len(found) != c.count {
		t.Errorf("%s: %s: found %d, want %d", what, c.sel, len(found), c.count)
		return
	}
	if c.text != "" && !slices.ContainsFunc(found, func(n *node) bool { return strings.Contains(n.Text(), c.text) }) {
		t.Errorf("%s: %s: no element contains %q", what, c.sel, c.text)
	}
}

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		gone := f.addUser(t, "gone@example.org", func(u *account.User) { u.Disabled = true })

		// Signing in with the right password starts a session.
		b := f.visitor(t)
		res := b.signIn("  Pat@Example.org ", testPassword)
		wantResponse(t, "right password", res, http.StatusSeeOther, "/")
		if !b.signedIn() {
			t.Fatal("not signed in after the right password")
		}
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserSignedIn) != 1 {
			t.Errorf("audit = %v, want one user.signed_in", got)
		}

		// A wrong password, an address with no account and a disabled
		// account all get the same answer, and no session.
		var messages []string
		for _, c := range []struct{ name, email, password string }{
			{"wrong password", "pat@example.org", "not the password at all"},
			{"unknown email", "nobody@example.org", testPassword},
			{"disabled account", "gone@example.org", testPassword},
		} {
			b := f.visitor(t)
			res := b.signIn(c.email, c.password)
			wantResponse(t, c.name, res, http.StatusBadRequest, "")
			doc := readPage(t, res)
			msg := firstText(doc, "#password-error")
			if !strings.Contains(msg, "The email address or password is not correct") {
				t.Errorf("%s: message %q", c.name, msg)
			}
			if got := firstText(doc, "title"); !strings.HasPrefix(got, "Error: Sign in") {
				t.Errorf("%s: title %q, want it marked as an error", c.name, got)
			}
			if len(doc.Find("input#email[value="+c.email+"]")) != 1 {
				t.Errorf("%s: the address typed is not kept", c.name)
			}
			if len(doc.Find(".govuk-error-summary a[href=#password]")) != 1 {
				t.Errorf("%s: error summary does not link to the password field", c.name)
			}
			messages = append(messages, msg)
			if b.signedIn() {
				t.Errorf("%s: signed in", c.name)
			}
		}
		if messages[0] != messages[1] || messages[1] != messages[2] {
			t.Errorf("the answers differ: %q", messages)
		}
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserSignInFailed) != 1 {
			t.Errorf("pat's audit = %v, want one user.sign_in_failed", got)
		}
		if got := userAuditActions(t, db, gone.ID); countOf(got, audit.UserSignInFailed) != 1 || countOf(got, audit.UserSignedIn) != 0 {
			t.Errorf("disabled user's audit = %v, want one user.sign_in_failed", got)
		}

		// An empty form names both fields.
		res = f.visitor(t).signIn("", "")
		wantResponse(t, "empty form", res, http.StatusBadRequest, "")
		doc := readPage(t, res)
		checkDoc(t, "empty form", doc, check{".govuk-error-summary a[href=#email]", 1, "Enter your email address"})
		checkDoc(t, "empty form", doc, check{".govuk-error-summary a[href=#password]", 1, "Enter your password"})
		checkDoc(t, "empty form", doc, check{".govuk-form-group--error input#email.govuk-input--error[aria-describedby=email-error]", 1, ""})
	})
}

func TestSignInNext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		for next, want := range map[string]string{
			"/account":              "/account",
			"/search?q=a&type=b":    "/search?q=a&type=b",
			"//evil.example/x":      "/",
			"https://evil.example/": "/",
			"/\\evil.example":       "/",
			"javascript:alert(1)":   "/",
			"":                      "/",
			"/account/password?x=1": "/account/password?x=1",
		} {
			b := f.visitor(t)
			res := b.post("/sign-in", url.Values{"email": {"pat@example.org"}, "password": {testPassword}, "next": {next}})
			wantResponse(t, "next="+next, res, http.StatusSeeOther, want)
		}
		// The page itself does not carry a foreign next into its form.
		doc := readPage(t, f.visitor(t).get("/sign-in?next=//evil.example"))
		if n := doc.Find("input[name=next]"); len(n) != 0 {
			t.Errorf("sign-in form carries next=%q", n[0].attrs["value"])
		}
		// A page that needs signing in sends the visitor to sign in and
		// back.
		b := f.visitor(t)
		wantResponse(t, "account page signed out", b.get("/account/password"), http.StatusSeeOther, "/sign-in?next=%2Faccount%2Fpassword")
		// Someone already signed in is sent straight on.
		b.signIn("pat@example.org", testPassword)
		wantResponse(t, "sign-in page when signed in", b.get("/sign-in?next=/account"), http.StatusSeeOther, "/account")
	})
}

func TestSignInLockOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		for i := range maxSignInFailures - 1 {
			res := b.signIn("pat@example.org", "wrong password number "+string(rune('a'+i)))
			wantResponse(t, "wrong password", res, http.StatusBadRequest, "")
			res.Body.Close()
		}
		f.clock.Add(time.Minute)
		res := b.signIn("pat@example.org", "the last wrong password")
		wantResponse(t, "fifth wrong password", res, http.StatusTooManyRequests, "")
		doc := readPage(t, res)
		// Locked at 9:01 UTC for 15 minutes: 10:16am in the UK.
		checkDoc(t, "locked", doc, check{".govuk-error-summary", 1, "This account is locked until 10:16am"})
		checkDoc(t, "locked", doc, check{"#locked a[href=/sign-in/forgot]", 1, "reset your password"})
		if res.Header.Get("Retry-After") != "900" {
			t.Errorf("Retry-After = %q, want 900", res.Header.Get("Retry-After"))
		}
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserLocked) != 1 || countOf(got, audit.UserSignInFailed) != maxSignInFailures {
			t.Errorf("audit = %v, want %d failures and a lock", got, maxSignInFailures)
		}

		// While locked, the right password is refused too, from any
		// browser, and after the server restarts (the lock is kept in the
		// database, not only in the server's memory).
		f.clock.Add(14 * time.Minute)
		f.restart(t)
		other := f.visitor(t)
		other.addr = "198.51.100.7"
		res = other.signIn("pat@example.org", testPassword)
		wantResponse(t, "right password while locked", res, http.StatusTooManyRequests, "")
		checkDoc(t, "right password while locked", readPage(t, res), check{".govuk-error-summary", 1, "locked until 10:16am"})
		if other.signedIn() {
			t.Fatal("signed in while locked")
		}

		// Once the lock has passed, the right password works.
		f.clock.Add(time.Minute)
		res = other.signIn("pat@example.org", testPassword)
		wantResponse(t, "right password after the lock", res, http.StatusSeeOther, "/")
		if !other.signedIn() {
			t.Fatal("not signed in after the lock passed")
		}
		cred, err := db.Credentials(context.Background(), pat.ID)
		if err != nil || cred.FailedCount != 0 {
			t.Errorf("failed count after signing in = %d, %v; want 0", cred.FailedCount, err)
		}

		// An address with no account locks the same way, so locking
		// does not tell who has an account.
		for range maxSignInFailures {
			b.signIn("nobody@example.org", testPassword).Body.Close()
		}
		res = b.signIn("nobody@example.org", testPassword)
		wantResponse(t, "unknown address after many tries", res, http.StatusTooManyRequests, "")
		checkDoc(t, "unknown address after many tries", readPage(t, res), check{".govuk-error-summary", 1, "This account is locked until"})
	})
}

func TestSignInThrottlesAnAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		// One client trying many addresses: the limiter's default burst
		// is 20 attempts.
		for i := range 20 {
			res := b.signIn("someone"+string(rune('a'+i))+"@example.org", testPassword)
			wantResponse(t, "attempt within the burst", res, http.StatusBadRequest, "")
			res.Body.Close()
		}
		res := b.signIn("pat@example.org", testPassword)
		wantResponse(t, "attempt past the burst", res, http.StatusTooManyRequests, "")
		checkDoc(t, "throttled", readPage(t, res), check{".govuk-error-summary", 1, "too many attempts to sign in from your network"})
		if b.signedIn() {
			t.Error("signed in while throttled")
		}
		// Another client is not held up.
		other := f.visitor(t)
		other.addr = "2001:db8:1::1"
		wantResponse(t, "another client", other.signIn("pat@example.org", testPassword), http.StatusSeeOther, "/")
	})
}

func TestSignInRehashesWeakHashes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		// A hash of testPassword made with a lower memory cost.
		weak := weakHash(t, testPassword)
		if err := db.SetPassword(context.Background(), pat.ID, weak, audit.Event{Action: audit.UserPasswordChanged}); err != nil {
			t.Fatal(err)
		}
		wantResponse(t, "sign in", f.visitor(t).signIn("pat@example.org", testPassword), http.StatusSeeOther, "/")
		cred, err := db.Credentials(context.Background(), pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cred.PasswordHash == weak || !strings.Contains(cred.PasswordHash, "m=19456") {
			t.Errorf("hash after sign-in = %q, want today's parameters", cred.PasswordHash)
		}
		if ok, rehash, _ := account.CheckPassword(cred.PasswordHash, testPassword); !ok || rehash {
			t.Errorf("new hash: ok=%v rehash=%v", ok, rehash)
		}
	})
}

func TestSessionIdleSendsYouToSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)
		f.clock.Add(DefaultSessionIdle - time.Minute)
		if !b.signedIn() {
			t.Fatal("session ended before it was idle for long")
		}
		f.clock.Add(DefaultSessionIdle)
		res := b.get("/account")
		wantResponse(t, "after idling", res, http.StatusSeeOther, "/sign-in?next=%2Faccount")
		if _, ok := b.cookies[f.srv.cookieName()]; ok {
			t.Error("the ended session's cookie was not cleared")
		}
	})
}

func TestSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		secret, codes := enableTOTP(t, db, pat.ID)
		b := f.visitor(t)

		// The right password leads to the second step, not a session.
		res := b.post("/sign-in", url.Values{"email": {"pat@example.org"}, "password": {testPassword}, "next": {"/account"}})
		wantResponse(t, "password", res, http.StatusSeeOther, "/sign-in/code?next=%2Faccount")
		var pending *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "throughcare_sign_in" {
				pending = c
			}
		}
		if pending == nil || !pending.HttpOnly || pending.SameSite != http.SameSiteLaxMode || pending.MaxAge != 300 {
			t.Fatalf("pending cookie = %+v; want HttpOnly, SameSite=Lax, 5 minutes", pending)
		}
		if _, ok := b.cookies[f.srv.cookieName()]; ok {
			t.Fatal("a session started before the second factor")
		}
		doc := readPage(t, b.get("/sign-in/code?next=%2Faccount"))
		checkDoc(t, "code page", doc, check{"form[action=/sign-in/code] input#code[autocomplete=one-time-code]", 1, ""})
		checkDoc(t, "code page", doc, check{"input[name=next][value=/account]", 1, ""})

		// A wrong code is refused.
		wrong := "000000"
		if wrong == totpCode(t, secret, f.clock.Now()) {
			wrong = "111111"
		}
		res = b.post("/sign-in/code", url.Values{"code": {wrong}})
		wantResponse(t, "wrong code", res, http.StatusBadRequest, "")
		checkDoc(t, "wrong code", readPage(t, res), check{".govuk-error-summary a[href=#code]", 1, "The code is not correct"})

		// The right one signs in.
		code := totpCode(t, secret, f.clock.Now())
		wantResponse(t, "right code", b.post("/sign-in/code", url.Values{"code": {code}, "next": {"/account"}}), http.StatusSeeOther, "/account")
		if !b.signedIn() {
			t.Fatal("not signed in after the right code")
		}
		if _, ok := b.cookies["throughcare_sign_in"]; ok {
			t.Error("the pending cookie was not cleared")
		}

		// The same code cannot be used again, even from another browser
		// that has the password.
		thief := f.visitor(t)
		thief.addr = "203.0.113.5"
		wantResponse(t, "password again", thief.signIn("pat@example.org", testPassword), http.StatusSeeOther, "/sign-in/code")
		res = thief.post("/sign-in/code", url.Values{"code": {code}})
		wantResponse(t, "replayed code", res, http.StatusBadRequest, "")
		res.Body.Close()
		if thief.signedIn() {
			t.Fatal("a replayed code signed in")
		}

		// A recovery code works once.
		res = thief.post("/sign-in/code", url.Values{"code": {strings.ToUpper(codes[3])}})
		wantResponse(t, "recovery code", res, http.StatusSeeOther, "/")
		if !thief.signedIn() {
			t.Fatal("not signed in with a recovery code")
		}
		again := f.visitor(t)
		again.signIn("pat@example.org", testPassword)
		res = again.post("/sign-in/code", url.Values{"code": {codes[3]}})
		wantResponse(t, "recovery code used twice", res, http.StatusBadRequest, "")
		res.Body.Close()
		cred, err := db.Credentials(context.Background(), pat.ID)
		if err != nil || len(cred.RecoveryHashes) != len(codes)-1 {
			t.Errorf("recovery codes left = %d, %v; want %d", len(cred.RecoveryHashes), err, len(codes)-1)
		}

		// The next code from the app works.
		f.clock.Add(30 * time.Second)
		wantResponse(t, "next code", again.post("/sign-in/code", url.Values{"code": {totpCode(t, secret, f.clock.Now())}}), http.StatusSeeOther, "/")

		events, err := db.AuditEvents(context.Background(), store.AuditFilter{RecordID: pat.ID, Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		var methods []string
		for _, e := range events {
			methods = append(methods, e.Detail)
		}
		slices.Sort(methods)
		want := []string{`{"method":"password+recovery_code"}`, `{"method":"password+totp"}`, `{"method":"password+totp"}`}
		if !slices.Equal(methods, want) {
			t.Errorf("sign-in methods audited = %q, want %q", methods, want)
		}
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserRecoveryCodeUsed) != 1 || countOf(got, audit.UserSignInFailed) != 3 {
			t.Errorf("audit = %v, want one recovery code used and three failures", got)
		}
	})
}

func TestSecondFactorFailuresLockTheAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		secret, _ := enableTOTP(t, db, pat.ID)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)
		right := totpCode(t, secret, f.clock.Now())
		var res *http.Response
		for i := range maxSignInFailures {
			wrong := strings.Repeat(string(rune('0'+i)), 6)
			if wrong == right {
				wrong = "987654"
			}
			res = b.post("/sign-in/code", url.Values{"code": {wrong}})
		}
		wantResponse(t, "fifth wrong code", res, http.StatusTooManyRequests, "")
		checkDoc(t, "fifth wrong code", readPage(t, res), check{".govuk-error-summary", 1, "This account is locked until"})
		// The half-finished sign-in is over, and the password is refused
		// while the lock lasts.
		if _, ok := b.cookies["throughcare_sign_in"]; ok {
			t.Error("pending cookie kept after the lock")
		}
		wantResponse(t, "password while locked", b.signIn("pat@example.org", testPassword), http.StatusTooManyRequests, "")
	})
}

func TestSecondFactorTimesOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		secret, _ := enableTOTP(t, db, pat.ID)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)
		f.clock.Add(pendingFor + time.Second)
		res := b.post("/sign-in/code", url.Values{"code": {totpCode(t, secret, f.clock.Now())}})
		wantResponse(t, "code after the time allowed", res, http.StatusBadRequest, "")
		checkDoc(t, "code after the time allowed", readPage(t, res), check{".govuk-error-summary", 1, "Your sign-in timed out"})
		if b.signedIn() {
			t.Error("signed in after the second step timed out")
		}
	})
}

func TestNoAccountsWithoutDatabase(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	for _, path := range []string{"/sign-in", "/sign-in/forgot", "/sign-in/code", "/sign-in/reset?token=x"} {
		if res := get(t, s, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s without a database: status %d, want 404", path, res.StatusCode)
		}
	}
}
