package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// This file links things to users from outside: signed single-use links
// (a password reset, a "still correct" confirmation), whose used nonces are
// rows of used_link, and OpenID Connect identities, rows of user_identity.

// UseLinkNonce records that the signed link for purpose (as given to
// account.SignLink) carrying nonce and subject, valid until expires, has
// been used. The caller verifies the link first (account.VerifyLink) and
// acts on it only if this succeeds, which makes the link single-use even
// when two requests present it at once. It returns a Conflict error if the
// nonce has already been used, or an Invalid error naming "purpose",
// "nonce" or "expires" if one is missing.
func (d *DB) UseLinkNonce(ctx context.Context, purpose, nonce, subject string, expires time.Time) error {
	switch {
	case purpose == "":
		return apperr.Field("purpose", "is required")
	case nonce == "":
		return apperr.Field("nonce", "is required; a link without one cannot be made single-use")
	case expires.IsZero():
		return apperr.Field("expires", "is required")
	}
	_, err := d.db.ExecContext(ctx, `/* UseLinkNonce */
INSERT INTO used_link (nonce, purpose, subject, used_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		nonce, purpose, subject, formatTime(d.Now()), formatTime(expires))
	if err != nil {
		err = d.dialect.translate(err)
		if errors.Is(err, apperr.Conflict) {
			return fmt.Errorf("store: use link: %w", &conflictError{msg: "This link has already been used."})
		}
		return fmt.Errorf("store: use link: %w", err)
	}
	return nil
}

// PruneUsedLinks deletes the records of used links that expired at or
// before now, which can no longer be presented anyway, and returns how many
// it deleted.
func (d *DB) PruneUsedLinks(ctx context.Context, now time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, `/* PruneUsedLinks */ DELETE FROM used_link WHERE expires_at <= $1`, formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("store: prune used links: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune used links: %w", err)
	}
	return int(n), nil
}

// UserByIdentity returns the user linked to the OpenID Connect identity
// subject at issuer, with their memberships, or a NotFound error if no
// user is linked to it.
func (d *DB) UserByIdentity(ctx context.Context, issuer, subject string) (account.User, error) {
	var userID string
	err := d.db.QueryRowContext(ctx, `/* UserByIdentity */
SELECT user_id FROM user_identity WHERE issuer = $1 AND subject = $2`, issuer, subject).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return account.User{}, apperr.Errorf(apperr.NotFound, "no user is linked to this sign-in identity")
	}
	if err != nil {
		return account.User{}, fmt.Errorf("store: user by identity: %w", err)
	}
	return d.User(ctx, userID)
}

// LinkIdentity links the OpenID Connect identity subject at issuer to user
// userID, so that they can sign in with it, and appends ev (user.updated
// unless ev says otherwise, naming the issuer as Detail unless ev has one)
// about the user in the same transaction. Linking an identity already
// linked to the same user does nothing and appends nothing. It returns an
// Invalid error naming "issuer" or "subject" if one is missing, too long or
// not a single line, a NotFound error if there is no such user, or a
// Conflict error if the identity belongs to another user.
func (d *DB) LinkIdentity(ctx context.Context, issuer, subject, userID string, ev audit.Event) error {
	if err := checkIdentityPart("issuer", issuer, 2000); err != nil {
		return err
	}
	// OpenID Connect limits subject identifiers to 255 ASCII characters.
	if err := checkIdentityPart("subject", subject, 255); err != nil {
		return err
	}
	defaultDetail(&ev, map[string]string{"linked_identity_issuer": issuer})
	if err := d.prepareEvent(&ev, audit.UserUpdated, "user", userID); err != nil {
		return err
	}
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		if err := requireUser(ctx, tx, userID, "link identity"); err != nil {
			return err
		}
		var owner string
		err := tx.QueryRowContext(ctx, `/* LinkIdentity */
SELECT user_id FROM user_identity WHERE issuer = $1 AND subject = $2`, issuer, subject).Scan(&owner)
		switch {
		case err == nil && owner == userID:
			return errRollback
		case err == nil:
			return fmt.Errorf("store: link identity: %w", &conflictError{msg: "subject: this sign-in identity is already linked to another account"})
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: link identity: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `/* LinkIdentity */
INSERT INTO user_identity (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)`,
			issuer, subject, userID, formatTime(d.Now())); err != nil {
			err = d.dialect.translate(err)
			if errors.Is(err, apperr.Conflict) {
				return fmt.Errorf("store: link identity: %w", &conflictError{msg: "subject: this sign-in identity is already linked to another account"})
			}
			return fmt.Errorf("store: link identity: %w", err)
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

func checkIdentityPart(field, s string, max int) error {
	switch {
	case s == "":
		return apperr.Field(field, "is required")
	case !utf8.ValidString(s):
		return apperr.Field(field, "is not valid UTF-8")
	case len(s) > max:
		return apperr.Field(field, "is longer than %d characters", max)
	case strings.ContainsAny(s, "\r\n\x00"):
		return apperr.Field(field, "must be a single line")
	}
	return nil
}

// LinkUse is a single-use link being spent: its purpose, nonce and subject,
// and when it expires (see UseLinkNonce).
type LinkUse struct {
	Purpose, Nonce, Subject string
	Expires                 time.Time
}

// ResetPassword takes an account back through a password-reset link, all
// in one transaction: it spends the link (a Conflict error, "This link has
// already been used.", if it was), sets the password hash and clears any
// lock-out, ends every session of user userID and revokes their API tokens.
// It appends ev (user.password_changed unless ev says otherwise) and, when
// there were any, a user.signed_out and a token.revoked event like it with
// the counts in Detail. If any part fails, nothing is written: the link
// stays unspent and the old password stays.
func (d *DB) ResetPassword(ctx context.Context, userID, hash string, link LinkUse, ev audit.Event) error {
	switch {
	case !strings.HasPrefix(hash, "$argon2id$"):
		return apperr.Field("password_hash", "must be an argon2id hash from account.HashPassword")
	case link.Purpose == "":
		return apperr.Field("purpose", "is required")
	case link.Nonce == "":
		return apperr.Field("nonce", "is required; a link without one cannot be made single-use")
	case link.Expires.IsZero():
		return apperr.Field("expires", "is required")
	}
	if err := d.prepareEvent(&ev, audit.UserPasswordChanged, "user", userID); err != nil {
		return err
	}
	now := formatTime(d.Now())
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `/* ResetPassword */
INSERT INTO used_link (nonce, purpose, subject, used_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			link.Nonce, link.Purpose, link.Subject, now, formatTime(link.Expires)); err != nil {
			err = d.dialect.translate(err)
			if errors.Is(err, apperr.Conflict) {
				return fmt.Errorf("store: use link: %w", &conflictError{msg: "This link has already been used."})
			}
			return fmt.Errorf("store: use link: %w", err)
		}
		return d.takeBack(ctx, tx, userID, hash, ev, "password_reset", true)
	})
}

