package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
)

// API tokens are rows of the api_token table. As with sessions, the client
// holds the secret (account.NewToken) and the table holds only its SHA-256
// hash, so a copy of the database lets no one call the API. A token is
// never deleted by its owner, only revoked, so the list of tokens keeps
// showing what existed and when it stopped working.

// apiTokenNameMax is the longest token name accepted, in characters.
const apiTokenNameMax = 100

// CreateAPIToken stores a new token for t.UserID named t.Name with t.Scopes
// and, when t.ExpiresAt is not zero, that expiry; hash is the SHA-256 of
// the secret (account.NewToken), which is all that is kept. It gives the
// token a new id and creation time, and in the same transaction appends ev
// (token.created unless ev says otherwise; RecordType "api_token" and the
// new id as RecordID; the scopes as Detail unless ev has one) to the audit
// log. It returns the stored token, or an Invalid error naming the field:
// "name" (required, at most 100 characters, one line), "hash" (not a
// SHA-256 hash), "scopes" or "scopes[i]" (see account.ValidateScopes: known
// actions, none twice, each held by the owner), "expires_at" (not after
// now) or "user_id" (no such user); or a Conflict error if the hash is
// already stored.
func (d *DB) CreateAPIToken(ctx context.Context, t account.APIToken, hash []byte, ev audit.Event) (account.APIToken, error) {
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		return account.APIToken{}, apperr.Field("name", "is required")
	case !utf8.ValidString(t.Name) || strings.ContainsAny(t.Name, "\r\n\x00"):
		return account.APIToken{}, apperr.Field("name", "must be a single line of text")
	case utf8.RuneCountInString(t.Name) > apiTokenNameMax:
		return account.APIToken{}, apperr.Field("name", "is longer than %d characters", apiTokenNameMax)
	case len(hash) != sha256.Size:
		return account.APIToken{}, apperr.Field("hash", "is not a SHA-256 hash of a token")
	}
	now := d.Now().UTC().Truncate(time.Microsecond)
	if !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now) {
		return account.APIToken{}, apperr.Field("expires_at", "must be in the future")
	}
	owner, err := d.User(ctx, t.UserID)
	if errors.Is(err, apperr.NotFound) {
		return account.APIToken{}, apperr.Field("user_id", "there is no user %s", t.UserID)
	}
	if err != nil {
		return account.APIToken{}, err
	}
	if err := account.ValidateScopes(&owner, t.Scopes); err != nil {
		return account.APIToken{}, err
	}
	t.ID = directory.NewUUID()
	t.Hash = slices.Clone(hash)
	t.Scopes = slices.Clone(t.Scopes)
	t.CreatedAt = now
	t.ExpiresAt = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	t.LastUsedAt, t.RevokedAt = time.Time{}, time.Time{}
	if ev.Detail == "" {
		b, _ := json.Marshal(map[string]string{"scopes": joinScopes(t.Scopes)}) // cannot fail: strings
		ev.Detail = string(b)
	}
	if err := d.prepareEvent(&ev, audit.TokenCreated, "api_token", t.ID); err != nil {
		return account.APIToken{}, err
	}
	err = d.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `/* CreateAPIToken */
INSERT INTO api_token (id, user_id, name, hash, scopes, created_at, last_used_at, expires_at, revoked_at)
VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, NULL)`,
			t.ID, t.UserID, t.Name, hex.EncodeToString(t.Hash), joinScopes(t.Scopes), formatTime(t.CreatedAt), nullTime(t.ExpiresAt))
		if err != nil {
			err = d.dialect.translate(err)
			switch {
			case errors.Is(err, apperr.Conflict):
				return fmt.Errorf("store: create API token: %w", &conflictError{msg: "hash: this token is already stored"})
			case errors.Is(err, apperr.Invalid):
				return apperr.Field("user_id", "there is no user %s", t.UserID)
			}
			return fmt.Errorf("store: create API token: %w", err)
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	if err != nil {
		return account.APIToken{}, err
	}
	return t, nil
}

const apiTokenColumns = `id, user_id, name, hash, scopes, created_at, last_used_at, expires_at, revoked_at`

