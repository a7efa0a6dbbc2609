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

func TestAccountPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newAuthFixture(t, db)
		minds, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Lincoln Minds", Kind: account.KindVoluntary}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		probation, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Lincolnshire Probation", Kind: account.KindProbation}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		f.addUser(t, "pat@example.org", func(u *account.User) {
			u.Name = "Pat Smith"
			u.Memberships = []account.Membership{{OrgID: minds.ID, Role: account.RoleProvider}, {OrgID: probation.ID, Role: account.RolePractitioner}}
		})
		phone := f.visitor(t)
		phone.signIn("pat@example.org", testPassword)
		f.clock.Add(10 * time.Minute)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)

		res := b.get("/account")
		wantResponse(t, "account page", res, http.StatusOK, "")
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q", got)
		}
		doc := readPage(t, res)
		for _, c := range []check{
			{"h1", 1, "Your account"},
			{"#name", 1, "Pat Smith"},
			{"#email", 1, "pat@example.org"},
			{"#totp-status", 1, "Off"},
			{"a[href=/account/totp]", 1, "Set up"},
			{"a[href=/account/password]", 1, "Change"},
			{"#organisations tbody tr", 2, "Lincoln Minds Provider"},
			{"#organisations tbody tr", 2, "Lincolnshire Probation Practitioner"},
			{"#admin", 0, ""},
			{"#sessions tbody tr", 2, "2 June 2025 at 10:10am This browser"},
			{"#sessions tbody tr", 2, "2 June 2025 at 10:00am"},
			{"#sessions .govuk-tag", 1, "This browser"},
			{"form[action=/account/sign-out-everywhere] button", 1, "Sign out everywhere"},
		} {
			checkDoc(t, "account page", doc, c)
		}
	})
}

func TestSignOutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		f.addUser(t, "sam@example.org", nil)
		here, there, sam := f.visitor(t), f.visitor(t), f.visitor(t)
		here.signIn("pat@example.org", testPassword)
		there.signIn("pat@example.org", testPassword)
		sam.signIn("sam@example.org", testPassword)

		res := here.post("/account/sign-out-everywhere", nil)
		wantResponse(t, "sign out everywhere", res, http.StatusOK, "")
		doc := readPage(t, res)
		checkDoc(t, "after signing out everywhere", doc, check{"#notice", 1, "You have been signed out on every device"})
		checkDoc(t, "after signing out everywhere", doc, check{"form[action=/sign-in] input#email", 1, ""})
		checkDoc(t, "after signing out everywhere", doc, check{"nav a[href=/sign-in]", 1, "Sign in"})
		if here.signedIn() || there.signedIn() {
			t.Error("a session survived signing out everywhere")
		}
		if !sam.signedIn() {
			t.Error("another user's session ended")
		}
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserSignedOut) != 1 {
			t.Errorf("audit = %v, want one user.signed_out", got)
		}
	})
}

