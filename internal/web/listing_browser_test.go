package web

import (
	"net/http"
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
// provider edits their service (meeting the form's problems on the way),
// an administrator approves it from the review queue, the public page
// shows it, and a signed-in user reads who changed what. Each page is
// checked with axe-core.
//
// Signing in goes through a test-only address that starts a session for a
// persona, so the test does not depend on the sign-in pages.
func TestBrowserListingReview(t *testing.T) {
	requireBuiltAssets(t)
	db := storetest.SQLite(t)
	f := newListingFixture(t, db)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/test/sign-in-as" {
			f.srv.ServeHTTP(w, r)
			return
		}
		tok, err := db.CreateSession(r.Context(), f.users[r.URL.Query().Get("persona")].ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: f.srv.cookieName(), Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	})
	b := browsertest.Start(t, h)
	signIn := func(persona, next string) {
		t.Helper()
		b.Open(t, "/test/sign-in-as?persona="+persona+"&next="+next)
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
	follow("signed out", 200, chromedp.Click(chromedp.CSS(".app-sign-out button")))
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
