package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestUseLinkNonce(t *testing.T) {
	eachConcurrent(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		key := []byte(strings.Repeat("k", account.LinkKeyMinLength))

		// A password-reset link: verified, then spent once.
		nonce, _ := account.NewToken()
		token := account.SignLink(key, "password-reset", "user-1", now.Add(time.Hour), nonce)
		l, err := account.VerifyLink(key, "password-reset", token, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.UseLinkNonce(ctx, "password-reset", l.Nonce, l.Subject, l.Expires); err != nil {
			t.Fatalf("first use: %v", err)
		}
		err = db.UseLinkNonce(ctx, "password-reset", l.Nonce, l.Subject, l.Expires)
		if !errors.Is(err, apperr.Conflict) || !strings.Contains(apperr.Message(err), "already been used") {
			t.Errorf("second use: %v; want a Conflict saying the link was used", err)
		}

		// Missing parts are refused, naming the field.
		wantField(t, db.UseLinkNonce(ctx, "", "n", "s", now), "purpose")
		wantField(t, db.UseLinkNonce(ctx, "p", "", "s", now), "nonce")
		wantField(t, db.UseLinkNonce(ctx, "p", "n", "s", time.Time{}), "expires")

		// Of several requests presenting one link at once, one wins.
		shared, _ := account.NewToken()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range 8 {
			wg.Go(func() {
				err := db.UseLinkNonce(ctx, "still-correct", shared, "service-1", now.Add(48*time.Hour))
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, apperr.Conflict):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent uses of one link succeeded, want 1", wins)
		}

		// Pruning deletes only records of links that have expired.
		n, err := db.PruneUsedLinks(ctx, now.Add(time.Hour))
		if err != nil || n != 1 {
			t.Errorf("PruneUsedLinks(+1h) = %d, %v; want the reset link's record", n, err)
		}
		if err := db.UseLinkNonce(ctx, "still-correct", shared, "service-1", now.Add(48*time.Hour)); !errors.Is(err, apperr.Conflict) {
			t.Errorf("unexpired record pruned: %v", err)
		}
		if n, err := db.PruneUsedLinks(ctx, now.Add(time.Hour)); err != nil || n != 0 {
			t.Errorf("second prune = %d, %v", n, err)
		}
		if n, err := db.PruneUsedLinks(ctx, now.Add(72*time.Hour)); err != nil || n != 1 {
			t.Errorf("PruneUsedLinks(+72h) = %d, %v; want 1", n, err)
		}
	})
}

func TestIdentities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Eastgate Probation", Kind: account.KindProbation}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		u := newUser(t, db, "jo@example.org", account.Membership{OrgID: org.ID, Role: account.RolePractitioner})
		other := newUser(t, db, "max@example.org")
		const iss, sub = "https://login.example.net/tenant/v2.0", "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"

		if _, err := db.UserByIdentity(ctx, iss, sub); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unlinked identity: %v; want NotFound", err)
		}
		wantField(t, db.LinkIdentity(ctx, "", sub, u.ID, audit.Event{}), "issuer")
		wantField(t, db.LinkIdentity(ctx, iss, "", u.ID, audit.Event{}), "subject")
		wantField(t, db.LinkIdentity(ctx, iss, strings.Repeat("s", 256), u.ID, audit.Event{}), "subject")
		wantField(t, db.LinkIdentity(ctx, iss, "a\nb", u.ID, audit.Event{}), "subject")
		wantField(t, db.LinkIdentity(ctx, iss, sub, u.ID, audit.Event{IP: "?"}), "ip")
		wantKind(t, db.LinkIdentity(ctx, iss, sub, "no-such-user", audit.Event{}), apperr.NotFound, "link to unknown user")
		if _, err := db.UserByIdentity(ctx, iss, sub); !errors.Is(err, apperr.NotFound) {
			t.Errorf("refused links linked: %v", err)
		}
		before := auditCount(t, db)

		if err := db.LinkIdentity(ctx, iss, sub, u.ID, audit.Event{ActorID: u.ID, IP: "192.0.2.44"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.UserByIdentity(ctx, iss, sub)
		if err != nil || got.ID != u.ID || len(got.Memberships) != 1 || got.Memberships[0].OrgID != org.ID {
			t.Errorf("UserByIdentity = %+v, %v; want %s with their membership", got, err, u.ID)
		}
		// The same subject at another issuer is another identity.
		if _, err := db.UserByIdentity(ctx, "https://other.example.net", sub); !errors.Is(err, apperr.NotFound) {
			t.Errorf("other issuer: %v; want NotFound", err)
		}
		evs := events(t, db, u.ID, audit.UserUpdated)
		if len(evs) != 1 || evs[0].Detail != `{"linked_identity_issuer":"https://login.example.net/tenant/v2.0"}` || strings.Contains(evs[0].Detail, sub) {
			t.Errorf("link events = %+v; want one naming the issuer but not the subject", evs)
		}

		// Linking again to the same user does nothing; to another, conflicts.
		if err := db.LinkIdentity(ctx, iss, sub, u.ID, audit.Event{}); err != nil {
			t.Errorf("relinking to the same user: %v", err)
		}
		wantKind(t, db.LinkIdentity(ctx, iss, sub, other.ID, audit.Event{}), apperr.Conflict, "link to another user")
		if got, _ := db.UserByIdentity(ctx, iss, sub); got.ID != u.ID {
			t.Errorf("identity now belongs to %s", got.ID)
		}
		if n := auditCount(t, db); n != before+1 {
			t.Errorf("%d audit events written, want 1", n-before)
		}
		// A user may have several identities.
		if err := db.LinkIdentity(ctx, "https://other.example.net", sub, u.ID, audit.Event{}); err != nil {
			t.Errorf("second identity: %v", err)
		}
	})
}

