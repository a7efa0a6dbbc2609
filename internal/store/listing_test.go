package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// listingWorld is a directory (smallDirectory plus a second organisation's
// service and location), the account organisations that own the two HSDS
// organizations, a provider of each and an administrator.
type listingWorld struct {
	db                 *store.DB
	now                time.Time
	orgA, orgB         account.Organisation
	provider, reviewer account.User
	providerB          account.User
	svc                string // the service orgA's provider edits
}

func newListingWorld(t *testing.T, db *store.DB) *listingWorld {
	t.Helper()
	ctx := context.Background()
	w := &listingWorld{db: db, now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), svc: directory.NameUUID("test:svc")}
	db.Now = func() time.Time { return w.now }
	ds := smallDirectory()
	orgB := directory.NameUUID("test:orgB")
	ds.Organizations = append(ds.Organizations, directory.Organization{ID: orgB, Name: "Beta Probation", Description: "B"})
	ds.Services = append(ds.Services, directory.Service{ID: directory.NameUUID("test:svcB"), OrganizationID: orgB, Name: "Approved premises", Status: "active"})
	ds.Locations = append(ds.Locations, directory.Location{ID: directory.NameUUID("test:locB"), OrganizationID: orgB, LocationType: "physical", Name: "Beta office"})
	ds.ServiceAtLocations = append(ds.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NameUUID("test:salB"),
		ServiceID: directory.NameUUID("test:svcB"), LocationID: directory.NameUUID("test:locB")})
	ds.Contacts = append(ds.Contacts, directory.Contact{ID: directory.NameUUID("test:liaison"), ServiceID: w.svc, Name: "Pat Liaison", Email: "pat@example.org"})
	ds.Phones = append(ds.Phones, directory.Phone{ID: directory.NameUUID("test:phoneB"), ServiceID: directory.NameUUID("test:svcB"), Number: "01522 999999"})
	// The directory was imported a day before the tests' "now".
	w.now = w.now.Add(-24 * time.Hour)
	importSmall(t, db, ds)
	w.now = w.now.Add(24 * time.Hour)

	var err error
	if w.orgA, err = db.CreateOrganisation(ctx, account.Organisation{Name: "Example Trust", Kind: account.KindNHSTrust,
		HSDSOrganizationID: directory.NameUUID("test:org")}, audit.Event{Action: audit.OrgCreated}); err != nil {
		t.Fatal(err)
	}
	if w.orgB, err = db.CreateOrganisation(ctx, account.Organisation{Name: "Beta Probation", Kind: account.KindProbation,
		HSDSOrganizationID: orgB, Trusted: true}, audit.Event{Action: audit.OrgCreated}); err != nil {
		t.Fatal(err)
	}
	user := func(email string, admin bool, org string) account.User {
		u := account.User{Email: email, Name: "Someone", Admin: admin}
		if org != "" {
			u.Memberships = []account.Membership{{OrgID: org, Role: account.RoleProvider}}
		}
		created, err := db.CreateUser(ctx, u, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		return created
	}
	w.provider = user("provider@example.org", false, w.orgA.ID)
	w.providerB = user("provider@beta.example", false, w.orgB.ID)
	w.reviewer = user("admin@example.org", true, "")
	return w
}

// draft returns a draft of the provider's service as stored now.
func (w *listingWorld) draft(t *testing.T) listing.Draft {
	t.Helper()
	cur, err := w.db.LoadDirectory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, err := listing.NewDraft(cur, w.svc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *listingWorld) submit(t *testing.T, d listing.Draft, publishNow bool) (listing.Change, error) {
	t.Helper()
	return w.db.SubmitListingChange(context.Background(), listing.Change{OrgID: w.orgA.ID, SubmittedBy: w.provider.ID, Draft: d, Note: "Please check"},
		publishNow, audit.Event{ActorID: w.provider.ID, ActorRole: "provider", IP: "192.0.2.1"})
}

func (w *listingWorld) reviewEv() audit.Event {
	return audit.Event{ActorID: w.reviewer.ID, ActorRole: "admin"}
}

// listingActions returns the actions of the audit events about a record,
// oldest first, leaving out other kinds.
func listingActions(t *testing.T, db *store.DB, recordID string) []audit.Action {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), store.AuditFilter{RecordID: recordID})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Action
	for _, e := range slices.Backward(evs) {
		out = append(out, e.Action)
	}
	return out
}

