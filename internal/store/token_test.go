package store_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		org, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Hillside Recovery", Kind: account.KindVoluntary}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		pat, err := db.CreateUser(ctx, account.User{Email: "pat@example.org", Name: "Pat",
			Memberships: []account.Membership{{OrgID: org.ID, Role: account.RoleProvider}}}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		sam, err := db.CreateUser(ctx, account.User{Email: "sam@example.org", Name: "Sam"}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}

		plain, hash := account.NewToken()
		expires := now.Add(90 * 24 * time.Hour)
		created, err := db.CreateAPIToken(ctx, account.APIToken{
			UserID: pat.ID, Name: " case system ", Scopes: []account.Action{account.ListingAssure, account.ListingEdit}, ExpiresAt: expires,
		}, hash, audit.Event{ActorID: pat.ID, IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if created.ID == "" || created.Name != "case system" || !created.CreatedAt.Equal(now) || !created.ExpiresAt.Equal(expires) ||
			!bytes.Equal(created.Hash, hash) || !created.Active(now) {
			t.Errorf("created token = %+v", created)
		}

		got, owner, err := db.APITokenByHash(ctx, account.HashToken(plain))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != created.ID || got.UserID != pat.ID || got.Name != "case system" ||
			!slices.Equal(got.Scopes, []account.Action{account.ListingAssure, account.ListingEdit}) ||
			!got.ExpiresAt.Equal(expires) || !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
			t.Errorf("APITokenByHash = %+v", got)
		}
		if owner.ID != pat.ID || owner.RoleIn(org.ID) != account.RoleProvider {
			t.Errorf("owner = %+v, want Pat with a provider membership", owner)
		}
		if _, _, err := db.APITokenByHash(ctx, account.HashToken(plain+"x")); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unknown token: %v, want NotFound", err)
		}

		// The audit row names the token and its scopes but never the secret
		// or its hash.
		evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.TokenCreated})
		if err != nil || len(evs) != 1 {
			t.Fatalf("token.created events = %+v, %v", evs, err)
		}
		if ev := evs[0]; ev.RecordType != "api_token" || ev.RecordID != created.ID || ev.ActorID != pat.ID ||
			!strings.Contains(ev.Detail, "listing.assure,listing.edit") ||
			strings.Contains(ev.Detail, plain) || strings.Contains(ev.Detail, hex.EncodeToString(hash)) {
			t.Errorf("token.created event = %+v", ev)
		}

		// A token that never expires, made later, lists first.
		now = now.Add(time.Hour)
		_, hash2 := account.NewToken()
		forever, err := db.CreateAPIToken(ctx, account.APIToken{UserID: pat.ID, Name: "nightly", Scopes: []account.Action{account.ListingAssure}}, hash2, audit.Event{})
		if err != nil {
			t.Fatal(err)
		}
		list, err := db.APITokens(ctx, pat.ID)
		if err != nil || len(list) != 2 || list[0].ID != forever.ID || list[1].ID != created.ID || !list[0].ExpiresAt.IsZero() {
			t.Errorf("APITokens = %+v, %v; want nightly then case system", list, err)
		}
		if list, err := db.APITokens(ctx, sam.ID); err != nil || len(list) != 0 {
			t.Errorf("Sam's tokens = %+v, %v; want none", list, err)
		}

		// Use is recorded at most once a minute.
		if err := db.TouchAPIToken(ctx, created.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.TouchAPIToken(ctx, created.ID, now.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := db.APITokenByHash(ctx, hash); !got.LastUsedAt.Equal(now) {
			t.Errorf("last used %v, want %v (the second touch was within a minute)", got.LastUsedAt, now)
		}
		if err := db.TouchAPIToken(ctx, created.ID, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := db.APITokenByHash(ctx, hash); !got.LastUsedAt.Equal(now.Add(2 * time.Minute)) {
			t.Errorf("last used %v, want %v", got.LastUsedAt, now.Add(2*time.Minute))
		}

		// Only the owner revokes, once.
		if err := db.RevokeAPIToken(ctx, created.ID, sam.ID, audit.Event{ActorID: sam.ID}); !errors.Is(err, apperr.NotFound) {
			t.Errorf("revoking another user's token: %v, want NotFound", err)
		}
		if err := db.RevokeAPIToken(ctx, "no-such-token", pat.ID, audit.Event{}); !errors.Is(err, apperr.NotFound) {
			t.Errorf("revoking a missing token: %v, want NotFound", err)
		}
		if err := db.RevokeAPIToken(ctx, created.ID, pat.ID, audit.Event{ActorID: pat.ID}); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeAPIToken(ctx, created.ID, pat.ID, audit.Event{ActorID: pat.ID}); err != nil {
			t.Errorf("revoking again: %v, want nothing to happen", err)
		}
		got, _, err = db.APITokenByHash(ctx, hash)
		if err != nil || !got.RevokedAt.Equal(now) || got.Active(now) {
			t.Errorf("revoked token = %+v, %v", got, err)
		}
		if revs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.TokenRevoked}); err != nil || len(revs) != 1 || revs[0].RecordID != created.ID {
			t.Errorf("token.revoked events = %+v, %v; want exactly one", revs, err)
		}
		if other, _, err := db.APITokenByHash(ctx, hash2); err != nil || !other.RevokedAt.IsZero() {
			t.Errorf("the other token was touched by the revocation: %+v, %v", other, err)
		}
	})
}

func TestCreateAPITokenRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		org, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Hillside Recovery", Kind: account.KindVoluntary}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		pat, err := db.CreateUser(ctx, account.User{Email: "pat@example.org", Name: "Pat",
			Memberships: []account.Membership{{OrgID: org.ID, Role: account.RoleProvider}}}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		assure := []account.Action{account.ListingAssure}
		_, taken := account.NewToken()
		if _, err := db.CreateAPIToken(ctx, account.APIToken{UserID: pat.ID, Name: "first", Scopes: assure}, taken, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			tok   account.APIToken
			hash  []byte
			field string
			kind  error
		}{
			{"no name", account.APIToken{UserID: pat.ID, Name: "  ", Scopes: assure}, nil, "name", apperr.Invalid},
			{"long name", account.APIToken{UserID: pat.ID, Name: strings.Repeat("n", 101), Scopes: assure}, nil, "name", apperr.Invalid},
			{"two lines", account.APIToken{UserID: pat.ID, Name: "a\nb", Scopes: assure}, nil, "name", apperr.Invalid},
			{"short hash", account.APIToken{UserID: pat.ID, Name: "x", Scopes: assure}, []byte("short"), "hash", apperr.Invalid},
			{"no scopes", account.APIToken{UserID: pat.ID, Name: "x"}, nil, "scopes", apperr.Invalid},
			{"unknown scope", account.APIToken{UserID: pat.ID, Name: "x", Scopes: []account.Action{"listing.burn"}}, nil, "scopes[0]", apperr.Invalid},
			{"scope twice", account.APIToken{UserID: pat.ID, Name: "x", Scopes: []account.Action{account.ListingAssure, account.ListingAssure}}, nil, "scopes[1]", apperr.Invalid},
			{"scope not held", account.APIToken{UserID: pat.ID, Name: "x", Scopes: []account.Action{account.ListingAssure, account.ImportRun}}, nil, "scopes[1]", apperr.Invalid},
			{"expired already", account.APIToken{UserID: pat.ID, Name: "x", Scopes: assure, ExpiresAt: now}, nil, "expires_at", apperr.Invalid},
			{"no such user", account.APIToken{UserID: "nobody", Name: "x", Scopes: assure}, nil, "user_id", apperr.Invalid},
			{"hash taken", account.APIToken{UserID: pat.ID, Name: "x", Scopes: assure}, taken, "", apperr.Conflict},
		} {
			hash := c.hash
			if hash == nil {
				_, hash = account.NewToken()
			}
			_, err := db.CreateAPIToken(ctx, c.tok, hash, audit.Event{})
			if !errors.Is(err, c.kind) {
				t.Errorf("%s: %v, want %v", c.name, err, c.kind)
				continue
			}
			if fe, ok := errors.AsType[*apperr.FieldError](err); c.field != "" && (!ok || fe.Field != c.field) {
				t.Errorf("%s: %v, want an error naming %s", c.name, err, c.field)
			}
		}
		if list, err := db.APITokens(ctx, pat.ID); err != nil || len(list) != 1 {
			t.Errorf("after refused creations: %d tokens, %v; want only the first", len(list), err)
		}
		if evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.TokenCreated}); err != nil || len(evs) != 1 {
			t.Errorf("after refused creations: %d token.created events, %v; want one", len(evs), err)
		}
	})
}