// A password reset is one transaction: the link is spent, the password set,
// sessions ended and tokens revoked together, or not at all.
func TestResetPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		u := newUser(t, db, "pat@example.org")
		sess, err := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		plain, hash := account.NewToken()
		if _, err := db.CreateAPIToken(ctx, account.APIToken{UserID: u.ID, Name: "x", Scopes: []account.Action{account.SubscriptionManage}}, hash, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if _, _, err := db.RecordSignInFailure(ctx, u.ID, now, 5, time.Hour, audit.Event{}); err != nil {
				t.Fatal(err)
			}
		}
		link := store.LinkUse{Purpose: "password-reset", Nonce: "n1", Subject: u.ID, Expires: now.Add(time.Hour)}
		newHash := "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA"

		// A bad event writes nothing: the link is not spent.
		if err := db.ResetPassword(ctx, u.ID, newHash, link, audit.Event{Action: "Bad"}); !errors.Is(err, apperr.Invalid) {
			t.Fatalf("bad event: %v, want Invalid", err)
		}
		if err := db.ResetPassword(ctx, u.ID, "plain text", link, audit.Event{}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("not a hash: %v, want Invalid", err)
		}
		if err := db.ResetPassword(ctx, u.ID, newHash, link, audit.Event{ActorID: u.ID}); err != nil {
			t.Fatal(err)
		}
		c, err := db.Credentials(ctx, u.ID)
		if err != nil || c.PasswordHash != newHash || c.FailedCount != 0 || !c.LockedUntil.IsZero() {
			t.Errorf("credentials after the reset = %+v, %v", c, err)
		}
		if _, _, err := db.SessionUser(ctx, sess, time.Hour); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("session after the reset: %v, want ended", err)
		}
		if tok, _, err := db.APITokenByHash(ctx, account.HashToken(plain)); err != nil || tok.Active(now) {
			t.Errorf("token after the reset: %+v, %v; want revoked", tok, err)
		}
		for action, detail := range map[audit.Action]string{
			audit.UserPasswordChanged: "",
			audit.UserSignedOut:       `{"reason":"password_reset","sessions":1}`,
			audit.TokenRevoked:        `{"reason":"password_reset","tokens":1}`,
		} {
			if evs := events(t, db, u.ID, action); len(evs) != 1 || evs[0].Detail != detail {
				t.Errorf("%s events = %+v", action, evs)
			}
		}

		// The link works once; the second try changes nothing.
		if err := db.ResetPassword(ctx, u.ID, "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$b3RoZXI", link, audit.Event{}); !errors.Is(err, apperr.Conflict) {
			t.Errorf("reused link: %v, want Conflict", err)
		}
		if c, _ := db.Credentials(ctx, u.ID); c.PasswordHash != newHash {
			t.Error("a reused link changed the password")
		}
	})
}

// Changing a password sets it and ends every session in one transaction,
// but leaves API tokens alone (their owner is the one changing it).
func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := newUser(t, db, "pat@example.org")
		a, _ := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		b, _ := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		plain, hash := account.NewToken()
		if _, err := db.CreateAPIToken(ctx, account.APIToken{UserID: u.ID, Name: "x", Scopes: []account.Action{account.SubscriptionManage}}, hash, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		newHash := "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA"
		if err := db.ChangePassword(ctx, u.ID, "plain", audit.Event{}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("not a hash: %v, want Invalid", err)
		}
		if err := db.ChangePassword(ctx, u.ID, newHash, audit.Event{Action: "Bad"}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("bad event: %v, want Invalid", err)
		}
		if _, _, err := db.SessionUser(ctx, a, time.Hour); err != nil {
			t.Fatalf("a refused change ended a session: %v", err)
		}
		if err := db.ChangePassword(ctx, u.ID, newHash, audit.Event{ActorID: u.ID, Detail: `{"via":"change"}`}); err != nil {
			t.Fatal(err)
		}
		if c, err := db.Credentials(ctx, u.ID); err != nil || c.PasswordHash != newHash {
			t.Errorf("password after the change: %+v, %v", c, err)
		}
		for _, s := range []string{a, b} {
			if _, _, err := db.SessionUser(ctx, s, time.Hour); !errors.Is(err, apperr.Unauthenticated) {
				t.Errorf("a session survived the change: %v", err)
			}
		}
		if tok, _, err := db.APITokenByHash(ctx, account.HashToken(plain)); err != nil || !tok.RevokedAt.IsZero() {
			t.Errorf("token after a change: %+v, %v; want it left alone", tok, err)
		}
		if evs := events(t, db, u.ID, audit.UserSignedOut); len(evs) != 1 || evs[0].Detail != `{"reason":"password_changed","sessions":2}` {
			t.Errorf("sign-out events = %+v", evs)
		}
		if err := db.ChangePassword(ctx, "no-such-user", newHash, audit.Event{}); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unknown user: %v, want NotFound", err)
		}
	})
}
