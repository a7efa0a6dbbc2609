package store

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/seal"
)

// A user's secrets live in the credential table, one row per user, written
// with the user by CreateUser. Every change below that matters to security
// appends its audit event in the same transaction, so the change and its
// record exist together or not at all; a bad event (one that fails
// audit.Event.Validate) is refused before anything is written.
//
// The TOTP secret is sealed (AES-256-GCM, package seal, bound to the user's
// id) when the server has a secret key (DB.SetSecretKey), so that a copy of
// the database alone cannot generate second-factor codes. Without a key it
// is stored as it is, and secrets stored so are read either way; each is
// sealed the next time it is set with a key. Passwords are argon2id hashes
// and recovery codes SHA-256 hashes, so neither can be read back.
//
// Lock-out is kept here rather than in memory so that it survives a restart
// and holds across every node sharing the database; account.Limiter
// remains for throttling by client address.

// maxRecoveryHashes bounds the recovery codes one user may hold.
const maxRecoveryHashes = 100

// userNotFound is the NotFound error for a missing user.
func userNotFound(userID string) error {
	return apperr.Errorf(apperr.NotFound, "user %s not found", userID)
}

// prepareEvent makes ev ready to append about the record recordType/recordID:
// it sets the record, the action to action if ev has none, and the time to
// now if ev has none, and validates it.
func (d *DB) prepareEvent(ev *audit.Event, action audit.Action, recordType, recordID string) error {
	if ev.Action == "" {
		ev.Action = action
	}
	ev.RecordType, ev.RecordID = recordType, recordID
	if ev.At.IsZero() {
		ev.At = d.Now()
	}
	return ev.Validate()
}

// defaultDetail sets ev.Detail to v as JSON unless the caller gave a Detail.
func defaultDetail(ev *audit.Event, v any) {
	if ev.Detail != "" {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps of plain values are passed; this cannot happen.
		panic(fmt.Sprintf("store: audit detail: %v", err))
	}
	ev.Detail = string(b)
}

// execUser runs an UPDATE or DELETE inside tx that should touch exactly the
// row of one user, and returns a NotFound error naming the user if it
// touched none.
func execUser(ctx context.Context, tx *sql.Tx, userID, op, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, userNotFound(userID))
	}
	return nil
}

