package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func emails(us []account.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Email)
	}
	return out
}

func TestListUsersAndMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if us, err := db.ListUsers(ctx); err != nil || len(us) != 0 {
			t.Errorf("ListUsers on an empty database = %+v, %v", us, err)
		}
		a, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "A Trust", Kind: account.KindNHSTrust}, audit.Event{Action: audit.OrgCreated})
		b, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "B Probation", Kind: account.KindProbation}, audit.Event{Action: audit.OrgCreated})
		empty, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "C Nobody", Kind: account.KindOther}, audit.Event{Action: audit.OrgCreated})
		zoe := newUser(t, db, "zoe@example.org", account.Membership{OrgID: a.ID, Role: account.RoleProvider},
			account.Membership{OrgID: b.ID, Role: account.RoleCommissioner})
		newUser(t, db, "adam@example.org")
		mia := newUser(t, db, "mia@example.org", account.Membership{OrgID: b.ID, Role: account.RolePractitioner})

		us, err := db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := emails(us); !slices.Equal(got, []string{"adam@example.org", "mia@example.org", "zoe@example.org"}) {
			t.Errorf("ListUsers order = %v", got)
		}
		if len(us) == 3 {
			if len(us[0].Memberships) != 0 || len(us[1].Memberships) != 1 || us[1].Memberships[0] != mia.Memberships[0] {
				t.Errorf("memberships of adam and mia = %+v, %+v", us[0].Memberships, us[1].Memberships)
			}
			want := slices.Clone(zoe.Memberships)
			slices.SortFunc(want, func(x, y account.Membership) int { return cmpString(x.OrgID, y.OrgID) })
			if !slices.Equal(us[2].Memberships, want) || us[2].ID != zoe.ID || !us[2].CreatedAt.Equal(zoe.CreatedAt) {
				t.Errorf("zoe = %+v; want %+v", us[2], zoe)
			}
		}

		// Members of B, each with every membership they hold.
		ms, err := db.MembersOf(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := emails(ms); !slices.Equal(got, []string{"mia@example.org", "zoe@example.org"}) {
			t.Errorf("MembersOf(B) = %v", got)
		}
		if len(ms) == 2 && len(ms[1].Memberships) != 2 {
			t.Errorf("zoe's memberships via MembersOf = %+v; want both", ms[1].Memberships)
		}
		if ms, err := db.MembersOf(ctx, empty.ID); err != nil || len(ms) != 0 {
			t.Errorf("MembersOf(empty) = %+v, %v", ms, err)
		}
		if _, err := db.MembersOf(ctx, "no-such-org"); !errors.Is(err, apperr.NotFound) {
			t.Errorf("MembersOf(unknown) = %v; want NotFound", err)
		}
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestSetMemberships(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "A Trust", Kind: account.KindNHSTrust}, audit.Event{Action: audit.OrgCreated})
		b, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "B Probation", Kind: account.KindProbation}, audit.Event{Action: audit.OrgCreated})
		u := newUser(t, db, "sol@example.org", account.Membership{OrgID: a.ID, Role: account.RoleProvider})
		before := auditCount(t, db)
		unchanged := func(what string) {
			t.Helper()
			got, err := db.User(ctx, u.ID)
			if err != nil || !slices.Equal(got.Memberships, u.Memberships) {
				t.Errorf("%s: memberships now %+v, %v; want %+v", what, got.Memberships, err, u.Memberships)
			}
			if n := auditCount(t, db); n != before {
				t.Errorf("%s: wrote %d audit events", what, n-before)
			}
		}

		for _, c := range []struct {
			name  string
			ms    []account.Membership
			field string
		}{
			{"admin is not a membership role", []account.Membership{{OrgID: b.ID, Role: account.RoleAdmin}}, "memberships[0].role"},
			{"unknown role", []account.Membership{{OrgID: b.ID, Role: "boss"}}, "memberships[0].role"},
			{"no organisation", []account.Membership{{Role: account.RoleAnalyst}}, "memberships[0].org_id"},
			{"organisation twice", []account.Membership{{OrgID: b.ID, Role: account.RoleAnalyst}, {OrgID: b.ID, Role: account.RoleProvider}}, "memberships[1].org_id"},
			// The first membership is written before the second fails.
			{"missing organisation", []account.Membership{{OrgID: b.ID, Role: account.RoleAnalyst}, {OrgID: "no-such-org", Role: account.RoleProvider}}, "memberships[1].org_id"},
		} {
			wantField(t, db.SetMemberships(ctx, u.ID, c.ms, audit.Event{}), c.field)
			unchanged(c.name)
		}
		wantKind(t, db.SetMemberships(ctx, "no-such-user", nil, audit.Event{}), apperr.NotFound, "unknown user")
		wantField(t, db.SetMemberships(ctx, u.ID, nil, audit.Event{Detail: "not json"}), "detail")
		unchanged("refused user or event")

		want := []account.Membership{{UserID: u.ID, OrgID: b.ID, Role: account.RolePractitioner}}
		if err := db.SetMemberships(ctx, u.ID, want, audit.Event{ActorID: "admin-1", ActorRole: "admin", IP: "192.0.2.8"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.User(ctx, u.ID)
		if err != nil || !slices.Equal(got.Memberships, want) {
			t.Errorf("memberships = %+v, %v; want %+v", got.Memberships, err, want)
		}
		evs := events(t, db, u.ID, audit.PermissionChanged)
		wantDetail := fmt.Sprintf(`{"after":{%q:"practitioner"},"before":{%q:"provider"}}`, b.ID, a.ID)
		if len(evs) != 1 || evs[0].Detail != wantDetail || evs[0].ActorID != "admin-1" || evs[0].IP != "192.0.2.8" {
			t.Errorf("permission.changed events = %+v; want one with detail %s", evs, wantDetail)
		}
		if n := auditCount(t, db); n != before+1 {
			t.Errorf("replacing memberships wrote %d events, want 1", n-before)
		}

		// An empty list removes every membership.
		if err := db.SetMemberships(ctx, u.ID, nil, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.User(ctx, u.ID); len(got.Memberships) != 0 {
			t.Errorf("memberships after clearing = %+v", got.Memberships)
		}
	})
}

