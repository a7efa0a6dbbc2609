package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// resetLinkIn returns the path of the reset link in the last e-mail sent,
// after checking the mail went to to.
func (f *authFixture) resetLinkIn(t *testing.T, to string) string {
	t.Helper()
	sent := f.mail.Sent()
	if len(sent) == 0 {
		t.Fatal("no e-mail sent")
	}
	m := sent[len(sent)-1]
	if len(m.To) != 1 || m.To[0] != to {
		t.Fatalf("e-mail sent to %v, want %s", m.To, to)
	}
	const prefix = "https://throughcare.example/sign-in/reset?token="
	i := strings.Index(m.Text, prefix)
	if i < 0 {
		t.Fatalf("e-mail has no reset link:\n%s", m.Text)
	}
	link := strings.Fields(m.Text[i:])[0]
	return strings.TrimPrefix(link, "https://throughcare.example")
}

// askForReset posts the forgotten-password form for email and checks the
// answer, which is the same whether or not the address has an account.
func askForReset(t *testing.T, b *visitor, email string) {
	t.Helper()
	res := b.post("/sign-in/forgot", url.Values{"email": {email}})
	wantResponse(t, "reset request for "+email, res, http.StatusOK, "")
	doc := readPage(t, res)
	checkDoc(t, "reset request", doc, check{"h1", 1, "Check your email"})
	checkDoc(t, "reset request", doc, check{"#sent strong", 1, strings.ToLower(email)})
	checkDoc(t, "reset request", doc, check{"#sent", 1, "we have sent it a link to choose a new password"})
}

func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		f.addUser(t, "gone@example.org", func(u *account.User) { u.Disabled = true })

		// Pat is signed in somewhere, and someone has locked the account
		// by guessing.
		elsewhere := f.visitor(t)
		elsewhere.signIn("pat@example.org", testPassword)
		guesser := f.visitor(t)
		guesser.addr = "203.0.113.9"
		for range maxSignInFailures {
			guesser.signIn("pat@example.org", "a wrong guess at it").Body.Close()
		}

		// Addresses with no account, or a disabled one, get the same
		// page and no e-mail.
		b := f.visitor(t)
		askForReset(t, b, "nobody@example.org")
		askForReset(t, b, "gone@example.org")
		if n := len(f.mail.Sent()); n != 0 {
			t.Fatalf("%d e-mails sent for addresses without a usable account", n)
		}
		askForReset(t, b, "Pat@Example.org")
		link := f.resetLinkIn(t, "pat@example.org")
		if m := f.mail.Sent()[0]; m.Subject != "Reset your Throughcare password" || strings.Contains(m.Text, testPassword) {
			t.Errorf("reset e-mail: %+v", m)
		}
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserPasswordResetSent) != 1 {
			t.Errorf("audit = %v, want user.password_reset_sent", got)
		}

		// The link opens the form.
		res := b.get(link)
		wantResponse(t, "reset link", res, http.StatusOK, "")
		doc := readPage(t, res)
		token := doc.Find("form[action=/sign-in/reset] input[type=hidden][name=token]")
		if len(token) != 1 || "/sign-in/reset?token="+token[0].attrs["value"] != link {
			t.Fatalf("reset form does not carry the link's token")
		}
		checkDoc(t, "reset form", doc, check{"input#new_password[type=password][autocomplete=new-password]", 1, ""})
		checkDoc(t, "reset form", doc, check{"input#confirm_password[type=password][autocomplete=new-password]", 1, ""})
		form := func(password, again string) url.Values {
			return url.Values{"token": {token[0].attrs["value"]}, "new_password": {password}, "confirm_password": {again}}
		}

		// Problems with the new password are shown beside the fields,
		// and do not use up the link.
		for _, c := range []struct {
			name, password, again, field, want string
		}{
			{"empty", "", "", "new_password", "Enter a new password"},
			{"too short", "short one", "short one", "new_password", "Your new password must be at least 12 characters long"},
			{"common", "Password12345!", "Password12345!", "new_password", "Your new password is too common"},
			{"mismatch", otherPassword, otherPassword + "x", "confirm_password", "The passwords do not match"},
		} {
			res := b.post("/sign-in/reset", form(c.password, c.again))
			wantResponse(t, c.name, res, http.StatusBadRequest, "")
			doc := readPage(t, res)
			checkDoc(t, c.name, doc, check{".govuk-error-summary a[href=#" + c.field + "]", 1, c.want})
			checkDoc(t, c.name, doc, check{"#" + c.field + "-error", 1, c.want})
		}

		res = b.post("/sign-in/reset", form(otherPassword, otherPassword))
		wantResponse(t, "new password", res, http.StatusSeeOther, "/sign-in?notice=password-reset")
		checkDoc(t, "after the reset", readPage(t, b.get("/sign-in?notice=password-reset")), check{"#notice", 1, "Your password has been changed"})
		if sent := f.mail.Sent(); len(sent) != 2 || sent[1].Subject != "Your Throughcare password has been changed" ||
			!strings.Contains(sent[1].Text, "https://throughcare.example/sign-in/forgot") || strings.Contains(sent[1].Text, otherPassword) {
			t.Errorf("after the reset, e-mails = %+v; want the link, then word that the password changed", sent)
		}

		// Every session of the user has ended; the old password is
		// refused, the new one works, and the lock-out is over.
		if elsewhere.signedIn() {
			t.Error("a session from before the reset still works")
		}
		wantResponse(t, "old password", f.visitor(t).signIn("pat@example.org", testPassword), http.StatusBadRequest, "")
		wantResponse(t, "new password", guesser.signIn("pat@example.org", otherPassword), http.StatusSeeOther, "/")
		got := userAuditActions(t, db, pat.ID)
		if countOf(got, audit.UserPasswordChanged) != 1 || countOf(got, audit.UserSignedOut) < 1 {
			t.Errorf("audit = %v, want user.password_changed and the sessions ended", got)
		}
		evs, err := db.AuditEvents(ctx, store.AuditFilter{RecordID: pat.ID, Action: audit.UserPasswordChanged})
		if err != nil || len(evs) != 1 || evs[0].Detail != `{"via":"reset"}` || evs[0].ActorID != pat.ID {
			t.Errorf("password change event = %+v, %v", evs, err)
		}

		// The link works once.
		res = b.post("/sign-in/reset", form("a third password entirely", "a third password entirely"))
		wantResponse(t, "link used again", res, http.StatusBadRequest, "")
		checkDoc(t, "link used again", readPage(t, res), check{"h1", 1, "This link has already been used"})
		wantResponse(t, "password after the reused link", f.visitor(t).signIn("pat@example.org", otherPassword), http.StatusSeeOther, "/")
	})
}