// ChangePassword sets user userID's password hash, clears any lock-out and
// ends every session of the user, in one transaction, appending ev
// (user.password_changed unless ev says otherwise) and, when there were
// any sessions, a user.signed_out event like it. The caller starts a new
// session for the browser that made the change.
func (d *DB) ChangePassword(ctx context.Context, userID, hash string, ev audit.Event) error {
	if !strings.HasPrefix(hash, "$argon2id$") {
		return apperr.Field("password_hash", "must be an argon2id hash from account.HashPassword")
	}
	if err := d.prepareEvent(&ev, audit.UserPasswordChanged, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		return d.takeBack(ctx, tx, userID, hash, ev, "password_changed", false)
	})
}

// takeBack sets userID's password hash and clears their lock-out, appends
// ev, ends every session and, with tokens, revokes every API token, each
// audited like ev with reason and the count in Detail when there was any.
func (d *DB) takeBack(ctx context.Context, tx *sql.Tx, userID, hash string, ev audit.Event, reason string, tokens bool) error {
	if err := execUser(ctx, tx, userID, "set password", `/* takeBack */
UPDATE credential SET password_hash = $1, failed_count = 0, locked_until = NULL WHERE user_id = $2`, hash, userID); err != nil {
		return err
	}
	if _, err := d.appendAudit(ctx, tx, ev); err != nil {
		return err
	}
	type follow struct {
		query  string
		args   []any
		action audit.Action
		counts string
	}
	follows := []follow{{`/* takeBack */ DELETE FROM session WHERE user_id = $1`, []any{userID}, audit.UserSignedOut, "sessions"}}
	if tokens {
		follows = append(follows, follow{`/* takeBack */
UPDATE api_token SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, []any{formatTime(d.Now()), userID}, audit.TokenRevoked, "tokens"})
	}
	for _, f := range follows {
		res, err := tx.ExecContext(ctx, f.query, f.args...)
		if err != nil {
			return fmt.Errorf("store: %s after a password change: %w", f.counts, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		e := ev
		e.Action, e.Detail = f.action, fmt.Sprintf(`{"reason":%q,%q:%d}`, reason, f.counts, n)
		if _, err := d.appendAudit(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}
