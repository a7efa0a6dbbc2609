package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
		db.Now = func() time.Time { return now }

		org, err := db.CreateOrganisation(ctx, account.Organisation{Name: " Northside Recovery ", Kind: account.KindVoluntary, Trusted: true}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		if org.ID == "" || org.Name != "Northside Recovery" || !org.CreatedAt.Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("created organisation = %+v", org)
		}
		got, err := db.Organisation(ctx, org.ID)
		if err != nil || got != org {
			t.Errorf("Organisation = %+v, %v; want %+v", got, err, org)
		}
		if got, err := db.OrganisationByName(ctx, "Northside Recovery"); err != nil || got.ID != org.ID {
			t.Errorf("OrganisationByName = %+v, %v", got, err)
		}
		if _, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Northside Recovery", Kind: account.KindOther}, audit.Event{Action: audit.OrgCreated}); !errors.Is(err, apperr.Conflict) {
			t.Errorf("duplicate organisation name: %v, want Conflict", err)
		}
		if _, err := db.CreateOrganisation(ctx, account.Organisation{Name: "X", Kind: "club"}, audit.Event{Action: audit.OrgCreated}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("bad kind: %v, want Invalid", err)
		}
		if _, err := db.Organisation(ctx, "nope"); !errors.Is(err, apperr.NotFound) {
			t.Errorf("missing organisation: %v, want NotFound", err)
		}
		other, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Alpha Probation", Kind: account.KindProbation}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		orgs, err := db.Organisations(ctx)
		if err != nil || len(orgs) != 2 || orgs[0].ID != other.ID || orgs[1].ID != org.ID {
			t.Errorf("Organisations = %+v, %v; want Alpha then Northside", orgs, err)
		}

		ev := audit.Event{ActorID: "", ActorRole: "admin", Action: audit.UserCreated, OrgID: org.ID, Detail: `{"via":"test"}`}
		u, err := db.CreateUser(ctx, account.User{
			Email: "Sam.Jones@Example.ORG", Name: "Sam Jones",
			Memberships: []account.Membership{{OrgID: org.ID, Role: account.RoleProvider}},
		}, "$argon2id$fake", ev)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "sam.jones@example.org" || u.ID == "" || len(u.Memberships) != 1 || u.Memberships[0].UserID != u.ID {
			t.Errorf("created user = %+v", u)
		}
		byEmail, err := db.UserByEmail(ctx, " SAM.jones@example.org")
		if err != nil {
			t.Fatal(err)
		}
		byID, err := db.User(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []account.User{byEmail, byID} {
			if g.ID != u.ID || g.Email != u.Email || g.Name != "Sam Jones" || g.Admin || g.Disabled || g.TOTPEnabled ||
				!g.CreatedAt.Equal(u.CreatedAt) || len(g.Memberships) != 1 || g.Memberships[0] != u.Memberships[0] {
				t.Errorf("looked-up user = %+v, want %+v", g, u)
			}
		}
		c, err := db.Credentials(ctx, u.ID)
		if err != nil || c.PasswordHash != "$argon2id$fake" || c.UserID != u.ID || c.TOTPSecret != "" || c.RecoveryHashes != nil {
			t.Errorf("Credentials = %+v, %v", c, err)
		}
		if n, err := db.CountUsers(ctx); err != nil || n != 1 {
			t.Errorf("CountUsers = %d, %v", n, err)
		}

		// The user's audit row was written with it.
		evs, err := db.AuditEvents(ctx, store.AuditFilter{RecordID: u.ID})
		if err != nil || len(evs) != 1 {
			t.Fatalf("audit events for the user = %+v, %v", evs, err)
		}
		// Events 1 and 2 are the two organisations' creation.
		if e := evs[0]; e.Seq != 3 || e.Action != audit.UserCreated || e.RecordType != "user" || e.OrgID != org.ID ||
			e.Detail != `{"via":"test"}` || !e.At.Equal(now.Truncate(time.Microsecond)) || len(e.PrevHash) != 32 || len(e.Hash) != 32 {
			t.Errorf("user.created event = %+v", e)
		}

		// Duplicate email (in another case) is a Conflict, and writes nothing.
		_, err = db.CreateUser(ctx, account.User{Email: "sam.JONES@example.org", Name: "Other Sam"}, "", audit.Event{Action: audit.UserCreated})
		if !errors.Is(err, apperr.Conflict) {
			t.Errorf("duplicate email: %v, want Conflict", err)
		}
		// A membership of a missing organisation is Invalid, naming the field.
		_, err = db.CreateUser(ctx, account.User{Email: "kim@example.org", Name: "Kim",
			Memberships: []account.Membership{{OrgID: "missing", Role: account.RolePractitioner}}}, "", audit.Event{Action: audit.UserCreated})
		if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != "memberships[0].org_id" {
			t.Errorf("missing organisation: %v, want a field error on memberships[0].org_id", err)
		}
		_, err = db.CreateUser(ctx, account.User{Email: "not an address", Name: "Kim"}, "", audit.Event{Action: audit.UserCreated})
		if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != "email" {
			t.Errorf("bad email: %v, want a field error on email", err)
		}
		if n, err := db.CountUsers(ctx); err != nil || n != 1 {
			t.Errorf("after failed creates CountUsers = %d, %v; want 1", n, err)
		}
		if all, err := db.AuditEvents(ctx, store.AuditFilter{}); err != nil || len(all) != 3 {
			t.Errorf("failed creates left audit rows: %d, %v; want the 3 of the successful ones", len(all), err)
		}
		if orgs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.OrgCreated}); err != nil || len(orgs) != 2 || orgs[1].RecordID != org.ID || orgs[1].OrgID != org.ID {
			t.Errorf("org.created events = %+v, %v; want one per organisation, oldest being Northside", orgs, err)
		}

		for _, f := range []func() error{
			func() error { _, err := db.User(ctx, "nope"); return err },
			func() error { _, err := db.UserByEmail(ctx, "nobody@example.org"); return err },
			func() error { _, err := db.UserByEmail(ctx, "garbage"); return err },
			func() error { _, err := db.Credentials(ctx, "nope"); return err },
		} {
			if err := f(); !errors.Is(err, apperr.NotFound) {
				t.Errorf("missing user: %v, want NotFound", err)
			}
		}
	})
}

func TestOrganisationByHSDS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const hsdsID = "0b4f5a57-3c1e-4a43-9d6c-5e2f1d7a9b10"
		o, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Riverside Talking Therapies", Kind: account.KindNHSTrust, HSDSOrganizationID: hsdsID}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Unlinked", Kind: account.KindOther}, audit.Event{Action: audit.OrgCreated}); err != nil {
			t.Fatal(err)
		}
		got, err := db.OrganisationByHSDS(ctx, hsdsID)
		if err != nil || got.ID != o.ID {
			t.Errorf("OrganisationByHSDS = %+v, %v; want %s", got, err, o.ID)
		}
		if _, err := db.OrganisationByHSDS(ctx, "9a3e4f0c-0000-4000-8000-000000000000"); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unclaimed HSDS organization: %v, want NotFound", err)
		}
	})
}
