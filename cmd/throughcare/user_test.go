package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
)

func TestUserAddAndAuditVerify(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "users.db")
	env := map[string]string{"THROUGHCARE_DB": dsn, "THROUGHCARE_PASSWORD": "plum quarry lantern 47 wobble"}

	out, _, err := runCmd(t, env, "audit", "verify")
	if err != nil || out != "audit log intact: 0 events\n" {
		t.Fatalf("empty log: %q, %v", out, err)
	}

	// First run: an administrator with no organisation.
	out, _, err = runCmd(t, env, "user", "add", "--email", "Admin@Example.org", "--admin")
	if err != nil {
		t.Fatal(err)
	}
	adminID := strings.TrimSpace(out)
	out, stderr, err := runCmd(t, env, "user", "add", "--email", "pat@example.org", "--name", "Pat Lee", "--role", "provider", "--org", "Eastgate Housing")
	if err != nil {
		t.Fatal(err)
	}
	patID := strings.TrimSpace(out)
	if !strings.Contains(stderr, `created organisation "Eastgate Housing"`) {
		t.Errorf("stderr %q does not report the new organisation", stderr)
	}
	// The same organisation, by name, is reused.
	if _, stderr, err = runCmd(t, env, "user", "add", "--email", "jo@example.org", "--role", "analyst", "--org", "Eastgate Housing"); err != nil || strings.Contains(stderr, "created organisation") {
		t.Fatalf("second member: %q, %v", stderr, err)
	}

	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := db.User(ctx, adminID)
	if err != nil || !admin.Admin || admin.Email != "admin@example.org" || admin.Name != "admin@example.org" || len(admin.Memberships) != 0 {
		t.Errorf("admin = %+v, %v", admin, err)
	}
	pat, err := db.UserByEmail(ctx, "pat@example.org")
	if err != nil || pat.ID != patID || pat.Admin || pat.Name != "Pat Lee" || len(pat.Memberships) != 1 || pat.Memberships[0].Role != account.RoleProvider {
		t.Fatalf("pat = %+v, %v", pat, err)
	}
	org, err := db.Organisation(ctx, pat.Memberships[0].OrgID)
	if err != nil || org.Name != "Eastgate Housing" || org.Kind != account.KindOther {
		t.Errorf("organisation = %+v, %v", org, err)
	}
	cred, err := db.Credentials(ctx, patID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := account.CheckPassword(cred.PasswordHash, "plum quarry lantern 47 wobble"); !ok || err != nil {
		t.Errorf("stored hash does not match the password: %v", err)
	}
	// By id works too.
	if _, _, err = runCmd(t, env, "user", "add", "--email", "kim@example.org", "--role", "practitioner", "--org", org.ID); err != nil {
		t.Fatal(err)
	}
	kim, err := db.UserByEmail(ctx, "kim@example.org")
	if err != nil || len(kim.Memberships) != 1 || kim.Memberships[0].OrgID != org.ID {
		t.Errorf("kim = %+v, %v", kim, err)
	}

	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want error
		msg  string
	}{
		{"duplicate email", env, []string{"--email", "PAT@example.org", "--role", "provider", "--org", "Eastgate Housing"}, apperr.Conflict, "already exists"},
		{"weak password", map[string]string{"THROUGHCARE_DB": dsn, "THROUGHCARE_PASSWORD": "password"}, []string{"--email", "x@example.org", "--admin"}, apperr.Invalid, "password"},
		{"bad email", env, []string{"--email", "nope", "--admin"}, apperr.Invalid, "--email"},
		{"role without org", env, []string{"--email", "y@example.org", "--role", "provider"}, apperr.Invalid, "--role and --org"},
		{"unknown role", env, []string{"--email", "y@example.org", "--role", "boss", "--org", "A"}, apperr.Invalid, "--role"},
		{"admin role", env, []string{"--email", "y@example.org", "--role", "admin", "--org", "A"}, apperr.Invalid, "--admin"},
		{"argument", env, []string{"--email", "y@example.org", "--admin", "extra"}, errUsage, "no arguments"},
	} {
		_, _, err := runCmd(t, c.env, append([]string{"user", "add"}, c.args...)...)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %v mentioning %q", c.name, err, c.want, c.msg)
		}
	}
	if _, _, err := runCmd(t, env, "user"); !errors.Is(err, errUsage) {
		t.Errorf("user with no subcommand: %v", err)
	}
	if _, _, err := runCmd(t, env, "user", "remove"); !errors.Is(err, errUsage) {
		t.Errorf("unknown subcommand: %v", err)
	}

	// Four users and one organisation, each with its audit event.
	out, _, err = runCmd(t, env, "audit", "verify")
	if err != nil || !strings.HasPrefix(out, "audit log intact: 5 events\nlast event hash: ") {
		t.Fatalf("verify: %q, %v", out, err)
	}

	// Change event 2 behind the triggers' back.
	raw := db.SQL()
	for _, s := range []string{
		`DROP TRIGGER audit_event_no_update`,
		`UPDATE audit_event SET detail = '{}' WHERE seq = 2`,
	} {
		if _, err := raw.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, _, err = runCmd(t, env, "audit", "verify")
	if !errors.Is(err, errAuditBroken) || exitCode(err) != 1 || out != "audit log broken at event 2: its content does not match its hash\n" {
		t.Errorf("tampered: %q, %v (exit %d)", out, err, exitCode(err))
	}
}

func TestUserResetTOTP(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "users.db")
	env := map[string]string{"THROUGHCARE_DB": dsn, "THROUGHCARE_PASSWORD": "plum quarry lantern 47 wobble"}
	out, _, err := runCmd(t, env, "user", "add", "--email", "admin@example.org", "--admin")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	secret, _, _ := account.NewTOTP("admin@example.org")
	if err := db.SetTOTP(ctx, id, secret, nil, audit.Event{Action: audit.UserTOTPEnabled}); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCmd(t, env, "user", "reset-totp", "--email", "Admin@Example.org"); err != nil || !strings.Contains(stderr, "turned off") {
		t.Fatalf("reset-totp: %q, %v", stderr, err)
	}
	if u, err := db.User(ctx, id); err != nil || u.TOTPEnabled {
		t.Errorf("after reset-totp: %+v, %v; want no second factor", u, err)
	}
	if evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserTOTPDisabled, RecordID: id}); err != nil || len(evs) != 1 || evs[0].ActorRole != "system" {
		t.Errorf("audit = %+v, %v", evs, err)
	}
	if _, _, err := runCmd(t, env, "user", "reset-totp", "--email", "nobody@example.org"); err == nil {
		t.Error("reset-totp of an unknown address succeeded")
	}
	if _, _, err := runCmd(t, env, "user", "reset-totp"); err == nil {
		t.Error("reset-totp without --email succeeded")
	}
}