func TestPasswordResetLinkProblems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		askForReset(t, b, "pat@example.org")
		link := f.resetLinkIn(t, "pat@example.org")
		token, _ := url.QueryUnescape(strings.TrimPrefix(link, "/sign-in/reset?token="))

		// An altered link is not valid.
		tampered := token[:len(token)-2] + "xx"
		if tampered == token {
			tampered = token[:len(token)-2] + "yy"
		}
		res := b.get("/sign-in/reset?token=" + url.QueryEscape(tampered))
		wantResponse(t, "altered link", res, http.StatusBadRequest, "")
		checkDoc(t, "altered link", readPage(t, res), check{"h1", 1, "This link is not valid"})

		// A link made for another purpose is not valid either.
		other := account.SignLink(testLinkKey, "confirm-email", "someone", f.clock.Now().Add(time.Hour), "n")
		res = b.get("/sign-in/reset?token=" + url.QueryEscape(other))
		wantResponse(t, "link for another purpose", res, http.StatusBadRequest, "")
		checkDoc(t, "link for another purpose", readPage(t, res), check{"h1", 1, "This link is not valid"})

		// After an hour the link has expired, for the form and for the
		// password it would set.
		f.clock.Add(resetLinkFor)
		res = b.get(link)
		wantResponse(t, "expired link", res, http.StatusBadRequest, "")
		doc := readPage(t, res)
		checkDoc(t, "expired link", doc, check{"h1", 1, "This link has expired"})
		checkDoc(t, "expired link", doc, check{"a[href=/sign-in/forgot]", 1, "Get a new link"})
		res = b.post("/sign-in/reset", url.Values{"token": {token}, "new_password": {otherPassword}, "confirm_password": {otherPassword}})
		wantResponse(t, "expired link posted", res, http.StatusBadRequest, "")
		checkDoc(t, "expired link posted", readPage(t, res), check{"h1", 1, "This link has expired"})
		wantResponse(t, "password after the expired link", f.visitor(t).signIn("pat@example.org", testPassword), http.StatusSeeOther, "/")
	})
}

func TestPasswordResetRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)

		for _, c := range []struct{ email, want string }{
			{"", "Enter your email address"},
			{"pat at example", "Enter an email address in the correct format"},
		} {
			res := b.post("/sign-in/forgot", url.Values{"email": {c.email}})
			wantResponse(t, "forgot "+c.email, res, http.StatusBadRequest, "")
			checkDoc(t, "forgot "+c.email, readPage(t, res), check{".govuk-error-summary a[href=#email]", 1, c.want})
		}

		// Nobody can flood an inbox: after a few requests for one
		// address, the page answers as usual but sends nothing more.
		for range 8 {
			askForReset(t, b, "pat@example.org")
		}
		if n := len(f.mail.Sent()); n != 5 {
			t.Errorf("%d e-mails sent for 8 requests, want 5", n)
		}
		f.clock.Add(lockOutFor)
		askForReset(t, b, "pat@example.org")
		if n := len(f.mail.Sent()); n != 6 {
			t.Errorf("%d e-mails sent once the wait was over, want 6", n)
		}
	})
}
