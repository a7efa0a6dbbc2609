package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"throughcare/internal/audit"
	"throughcare/internal/browsertest"
	"throughcare/internal/directory"
	"throughcare/internal/store/storetest"
)

// TestBrowserListingReview follows a listing change through the browser: a
// provider signs in and edits their service (meeting the form's problems
// on the way), an administrator signs in with their second factor and
// approves it from the review queue, the public page shows it, and a
// signed-in practitioner reads who changed what. Each page is checked with
// axe-core.
func TestBrowserListingReview(t *testing.T) {
	requireBuiltAssets(t)
	db := storetest.SQLite(t)
	f := newListingFixture(t, db)
	ctx := context.Background()
	for _, p := range []string{provider, admin, practitioner} {
		if err := db.SetPassword(ctx, f.users[p].ID, testHash(), audit.Event{Action: audit.UserPasswordChanged}); err != nil {
			t.Fatal(err)
		}
	}
	adminSecret, _ := enableTOTP(t, db, f.users[admin].ID)
	b := browsertest.Start(t, f.srv)
	path := func() string { return browsertest.Eval[string](t, b, `location.pathname + location.search`) }
	signIn := func(persona, next string) {
		t.Helper()
		b.Open(t, "/sign-in?next="+url.QueryEscape(next))
		if status := b.Follow(t,
			chromedp.SendKeys(chromedp.CSS("#email"), f.users[persona].Email),
			chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
			chromedp.Click(chromedp.CSS("#sign-in")),
		); status != 200 {
			t.Fatalf("signing in as %s: status %d", persona, status)
		}
		if persona == admin {
			if status := b.Follow(t,
				chromedp.SendKeys(chromedp.CSS("#code"), totpCode(t, adminSecret, time.Now())),
				chromedp.Click(chromedp.CSS("#continue")),
			); status != 200 {
				t.Fatalf("second factor: status %d", status)
			}
		}
		if got := path(); got != next {
			t.Fatalf("signed in as %s at %s, want %s", persona, got, next)
		}
	}
	signOut := func() {
		t.Helper()
		if status := b.Follow(t, chromedp.Click(chromedp.CSS(".app-sign-out button"))); status != 200 {
			t.Fatalf("sign out: status %d", status)
		}
	}
	problems := func(page string, allowed ...string) {
		t.Helper()
		for _, p := range b.Problems() {
			if !containsAny(p, allowed) {
				t.Errorf("%s reported a problem: %s", page, p)
			}
		}
	}
	follow := func(page string, want int64, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if status := b.Follow(t, steps...); status != want {
			t.Fatalf("%s: status %d, want %d", page, status, want)
		}
	}

	// The provider's home page, then the form.
	signIn(provider, "/provider")
	b.WaitFor(t, `document.querySelector("#listing-`+talkingID+`") !== null`)
	browsertest.Axe(b.Ctx, t)
	problems("provider home")
	follow("edit form", 200, chromedp.Click(chromedp.CSS(`#listing-`+talkingID+` a[href$="/edit"]`)))
	browsertest.Axe(b.Ctx, t)
	problems("edit form")

	// The first try meets the fixture's incomplete addresses; the error
	// summary takes the focus and its links lead to the fields.
	follow("form with problems", 400,
		chromedp.SetValue(chromedp.CSS("#description"), newDescription),
		chromedp.Click(chromedp.CSS("#submit-listing")),
	)
	b.WaitFor(t, `document.activeElement && document.activeElement.closest(".govuk-error-summary") !== null`)
	browsertest.Axe(b.Ctx, t)
	problems("form with problems", "status of 400")
	county := "loc_" + cityLocID + "_state_province"
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(`.govuk-error-summary a[href="#`+county+`"]`))); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, `document.activeElement && document.activeElement.id === "`+county+`"`)
	follow("confirmation", 200,
		chromedp.SetValue(chromedp.CSS("#"+county), "Lincolnshire"),
		chromedp.SetValue(chromedp.CSS("#loc_"+northLocID+"_state_province"), "Lincolnshire"),
		chromedp.Click(chromedp.CSS("#remove-service_area__"+directory.NameUUID("test:area:broken"))),
		chromedp.Click(chromedp.CSS("#submit-listing")),
	)
	if got := browsertest.Eval[string](t, b, `document.querySelector("#confirmation h1").textContent.trim()`); got != "Change sent for review" {
		t.Errorf("confirmation = %q", got)
	}
	browsertest.Axe(b.Ctx, t)
	problems("confirmation")
	chs := pending(t, db, talkingID)
	if len(chs) != 1 {
		t.Fatalf("%d changes pending, want 1", len(chs))
	}

	// The administrator approves it from the queue.
	signOut()
	signIn(admin, "/admin/reviews")
	browsertest.Axe(b.Ctx, t)
	problems("review queue")
	follow("review", 200, chromedp.Click(chromedp.CSS(`#review-queue a[href="/admin/reviews/`+chs[0].ID+`"]`)))
	browsertest.Axe(b.Ctx, t)
	problems("review")
	follow("approved", 200,
		chromedp.SetValue(chromedp.CSS("#review_note"), "Thank you"),
		chromedp.Click(chromedp.CSS("#approve")),
	)
	if got := browsertest.Eval[string](t, b, `document.querySelector("#change-status").textContent.trim()`); got != "Approved" {
		t.Errorf("status after approval = %q", got)
	}
	browsertest.Axe(b.Ctx, t)
	problems("approved")

	// Signed out, the public page shows the change and no history.
	signOut()
	b.Open(t, "/services/"+talkingID)
	if !browsertest.Eval[bool](t, b, `document.querySelector("main").textContent.includes(`+jsString(newDescription)+`)`) ||
		browsertest.Eval[bool](t, b, `document.querySelector("#change-history") !== null`) {
		t.Errorf("the public page does not show the change, or shows the history link")
	}

	// Signed in, anyone can read who changed what.
	signIn(practitioner, "/services/"+talkingID)
	follow("history", 200, chromedp.Click(chromedp.CSS("#change-history")))
	if got := browsertest.Eval[string](t, b, `document.querySelector("#version-0-by").textContent.trim()`); got != "By provider@example.org (approved by admin@example.org)" {
		t.Errorf("latest version by %q", got)
	}
	if !browsertest.Eval[bool](t, b, `document.querySelector("#version-0").textContent.includes(`+jsString(newDescription)+`)`) {
		t.Errorf("the latest version does not show the new description")
	}
	browsertest.Axe(b.Ctx, t)
	problems("history")
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
