package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/store/storetest"
)

// Setting up a second factor asks for the password again, so that someone
// at a browser left signed in cannot tie the account to their own phone;
// and the owner is told by email when it is turned on.
func TestTOTPSetUpConfirmsThePassword(t *testing.T) {
	f := newAuthFixture(t, storetest.SQLite(t))
	f.addUser(t, "pat@example.org", nil)
	b := f.visitor(t)
	b.signIn("pat@example.org", testPassword)
	doc := readPage(t, b.get("/account/totp"))
	checkDoc(t, "set-up page", doc, check{"input#password[type=password][autocomplete=current-password]", 1, ""})
	setup := doc.Find("input[name=setup]")[0].attrs["value"]
	secret := strings.ReplaceAll(firstText(doc, "#totp-key"), " ", "")
	for _, c := range []struct{ name, password, want string }{
		{"no password", "", "Enter your password"},
		{"wrong password", "not my password at all", "Your current password is not correct"},
	} {
		res := b.post("/account/totp", url.Values{"setup": {setup}, "password": {c.password}, "code": {totpCode(t, secret, f.clock.Now())}})
		wantResponse(t, c.name, res, http.StatusBadRequest, "")
		checkDoc(t, c.name, readPage(t, res), check{".govuk-error-summary a[href=#password]", 1, c.want})
	}
	if u, _ := f.db.UserByEmail(t.Context(), "pat@example.org"); u.TOTPEnabled {
		t.Fatal("a second factor was set up without the password")
	}
	if n := len(f.mail.Sent()); n != 0 {
		t.Errorf("%d emails before the set-up succeeded", n)
	}
	res := b.post("/account/totp", url.Values{"setup": {setup}, "password": {testPassword}, "code": {totpCode(t, secret, f.clock.Now())}})
	wantResponse(t, "right password", res, http.StatusOK, "")
	if sent := f.mail.Sent(); len(sent) != 1 || !strings.Contains(sent[0].Subject, "Two-factor authentication is on") {
		t.Errorf("emails after set-up = %+v", sent)
	}
}

// Creating an API token asks for the password again, and the owner is told
// by email.
func TestTokenCreationConfirmsThePassword(t *testing.T) {
	f := newAuthFixture(t, storetest.SQLite(t))
	org, err := f.db.CreateOrganisation(t.Context(), account.Organisation{Name: "Lincoln Minds", Kind: account.KindVoluntary}, audit.Event{Action: audit.OrgCreated})
	if err != nil {
		t.Fatal(err)
	}
	f.addUser(t, "pat@example.org", func(u *account.User) {
		u.Memberships = []account.Membership{{OrgID: org.ID, Role: account.RoleProvider}}
	})
	b := f.visitor(t)
	b.signIn("pat@example.org", testPassword)
	checkDoc(t, "tokens page", readPage(t, b.get("/account/tokens")), check{"#token-form input#password[type=password]", 1, ""})
	form := func(password string) url.Values {
		return url.Values{"name": {"Case system"}, "scopes": {string(account.ListingAssure)}, "expiry": {defaultTokenExpiry}, "password": {password}}
	}
	for _, c := range []struct{ name, password, want string }{
		{"no password", "", "Enter your password"},
		{"wrong password", "not my password at all", "Your current password is not correct"},
	} {
		res := b.post("/account/tokens", form(c.password))
		wantResponse(t, c.name, res, http.StatusBadRequest, "")
		checkDoc(t, c.name, readPage(t, res), check{".govuk-error-summary a[href=#password]", 1, c.want})
	}
	u, _ := f.db.UserByEmail(t.Context(), "pat@example.org")
	if ts, _ := f.db.APITokens(t.Context(), u.ID); len(ts) != 0 {
		t.Fatalf("%d tokens made without the password", len(ts))
	}
	res := b.post("/account/tokens", form(testPassword))
	wantResponse(t, "right password", res, http.StatusCreated, "")
	if sent := f.mail.Sent(); len(sent) != 1 || !strings.Contains(sent[0].Text, `"Case system"`) {
		t.Errorf("emails after creating a token = %+v", sent)
	}
}

// Taking an account back with a password reset stops its API tokens too.
func TestResetRevokesTokens(t *testing.T) {
	f := newAuthFixture(t, storetest.SQLite(t))
	pat := f.addUser(t, "pat@example.org", nil)
	plain, hash := account.NewToken()
	if _, err := f.db.CreateAPIToken(t.Context(), account.APIToken{UserID: pat.ID, Name: "left behind", Scopes: []account.Action{account.SubscriptionManage}}, hash, audit.Event{}); err != nil {
		t.Fatal(err)
	}
	b := f.visitor(t)
	b.post("/sign-in/forgot", url.Values{"email": {"pat@example.org"}}).Body.Close()
	link := f.resetLinkIn(t, "pat@example.org")
	doc := readPage(t, b.get(link))
	token := doc.Find("input[name=token]")[0].attrs["value"]
	res := b.post("/sign-in/reset", url.Values{"token": {token}, "new_password": {otherPassword}, "confirm_password": {otherPassword}})
	wantResponse(t, "reset", res, http.StatusSeeOther, "/sign-in?notice=password-reset")
	tok, _, err := f.db.APITokenByHash(t.Context(), account.HashToken(plain))
	if err != nil || tok.Active(f.clock.Now()) {
		t.Errorf("token after the reset: %+v, %v; want it revoked", tok, err)
	}
}

// When the server cannot read someone's stored second-factor secret (its
// secret key is missing or another), the password still works and the code
// step says what is wrong instead of calling the code wrong.
func TestUnreadableSecondFactor(t *testing.T) {
	f := newAuthFixture(t, storetest.SQLite(t))
	if err := f.db.SetSecretKey([]byte("the first key, of thirty-two bytes")); err != nil {
		t.Fatal(err)
	}
	pat := f.addUser(t, "pat@example.org", nil)
	secret, _ := enableTOTP(t, f.db, pat.ID)
	if err := f.db.SetSecretKey([]byte("a different key, of thirty-two bytes")); err != nil {
		t.Fatal(err)
	}
	b := f.visitor(t)
	wantResponse(t, "password", b.signIn("pat@example.org", testPassword), http.StatusSeeOther, "/sign-in/code")
	res := b.post("/sign-in/code", url.Values{"code": {totpCode(t, secret, f.clock.Now())}})
	wantResponse(t, "code", res, http.StatusBadRequest, "")
	checkDoc(t, "code", readPage(t, res), check{".govuk-error-summary a[href=#code]", 1, "cannot be checked at the moment"})
}