func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		here, there := f.visitor(t), f.visitor(t)
		here.signIn("pat@example.org", testPassword)
		there.signIn("pat@example.org", testPassword)

		doc := readPage(t, here.get("/account/password"))
		checkDoc(t, "password page", doc, check{"input#current_password[autocomplete=current-password]", 1, ""})
		checkDoc(t, "password page", doc, check{"input#new_password[autocomplete=new-password]", 1, ""})
		checkDoc(t, "password page", doc, check{"input#confirm_password[autocomplete=new-password]", 1, ""})

		for _, c := range []struct {
			name, current, password, again, field, want string
		}{
			{"empty", "", "", "", "current_password", "Enter your current password"},
			{"wrong current", "not my password", otherPassword, otherPassword, "current_password", "Your current password is not correct"},
			{"mismatch", testPassword, otherPassword, "something else", "confirm_password", "The passwords do not match"},
			{"same as before", testPassword, testPassword, testPassword, "new_password", "must be different"},
			{"contains the address", testPassword, "pat and her cats 1999", "pat and her cats 1999", "new_password", "must not contain your email address"},
		} {
			res := here.post("/account/password", url.Values{"current_password": {c.current}, "new_password": {c.password}, "confirm_password": {c.again}})
			wantResponse(t, c.name, res, http.StatusBadRequest, "")
			checkDoc(t, c.name, readPage(t, res), check{".govuk-error-summary a[href=#" + c.field + "]", 1, c.want})
		}

		res := here.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {otherPassword}, "confirm_password": {otherPassword}})
		wantResponse(t, "change", res, http.StatusSeeOther, "/account?notice=password-changed")
		checkDoc(t, "after the change", readPage(t, here.get("/account?notice=password-changed")), check{"#notice", 1, "Your password has been changed"})
		if sent := f.mail.Sent(); len(sent) != 1 || sent[0].To[0] != "pat@example.org" || sent[0].Subject != "Your Throughcare password has been changed" {
			t.Errorf("after the change, e-mails = %+v; want word that the password changed", sent)
		}
		if there.signedIn() {
			t.Error("the other session survived the password change")
		}
		wantResponse(t, "old password", f.visitor(t).signIn("pat@example.org", testPassword), http.StatusBadRequest, "")
		wantResponse(t, "new password", f.visitor(t).signIn("pat@example.org", otherPassword), http.StatusSeeOther, "/")
		evs, err := db.AuditEvents(context.Background(), store.AuditFilter{RecordID: pat.ID, Action: audit.UserPasswordChanged})
		if err != nil || len(evs) != 1 || evs[0].ActorID != pat.ID || evs[0].Detail != `{"via":"change"}` {
			t.Errorf("password change events = %+v, %v", evs, err)
		}
	})
}

func TestChangePasswordWrongGuessesLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)
		var res *http.Response
		for range maxSignInFailures {
			res = b.post("/account/password", url.Values{"current_password": {"a guess at it"}, "new_password": {otherPassword}, "confirm_password": {otherPassword}})
		}
		wantResponse(t, "fifth wrong password", res, http.StatusTooManyRequests, "")
		checkDoc(t, "fifth wrong password", readPage(t, res), check{"#current_password-error", 1, "Your account is locked until"})
		// Even the right password does nothing now.
		res = b.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {otherPassword}, "confirm_password": {otherPassword}})
		wantResponse(t, "right password while locked", res, http.StatusTooManyRequests, "")
		wantResponse(t, "signing in while locked", f.visitor(t).signIn("pat@example.org", testPassword), http.StatusTooManyRequests, "")
	})
}

// enrol sets up two-factor authentication through the pages, as a user
// with a phone would, and returns the secret and the recovery codes shown.
func enrol(t *testing.T, f *authFixture, b *visitor, next string) (secret string, codes []string) {
	t.Helper()
	res := b.get("/account/totp")
	wantResponse(t, "set-up page", res, http.StatusOK, "")
	doc := readPage(t, res)
	if img := doc.Find("img#qr-code"); len(img) != 1 || !strings.HasPrefix(img[0].attrs["src"], "data:image/png;base64,") || img[0].attrs["alt"] == "" {
		t.Fatalf("set-up page has no QR code image")
	}
	checkDoc(t, "set-up page", doc, check{"input#code[autocomplete=one-time-code][inputmode=numeric]", 1, ""})
	secret = strings.ReplaceAll(firstText(doc, "#totp-key"), " ", "")
	setup := doc.Find("input[name=setup]")
	if secret == "" || len(setup) != 1 {
		t.Fatal("set-up page has no key or no setup field")
	}
	form := url.Values{"setup": {setup[0].attrs["value"]}, "password": {testPassword}}
	if next != "" {
		form.Set("next", next)
	}

	// A wrong code keeps the same secret.
	wrong := url.Values{"code": {"12345"}}
	for k, v := range form {
		wrong[k] = v
	}
	res = b.post("/account/totp", wrong)
	wantResponse(t, "wrong set-up code", res, http.StatusBadRequest, "")
	doc = readPage(t, res)
	checkDoc(t, "wrong set-up code", doc, check{".govuk-error-summary a[href=#code]", 1, "The code is not correct"})
	if got := strings.ReplaceAll(firstText(doc, "#totp-key"), " ", ""); got != secret {
		t.Fatalf("the key changed after a wrong code: %q, then %q", secret, got)
	}

	form.Set("code", totpCode(t, secret, f.clock.Now()))
	res = b.post("/account/totp", form)
	wantResponse(t, "set-up code", res, http.StatusOK, "")
	doc = readPage(t, res)
	checkDoc(t, "recovery codes", doc, check{"h1", 1, "Two-factor authentication is on"})
	wantNext := next
	if wantNext == "" {
		wantNext = "/account"
	}
	checkDoc(t, "recovery codes", doc, check{"a#continue[href=" + wantNext + "]", 1, "I have saved my codes"})
	for _, li := range doc.Find("#recovery-codes li") {
		codes = append(codes, li.Text())
	}
	if len(codes) != account.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), account.RecoveryCodeCount)
	}
	// The code used to set up cannot be used to sign in.
	f.clock.Add(30 * time.Second)
	return secret, codes
}

func TestTOTPSetUpAndTurnOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		pat := f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)
		secret, codes := enrol(t, f, b, "")
		doc := readPage(t, b.get("/account"))
		checkDoc(t, "account with TOTP", doc, check{"#totp-status", 1, "On, with 10 unused recovery codes"})
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserTOTPEnabled) != 1 {
			t.Errorf("audit = %v, want user.totp_enabled", got)
		}

		// Enrolling again is refused while it is on.
		res := b.post("/account/totp", url.Values{"code": {"123456"}})
		wantResponse(t, "second set-up", res, http.StatusConflict, "")

		// Signing in now takes a code.
		other := f.visitor(t)
		wantResponse(t, "password", other.signIn("pat@example.org", testPassword), http.StatusSeeOther, "/sign-in/code")
		wantResponse(t, "code", other.post("/sign-in/code", url.Values{"code": {totpCode(t, secret, f.clock.Now())}}), http.StatusSeeOther, "/")
		third := f.visitor(t)
		third.signIn("pat@example.org", testPassword)
		wantResponse(t, "recovery code", third.post("/sign-in/code", url.Values{"code": {codes[0]}}), http.StatusSeeOther, "/")

		// Turning it off needs the password.
		doc = readPage(t, b.get("/account/totp"))
		checkDoc(t, "TOTP page", doc, check{"#recovery-count", 1, "You have 9 unused recovery codes"})
		checkDoc(t, "TOTP page", doc, check{"form[action=/account/totp/disable] input#password[autocomplete=current-password]", 1, ""})
		res = b.post("/account/totp/disable", url.Values{"password": {"not my password"}})
		wantResponse(t, "turn off with a wrong password", res, http.StatusBadRequest, "")
		checkDoc(t, "turn off with a wrong password", readPage(t, res), check{".govuk-error-summary a[href=#password]", 1, "not correct"})
		wantResponse(t, "turn off", b.post("/account/totp/disable", url.Values{"password": {testPassword}}), http.StatusSeeOther, "/account?notice=totp-off")
		checkDoc(t, "after turning off", readPage(t, b.get("/account?notice=totp-off")), check{"#totp-status", 1, "Off"})
		wantResponse(t, "password alone", f.visitor(t).signIn("pat@example.org", testPassword), http.StatusSeeOther, "/")
		if got := userAuditActions(t, db, pat.ID); countOf(got, audit.UserTOTPDisabled) != 1 {
			t.Errorf("audit = %v, want user.totp_disabled", got)
		}
	})
}

func TestTOTPSetUpTimesOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		f.addUser(t, "pat@example.org", nil)
		b := f.visitor(t)
		b.signIn("pat@example.org", testPassword)
		doc := readPage(t, b.get("/account/totp"))
		secret := strings.ReplaceAll(firstText(doc, "#totp-key"), " ", "")
		setup := doc.Find("input[name=setup]")[0].attrs["value"]
		// Used now and then, the session stays open while the page is
		// left for longer than it allows.
		f.clock.Add(totpSetupFor - 10*time.Minute)
		b.get("/account").Body.Close()
		f.clock.Add(10 * time.Minute)
		res := b.post("/account/totp", url.Values{"setup": {setup}, "password": {testPassword}, "code": {totpCode(t, secret, f.clock.Now())}})
		wantResponse(t, "late set-up", res, http.StatusBadRequest, "")
		doc = readPage(t, res)
		checkDoc(t, "late set-up", doc, check{".govuk-error-summary", 1, "This set-up page timed out"})
		if got := strings.ReplaceAll(firstText(doc, "#totp-key"), " ", ""); got == secret || got == "" {
			t.Errorf("late set-up shows key %q; want a new one", got)
		}
		// Another user's set-up field is no use either.
		f.addUser(t, "sam@example.org", nil)
		sam := f.visitor(t)
		sam.signIn("sam@example.org", testPassword)
		fresh := doc.Find("input[name=setup]")[0].attrs["value"]
		freshSecret := strings.ReplaceAll(firstText(doc, "#totp-key"), " ", "")
		res = sam.post("/account/totp", url.Values{"setup": {fresh}, "password": {testPassword}, "code": {totpCode(t, freshSecret, f.clock.Now())}})
		wantResponse(t, "someone else's set-up", res, http.StatusBadRequest, "")
		res.Body.Close()
	})
}

func TestAdminMustSetUpTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		ada := f.addUser(t, "ada@example.org", func(u *account.User) { u.Admin = true })
		b := f.visitor(t)

		// Signing in sends an administrator without a second factor to
		// set one up, and every page that needs signing in does too.
		wantResponse(t, "admin sign-in", b.post("/sign-in", url.Values{"email": {"ada@example.org"}, "password": {testPassword}, "next": {"/account"}}),
			http.StatusSeeOther, "/account/totp?next=%2Faccount")
		wantResponse(t, "account page", b.get("/account"), http.StatusSeeOther, "/account/totp?next=%2Faccount")
		wantResponse(t, "password page", b.get("/account/password"), http.StatusSeeOther, "/account/totp?next=%2Faccount%2Fpassword")
		wantResponse(t, "password change", b.post("/account/password", url.Values{"current_password": {testPassword}}), http.StatusSeeOther, "/account/totp")
		wantResponse(t, "sign out everywhere", b.post("/account/sign-out-everywhere", nil), http.StatusSeeOther, "/account/totp")
		// Public pages stay open, as they are to everyone.
		wantResponse(t, "home page", b.get("/"), http.StatusOK, "")

		doc := readPage(t, b.get("/account/totp?next=%2Faccount"))
		checkDoc(t, "admin set-up", doc, check{"#required", 1, "Administrators must set up two-factor authentication"})
		checkDoc(t, "admin set-up", doc, check{"input[name=next][value=/account]", 1, ""})
		_, codes := enrol(t, f, b, "/account")
		if !b.signedIn() {
			t.Fatal("account page still closed after setting up")
		}

		// Administrators may not turn it off.
		doc = readPage(t, b.get("/account/totp"))
		checkDoc(t, "admin TOTP page", doc, check{"#admin-must-keep", 1, "must keep"})
		checkDoc(t, "admin TOTP page", doc, check{"form[action=/account/totp/disable]", 0, ""})
		wantResponse(t, "admin turning off", b.post("/account/totp/disable", url.Values{"password": {testPassword}}), http.StatusForbidden, "")
		if u, err := db.User(context.Background(), ada.ID); err != nil || !u.TOTPEnabled {
			t.Errorf("admin's TOTP after trying to turn it off: %v, %v", u.TOTPEnabled, err)
		}

		// The next sign-in asks for a code.
		other := f.visitor(t)
		wantResponse(t, "admin password", other.signIn("ada@example.org", testPassword), http.StatusSeeOther, "/sign-in/code")
		wantResponse(t, "admin recovery code", other.post("/sign-in/code", url.Values{"code": {codes[9]}}), http.StatusSeeOther, "/")
	})
}
