package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		u, err := db.CreateUser(ctx, account.User{Email: "pat@example.org", Name: "Pat"}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		signIn := audit.Event{ActorID: u.ID, Action: audit.UserSignedIn, IP: "192.0.2.7", Detail: `{"method":"password"}`}
		const idle, maxAge = 30 * time.Minute, 8 * time.Hour

		tok, err := db.CreateSession(ctx, u.ID, maxAge, signIn)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) < 40 {
			t.Fatalf("token %q is too short to be a secret", tok)
		}
		got, s, err := db.SessionUser(ctx, tok, idle)
		if err != nil || got.ID != u.ID || got.Email != "pat@example.org" || !s.ExpiresAt.Equal(now.Add(maxAge)) {
			t.Fatalf("SessionUser = %+v, %+v, %v", got, s, err)
		}
		if _, _, err := db.SessionUser(ctx, tok+"x", idle); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("wrong token: %v, want Unauthenticated", err)
		}
		if _, _, err := db.SessionUser(ctx, "", idle); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("empty token: %v, want Unauthenticated", err)
		}

		// Activity within the idle limit keeps the session alive past what
		// the first visit alone would allow.
		for range 4 {
			now = now.Add(20 * time.Minute)
			if _, _, err := db.SessionUser(ctx, tok, idle); err != nil {
				t.Fatalf("active session at %v: %v", now, err)
			}
		}
		// Idle too long: the session ends and stays ended.
		now = now.Add(idle)
		if _, _, err := db.SessionUser(ctx, tok, idle); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("idle session: %v, want Unauthenticated", err)
		}
		now = now.Add(-idle)
		if _, _, err := db.SessionUser(ctx, tok, idle); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("idle session came back: %v", err)
		}

		// The absolute limit holds however active the user is.
		tok2, err := db.CreateSession(ctx, u.ID, time.Hour, signIn)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			now = now.Add(15 * time.Minute)
			_, _, err = db.SessionUser(ctx, tok2, idle)
		}
		if !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("session past its absolute expiry: %v, want Unauthenticated", err)
		}

		// Signing out ends one session; signing out everywhere ends all.
		a, _ := db.CreateSession(ctx, u.ID, maxAge, signIn)
		b, _ := db.CreateSession(ctx, u.ID, maxAge, signIn)
		c, _ := db.CreateSession(ctx, u.ID, maxAge, signIn)
		if ss, err := db.Sessions(ctx, u.ID); err != nil || len(ss) != 3 {
			t.Errorf("Sessions = %d, %v; want 3", len(ss), err)
		}
		if err := db.DeleteSession(ctx, a, audit.Event{ActorID: u.ID, Action: audit.UserSignedOut}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionUser(ctx, a, idle); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("signed-out session: %v", err)
		}
		if _, _, err := db.SessionUser(ctx, b, idle); err != nil {
			t.Errorf("other session after signing out one: %v", err)
		}
		n, err := db.DeleteUserSessions(ctx, u.ID, audit.Event{ActorID: u.ID, Action: audit.UserSignedOut, Detail: `{"everywhere":true}`})
		if err != nil || n != 2 {
			t.Errorf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		for _, tk := range []string{b, c} {
			if _, _, err := db.SessionUser(ctx, tk, idle); !errors.Is(err, apperr.Unauthenticated) {
				t.Errorf("session after signing out everywhere: %v", err)
			}
		}

		// Unknown users and bad events create nothing.
		if _, err := db.CreateSession(ctx, "no-such-user", maxAge, signIn); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("unknown user: %v, want Unauthenticated", err)
		}
		if _, err := db.CreateSession(ctx, u.ID, maxAge, audit.Event{Action: "Bad"}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("bad event: %v, want Invalid", err)
		}
		if ss, _ := db.Sessions(ctx, u.ID); len(ss) != 0 {
			t.Errorf("%d sessions left, want 0", len(ss))
		}

		// Every sign-in and sign-out is in the audit log.
		ins, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserSignedIn, RecordID: u.ID})
		if err != nil || len(ins) != 5 {
			t.Errorf("sign-in events = %d, %v; want 5", len(ins), err)
		}
		outs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserSignedOut, RecordID: u.ID})
		if err != nil || len(outs) != 2 {
			t.Errorf("sign-out events = %d, %v; want 2", len(outs), err)
		}
		if len(ins) > 0 && ins[0].IP != "192.0.2.7" {
			t.Errorf("sign-in event address = %q", ins[0].IP)
		}
	})
}