// SetPassword replaces the password hash of user userID with hash (a PHC
// string from account.HashPassword, never a plain password), clears any
// failed sign-ins and lock-out, and appends ev (user.password_changed unless
// ev says otherwise) about the user in the same transaction. It does not
// end the user's sessions; see DeleteUserSessions. It returns an Invalid
// error naming "password_hash" for a hash that is not an argon2id PHC
// string, or a NotFound error if there is no such user.
func (d *DB) SetPassword(ctx context.Context, userID, hash string, ev audit.Event) error {
	if !strings.HasPrefix(hash, "$argon2id$") {
		return apperr.Field("password_hash", "must be an argon2id hash from account.HashPassword")
	}
	if err := d.prepareEvent(&ev, audit.UserPasswordChanged, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := execUser(ctx, tx, userID, "set password", `/* SetPassword */
UPDATE credential SET password_hash = $1, failed_count = 0, locked_until = NULL WHERE user_id = $2`, hash, userID); err != nil {
			return err
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// FailureMemory is how long a failed sign-in counts toward a lock-out: a
// failure after a day without one starts the count again, so that a few
// mistyped passwords spread over months never lock anyone out.
const FailureMemory = 24 * time.Hour

// RecordSignInFailure records, at now, a failed attempt to sign in as user
// userID, and appends ev (user.sign_in_failed unless ev says otherwise)
// about the user in the same transaction.
//
// While the user is locked out (now is before their LockedUntil) the
// attempt is audited but not counted, and the lock is left as it is.
// Otherwise the count of failures since the last success goes up by one
// (or starts again at one, when the last failure is older than
// FailureMemory), and each time it reaches a multiple of maxFailures the
// account is locked until now+lockFor and a user.locked event follows ev, with the count and
// the end of the lock in its Detail. So an attacker gets at most
// maxFailures guesses per lockFor, and the count shows administrators how
// many consecutive failures there have been.
//
// It returns whether the account is locked after this attempt, and until
// when. It returns an Invalid error naming "max_failures" or "lock_for" if
// either is not positive, or a NotFound error if there is no such user.
// Callers should check Credentials.LockedUntil before checking a password,
// and refuse a locked account without checking it.
func (d *DB) RecordSignInFailure(ctx context.Context, userID string, now time.Time, maxFailures int, lockFor time.Duration, ev audit.Event) (locked bool, until time.Time, err error) {
	switch {
	case maxFailures <= 0:
		return false, time.Time{}, apperr.Field("max_failures", "must be positive")
	case lockFor <= 0:
		return false, time.Time{}, apperr.Field("lock_for", "must be positive")
	}
	now = now.UTC().Truncate(time.Microsecond)
	if ev.At.IsZero() {
		ev.At = now
	}
	if err := d.prepareEvent(&ev, audit.UserSignInFailed, "user", userID); err != nil {
		return false, time.Time{}, err
	}
	err = d.withTx(ctx, func(tx *sql.Tx) error {
		// The increment takes the row's write lock first, so two nodes
		// counting failures for one user at once each see the other's.
		var (
			count    int
			lockedAt sql.NullString
		)
		err := tx.QueryRowContext(ctx, `/* RecordSignInFailure */
UPDATE credential SET
    failed_count = CASE WHEN locked_until IS NOT NULL AND locked_until > $1 THEN failed_count
        WHEN last_failed_at IS NOT NULL AND last_failed_at < $2 THEN 1
        ELSE failed_count + 1 END,
    last_failed_at = $1
WHERE user_id = $3 RETURNING failed_count, locked_until`, formatTime(now), formatTime(now.Add(-FailureMemory)), userID).Scan(&count, &lockedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: record failed sign-in: %w", userNotFound(userID))
		}
		if err != nil {
			return fmt.Errorf("store: record failed sign-in: %w", err)
		}
		if _, err := d.appendAudit(ctx, tx, ev); err != nil {
			return err
		}
		if lockedAt.Valid {
			t, err := parseTime(lockedAt.String)
			if err != nil {
				return err
			}
			if now.Before(t) {
				locked, until = true, t
				return nil
			}
		}
		if count%maxFailures != 0 {
			return nil
		}
		locked, until = true, now.Add(lockFor)
		if _, err := tx.ExecContext(ctx, `/* RecordSignInFailure */
UPDATE credential SET locked_until = $1 WHERE user_id = $2`, formatTime(until), userID); err != nil {
			return fmt.Errorf("store: lock user: %w", err)
		}
		lockEv := ev
		lockEv.Action = audit.UserLocked
		lockEv.Detail = ""
		defaultDetail(&lockEv, map[string]any{"failed_count": count, "locked_until": formatTime(until)})
		_, err = d.appendAudit(ctx, tx, lockEv)
		return err
	})
	if err != nil {
		return false, time.Time{}, err
	}
	return locked, until, nil
}

// RecordSignInSuccess resets the count of failed sign-ins of user userID
// after a successful one. If ev has an Action it is appended about the user
// in the same transaction; a zero Action appends nothing, since the
// sign-in itself is audited when its session is created (CreateSession).
// It returns a NotFound error if there is no such user.
func (d *DB) RecordSignInSuccess(ctx context.Context, userID string, ev audit.Event) error {
	withEvent := ev.Action != ""
	if withEvent {
		if err := d.prepareEvent(&ev, "", "user", userID); err != nil {
			return err
		}
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := execUser(ctx, tx, userID, "record sign-in", `/* RecordSignInSuccess */
UPDATE credential SET failed_count = 0 WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if !withEvent {
			return nil
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// UnlockUser ends any lock-out of user userID and clears their failed
// sign-ins, and appends ev (user.unlocked unless ev says otherwise) about
// the user in the same transaction. It returns a NotFound error if there is
// no such user.
func (d *DB) UnlockUser(ctx context.Context, userID string, ev audit.Event) error {
	if err := d.prepareEvent(&ev, audit.UserUnlocked, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := execUser(ctx, tx, userID, "unlock user", `/* UnlockUser */
UPDATE credential SET failed_count = 0, locked_until = NULL WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// SetTOTP turns on the TOTP second factor for user userID with secret (the
// base32 secret from account.NewTOTP) and recoveryHashes (from
// account.NewRecoveryCodes), replacing any earlier secret and recovery
// codes, and appends ev (user.totp_enabled unless ev says otherwise) about
// the user in the same transaction. The last accepted TOTP step is kept, so
// no code accepted before can be accepted again. It returns an Invalid error
// naming "totp_secret" or "recovery_hashes[i]" for a secret that is not
// base32 or a hash that is not 32 bytes, or a NotFound error if there is no
// such user.
func (d *DB) SetTOTP(ctx context.Context, userID, secret string, recoveryHashes [][]byte, ev audit.Event) error {
	if secret == "" {
		return apperr.Field("totp_secret", "is required")
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "=")); err != nil {
		return apperr.Field("totp_secret", "is not a base32 secret from account.NewTOTP")
	}
	if len(recoveryHashes) > maxRecoveryHashes {
		return apperr.Field("recovery_hashes", "holds more than %d codes", maxRecoveryHashes)
	}
	for i, h := range recoveryHashes {
		if len(h) != 32 {
			return apperr.Field(fmt.Sprintf("recovery_hashes[%d]", i), "is %d bytes, not a 32-byte hash from account.NewRecoveryCodes", len(h))
		}
	}
	if err := d.prepareEvent(&ev, audit.UserTOTPEnabled, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := execUser(ctx, tx, userID, "set TOTP", `/* SetTOTP */
UPDATE credential SET totp_secret = $1, recovery_hashes = $2 WHERE user_id = $3`,
			d.sealSecret(secret, userID), encodeRecoveryHashes(recoveryHashes), userID); err != nil {
			return err
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// DisableTOTP turns off the TOTP second factor of user userID, deleting the
// secret and any unused recovery codes, and appends ev (user.totp_disabled
// unless ev says otherwise) about the user in the same transaction. It
// returns a NotFound error if there is no such user.
func (d *DB) DisableTOTP(ctx context.Context, userID string, ev audit.Event) error {
	if err := d.prepareEvent(&ev, audit.UserTOTPDisabled, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := execUser(ctx, tx, userID, "disable TOTP", `/* DisableTOTP */
UPDATE credential SET totp_secret = '', recovery_hashes = '' WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// AcceptTOTPStep stores step (from account.ValidateTOTP) as the last TOTP
// step accepted for user userID, provided it is later than the one stored.
// The check and the write are one statement, so of two requests presenting
// the same code at once (on one node or two) only one gets ok. It returns
// false for a step no later than the stored one (a replayed or older code),
// and a NotFound error if there is no such user. It writes no audit event:
// the sign-in it completes is audited when its session is created.
func (d *DB) AcceptTOTPStep(ctx context.Context, userID string, step int64) (ok bool, err error) {
	err = d.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `/* AcceptTOTPStep */
UPDATE credential SET totp_last_step = $1 WHERE user_id = $2 AND totp_last_step < $1`, step, userID)
		if err != nil {
			return fmt.Errorf("store: accept TOTP step: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: accept TOTP step: %w", err)
		}
		if n > 0 {
			ok = true
			return nil
		}
		return requireUser(ctx, tx, userID, "accept TOTP step")
	})
	return ok && err == nil, err
}

// UseRecoveryCode spends the recovery code whose hash is hash for user
// userID: if the user holds it, it is deleted and ev (user.recovery_code_used
// unless ev says otherwise, with the number of codes left as Detail unless
// ev has one) is appended about the user in the same transaction, and ok is
// true. A hash the user does not hold (a wrong code, or one already used)
// gives false and writes nothing. Two requests spending the same code at
// once cannot both succeed. It returns a NotFound error if there is no such
// user.
func (d *DB) UseRecoveryCode(ctx context.Context, userID string, hash []byte, ev audit.Event) (ok bool, err error) {
	if err := d.prepareEvent(&ev, audit.UserRecoveryCodeUsed, "user", userID); err != nil {
		return false, err
	}
	err = d.withTx(ctx, func(tx *sql.Tx) error {
		// Rewriting the column unchanged takes the row's write lock before
		// reading it, on both engines, so the read-modify-write below
		// cannot interleave with another.
		var stored string
		err := tx.QueryRowContext(ctx, `/* UseRecoveryCode */
UPDATE credential SET recovery_hashes = recovery_hashes WHERE user_id = $1 RETURNING recovery_hashes`, userID).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: use recovery code: %w", userNotFound(userID))
		}
		if err != nil {
			return fmt.Errorf("store: use recovery code: %w", err)
		}
		hashes, err := decodeRecoveryHashes(stored)
		if err != nil {
			return fmt.Errorf("store: use recovery code: %w", err)
		}
		i := slices.IndexFunc(hashes, func(h []byte) bool { return len(hash) > 0 && string(h) == string(hash) })
		if i < 0 {
			return errRollback
		}
		hashes = slices.Delete(hashes, i, i+1)
		if _, err := tx.ExecContext(ctx, `/* UseRecoveryCode */
UPDATE credential SET recovery_hashes = $1 WHERE user_id = $2`, encodeRecoveryHashes(hashes), userID); err != nil {
			return fmt.Errorf("store: use recovery code: %w", err)
		}
		defaultDetail(&ev, map[string]any{"remaining": len(hashes)})
		if _, err := d.appendAudit(ctx, tx, ev); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if errors.Is(err, errRollback) {
		return false, nil
	}
	return ok && err == nil, err
}

// errRollback ends a transaction that has nothing to write, rolling it
// back; the method that returns it reports no error.
var errRollback = errors.New("store: nothing to write")

// requireUser returns nil if user userID exists, and otherwise a NotFound
// error naming the user.
func requireUser(ctx context.Context, tx *sql.Tx, userID, op string) error {
	var one int
	err := tx.QueryRowContext(ctx, `/* requireUser */ SELECT 1 FROM app_user WHERE id = $1`, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, userNotFound(userID))
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// encodeRecoveryHashes writes hashes as the credential.recovery_hashes
// column holds them: comma-separated lower-case hexadecimal.
func encodeRecoveryHashes(hashes [][]byte) string {
	parts := make([]string, len(hashes))
	for i, h := range hashes {
		parts[i] = hex.EncodeToString(h)
	}
	return strings.Join(parts, ",")
}

// decodeRecoveryHashes reads the credential.recovery_hashes column.
func decodeRecoveryHashes(s string) ([][]byte, error) {
	var out [][]byte
	for h := range strings.SplitSeq(s, ",") {
		if h == "" {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("recovery hash: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// SetSecretKey makes the store seal TOTP secrets under key from now on (see
// package seal), and open the sealed ones it reads. The error is an Invalid
// one naming "secret_key" for a key that is too short.
func (d *DB) SetSecretKey(key []byte) error {
	s, err := seal.New(key)
	if err != nil {
		return err
	}
	d.sealer = s
	return nil
}

// sealSecret seals a TOTP secret for userID, or leaves it as it is when the
// store has no key.
func (d *DB) sealSecret(secret, userID string) string {
	if d.sealer == nil {
		return secret
	}
	return d.sealer.Seal(secret, "totp:"+userID)
}

// openSecret reverses sealSecret. A sealed secret with no key, or under
// another key, is an error saying so.
func (d *DB) openSecret(stored, userID string) (string, error) {
	if !seal.IsSealed(stored) {
		return stored, nil
	}
	if d.sealer == nil {
		return "", errors.New("store: the TOTP secret is sealed, and the server was started without the secret key (THROUGHCARE_SECRET_KEY)")
	}
	secret, err := d.sealer.Open(stored, "totp:"+userID)
	if err != nil {
		return "", fmt.Errorf("store: the TOTP secret of user %s: %w (is THROUGHCARE_SECRET_KEY the key it was sealed with?)", userID, err)
	}
	return secret, nil
}

// UnreadableTOTPSecrets returns how many second-factor secrets cannot be
// opened with the store's secret key (or are sealed while it has none), so
// that the server can say so at start.
func (d *DB) UnreadableTOTPSecrets(ctx context.Context) (int, error) {
	rows, err := d.db.QueryContext(ctx, `/* UnreadableTOTPSecrets */ SELECT user_id, totp_secret FROM credential WHERE totp_secret <> ''`)
	if err != nil {
		return 0, fmt.Errorf("store: read second-factor secrets: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, stored string
		if err := rows.Scan(&id, &stored); err != nil {
			return 0, fmt.Errorf("store: read second-factor secrets: %w", err)
		}
		if _, err := d.openSecret(stored, id); err != nil {
			n++
		}
	}
	return n, rows.Err()
}
