package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"throughcare/internal/account"
	"throughcare/internal/browsertest"
	"throughcare/internal/store/storetest"
)

// TestBrowserSignIn signs an administrator in with Chromium as a person
// would: a form sent empty first, then the password, the set-up of
// two-factor authentication they are sent to, the recovery codes and their
// account; then signs out and in again to the second step. axe-core checks
// every page on the way.
func TestBrowserSignIn(t *testing.T) {
	requireBuiltAssets(t)
	f := newAuthFixture(t, storetest.SQLite(t))
	f.addUser(t, "ada@example.org", func(u *account.User) { u.Admin = true; u.Name = "Ada Admin" })
	b := browsertest.Start(t, f.srv)

	// check runs axe-core on the page and fails on any script error or
	// policy violation; the browser's own note of a page's error status
	// is expected when failing is the point.
	check := func(page string, failing bool) {
		t.Helper()
		b.WaitFor(t, `document.body.classList.contains("js-enabled")`)
		browsertest.Axe(b.Ctx, t)
		for _, p := range b.Problems() {
			if !failing || !strings.Contains(p, "the server responded with a status of") {
				t.Errorf("%s reported a problem: %s", page, p)
			}
		}
	}
	path := func() string { return browsertest.Eval[string](t, b, `location.pathname + location.search`) }

	b.Open(t, "/sign-in?next=%2Faccount")
	check("sign-in page", false)
	if browsertest.Eval[bool](t, b, `document.querySelector("#password ~ .govuk-password-input__toggle").hidden`) {
		t.Error("the button to show the password stays hidden with JavaScript on")
	}

	// Sent empty, the form comes back with the error summary focused, as
	// GOV.UK Frontend does, so screen readers announce it first.
	if status := b.Follow(t, chromedp.Click(chromedp.CSS("#sign-in"))); status != 400 {
		t.Fatalf("empty form: status %d", status)
	}
	b.WaitFor(t, `document.activeElement !== null && document.activeElement.classList.contains("govuk-error-summary")`)
	check("sign-in errors", true)

	if status := b.Follow(t,
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#sign-in")),
	); status != 200 {
		t.Fatalf("sign in: status %d", status)
	}
	if got := path(); got != "/account/totp?next=%2Faccount" {
		t.Fatalf("an administrator without a second factor went to %s after signing in", got)
	}
	check("set-up page", false)
	if !browsertest.Eval[bool](t, b, `document.querySelector("#qr-code").complete && document.querySelector("#qr-code").naturalWidth > 0`) {
		t.Error("the QR code image did not load")
	}

	key := browsertest.Eval[string](t, b, `document.querySelector("#totp-key").textContent`)
	code := totpCode(t, strings.ReplaceAll(key, " ", ""), f.clock.Now())
	if status := b.Follow(t,
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#turn-on")),
	); status != 200 {
		t.Fatalf("set-up code: status %d", status)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#recovery-codes li").length`); n != account.RecoveryCodeCount {
		t.Errorf("%d recovery codes shown", n)
	}
	check("recovery codes", false)

	if status := b.Follow(t, chromedp.Click(chromedp.CSS("#continue"))); status != 200 || path() != "/account" {
		t.Fatalf("continue: status %d at %s", status, path())
	}
	check("account page", false)
	for _, p := range []string{"/account/password", "/account/totp"} {
		b.Open(t, p)
		check(p, false)
	}

	// Signed out and in again, the second step asks for a code.
	if status := b.Follow(t, chromedp.Click(chromedp.CSS(".app-sign-out button"))); status != 200 {
		t.Fatalf("sign out: status %d", status)
	}
	b.Open(t, "/sign-in/forgot")
	check("forgotten password page", false)
	b.Open(t, "/sign-in")
	if status := b.Follow(t,
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#sign-in")),
	); status != 200 || path() != "/sign-in/code" {
		t.Fatalf("sign in again: status %d at %s", status, path())
	}
	check("second step", false)
}
