package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// An administrator's unlock lets the person sign in at once, through this
// server's throttle as well as the stored lock-out.
func TestAdminUnlockClearsTheThrottle(t *testing.T) {
	f := newAuthFixture(t, storetest.SQLite(t))
	pat := f.addUser(t, "pat@example.org", nil)
	ada := f.addUser(t, "ada@example.org", func(u *account.User) { u.Admin = true })
	enableTOTP(t, f.db, ada.ID)
	guesser := f.visitor(t)
	for range maxSignInFailures {
		guesser.signIn("pat@example.org", "not the password at all").Body.Close()
	}
	if res := f.visitor(t).signIn("pat@example.org", testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("locked account: status %d, want 429", res.StatusCode)
	}
	tok, err := f.db.CreateSession(context.Background(), ada.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.visitor(t)
	admin.cookies[f.srv.cookieName()] = tok
	if res := admin.post("/admin/users/"+pat.ID+"/unlock", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlock: status %d", res.StatusCode)
	}
	if res := f.visitor(t).signIn("pat@example.org", testPassword); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after the unlock: status %d, want 303 (signed in)", res.StatusCode)
	}
}

// An administrator can turn off the second factor of someone who has lost
// it; the change is audited.
func TestAdminResetsSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		pat := f.users[provider]
		enableTOTP(t, db, pat.ID)
		doc := parseHTML(t, body(t, f.send(t, admin, http.MethodGet, "/admin/users/"+pat.ID, nil)))
		if len(doc.Find("form[action=/admin/users/"+pat.ID+"/reset-second-factor] button#reset-second-factor")) != 1 {
			t.Fatal("the user's page offers no way to turn off their second factor")
		}
		res := f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/reset-second-factor", nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("reset: status %d", res.StatusCode)
		}
		if u, err := db.User(context.Background(), pat.ID); err != nil || u.TOTPEnabled {
			t.Errorf("after the reset: %+v, %v", u, err)
		}
		evs, err := db.AuditEvents(context.Background(), store.AuditFilter{Action: audit.UserTOTPDisabled, RecordID: pat.ID})
		if err != nil || len(evs) != 1 || evs[0].ActorID != f.users[admin].ID {
			t.Errorf("audit = %+v, %v", evs, err)
		}
	})
}