func load(t *testing.T, db *store.DB) *directory.Dataset {
	t.Helper()
	ds, err := db.LoadDirectory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func serviceIn(ds *directory.Dataset, id string) directory.Service {
	for _, s := range ds.Services {
		if s.ID == id {
			return s
		}
	}
	return directory.Service{}
}

func version(t *testing.T, db *store.DB) int64 {
	t.Helper()
	v, err := db.DirectoryVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestListingSubmitAndApprove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		before := load(t, db)
		v0 := version(t, db)

		d := w.draft(t)
		d.Service().Name = "Crisis line (24 hours)"
		removed := d.Dataset.Phones[1].ID
		d.Dataset.Phones = d.Dataset.Phones[:1]
		// The location's address goes too: only the listing's own pruning,
		// not the import's, reaches records under a location.
		if len(d.Dataset.Addresses) != 1 {
			t.Fatalf("draft addresses = %+v", d.Dataset.Addresses)
		}
		d.Dataset.Addresses = nil
		newPhone := directory.NewUUID()
		d.Dataset.Phones = append(d.Dataset.Phones, directory.Phone{ID: newPhone, ContactID: directory.NameUUID("test:liaison"), Number: "01522 123456"})
		if err := d.SetReferral(listing.Referral{Criteria: "Adults on probation", HowToRefer: "Phone the liaison", WaitTime: "2 weeks",
			ResponseTime: "5 working days", Capacity: listing.CapacityAccepting, LiaisonID: directory.NameUUID("test:liaison")}); err != nil {
			t.Fatal(err)
		}

		ch, err := w.submit(t, d, false)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Status != listing.StatusPending || ch.Kind != listing.KindUpdate || ch.Base == "" || ch.ServiceID != w.svc ||
			ch.HSDSOrganizationID != w.orgA.HSDSOrganizationID || !ch.SubmittedAt.Equal(w.now) || len(ch.Diff) == 0 {
			t.Errorf("submitted change = %+v", ch)
		}
		// Pending changes leave the directory, and its version, alone.
		assertSameData(t, before, load(t, db))
		if v := version(t, db); v != v0 {
			t.Errorf("directory version moved on submission: %d → %d", v0, v)
		}
		got, err := db.ListingChange(ctx, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Note != "Please check" || got.Draft.Referral().ResponseTime != "5 working days" || len(got.Diff) != len(ch.Diff) || got.Base != ch.Base {
			t.Errorf("stored change = %+v", got)
		}
		queue, err := db.ListingChanges(ctx, store.ListingFilter{Status: listing.StatusPending, OldestFirst: true})
		if err != nil || len(queue) != 1 || queue[0].ID != ch.ID {
			t.Errorf("review queue = %v, %v", queue, err)
		}
		if other, err := db.ListingChanges(ctx, store.ListingFilter{OrgID: w.orgB.ID}); err != nil || len(other) != 0 {
			t.Errorf("changes of another organisation = %v, %v", other, err)
		}
		// Only one change per service waits at a time.
		if _, err := w.submit(t, d, false); !errors.Is(err, apperr.Conflict) {
			t.Errorf("second pending change: %v, want Conflict", err)
		}
		// Nobody approves their own change.
		if err := db.ApproveListingChange(ctx, ch.ID, w.provider.ID, "", w.reviewEv()); !errors.Is(err, apperr.Forbidden) {
			t.Errorf("self-approval: %v, want Forbidden", err)
		}

		w.now = w.now.Add(time.Hour)
		if err := db.ApproveListingChange(ctx, ch.ID, w.reviewer.ID, "Looks right", w.reviewEv()); err != nil {
			t.Fatal(err)
		}
		after := load(t, db)
		svc := serviceIn(after, w.svc)
		if svc.Name != "Crisis line (24 hours)" || svc.EligibilityDescription != "Adults on probation" || svc.WaitTime != "2 weeks" ||
			svc.LastModified != "2026-03-02T11:00:00Z" {
			t.Errorf("published service = %+v", svc)
		}
		var phones []string
		for _, p := range after.Phones {
			phones = append(phones, p.ID)
		}
		if slices.Contains(phones, removed) || !slices.Contains(phones, newPhone) {
			t.Errorf("phones after publishing = %v (removed %s, added %s)", phones, removed, newPhone)
		}
		if len(after.Addresses) != 0 {
			t.Errorf("addresses after publishing = %+v, want none", after.Addresses)
		}
		if pub, err := listing.NewDraft(after, w.svc); err != nil || pub.Referral().ResponseTime != "5 working days" ||
			pub.Referral().Capacity != listing.CapacityAccepting || pub.Referral().LiaisonID != directory.NameUUID("test:liaison") {
			t.Errorf("published referral = %+v, %v", pub.Referral(), err)
		}
		if v := version(t, db); v <= v0 {
			t.Errorf("directory version did not move on approval: %d", v)
		}
		var named bool
		for _, m := range after.Metadata {
			if m.ResourceID == w.svc && m.FieldName == "name" && m.ReplacementValue == "Crisis line (24 hours)" {
				named = m.UpdatedBy == "provider@example.org (approved by admin@example.org)" && m.LastActionType == "update"
			}
		}
		if !named {
			t.Error("no metadata row names who changed the service name")
		}

		approved, err := db.ListingChange(ctx, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if approved.Status != listing.StatusApproved || approved.ReviewedBy != w.reviewer.ID || approved.ReviewNote != "Looks right" ||
			!approved.ReviewedAt.Equal(w.now) {
			t.Errorf("approved change = %+v", approved)
		}

		hist, err := db.ServiceHistory(ctx, w.svc)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 {
			t.Fatalf("history has %d versions, want the import and the change: %+v", len(hist), hist)
		}
		top := hist[0]
		if top.ChangeID != ch.ID || top.UpdatedBy != "provider@example.org (approved by admin@example.org)" || !top.At.Equal(w.now) {
			t.Errorf("newest version = %+v", top)
		}
		var sawDeletedPhone, sawName bool
		for _, c := range top.Changes {
			sawDeletedPhone = sawDeletedPhone || c.Record == "phone" && c.RecordID == removed && c.Action == listing.ActionDelete
			sawName = sawName || c.Record == "service" && c.Field == "name"
		}
		if !sawDeletedPhone || !sawName {
			t.Errorf("newest version lacks the deleted phone or the name: %+v", top.Changes)
		}
		if hist[1].Changes[0].Action != "create" {
			t.Errorf("oldest version = %+v", hist[1])
		}

		if err := db.ApproveListingChange(ctx, ch.ID, w.reviewer.ID, "", w.reviewEv()); !errors.Is(err, apperr.Conflict) {
			t.Errorf("approving twice: %v, want Conflict", err)
		}
		if got := listingActions(t, db, w.svc); !slices.Equal(got, []audit.Action{audit.ListingChanged, audit.ListingApproved}) {
			t.Errorf("audit actions = %v", got)
		}
		evs, _ := db.AuditEvents(ctx, store.AuditFilter{Action: audit.ListingApproved})
		if len(evs) != 1 || evs[0].ActorID != w.reviewer.ID || evs[0].OrgID != w.orgA.ID || !strings.Contains(evs[0].Detail, ch.ID) {
			t.Errorf("approval audit event = %+v", evs)
		}
		if brokenAt, err := db.VerifyAudit(ctx); err != nil || brokenAt != 0 {
			t.Errorf("audit chain: %d, %v", brokenAt, err)
		}
	})
}

func TestListingReject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		before := load(t, db)
		d := w.draft(t)
		d.Service().Name = "Something else"
		ch, err := w.submit(t, d, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RejectListingChange(ctx, ch.ID, w.reviewer.ID, " ", w.reviewEv()); !errors.Is(err, apperr.Invalid) {
			t.Errorf("reject without a reason: %v, want Invalid", err)
		}
		if err := db.RejectListingChange(ctx, ch.ID, w.reviewer.ID, "Name must match the contract", w.reviewEv()); err != nil {
			t.Fatal(err)
		}
		assertSameData(t, before, load(t, db))
		got, err := db.ListingChange(ctx, ch.ID)
		if err != nil || got.Status != listing.StatusRejected || got.ReviewNote != "Name must match the contract" || got.ReviewedBy != w.reviewer.ID {
			t.Errorf("rejected change = %+v, %v", got, err)
		}
		if err := db.ApproveListingChange(ctx, ch.ID, w.reviewer.ID, "", w.reviewEv()); !errors.Is(err, apperr.Conflict) {
			t.Errorf("approving a rejected change: %v, want Conflict", err)
		}
		if got := listingActions(t, db, w.svc); !slices.Equal(got, []audit.Action{audit.ListingChanged, audit.ListingRejected}) {
			t.Errorf("audit actions = %v", got)
		}
		if _, err := db.ListingChange(ctx, directory.NewUUID()); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unknown change: %v, want NotFound", err)
		}

		// Withdrawing frees the service for another change.
		ch2, err := w.submit(t, d, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.WithdrawListingChange(ctx, ch2.ID, audit.Event{ActorID: w.provider.ID}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ListingChange(ctx, ch2.ID); got.Status != listing.StatusWithdrawn {
			t.Errorf("withdrawn change status = %s", got.Status)
		}
		if _, err := w.submit(t, d, false); err != nil {
			t.Errorf("submitting after withdrawing: %v", err)
		}
		assertSameData(t, before, load(t, db))
	})
}

func TestListingPublishNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		v0 := version(t, db)
		d := w.draft(t)
		d.Service().Description = "Open all hours"
		ch, err := w.submit(t, d, true)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Status != listing.StatusPublished || ch.ReviewedBy != "" || !ch.ReviewedAt.Equal(w.now) {
			t.Errorf("published change = %+v", ch)
		}
		after := load(t, db)
		if s := serviceIn(after, w.svc); s.Description != "Open all hours" {
			t.Errorf("service after trusted publication = %+v", s)
		}
		if v := version(t, db); v <= v0 {
			t.Error("directory version did not move")
		}
		hist, err := db.ServiceHistory(ctx, w.svc)
		if err != nil || len(hist) == 0 || hist[0].UpdatedBy != "provider@example.org (published without review)" || hist[0].ChangeID != ch.ID {
			t.Errorf("history = %+v, %v", hist, err)
		}
		if got := listingActions(t, db, w.svc); !slices.Equal(got, []audit.Action{audit.ListingChanged, audit.ListingPublished}) {
			t.Errorf("audit actions = %v", got)
		}
		stored, err := db.ListingChange(ctx, ch.ID)
		if err != nil || stored.Status != listing.StatusPublished {
			t.Errorf("stored change = %+v, %v", stored, err)
		}
		// A draft that changes nothing is refused.
		if _, err := w.submit(t, w.draft(t), false); !errors.Is(err, apperr.Invalid) {
			t.Errorf("empty change: %v, want Invalid", err)
		}
	})
}

func TestListingConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		d := w.draft(t)
		d.Service().Name = "Provider's name"
		ch, err := w.submit(t, d, false)
		if err != nil {
			t.Fatal(err)
		}
		// An assurance in between is not a conflict, but an import that
		// changes the listing is.
		if err := db.AssureService(ctx, w.svc, "provider@example.org", w.now, audit.Event{ActorID: w.provider.ID}); err != nil {
			t.Fatal(err)
		}
		next := load(t, db)
		for i := range next.Services {
			if next.Services[i].ID == w.svc {
				next.Services[i].Name = "Feed's name"
			}
		}
		next.Metadata = nil
		if _, err := db.ImportDataset(ctx, next, store.ImportSource{Name: "feed", UpdatedBy: "import"}, directory.Validate); err != nil {
			t.Fatal(err)
		}
		before := load(t, db)
		v := version(t, db)
		if err := db.ApproveListingChange(ctx, ch.ID, w.reviewer.ID, "", w.reviewEv()); !errors.Is(err, apperr.Conflict) {
			t.Fatalf("approving a change whose listing moved on: %v, want Conflict", err)
		}
		assertSameData(t, before, load(t, db))
		if got, _ := db.ListingChange(ctx, ch.ID); got.Status != listing.StatusPending {
			t.Errorf("status after refused approval = %s", got.Status)
		}
		if version(t, db) != v {
			t.Error("a refused approval moved the directory version")
		}
		if got := listingActions(t, db, w.svc); slices.Contains(got, audit.ListingApproved) {
			t.Errorf("a refused approval was audited: %v", got)
		}
	})
}

func TestListingSmuggledLocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		before := load(t, db)
		v := version(t, db)
		auditBefore, err := db.AuditEvents(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		d := w.draft(t)
		locB := directory.NameUUID("test:locB")
		d.Dataset.Locations = append(d.Dataset.Locations, directory.Location{ID: locB, LocationType: "physical", Name: "Taken over"})
		d.Dataset.ServiceAtLocations = append(d.Dataset.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NewUUID(), ServiceID: w.svc, LocationID: locB})
		for _, publishNow := range []bool{false, true} {
			if _, err := w.submit(t, d, publishNow); !errors.Is(err, apperr.Forbidden) {
				t.Errorf("smuggled location (publishNow %v): %v, want Forbidden", publishNow, err)
			}
		}
		// Editing another organisation's service is refused the same way.
		other, err := listing.NewDraft(before, directory.NameUUID("test:svcB"))
		if err != nil {
			t.Fatal(err)
		}
		other.Service().Name = "Mine"
		if _, err := w.submit(t, other, true); !errors.Is(err, apperr.Forbidden) {
			t.Errorf("another organisation's service: %v, want Forbidden", err)
		}
		assertSameData(t, before, load(t, db))
		if version(t, db) != v {
			t.Error("directory version moved")
		}
		if chs, err := db.ListingChanges(ctx, store.ListingFilter{}); err != nil || len(chs) != 0 {
			t.Errorf("changes stored: %v, %v", chs, err)
		}
		if after, _ := db.AuditEvents(ctx, store.AuditFilter{}); len(after) != len(auditBefore) {
			t.Errorf("audit events written: %d → %d", len(auditBefore), len(after))
		}
	})
}

func TestListingNewService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		since := w.now
		d := listing.NewServiceDraft(w.orgA.HSDSOrganizationID, "Talking therapies for people on probation")
		loc := directory.NewUUID()
		d.Dataset.Locations = []directory.Location{{ID: loc, OrganizationID: w.orgA.HSDSOrganizationID, LocationType: "virtual", Name: "Online"}}
		d.Dataset.ServiceAtLocations = []directory.ServiceAtLocation{{ID: directory.NewUUID(), ServiceID: d.ServiceID(), LocationID: loc}}
		d.Dataset.Schedules = []directory.Schedule{{ID: directory.NewUUID(), ServiceID: d.ServiceID(), Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "5pm"}}
		if _, err := w.submit(t, d, false); !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "schedules[0].closes_at") {
			t.Fatalf("bad closing time: %v, want an Invalid error naming schedules[0].closes_at", err)
		}
		d.Dataset.Schedules[0].ClosesAt = "17:00"
		ch, err := w.submit(t, d, false)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Kind != listing.KindCreate || ch.Base != "" {
			t.Errorf("new-service change = %+v", ch)
		}
		w.now = w.now.Add(time.Minute)
		if err := db.ApproveListingChange(ctx, ch.ID, w.reviewer.ID, "", w.reviewEv()); err != nil {
			t.Fatal(err)
		}
		after := load(t, db)
		if s := serviceIn(after, d.ServiceID()); s.Name != "Talking therapies for people on probation" || s.OrganizationID != w.orgA.HSDSOrganizationID {
			t.Errorf("new service = %+v", s)
		}
		// The feed sees the new service as created and an edited one as changed.
		e := w.draft(t)
		e.Service().Alert = "Closed on bank holidays"
		w.now = w.now.Add(time.Minute)
		if _, err := w.submit(t, e, true); err != nil {
			t.Fatal(err)
		}
		changes, err := db.ChangesSince(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		want := []listing.ServiceChange{
			{ServiceID: w.svc, Action: listing.ActionUpdate, At: w.now},
			{ServiceID: d.ServiceID(), Action: listing.ActionCreate, At: since.Add(time.Minute)},
		}
		if !slices.Equal(changes, want) {
			t.Errorf("ChangesSince = %+v, want %+v", changes, want)
		}
		if later, err := db.ChangesSince(ctx, w.now.Add(time.Second)); err != nil || len(later) != 0 {
			t.Errorf("ChangesSince(later) = %+v, %v", later, err)
		}
	})
}

