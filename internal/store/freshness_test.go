package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestReminderClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svcA, svcB := directory.NameUUID("fresh:a"), directory.NameUUID("fresh:b")
		hsdsOrg := directory.NameUUID("fresh:org")
		_, err := db.ImportDataset(ctx, &directory.Dataset{
			Organizations: []directory.Organization{{ID: hsdsOrg, Name: "Minds"}},
			Services: []directory.Service{
				{ID: svcA, OrganizationID: hsdsOrg, Name: "A", Status: "active"},
				{ID: svcB, OrganizationID: hsdsOrg, Name: "B", Status: "active"},
			},
		}, store.ImportSource{Name: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		org, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Minds", Kind: account.KindVoluntary, HSDSOrganizationID: hsdsOrg}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		const every = 14 * 24 * time.Hour
		t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
		claim := func(id string, at time.Time) bool {
			t.Helper()
			ok, err := db.ClaimReminder(ctx, id, org.ID, at, every)
			if err != nil {
				t.Fatalf("ClaimReminder(%s, %v): %v", id, at, err)
			}
			return ok
		}
		if !claim(svcA, t0) {
			t.Fatal("first claim refused")
		}
		if claim(svcA, t0) || claim(svcA, t0.Add(every-time.Second)) {
			t.Error("a second claim within the period succeeded")
		}
		if !claim(svcB, t0.Add(time.Hour)) {
			t.Error("a claim on another service was refused")
		}
		if !claim(svcA, t0.Add(every)) {
			t.Error("a claim a whole period later was refused")
		}
		sent, err := db.RemindersSent(ctx)
		if err != nil || len(sent) != 2 || !sent[svcA].Equal(t0.Add(every)) || !sent[svcB].Equal(t0.Add(time.Hour)) {
			t.Errorf("RemindersSent = %v, %v", sent, err)
		}

		// Releasing gives the claim back; releasing someone else's later
		// claim does nothing.
		if err := db.ReleaseReminder(ctx, svcB, t0); err != nil {
			t.Fatal(err)
		}
		if sent, _ := db.RemindersSent(ctx); !sent[svcB].Equal(t0.Add(time.Hour)) {
			t.Errorf("releasing with the wrong time dropped the claim")
		}
		if err := db.ReleaseReminder(ctx, svcB, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !claim(svcB, t0.Add(2*time.Hour)) {
			t.Error("a released claim could not be made again")
		}

		for _, tt := range []struct {
			service, org string
			every        time.Duration
			field        string
		}{
			{"", org.ID, every, "service_id"},
			{svcA, "", every, "org_id"},
			{svcA, org.ID, 0, "every"},
			{directory.NameUUID("fresh:none"), org.ID, every, "service_id"},
			{svcA, "no-such-org", every, "service_id"},
		} {
			_, err := db.ClaimReminder(ctx, tt.service, tt.org, t0.Add(100*every), tt.every)
			if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != tt.field {
				t.Errorf("ClaimReminder(%q, %q, %v) = %v, want an Invalid error naming %s", tt.service, tt.org, tt.every, err, tt.field)
			}
		}
	})
}

func TestDigestClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, err := db.CreateUser(ctx, account.User{Email: "sam@example.org", Name: "Sam"}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		const week = 7 * 24 * time.Hour
		t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
		claim := func(at time.Time) bool {
			t.Helper()
			ok, err := db.ClaimDigest(ctx, u.ID, at, week)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		last := func() time.Time {
			t.Helper()
			at, err := db.LastDigest(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		if !claim(t0) || !last().Equal(t0) {
			t.Fatalf("first claim: last digest %v", last())
		}
		if claim(t0.Add(week - time.Minute)) {
			t.Error("a second claim within the week succeeded")
		}
		// A failed send puts the last digest back: to none at first,
		// then to the one before.
		if err := db.ReleaseDigest(ctx, u.ID, t0, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if !last().IsZero() {
			t.Errorf("after releasing the first claim, last digest = %v", last())
		}
		if !claim(t0) || !claim(t0.Add(week)) {
			t.Fatal("claims after a release refused")
		}
		if err := db.ReleaseDigest(ctx, u.ID, t0.Add(week), t0); err != nil {
			t.Fatal(err)
		}
		if !last().Equal(t0) {
			t.Errorf("after releasing, last digest = %v, want %v", last(), t0)
		}
		// Releasing a claim that is no longer the latest does nothing.
		if !claim(t0.Add(2 * week)) {
			t.Fatal("claim refused")
		}
		if err := db.ReleaseDigest(ctx, u.ID, t0.Add(week), t0); err != nil || !last().Equal(t0.Add(2*week)) {
			t.Errorf("stale release: %v; last digest %v", err, last())
		}
		if _, err := db.ClaimDigest(ctx, "no-such-user", t0, week); !errors.Is(err, apperr.Invalid) {
			t.Errorf("unknown user: %v", err)
		}
		if _, err := db.ClaimDigest(ctx, u.ID, t0, 0); !errors.Is(err, apperr.Invalid) {
			t.Errorf("no period: %v", err)
		}
	})
}
