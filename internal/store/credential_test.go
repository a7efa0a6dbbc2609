package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// newUser creates a user with a password hash and the given memberships.
func newUser(t *testing.T, db *store.DB, email string, ms ...account.Membership) account.User {
	t.Helper()
	u, err := db.CreateUser(context.Background(), account.User{Email: email, Name: "Test User", Memberships: ms},
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", audit.Event{Action: audit.UserCreated})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// events returns the audit events about recordID with action a (any action
// if empty), newest first.
func events(t *testing.T, db *store.DB, recordID string, a audit.Action) []audit.Event {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), store.AuditFilter{RecordID: recordID, Action: a, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// auditCount returns how many events the audit log holds.
func auditCount(t *testing.T, db *store.DB) int {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), store.AuditFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func credentials(t *testing.T, db *store.DB, userID string) account.Credentials {
	t.Helper()
	c, err := db.Credentials(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantField fails unless err is an Invalid error about field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	fe, ok := errors.AsType[*apperr.FieldError](err)
	if !ok || fe.Field != field {
		t.Errorf("error = %v; want an Invalid error naming %q", err, field)
	}
}

// wantKind fails unless err is of kind (apperr.NotFound and so on).
func wantKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error = %v; want %v", what, err, kind)
	}
}

func TestSetPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		u := newUser(t, db, "ray@example.org")
		for range 3 {
			if _, _, err := db.RecordSignInFailure(ctx, u.ID, now, 3, time.Hour, audit.Event{}); err != nil {
				t.Fatal(err)
			}
		}
		if c := credentials(t, db, u.ID); c.FailedCount != 3 || !c.LockedUntil.Equal(now.Add(time.Hour)) {
			t.Fatalf("after three failures: count %d, locked until %v", c.FailedCount, c.LockedUntil)
		}
		before := auditCount(t, db)

		// Bad input, unknown users and bad events change nothing.
		for _, bad := range []string{"", "correct horse battery staple", "$2a$10$bcrypt"} {
			wantField(t, db.SetPassword(ctx, u.ID, bad, audit.Event{}), "password_hash")
		}
		wantKind(t, db.SetPassword(ctx, "no-such-user", "$argon2id$new", audit.Event{}), apperr.NotFound, "unknown user")
		wantField(t, db.SetPassword(ctx, u.ID, "$argon2id$new", audit.Event{IP: "not an address"}), "ip")
		if c := credentials(t, db, u.ID); c.PasswordHash != "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5" || c.FailedCount != 3 {
			t.Errorf("refused changes altered the credentials: %+v", c)
		}
		if n := auditCount(t, db); n != before {
			t.Errorf("refused changes wrote %d audit events", n-before)
		}

		ev := audit.Event{ActorID: u.ID, ActorRole: "provider", IP: "203.0.113.9"}
		if err := db.SetPassword(ctx, u.ID, "$argon2id$new", ev); err != nil {
			t.Fatal(err)
		}
		c := credentials(t, db, u.ID)
		if c.PasswordHash != "$argon2id$new" || c.FailedCount != 0 || !c.LockedUntil.IsZero() {
			t.Errorf("after SetPassword: %+v; want the new hash and no failures or lock", c)
		}
		evs := events(t, db, u.ID, audit.UserPasswordChanged)
		if len(evs) != 1 || evs[0].IP != "203.0.113.9" || evs[0].ActorID != u.ID || evs[0].RecordType != "user" {
			t.Errorf("password_changed events = %+v", evs)
		}
		if evs[0].Detail != "" {
			t.Errorf("password event detail %q; want none", evs[0].Detail)
		}
	})
}

func TestSignInLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		u := newUser(t, db, "lee@example.org")
		other := newUser(t, db, "other@example.org")
		const maxFailures, lockFor = 3, 15 * time.Minute
		fail := func() (bool, time.Time) {
			t.Helper()
			locked, until, err := db.RecordSignInFailure(ctx, u.ID, now, maxFailures, lockFor, audit.Event{IP: "198.51.100.4"})
			if err != nil {
				t.Fatal(err)
			}
			return locked, until
		}

		// Arguments, users and events are checked before anything is written.
		_, _, err := db.RecordSignInFailure(ctx, u.ID, now, 0, lockFor, audit.Event{})
		wantField(t, err, "max_failures")
		_, _, err = db.RecordSignInFailure(ctx, u.ID, now, maxFailures, 0, audit.Event{})
		wantField(t, err, "lock_for")
		_, _, err = db.RecordSignInFailure(ctx, u.ID, now, maxFailures, lockFor, audit.Event{Action: "Not An Action"})
		wantField(t, err, "action")
		_, _, err = db.RecordSignInFailure(ctx, "no-such-user", now, maxFailures, lockFor, audit.Event{})
		wantKind(t, err, apperr.NotFound, "unknown user")
		if c := credentials(t, db, u.ID); c.FailedCount != 0 {
			t.Errorf("refused failures counted: %d", c.FailedCount)
		}
		if n := len(events(t, db, u.ID, audit.UserSignInFailed)); n != 0 {
			t.Errorf("refused failures audited: %d", n)
		}

		for i := 1; i < maxFailures; i++ {
			if locked, _ := fail(); locked {
				t.Fatalf("locked after %d failures, want %d", i, maxFailures)
			}
			if c := credentials(t, db, u.ID); c.FailedCount != i || !c.LockedUntil.IsZero() {
				t.Fatalf("after %d failures: count %d, locked until %v", i, c.FailedCount, c.LockedUntil)
			}
		}
		locked, until := fail()
		if !locked || !until.Equal(now.Add(lockFor)) {
			t.Fatalf("failure %d: locked %v until %v; want locked until %v", maxFailures, locked, until, now.Add(lockFor))
		}
		c := credentials(t, db, u.ID)
		if c.FailedCount != maxFailures || !c.LockedUntil.Equal(until) {
			t.Errorf("read back: count %d, locked until %v; want %d, %v", c.FailedCount, c.LockedUntil, maxFailures, until)
		}
		lockEvs := events(t, db, u.ID, audit.UserLocked)
		if len(lockEvs) != 1 || lockEvs[0].IP != "198.51.100.4" ||
			lockEvs[0].Detail != `{"failed_count":3,"locked_until":"2026-06-01T10:15:00.000000Z"}` {
			t.Errorf("user.locked events = %+v", lockEvs)
		}
		all := events(t, db, u.ID, "")
		if len(all) < 2 || all[0].Action != audit.UserLocked || all[1].Action != audit.UserSignInFailed {
			t.Errorf("the lock should follow the failure that caused it: %+v", all)
		}
		// Another user is untouched.
		if c := credentials(t, db, other.ID); c.FailedCount != 0 || !c.LockedUntil.IsZero() {
			t.Errorf("other user: %+v", c)
		}

		// While locked, attempts are audited but neither counted nor extend
		// the lock.
		now = now.Add(5 * time.Minute)
		if locked, u2 := fail(); !locked || !u2.Equal(until) {
			t.Errorf("attempt while locked: locked %v until %v; want the lock unchanged until %v", locked, u2, until)
		}
		if c := credentials(t, db, u.ID); c.FailedCount != maxFailures || !c.LockedUntil.Equal(until) {
			t.Errorf("attempt while locked changed the lock: %+v", c)
		}
		if n := len(events(t, db, u.ID, audit.UserSignInFailed)); n != maxFailures+1 {
			t.Errorf("sign_in_failed events = %d, want %d", n, maxFailures+1)
		}

		// Once the lock has ended, another maxFailures failures lock again.
		now = until
		for i := 1; i < maxFailures; i++ {
			if locked, _ := fail(); locked {
				t.Fatalf("locked again after %d more failures", i)
			}
		}
		locked, until = fail()
		if !locked || !until.Equal(now.Add(lockFor)) {
			t.Errorf("second lock: %v until %v", locked, until)
		}
		if n := len(events(t, db, u.ID, audit.UserLocked)); n != 2 {
			t.Errorf("user.locked events = %d, want 2", n)
		}

		// An administrator unlocks; the count starts again.
		wantKind(t, db.UnlockUser(ctx, "no-such-user", audit.Event{}), apperr.NotFound, "unlock unknown user")
		wantField(t, db.UnlockUser(ctx, u.ID, audit.Event{IP: "x"}), "ip")
		if c := credentials(t, db, u.ID); c.LockedUntil.IsZero() {
			t.Error("a refused unlock unlocked")
		}
		if err := db.UnlockUser(ctx, u.ID, audit.Event{ActorID: other.ID, ActorRole: "admin"}); err != nil {
			t.Fatal(err)
		}
		if c := credentials(t, db, u.ID); c.FailedCount != 0 || !c.LockedUntil.IsZero() {
			t.Errorf("after unlock: %+v", c)
		}
		if evs := events(t, db, u.ID, audit.UserUnlocked); len(evs) != 1 || evs[0].ActorID != other.ID {
			t.Errorf("user.unlocked events = %+v", evs)
		}

		// A success resets the count, with an event only if asked for.
		fail()
		fail()
		n := auditCount(t, db)
		wantKind(t, db.RecordSignInSuccess(ctx, "no-such-user", audit.Event{}), apperr.NotFound, "success of unknown user")
		wantField(t, db.RecordSignInSuccess(ctx, u.ID, audit.Event{Action: "bad"}), "action")
		if c := credentials(t, db, u.ID); c.FailedCount != 2 {
			t.Errorf("refused success reset the count to %d", c.FailedCount)
		}
		if err := db.RecordSignInSuccess(ctx, u.ID, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if c := credentials(t, db, u.ID); c.FailedCount != 0 {
			t.Errorf("after success count = %d", c.FailedCount)
		}
		if got := auditCount(t, db); got != n {
			t.Errorf("success without an action wrote %d events", got-n)
		}
		if err := db.RecordSignInSuccess(ctx, u.ID, audit.Event{Action: audit.UserSignedIn, Detail: `{"method":"recovery_code"}`}); err != nil {
			t.Fatal(err)
		}
		if evs := events(t, db, u.ID, audit.UserSignedIn); len(evs) != 1 || evs[0].Detail != `{"method":"recovery_code"}` {
			t.Errorf("signed_in events = %+v", evs)
		}
	})
}

