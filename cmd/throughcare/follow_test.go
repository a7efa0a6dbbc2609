package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// TestFollowSeesOtherWriters: a server's index picks up a change another
// process commits. On PostgreSQL the change is announced, so it arrives
// long before the hour-long poll; on SQLite the (short) poll finds it.
func TestFollowSeesOtherWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		live := &liveIndex{db: db, listening: make(chan struct{})}
		if err := live.reload(ctx); err != nil {
			t.Fatal(err)
		}
		poll := time.Hour
		if db.Engine() == "sqlite" {
			poll = 20 * time.Millisecond
		}
		go live.follow(ctx, poll, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if db.Engine() == "postgres" {
			select {
			case <-live.listening:
			case <-time.After(10 * time.Second):
				t.Fatal("never started listening for change notices")
			}
		}
		if _, err := db.ImportDataset(ctx, demo.Dataset(), store.ImportSource{Name: "other process"}, directory.Validate); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for live.Index().NumServices() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the index never saw the import")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestTidy: a pass of housekeeping deletes sessions past their absolute
// expiry and used links past theirs, and keeps the rest.
func TestTidy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		u, err := db.CreateUser(ctx, account.User{Email: "tidy@example.org", Name: "Tidy"}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn}); err != nil {
			t.Fatal(err)
		}
		live, err := db.CreateSession(ctx, u.ID, 24*time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.UseLinkNonce(ctx, "password-reset", "old-nonce", u.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.UseLinkNonce(ctx, "password-reset", "new-nonce", u.ID, now.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour)
		tidy(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if ss, err := db.Sessions(ctx, u.ID); err != nil || len(ss) != 1 {
			t.Errorf("sessions after tidying = %d, %v; want the one still live", len(ss), err)
		}
		if _, _, err := db.SessionUser(ctx, live, 24*time.Hour); err != nil {
			t.Errorf("the live session: %v", err)
		}
		// The expired link's record is gone (so the nonce could be stored
		// again); the live one's is kept, so its link stays used.
		if err := db.UseLinkNonce(ctx, "password-reset", "old-nonce", u.ID, now.Add(time.Hour)); err != nil {
			t.Errorf("expired link's record kept: %v", err)
		}
		if err := db.UseLinkNonce(ctx, "password-reset", "new-nonce", u.ID, now.Add(48*time.Hour)); err == nil {
			t.Errorf("a live used link's record was deleted")
		}
	})
}