func TestSetAdminAndDisabled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		boss := newUser(t, db, "boss@example.org")
		u := newUser(t, db, "val@example.org")

		wantKind(t, db.SetAdmin(ctx, "no-such-user", true, audit.Event{}), apperr.NotFound, "SetAdmin unknown user")
		wantKind(t, db.SetAdmin(ctx, "no-such-user", false, audit.Event{}), apperr.NotFound, "SetAdmin(false) unknown user")
		wantField(t, db.SetAdmin(ctx, boss.ID, true, audit.Event{Action: "A"}), "action")
		if got, _ := db.User(ctx, boss.ID); got.Admin {
			t.Fatal("refused SetAdmin granted")
		}
		if err := db.SetAdmin(ctx, boss.ID, true, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.User(ctx, boss.ID); !got.Admin {
			t.Error("SetAdmin(true) did not grant")
		}
		if evs := events(t, db, boss.ID, audit.PermissionChanged); len(evs) != 1 || evs[0].Detail != `{"admin":true}` {
			t.Errorf("permission.changed events = %+v", evs)
		}

		// The only administrator can be neither demoted nor disabled.
		wantKind(t, db.SetAdmin(ctx, boss.ID, false, audit.Event{}), apperr.Conflict, "demoting the only admin")
		wantKind(t, db.SetDisabled(ctx, boss.ID, true, audit.Event{}), apperr.Conflict, "disabling the only admin")
		if got, _ := db.User(ctx, boss.ID); !got.Admin || got.Disabled {
			t.Errorf("only admin changed: %+v", got)
		}
		if err := db.SetAdmin(ctx, u.ID, true, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetAdmin(ctx, boss.ID, false, audit.Event{}); err != nil {
			t.Errorf("demoting one of two admins: %v", err)
		}
		if got, _ := db.User(ctx, boss.ID); got.Admin {
			t.Error("SetAdmin(false) did not withdraw")
		}

		// Disabling ends every session; re-enabling does not bring them back.
		var tokens []string
		for range 2 {
			tok, err := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tok)
		}
		other, err := db.CreateSession(ctx, boss.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, db.SetDisabled(ctx, u.ID, true, audit.Event{}), apperr.Conflict, "disabling the only enabled admin")
		if ss, _ := db.Sessions(ctx, u.ID); len(ss) != 2 {
			t.Errorf("refused disable ended sessions: %d left", len(ss))
		}
		if err := db.SetAdmin(ctx, boss.ID, true, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		wantKind(t, db.SetDisabled(ctx, "no-such-user", true, audit.Event{}), apperr.NotFound, "disable unknown user")
		wantField(t, db.SetDisabled(ctx, u.ID, true, audit.Event{IP: "bad"}), "ip")
		if got, _ := db.User(ctx, u.ID); got.Disabled {
			t.Fatal("refused SetDisabled disabled")
		}
		if err := db.SetDisabled(ctx, u.ID, true, audit.Event{ActorID: boss.ID}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.User(ctx, u.ID); !got.Disabled {
			t.Error("not disabled")
		}
		if ss, err := db.Sessions(ctx, u.ID); err != nil || len(ss) != 0 {
			t.Errorf("sessions after disabling = %d, %v; want 0", len(ss), err)
		}
		for _, tok := range tokens {
			if _, _, err := db.SessionUser(ctx, tok, time.Hour); !errors.Is(err, apperr.Unauthenticated) {
				t.Errorf("disabled user's session still works: %v", err)
			}
		}
		if _, _, err := db.SessionUser(ctx, other, time.Hour); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
		if evs := events(t, db, u.ID, audit.UserDisabled); len(evs) != 1 || evs[0].ActorID != boss.ID || evs[0].Detail != `{"disabled":true}` {
			t.Errorf("user.disabled events = %+v", evs)
		}
		// A disabled admin is not one who can sign in, so boss is the last.
		wantKind(t, db.SetAdmin(ctx, boss.ID, false, audit.Event{}), apperr.Conflict, "demoting the last enabled admin")

		if err := db.SetDisabled(ctx, u.ID, false, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.User(ctx, u.ID); got.Disabled {
			t.Error("not re-enabled")
		}
		if evs := events(t, db, u.ID, audit.UserUpdated); len(evs) != 1 || evs[0].Detail != `{"disabled":false}` {
			t.Errorf("re-enable events = %+v", evs)
		}
	})
}

func TestUpdateOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Harbour Housing", Kind: account.KindVoluntary}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		taken, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "Taken Name", Kind: account.KindOther}, audit.Event{Action: audit.OrgCreated})
		before := auditCount(t, db)
		unchanged := func(what string) {
			t.Helper()
			got, err := db.Organisation(ctx, o.ID)
			if err != nil || got != o {
				t.Errorf("%s: organisation now %+v, %v; want %+v", what, got, err, o)
			}
			if n := auditCount(t, db); n != before {
				t.Errorf("%s: wrote %d audit events", what, n-before)
			}
		}

		for _, c := range []struct {
			name  string
			edit  func(*account.Organisation)
			field string
		}{
			{"no id", func(x *account.Organisation) { x.ID = "" }, "id"},
			{"blank name", func(x *account.Organisation) { x.Name = "  " }, "name"},
			{"bad kind", func(x *account.Organisation) { x.Kind = "club" }, "kind"},
			{"bad HSDS link", func(x *account.Organisation) { x.HSDSOrganizationID = "42" }, "hsds_organization_id"},
		} {
			x := o
			c.edit(&x)
			wantField(t, db.UpdateOrganisation(ctx, x, audit.Event{}), c.field)
			unchanged(c.name)
		}
		x := o
		x.Name = "Taken Name"
		wantKind(t, db.UpdateOrganisation(ctx, x, audit.Event{}), apperr.Conflict, "name of another organisation")
		unchanged("name taken")
		x = o
		x.ID = "no-such-org"
		wantKind(t, db.UpdateOrganisation(ctx, x, audit.Event{}), apperr.NotFound, "unknown organisation")
		x = o
		x.Trusted = true
		wantField(t, db.UpdateOrganisation(ctx, x, audit.Event{Action: "no"}), "action")
		unchanged("unknown organisation or bad event")

		want := o
		want.Name, want.Trusted, want.HSDSOrganizationID = "Harbour Housing Trust", true, "0b4f5a57-3c1e-4a43-9d6c-5e2f1d7a9b10"
		in := want
		in.Name = "  " + want.Name + " "
		in.CreatedAt = time.Time{} // ignored: creation time is kept
		if err := db.UpdateOrganisation(ctx, in, audit.Event{ActorID: "admin-1"}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Organisation(ctx, o.ID); err != nil || got != want {
			t.Errorf("after update: %+v, %v; want %+v", got, err, want)
		}
		evs := events(t, db, o.ID, audit.OrgUpdated)
		if len(evs) != 1 || evs[0].RecordType != "organisation" || evs[0].OrgID != o.ID || evs[0].ActorID != "admin-1" ||
			evs[0].Detail != `{"changed":["name","hsds_organization_id","trusted"]}` {
			t.Errorf("org.updated events = %+v", evs)
		}
		if got, _ := db.Organisation(ctx, taken.ID); got != taken {
			t.Errorf("other organisation changed: %+v", got)
		}
	})
}