// eachConcurrent runs fn on both engines and also on a SQLite file, whose
// several connections really do run at once (an in-memory database has
// only one).
func eachConcurrent(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Each(t, fn)
	t.Run("sqlite-file", func(t *testing.T) { fn(t, storetest.SQLiteFile(t)) })
}

// TestSignInFailuresConcurrent checks that failures counted at once, as on
// several nodes, each count and lock exactly when they should.
func TestSignInFailuresConcurrent(t *testing.T) {
	eachConcurrent(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		u := newUser(t, db, "kit@example.org")
		const n = 12
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			locked int
		)
		for range n {
			wg.Go(func() {
				l, _, err := db.RecordSignInFailure(ctx, u.ID, now, n, time.Minute, audit.Event{})
				if err != nil {
					t.Error(err)
					return
				}
				if l {
					mu.Lock()
					locked++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		c := credentials(t, db, u.ID)
		if c.FailedCount != n || locked != 1 || !c.LockedUntil.Equal(now.Add(time.Minute)) {
			t.Errorf("after %d concurrent failures: count %d, %d reported locked, locked until %v; want %d, 1, %v",
				n, c.FailedCount, locked, c.LockedUntil, n, now.Add(time.Minute))
		}
		if got := len(events(t, db, u.ID, audit.UserSignInFailed)); got != n {
			t.Errorf("%d failure events, want %d", got, n)
		}
		if v, err := db.VerifyAudit(ctx); err != nil || v != 0 {
			t.Errorf("audit chain after concurrent appends: broken at %d, %v", v, err)
		}
	})
}

func TestTOTPAndRecoveryCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		u := newUser(t, db, "ana@example.org")
		secret, _, err := account.NewTOTP(u.Email)
		if err != nil {
			t.Fatal(err)
		}
		codes, hashes := account.NewRecoveryCodes()

		// Bad secrets and hashes are refused, naming the field.
		wantField(t, db.SetTOTP(ctx, u.ID, "", hashes, audit.Event{}), "totp_secret")
		wantField(t, db.SetTOTP(ctx, u.ID, "not base32!", hashes, audit.Event{}), "totp_secret")
		wantField(t, db.SetTOTP(ctx, u.ID, secret, [][]byte{hashes[0], []byte("short")}, audit.Event{}), "recovery_hashes[1]")
		wantField(t, db.SetTOTP(ctx, u.ID, secret, hashes, audit.Event{Detail: "[]"}), "detail")
		wantKind(t, db.SetTOTP(ctx, "no-such-user", secret, hashes, audit.Event{}), apperr.NotFound, "SetTOTP unknown user")
		if c := credentials(t, db, u.ID); c.TOTPSecret != "" || c.RecoveryHashes != nil {
			t.Fatalf("refused SetTOTP wrote: %+v", c)
		}
		if n := len(events(t, db, u.ID, audit.UserTOTPEnabled)); n != 0 {
			t.Errorf("refused SetTOTP audited %d times", n)
		}

		if err := db.SetTOTP(ctx, u.ID, secret, hashes, audit.Event{ActorID: u.ID}); err != nil {
			t.Fatal(err)
		}
		c := credentials(t, db, u.ID)
		if c.TOTPSecret != secret || !slices.EqualFunc(c.RecoveryHashes, hashes, slices.Equal) {
			t.Errorf("stored TOTP = %q, %d hashes; want the secret and %d hashes", c.TOTPSecret, len(c.RecoveryHashes), len(hashes))
		}
		if got, err := db.User(ctx, u.ID); err != nil || !got.TOTPEnabled {
			t.Errorf("user after SetTOTP: TOTPEnabled %v, %v", got.TOTPEnabled, err)
		}
		if n := len(events(t, db, u.ID, audit.UserTOTPEnabled)); n != 1 {
			t.Errorf("totp_enabled events = %d", n)
		}

		// A code is accepted once; replaying it, or an older one, is refused
		// by the store even when the caller's check let it through.
		code, err := totp.GenerateCode(secret, now)
		if err != nil {
			t.Fatal(err)
		}
		step, ok := account.ValidateTOTP(secret, code, c.TOTPLastStep, now)
		if !ok {
			t.Fatal("fresh code refused by ValidateTOTP")
		}
		if ok, err := db.AcceptTOTPStep(ctx, u.ID, step); err != nil || !ok {
			t.Fatalf("AcceptTOTPStep(fresh) = %v, %v", ok, err)
		}
		c = credentials(t, db, u.ID)
		if c.TOTPLastStep != step {
			t.Errorf("last step = %d, want %d", c.TOTPLastStep, step)
		}
		if _, ok := account.ValidateTOTP(secret, code, c.TOTPLastStep, now); ok {
			t.Error("ValidateTOTP accepted a replayed code with the stored step")
		}
		for _, s := range []int64{step, step - 1} {
			if ok, err := db.AcceptTOTPStep(ctx, u.ID, s); err != nil || ok {
				t.Errorf("AcceptTOTPStep(%d) after %d = %v, %v; want false", s, step, ok, err)
			}
		}
		if ok, err := db.AcceptTOTPStep(ctx, "no-such-user", step+5); ok || !errors.Is(err, apperr.NotFound) {
			t.Errorf("AcceptTOTPStep(unknown user) = %v, %v; want NotFound", ok, err)
		}

		// Of several requests presenting the same new code at once, one wins.
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range 8 {
			wg.Go(func() {
				ok, err := db.AcceptTOTPStep(ctx, u.ID, step+1)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent acceptances of one step, want 1", wins)
		}

		// A recovery code works once.
		c = credentials(t, db, u.ID)
		i := account.MatchRecoveryCode(codes[2], c.RecoveryHashes)
		if i < 0 {
			t.Fatal("recovery code not matched against the stored hashes")
		}
		used := c.RecoveryHashes[i]
		wantField(t, func() error {
			_, err := db.UseRecoveryCode(ctx, u.ID, used, audit.Event{IP: "nowhere"})
			return err
		}(), "ip")
		if _, err := db.UseRecoveryCode(ctx, "no-such-user", used, audit.Event{}); !errors.Is(err, apperr.NotFound) {
			t.Errorf("UseRecoveryCode(unknown user): %v; want NotFound", err)
		}
		if got := credentials(t, db, u.ID); len(got.RecoveryHashes) != account.RecoveryCodeCount {
			t.Fatalf("refused uses spent a code: %d left", len(got.RecoveryHashes))
		}
		if ok, err := db.UseRecoveryCode(ctx, u.ID, used, audit.Event{ActorID: u.ID, IP: "192.0.2.1"}); err != nil || !ok {
			t.Fatalf("first use of a recovery code = %v, %v", ok, err)
		}
		for _, h := range [][]byte{used, make([]byte, 32), nil} {
			if ok, err := db.UseRecoveryCode(ctx, u.ID, h, audit.Event{}); err != nil || ok {
				t.Errorf("UseRecoveryCode(%x) = %v, %v; want false", h, ok, err)
			}
		}
		c = credentials(t, db, u.ID)
		if len(c.RecoveryHashes) != account.RecoveryCodeCount-1 || account.MatchRecoveryCode(codes[2], c.RecoveryHashes) >= 0 ||
			account.MatchRecoveryCode(codes[3], c.RecoveryHashes) < 0 {
			t.Errorf("after one use: %d hashes; the used code should be gone and the others kept", len(c.RecoveryHashes))
		}
		evs := events(t, db, u.ID, audit.UserRecoveryCodeUsed)
		if len(evs) != 1 || evs[0].Detail != `{"remaining":9}` || evs[0].IP != "192.0.2.1" {
			t.Errorf("recovery_code_used events = %+v", evs)
		}

		// Disabling removes the secret and the codes, but keeps the last
		// step so no old code is accepted if TOTP is turned on again.
		wantKind(t, db.DisableTOTP(ctx, "no-such-user", audit.Event{}), apperr.NotFound, "DisableTOTP unknown user")
		wantField(t, db.DisableTOTP(ctx, u.ID, audit.Event{Action: "x"}), "action")
		if c := credentials(t, db, u.ID); c.TOTPSecret == "" {
			t.Fatal("refused DisableTOTP disabled")
		}
		if err := db.DisableTOTP(ctx, u.ID, audit.Event{ActorID: u.ID}); err != nil {
			t.Fatal(err)
		}
		c = credentials(t, db, u.ID)
		if c.TOTPSecret != "" || c.RecoveryHashes != nil || c.TOTPLastStep != step+1 {
			t.Errorf("after DisableTOTP: %+v", c)
		}
		if got, _ := db.User(ctx, u.ID); got.TOTPEnabled {
			t.Error("user still has TOTP enabled")
		}
		if n := len(events(t, db, u.ID, audit.UserTOTPDisabled)); n != 1 {
			t.Errorf("totp_disabled events = %d", n)
		}
	})
}

// Failures more than FailureMemory apart do not add up to a lock-out.
func TestSignInFailuresAreForgotten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := newUser(t, db, "pat@example.org")
		now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		for i := range 4 {
			if locked, _, err := db.RecordSignInFailure(ctx, u.ID, now, 5, 15*time.Minute, audit.Event{}); err != nil || locked {
				t.Fatalf("failure %d: locked %v, %v", i+1, locked, err)
			}
			now = now.Add(time.Minute)
		}
		// A month later, one more slip starts the count again.
		now = now.Add(30 * 24 * time.Hour)
		if locked, _, err := db.RecordSignInFailure(ctx, u.ID, now, 5, 15*time.Minute, audit.Event{}); err != nil || locked {
			t.Fatalf("a slip a month later: locked %v, %v; want not locked", locked, err)
		}
		if c, err := db.Credentials(ctx, u.ID); err != nil || c.FailedCount != 1 {
			t.Errorf("failed count = %d, %v; want 1", c.FailedCount, err)
		}
		// Five close together still lock.
		var locked bool
		for range 4 {
			now = now.Add(time.Minute)
			if locked, _, _ = db.RecordSignInFailure(ctx, u.ID, now, 5, 15*time.Minute, audit.Event{}); locked {
				break
			}
		}
		if !locked {
			t.Error("five failures within minutes did not lock the account")
		}
	})
}
