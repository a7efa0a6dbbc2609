package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// With a secret key, TOTP secrets are sealed in the database and read back
// in clear; without it a sealed one cannot be read, and a plain one stored
// before the key was set still can.
func TestTOTPSecretsSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before := newUser(t, db, "before@example.org")
		after := newUser(t, db, "after@example.org")
		secret, _, err := account.NewTOTP("x")
		if err != nil {
			t.Fatal(err)
		}
		ev := audit.Event{Action: audit.UserTOTPEnabled}
		if err := db.SetTOTP(ctx, before.ID, secret, nil, ev); err != nil {
			t.Fatal(err)
		}
		if err := db.SetSecretKey([]byte("short")); !errors.Is(err, apperr.Invalid) {
			t.Errorf("short key: %v, want Invalid", err)
		}
		if err := db.SetSecretKey([]byte("the store test's key, of 32 bytes or more")); err != nil {
			t.Fatal(err)
		}
		if err := db.SetTOTP(ctx, after.ID, secret, nil, ev); err != nil {
			t.Fatal(err)
		}
		stored, err := store.StoredTOTPSecret(ctx, db, after.ID)
		if err != nil || stored == secret || strings.Contains(stored, secret) || !strings.HasPrefix(stored, "v1:") {
			t.Errorf("stored secret = %q, %v; want it sealed", stored, err)
		}
		for _, u := range []account.User{before, after} {
			if c, err := db.Credentials(ctx, u.ID); err != nil || c.TOTPSecret != secret {
				t.Errorf("%s: TOTPSecret = %q, %v; want it in clear", u.Email, c.TOTPSecret, err)
			}
		}
		if err := db.SetSecretKey([]byte("some other key, also of 32 bytes or more")); err != nil {
			t.Fatal(err)
		}
		// Another key cannot open it: the credentials still load (the
		// password works) with the secret marked unreadable, and the
		// store can count such secrets.
		c, err := db.Credentials(ctx, after.ID)
		if err != nil || c.TOTPSecret != "" || !c.TOTPUnreadable || c.PasswordHash == "" {
			t.Errorf("wrong key: %+v, %v; want the secret marked unreadable", c, err)
		}
		if n, err := db.UnreadableTOTPSecrets(ctx); err != nil || n != 1 {
			t.Errorf("UnreadableTOTPSecrets = %d, %v; want 1", n, err)
		}
		if c, err := db.Credentials(ctx, before.ID); err != nil || c.TOTPSecret != secret || c.TOTPUnreadable {
			t.Errorf("a secret stored before any key: %+v, %v", c, err)
		}
	})
}