func TestAssureService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		v := version(t, db)
		at := time.Date(2026, 3, 2, 23, 30, 0, 0, time.FixedZone("BST", 3600))
		if err := db.AssureService(ctx, w.svc, "Provider@Example.org", at, audit.Event{ActorID: w.provider.ID, ActorRole: "provider", OrgID: w.orgA.ID}); err != nil {
			t.Fatal(err)
		}
		s := serviceIn(load(t, db), w.svc)
		if s.AssuredDate != "2026-03-02" || s.AssurerEmail != "provider@example.org" {
			t.Errorf("assured service = %+v", s)
		}
		if version(t, db) <= v {
			t.Error("assurance did not move the directory version")
		}
		hist, err := db.ServiceHistory(ctx, w.svc)
		if err != nil || len(hist) != 2 || hist[0].Changes[0].Action != listing.ActionAssure || hist[0].UpdatedBy != "provider@example.org" {
			t.Errorf("history = %+v, %v", hist, err)
		}
		if got := listingActions(t, db, w.svc); !slices.Equal(got, []audit.Action{audit.ListingAssured}) {
			t.Errorf("audit actions = %v", got)
		}
		if listing.Stale(s.AssuredDate, s.LastModified, w.now, 0) {
			t.Error("a service assured today is stale")
		}
		if err := db.AssureService(ctx, directory.NewUUID(), "a@example.org", at, audit.Event{}); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unknown service: %v, want NotFound", err)
		}
		if err := db.AssureService(ctx, w.svc, "not an address", at, audit.Event{}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("bad address: %v, want Invalid", err)
		}
		// An assurance is not news for the feed.
		if changes, err := db.ChangesSince(ctx, w.now); err != nil || len(changes) != 0 {
			t.Errorf("ChangesSince after assurance = %+v, %v", changes, err)
		}
	})
}

func TestSubscriptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		term := directory.TermID(directory.ServiceTypeTaxonomy, "reconnect")
		ev := audit.Event{ActorID: w.provider.ID}
		s1, err := db.Subscribe(ctx, listing.Subscription{UserID: w.provider.ID, AreaCode: "E07000138"}, ev)
		if err != nil {
			t.Fatal(err)
		}
		if s1.ID == "" || !s1.CreatedAt.Equal(w.now) {
			t.Errorf("subscription = %+v", s1)
		}
		if _, err := db.Subscribe(ctx, listing.Subscription{UserID: w.provider.ID, AreaCode: "E07000138"}, ev); !errors.Is(err, apperr.Conflict) {
			t.Errorf("duplicate subscription: %v, want Conflict", err)
		}
		if _, err := db.Subscribe(ctx, listing.Subscription{UserID: w.provider.ID}, ev); !errors.Is(err, apperr.Invalid) {
			t.Errorf("empty subscription: %v, want Invalid", err)
		}
		if _, err := db.Subscribe(ctx, listing.Subscription{UserID: directory.NewUUID(), AreaCode: "E07000138"}, ev); !errors.Is(err, apperr.Invalid) {
			t.Errorf("unknown user: %v, want Invalid", err)
		}
		s2, err := db.Subscribe(ctx, listing.Subscription{UserID: w.providerB.ID, ServiceTypeID: term}, ev)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := db.SubscriptionsOf(ctx, w.provider.ID)
		if err != nil || len(mine) != 1 || mine[0] != s1 {
			t.Errorf("SubscriptionsOf = %+v, %v", mine, err)
		}
		all, err := db.AllSubscriptions(ctx)
		if err != nil || len(all) != 2 {
			t.Errorf("AllSubscriptions = %+v, %v", all, err)
		}
		if err := db.Unsubscribe(ctx, w.provider.ID, s2.ID, ev); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unsubscribing someone else: %v, want NotFound", err)
		}
		if err := db.Unsubscribe(ctx, w.provider.ID, s1.ID, ev); err != nil {
			t.Fatal(err)
		}
		if mine, _ := db.SubscriptionsOf(ctx, w.provider.ID); len(mine) != 0 {
			t.Errorf("after unsubscribing: %+v", mine)
		}
		if got := listingActions(t, db, s1.ID); !slices.Equal(got, []audit.Action{audit.SubscriptionChanged, audit.SubscriptionChanged}) {
			t.Errorf("audit actions = %v", got)
		}

		last, err := db.LastDigest(ctx, w.providerB.ID)
		if err != nil || !last.IsZero() {
			t.Errorf("LastDigest before any = %v, %v", last, err)
		}
		for _, at := range []time.Time{w.now, w.now.Add(7 * 24 * time.Hour)} {
			if ok, err := db.ClaimDigest(ctx, w.providerB.ID, at, 7*24*time.Hour); err != nil || !ok {
				t.Fatalf("ClaimDigest at %v = %v, %v", at, ok, err)
			}
			if last, err := db.LastDigest(ctx, w.providerB.ID); err != nil || !last.Equal(at) {
				t.Errorf("LastDigest = %v, %v; want %v", last, err, at)
			}
		}
	})
}