// APITokenByHash returns the token whose secret hashes to hash, and its
// owner with their memberships, whatever the token's state: the caller
// decides, with account.APIToken.Active and account.CanWithToken, and can
// then say whether a refused token was revoked or has expired. A hash that
// matches no token is a NotFound error.
func (d *DB) APITokenByHash(ctx context.Context, hash []byte) (account.APIToken, account.User, error) {
	row := d.db.QueryRowContext(ctx, `/* APITokenByHash */ SELECT `+apiTokenColumns+` FROM api_token WHERE hash = $1`, hex.EncodeToString(hash))
	t, err := scanAPIToken(row)
	if err != nil {
		return account.APIToken{}, account.User{}, fmt.Errorf("store: API token: %w", notFound(err, "API token"))
	}
	u, err := d.User(ctx, t.UserID)
	if err != nil {
		return account.APIToken{}, account.User{}, err
	}
	return t, u, nil
}

// APITokens returns every token of userID, revoked and expired ones
// included, newest first.
func (d *DB) APITokens(ctx context.Context, userID string) ([]account.APIToken, error) {
	return queryAll(ctx, d.db, "API tokens", `/* APITokens */ SELECT `+apiTokenColumns+`
FROM api_token WHERE user_id = $1 ORDER BY created_at DESC, id`,
		scanAPIToken, userID)
}

// RevokeAPIToken stops token id of userID from working, from now on, and
// appends ev (token.revoked unless ev says otherwise, with RecordType
// "api_token" and the token's id) in the same transaction. A token that is
// not userID's is a NotFound error, exactly as one that does not exist, so
// nobody learns of other users' tokens. Revoking a revoked token does
// nothing and appends nothing.
func (d *DB) RevokeAPIToken(ctx context.Context, id, userID string, ev audit.Event) error {
	now := d.Now().UTC().Truncate(time.Microsecond)
	if err := d.prepareEvent(&ev, audit.TokenRevoked, "api_token", id); err != nil {
		return err
	}
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		var revoked sql.NullString
		err := tx.QueryRowContext(ctx, `/* RevokeAPIToken */
SELECT revoked_at FROM api_token WHERE id = $1 AND user_id = $2`, id, userID).Scan(&revoked)
		if err != nil {
			return fmt.Errorf("store: revoke API token: %w", notFound(err, "API token"))
		}
		if revoked.Valid {
			return errRevoked
		}
		if _, err := tx.ExecContext(ctx, `/* RevokeAPIToken */
UPDATE api_token SET revoked_at = $1 WHERE id = $2`, formatTime(now), id); err != nil {
			return fmt.Errorf("store: revoke API token: %w", err)
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	if errors.Is(err, errRevoked) {
		return nil
	}
	return err
}

// errRevoked rolls back RevokeAPIToken's transaction when there is nothing
// to do.
var errRevoked = errors.New("store: API token already revoked")

// TouchAPIToken records that token id was used at at. To spare a write on
// every request of a busy client, the time is only written when the stored
// one is at least a minute older (or there is none), so LastUsedAt is
// accurate to the minute. An unknown id is not an error.
func (d *DB) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `/* TouchAPIToken */
UPDATE api_token SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`,
		formatTime(at), id, formatTime(at.Add(-touchEvery)))
	if err != nil {
		return fmt.Errorf("store: touch API token: %w", err)
	}
	return nil
}

func scanAPIToken(s scanner) (account.APIToken, error) {
	var (
		t                      account.APIToken
		hash, scopes, created  string
		used, expires, revoked sql.NullString
	)
	if err := s.Scan(&t.ID, &t.UserID, &t.Name, &hash, &scopes, &created, &used, &expires, &revoked); err != nil {
		return t, err
	}
	var err error
	if t.Hash, err = hex.DecodeString(hash); err != nil {
		return t, fmt.Errorf("store: API token %s: stored hash: %w", t.ID, err)
	}
	for sc := range strings.SplitSeq(scopes, ",") {
		if sc != "" {
			t.Scopes = append(t.Scopes, account.Action(sc))
		}
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return t, err
	}
	for _, f := range []struct {
		s  sql.NullString
		to *time.Time
	}{{used, &t.LastUsedAt}, {expires, &t.ExpiresAt}, {revoked, &t.RevokedAt}} {
		if !f.s.Valid {
			continue
		}
		if *f.to, err = parseTime(f.s.String); err != nil {
			return t, err
		}
	}
	return t, nil
}

func joinScopes(scopes []account.Action) string {
	ss := make([]string, len(scopes))
	for i, s := range scopes {
		ss[i] = string(s)
	}
	return strings.Join(ss, ",")
}

// nullTime is t as stored, or NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}
