package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoNotify is returned by WatchDirectory on an engine that cannot
// announce changes (SQLite); callers poll DirectoryVersion instead.
var ErrNoNotify = errors.New("store: this database does not announce changes; poll DirectoryVersion")

// directoryChannel is the PostgreSQL notification channel that the
// 0008_notify migration's trigger signals on every directory change.
const directoryChannel = "throughcare_directory"

// WatchDirectory calls changed after each directory change committed by
// any process, until ctx ends, and then returns nil. It holds one
// connection of its own, LISTENing; when that connection drops it
// reconnects (with a growing pause, at most a minute) and calls changed
// once, since changes made while it was away were not announced. ready,
// when not nil, is closed once the first LISTEN is in place.
//
// On SQLite it returns ErrNoNotify at once.
func (d *DB) WatchDirectory(ctx context.Context, changed func(), ready chan<- struct{}) error {
	if d.dialect.name() != "postgres" {
		return ErrNoNotify
	}
	pause := time.Second
	first := true
	for {
		err := d.listen(ctx, changed, func() {
			if first {
				first = false
				if ready != nil {
					close(ready)
				}
			} else {
				changed()
			}
			pause = time.Second
		})
		if ctx.Err() != nil {
			return nil
		}
		_ = err // the connection dropped: try again after a pause
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// listen connects, LISTENs, calls listening, and then calls changed for each
// notification until the connection fails or ctx ends.
func (d *DB) listen(ctx context.Context, changed, listening func()) error {
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		return fmt.Errorf("store: connect to listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+directoryChannel); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	listening()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		changed()
	}
}
