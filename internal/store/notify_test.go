package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestWatchDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		changes := make(chan struct{}, 16)
		ready := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- db.WatchDirectory(ctx, func() { changes <- struct{}{} }, ready)
		}()
		if db.Engine() != "postgres" {
			if err := <-done; !errors.Is(err, store.ErrNoNotify) {
				t.Errorf("WatchDirectory on %s = %v, want ErrNoNotify", db.Engine(), err)
			}
			return
		}
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("WatchDirectory ended before listening: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("WatchDirectory never started listening")
		}
		select {
		case <-changes:
			t.Fatal("a change was announced before anything changed")
		default:
		}
		importSmall(t, db, smallDirectory())
		select {
		case <-changes:
		case <-time.After(10 * time.Second):
			t.Fatal("an import committed but no change was announced")
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchDirectory after cancel = %v, want nil", err)
		}
	})
}