// TestNoChangeWithoutAudit checks that when the audit event cannot be
// appended, the change it records is not made either. A stored event whose
// hash is not hexadecimal makes every later append fail inside its
// transaction, after the change itself has been written.
func TestNoChangeWithoutAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		org, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "Quay Recovery", Kind: account.KindVoluntary}, audit.Event{Action: audit.OrgCreated})
		other, _ := db.CreateOrganisation(ctx, account.Organisation{Name: "Other Org", Kind: account.KindOther}, audit.Event{Action: audit.OrgCreated})
		admin := newUser(t, db, "admin@example.org")
		if err := db.SetAdmin(ctx, admin.ID, true, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		u := newUser(t, db, "ivy@example.org", account.Membership{OrgID: org.ID, Role: account.RoleProvider})
		secret, _, _ := account.NewTOTP(u.Email)
		_, hashes := account.NewRecoveryCodes()
		if err := db.SetTOTP(ctx, u.ID, secret, hashes, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.RecordSignInFailure(ctx, u.ID, now, 2, time.Hour, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn}); err != nil {
			t.Fatal(err)
		}
		snapshot := func() string {
			t.Helper()
			c := credentials(t, db, u.ID)
			us, err := db.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			o, _ := db.Organisation(ctx, org.ID)
			ss, _ := db.Sessions(ctx, u.ID)
			_, idErr := db.UserByIdentity(ctx, "https://idp.example.net", "ivy")
			return fmt.Sprintf("%+v\n%+v\n%+v\n%d sessions\nidentity: %v", c, us, o, len(ss), idErr)
		}
		want := snapshot()
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO audit_event (seq, at, action, prev_hash, hash)
VALUES (1000, '2026-06-01T10:00:00.000000Z', 'test.corrupt', '', 'not hex')`); err != nil {
			t.Fatal(err)
		}

		ev := audit.Event{}
		renamed := org
		renamed.Name = "Renamed"
		for name, change := range map[string]func() error{
			"SetPassword": func() error { return db.SetPassword(ctx, u.ID, "$argon2id$other", ev) },
			"RecordSignInFailure": func() error {
				_, _, err := db.RecordSignInFailure(ctx, u.ID, now, 2, time.Hour, ev)
				return err
			},
			"RecordSignInSuccess": func() error { return db.RecordSignInSuccess(ctx, u.ID, audit.Event{Action: audit.UserSignedIn}) },
			"UnlockUser":          func() error { return db.UnlockUser(ctx, u.ID, ev) },
			"SetTOTP":             func() error { return db.SetTOTP(ctx, u.ID, "JBSWY3DPEHPK3PXP", nil, ev) },
			"DisableTOTP":         func() error { return db.DisableTOTP(ctx, u.ID, ev) },
			"UseRecoveryCode": func() error {
				_, err := db.UseRecoveryCode(ctx, u.ID, hashes[0], ev)
				return err
			},
			"LinkIdentity": func() error { return db.LinkIdentity(ctx, "https://idp.example.net", "ivy", u.ID, ev) },
			"SetMemberships": func() error {
				return db.SetMemberships(ctx, u.ID, []account.Membership{{OrgID: other.ID, Role: account.RoleAnalyst}}, ev)
			},
			"SetAdmin":           func() error { return db.SetAdmin(ctx, u.ID, true, ev) },
			"SetDisabled":        func() error { return db.SetDisabled(ctx, u.ID, true, ev) },
			"UpdateOrganisation": func() error { return db.UpdateOrganisation(ctx, renamed, ev) },
		} {
			err := change()
			if err == nil {
				t.Errorf("%s succeeded with a broken audit log", name)
			}
			if got := snapshot(); got != want {
				t.Errorf("%s changed data without its audit event:\n got %s\nwant %s", name, got, want)
			}
		}
	})
}
