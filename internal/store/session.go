package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// Sign-in sessions are rows of the session table. The browser holds a
// random token (account.NewToken); the table holds only its SHA-256 hash,
// so a copy of the database cannot be used to take over a session.
//
// A session ends at whichever comes first: its absolute expiry, fixed when
// it is created, or a stretch of idleness longer than the caller's idle
// limit. Signing out deletes the row; signing out everywhere deletes every
// row of the user.

// Session is one signed-in browser.
type Session struct {
	ID         string // hexadecimal hash of the token
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// touchEvery is how stale last_seen_at may grow before SessionUser writes
// it again, so that a busy user does not cause a write on every request.
const touchEvery = time.Minute

// sessionID is the stored id of a session token.
func sessionID(token string) string { return hex.EncodeToString(account.HashToken(token)) }

// CreateSession starts a session for userID lasting at most maxAge, and in
// the same transaction appends ev (user.signed_in, with the caller's
// address) to the audit log with the user as its record. It returns the
// token to give the browser. Disabled and unknown users get an
// Unauthenticated error and no session.
func (d *DB) CreateSession(ctx context.Context, userID string, maxAge time.Duration, ev audit.Event) (string, error) {
	if maxAge <= 0 {
		return "", apperr.Field("max_age", "must be positive")
	}
	now := d.Now().UTC()
	token, _ := account.NewToken()
	ev.RecordType, ev.RecordID = "user", userID
	if ev.At.IsZero() {
		ev.At = now
	}
	if err := ev.Validate(); err != nil {
		return "", err
	}
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, `/* CreateSession */ SELECT disabled FROM app_user WHERE id = $1`, userID).Scan(&disabled)
		if err != nil {
			if err == sql.ErrNoRows {
				return apperr.Errorf(apperr.Unauthenticated, "no such user")
			}
			return fmt.Errorf("store: create session: %w", err)
		}
		if disabled {
			return apperr.Errorf(apperr.Unauthenticated, "this account is disabled")
		}
		if _, err := tx.ExecContext(ctx, `/* CreateSession */
INSERT INTO session (id, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			sessionID(token), userID, formatTime(now), formatTime(now), formatTime(now.Add(maxAge))); err != nil {
			return fmt.Errorf("store: create session: %w", d.dialect.translate(err))
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// SessionUser returns the session holding token and its user, provided the
// session has neither passed its absolute expiry nor been idle for longer
// than idle, and the user is not disabled. It records the visit (at most
// once a minute). Anything else is an Unauthenticated error; an ended
// session's row is deleted on the way.
func (d *DB) SessionUser(ctx context.Context, token string, idle time.Duration) (account.User, Session, error) {
	if token == "" {
		return account.User{}, Session{}, apperr.Errorf(apperr.Unauthenticated, "not signed in")
	}
	now := d.Now().UTC()
	s := Session{ID: sessionID(token)}
	var created, seen, expires string
	var disabled bool
	err := d.db.QueryRowContext(ctx, `/* SessionUser */
SELECT s.user_id, s.created_at, s.last_seen_at, s.expires_at, u.disabled
FROM session s JOIN app_user u ON u.id = s.user_id WHERE s.id = $1`, s.ID).
		Scan(&s.UserID, &created, &seen, &expires, &disabled)
	if err == sql.ErrNoRows {
		return account.User{}, Session{}, apperr.Errorf(apperr.Unauthenticated, "your session has ended; sign in again")
	}
	if err != nil {
		return account.User{}, Session{}, fmt.Errorf("store: session: %w", err)
	}
	for _, f := range []struct {
		s string
		t *time.Time
	}{{created, &s.CreatedAt}, {seen, &s.LastSeenAt}, {expires, &s.ExpiresAt}} {
		if *f.t, err = parseTime(f.s); err != nil {
			return account.User{}, Session{}, err
		}
	}
	if disabled || !now.Before(s.ExpiresAt) || (idle > 0 && now.Sub(s.LastSeenAt) >= idle) {
		if _, err := d.db.ExecContext(ctx, `/* SessionUser */ DELETE FROM session WHERE id = $1`, s.ID); err != nil {
			return account.User{}, Session{}, fmt.Errorf("store: end session: %w", err)
		}
		return account.User{}, Session{}, apperr.Errorf(apperr.Unauthenticated, "your session has ended; sign in again")
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if _, err := d.db.ExecContext(ctx, `/* SessionUser */ UPDATE session SET last_seen_at = $1 WHERE id = $2`, formatTime(now), s.ID); err != nil {
			return account.User{}, Session{}, fmt.Errorf("store: touch session: %w", err)
		}
		s.LastSeenAt = now
	}
	u, err := d.User(ctx, s.UserID)
	if err != nil {
		return account.User{}, Session{}, err
	}
	return u, s, nil
}

// DeleteSession ends the session holding token and appends ev
// (user.signed_out) in the same transaction. Ending a session that does not
// exist is not an error and writes no event.
func (d *DB) DeleteSession(ctx context.Context, token string, ev audit.Event) error {
	if ev.At.IsZero() {
		ev.At = d.Now()
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `/* DeleteSession */ DELETE FROM session WHERE id = $1 RETURNING user_id`, sessionID(token)).Scan(&userID)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: delete session: %w", err)
		}
		ev.RecordType, ev.RecordID = "user", userID
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
}

// DeleteUserSessions ends every session of userID (signing out everywhere,
// or after a password change) and appends ev in the same transaction. It
// returns how many sessions ended.
func (d *DB) DeleteUserSessions(ctx context.Context, userID string, ev audit.Event) (int, error) {
	ev.RecordType, ev.RecordID = "user", userID
	if ev.At.IsZero() {
		ev.At = d.Now()
	}
	if err := ev.Validate(); err != nil {
		return 0, err
	}
	var n int64
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `/* DeleteUserSessions */ DELETE FROM session WHERE user_id = $1`, userID)
		if err != nil {
			return fmt.Errorf("store: delete sessions: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	return int(n), err
}

// Sessions returns the live sessions of userID, newest first, so a user can
// see where they are signed in.
func (d *DB) Sessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := d.db.QueryContext(ctx, `/* Sessions */
SELECT id, created_at, last_seen_at, expires_at FROM session WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC`,
		userID, formatTime(d.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s := Session{UserID: userID}
		var created, seen, expires string
		if err := rows.Scan(&s.ID, &created, &seen, &expires); err != nil {
			return nil, fmt.Errorf("store: sessions: %w", err)
		}
		if s.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if s.LastSeenAt, err = parseTime(seen); err != nil {
			return nil, err
		}
		if s.ExpiresAt, err = parseTime(expires); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PruneSessions deletes sessions past their absolute expiry and returns how
// many it deleted. Idle sessions are deleted when next presented.
func (d *DB) PruneSessions(ctx context.Context) (int, error) {
	res, err := d.db.ExecContext(ctx, `/* PruneSessions */ DELETE FROM session WHERE expires_at <= $1`, formatTime(d.Now()))
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
