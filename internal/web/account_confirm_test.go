package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