// TestLoadListing checks that the part of the directory the store reads to
// check and publish a draft gives the listing functions the same answers as
// the whole directory would.
func TestLoadListing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListingWorld(t, db)
		// A second service of the same organisation at the same location,
		// with a contact, a phone of the contact and a language of the phone.
		extra := smallDirectory()
		extra.Services = []directory.Service{{ID: directory.NameUUID("test:svc2"), OrganizationID: directory.NameUUID("test:org"), Name: "Drop-in", Status: "active"}}
		extra.ServiceAtLocations = []directory.ServiceAtLocation{{ID: directory.NameUUID("test:sal2"), ServiceID: directory.NameUUID("test:svc2"), LocationID: directory.NameUUID("test:loc")}}
		extra.Contacts = []directory.Contact{{ID: directory.NameUUID("test:c2"), LocationID: directory.NameUUID("test:loc"), Name: "Reception"}}
		extra.Phones = []directory.Phone{{ID: directory.NameUUID("test:c2p"), ContactID: directory.NameUUID("test:c2"), Number: "1"}}
		extra.Languages = []directory.Language{{ID: directory.NameUUID("test:c2pl"), PhoneID: directory.NameUUID("test:c2p"), Name: "Polish"}}
		extra.Addresses, extra.Attributes = nil, nil
		if _, err := db.ImportDataset(ctx, extra, store.ImportSource{Name: "extra"}, directory.Validate); err != nil {
			t.Fatal(err)
		}
		full := load(t, db)
		owner := w.orgA.HSDSOrganizationID

		unchanged := w.draft(t)
		edited := w.draft(t)
		edited.Service().Name = "Renamed"
		edited.Dataset.Phones = edited.Dataset.Phones[:1]
		edited.Dataset.Languages = nil
		newLoc := directory.NewUUID()
		edited.Dataset.Locations = append(edited.Dataset.Locations, directory.Location{ID: newLoc, OrganizationID: owner, LocationType: "virtual"})
		edited.Dataset.ServiceAtLocations = append(edited.Dataset.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NewUUID(), ServiceID: w.svc, LocationID: newLoc})
		smuggled := w.draft(t)
		smuggled.Dataset.Phones = append(smuggled.Dataset.Phones, directory.Phone{ID: directory.NameUUID("test:phoneB"), ServiceID: w.svc, Number: "2"})
		linked := listing.NewServiceDraft(owner, "New")
		linked.Dataset.ServiceAtLocations = []directory.ServiceAtLocation{{ID: directory.NewUUID(), ServiceID: linked.ServiceID(), LocationID: directory.NameUUID("test:locB")}}
		otherOrg, err := listing.NewDraft(full, directory.NameUUID("test:svcB"))
		if err != nil {
			t.Fatal(err)
		}

		for name, d := range map[string]listing.Draft{"unchanged": unchanged, "edited": edited, "smuggled": smuggled, "new service": linked, "other organisation": otherOrg} {
			part, err := store.LoadListing(ctx, db, d)
			if err != nil {
				t.Fatal(err)
			}
			if part.Count() >= full.Count() {
				t.Errorf("%s: read %d of %d rows, want fewer", name, part.Count(), full.Count())
			}
			if a, b := listing.Fingerprint(full, d), listing.Fingerprint(part, d); a != b {
				t.Errorf("%s: fingerprint %q from the whole directory, %q from the part", name, a, b)
			}
			if a, b := listing.Diff(full, d.Dataset, d.ServiceID()), listing.Diff(part, d.Dataset, d.ServiceID()); !slices.Equal(a, b) {
				t.Errorf("%s: diff\n whole %+v\n part  %+v", name, a, b)
			}
			errText := func(err error) string {
				if err == nil {
					return ""
				}
				return err.Error()
			}
			a, b := listing.Validate(d, owner, full), listing.Validate(d, owner, part)
			if errText(a) != errText(b) {
				t.Errorf("%s: Validate gives %v from the whole directory, %v from the part", name, a, b)
			}
			if name == "edited" && (a != nil || len(listing.Removed(part, d.Dataset, w.svc)["language"]) != 1) {
				t.Errorf("edited draft: %v, removed %v", a, listing.Removed(part, d.Dataset, w.svc))
			}
			if (name == "smuggled" || name == "other organisation") && !errors.Is(b, apperr.Forbidden) {
				t.Errorf("%s: %v, want Forbidden", name, b)
			}
		}
	})
}
