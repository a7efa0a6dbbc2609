package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

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
