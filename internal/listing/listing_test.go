package listing

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

func id(name string) string { return directory.NameUUID("listing-test:" + name) }

func ptr(f float64) *float64 { return &f }

// fixture is a stored directory: organisation A's service S, delivered at
// A's location L and at B's location LB, with a phone, a schedule, a
// liaison contact with a phone, and an eligibility attribute; and
// organisation B's service T at location M.
func fixture() *directory.Dataset {
	elig := directory.TermID(directory.EligibilityTaxonomy, "no-fixed-abode")
	return &directory.Dataset{
		Taxonomies:    []directory.Taxonomy{{ID: directory.TaxonomyID(directory.EligibilityTaxonomy), Name: "Eligibility", Description: "d"}},
		TaxonomyTerms: []directory.TaxonomyTerm{{ID: elig, Name: "No fixed abode", Description: "d", TaxonomyID: directory.TaxonomyID(directory.EligibilityTaxonomy)}},
		Organizations: []directory.Organization{
			{ID: id("A"), Name: "Alpha Trust", Description: "A"},
			{ID: id("B"), Name: "Beta Probation", Description: "B"},
		},
		Services: []directory.Service{
			{ID: id("S"), OrganizationID: id("A"), Name: "Crisis line", Status: "active", AssuredDate: "2025-01-10",
				AssurerEmail: "old@alpha.example", LastModified: "2025-01-10T09:00:00Z"},
			{ID: id("T"), OrganizationID: id("B"), Name: "Approved premises", Status: "active"},
		},
		Locations: []directory.Location{
			{ID: id("L"), OrganizationID: id("A"), LocationType: "physical", Name: "Alpha House", Latitude: ptr(53.2), Longitude: ptr(-0.5)},
			{ID: id("LB"), OrganizationID: id("B"), LocationType: "physical", Name: "Beta office"},
			{ID: id("M"), OrganizationID: id("B"), LocationType: "physical", Name: "Beta hostel"},
		},
		ServiceAtLocations: []directory.ServiceAtLocation{
			{ID: id("S@L"), ServiceID: id("S"), LocationID: id("L")},
			{ID: id("S@LB"), ServiceID: id("S"), LocationID: id("LB")},
			{ID: id("T@M"), ServiceID: id("T"), LocationID: id("M")},
		},
		Addresses: []directory.Address{
			{ID: id("L-addr"), LocationID: id("L"), Address1: "1 High St", City: "Lincoln", StateProvince: "Lincolnshire", PostalCode: "LN1 1AA", Country: "GB", AddressType: "physical"},
			{ID: id("LB-addr"), LocationID: id("LB"), Address1: "2 Low St", City: "Lincoln", StateProvince: "Lincolnshire", PostalCode: "LN2 2BB", Country: "GB", AddressType: "physical"},
			{ID: id("M-addr"), LocationID: id("M"), Address1: "3 Mid St", City: "Lincoln", StateProvince: "Lincolnshire", PostalCode: "LN3 3CC", Country: "GB", AddressType: "physical"},
		},
		Contacts: []directory.Contact{
			{ID: id("S-liaison"), ServiceID: id("S"), Name: "Pat Liaison", Email: "pat@alpha.example"},
		},
		Phones: []directory.Phone{
			{ID: id("S-phone"), ServiceID: id("S"), Number: "01522 000000"},
			{ID: id("S-liaison-phone"), ContactID: id("S-liaison"), ServiceID: id("S"), Number: "01522 000001"},
			{ID: id("T-phone"), ServiceID: id("T"), Number: "01522 999999"},
			{ID: id("LB-phone"), LocationID: id("LB"), Number: "01522 111111"},
		},
		Schedules: []directory.Schedule{
			{ID: id("S-sched"), ServiceID: id("S"), Freq: "WEEKLY", ByDay: "MO,TU", OpensAt: "09:00", ClosesAt: "17:00"},
		},
		Attributes: []directory.Attribute{
			{ID: id("S-elig"), LinkID: id("S"), LinkType: "service", TaxonomyTermID: elig},
			{ID: id("S-liaison-tag"), LinkID: id("S-liaison"), LinkType: "contact", LinkEntity: "contact",
				TaxonomyTermID: directory.TermID(ReferralTaxonomy, TermLiaison)},
		},
	}
}

func draftOf(t *testing.T, cur *directory.Dataset, svc string) Draft {
	t.Helper()
	d, err := NewDraft(cur, svc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tableIDs(ds *directory.Dataset, table string) []string {
	tb := directory.TableNamed(table)
	var out []string
	for i := range tb.Len(ds) {
		out = append(out, tb.ID(ds, i))
	}
	slices.Sort(out)
	return out
}

func sorted(ss ...string) []string { slices.Sort(ss); return ss }

func TestNewDraft(t *testing.T) {
	d := draftOf(t, fixture(), id("S"))
	for _, c := range []struct {
		table string
		want  []string
	}{
		{"service", []string{id("S")}},
		{"location", []string{id("L")}}, // LB is B's: linked, not edited
		{"service_at_location", sorted(id("S@L"), id("S@LB"))},
		{"address", []string{id("L-addr")}},
		{"contact", []string{id("S-liaison")}},
		{"phone", sorted(id("S-phone"), id("S-liaison-phone"))},
		{"schedule", []string{id("S-sched")}},
		{"attribute", sorted(id("S-elig"), id("S-liaison-tag"))},
		{"organization", nil},
		{"taxonomy_term", nil},
	} {
		if got := tableIDs(d.Dataset, c.table); !slices.Equal(got, c.want) {
			t.Errorf("draft %s = %v, want %v", c.table, got, c.want)
		}
	}
	if _, err := NewDraft(fixture(), id("nope")); !errors.Is(err, apperr.NotFound) {
		t.Errorf("NewDraft(unknown) = %v, want NotFound", err)
	}
	// The draft is a copy: editing it leaves the directory alone.
	cur := fixture()
	d = draftOf(t, cur, id("S"))
	d.Service().Name = "Changed"
	if cur.Services[0].Name != "Crisis line" {
		t.Error("editing the draft changed the stored directory")
	}
}

func TestDiff(t *testing.T) {
	cur := fixture()
	d := draftOf(t, cur, id("S"))
	ds := d.Dataset
	ds.Services[0].Name = "Crisis line (24 hours)"
	ds.Services[0].AssuredDate = "2030-01-01" // managed: ignored
	ds.Phones = slices.DeleteFunc(ds.Phones, func(p directory.Phone) bool { return p.ID == id("S-phone") })
	ds.Phones = append(ds.Phones, directory.Phone{ID: id("new-phone"), ServiceID: id("S"), Number: "0800 000000", Type: "text"})
	ds.Addresses[0].PostalCode = "LN1 9ZZ"

	got := Diff(cur, ds, id("S"))
	want := []FieldChange{
		{Record: "service", RecordID: id("S"), Action: ActionUpdate, Field: "name", Before: "Crisis line", After: "Crisis line (24 hours)"},
		{Record: "address", RecordID: id("L-addr"), Action: ActionUpdate, Field: "postal_code", Before: "LN1 1AA", After: "LN1 9ZZ"},
		{Record: "phone", RecordID: id("new-phone"), Action: ActionCreate, Field: "service_id", After: id("S")},
		{Record: "phone", RecordID: id("new-phone"), Action: ActionCreate, Field: "number", After: "0800 000000"},
		{Record: "phone", RecordID: id("new-phone"), Action: ActionCreate, Field: "type", After: "text"},
		{Record: "phone", RecordID: id("S-phone"), Action: ActionDelete, Field: "service_id", Before: id("S")},
		{Record: "phone", RecordID: id("S-phone"), Action: ActionDelete, Field: "number", Before: "01522 000000"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Diff:\n got  %+v\n want %+v", got, want)
	}

	// An unchanged draft changes nothing.
	if got := Diff(cur, draftOf(t, cur, id("S")).Dataset, id("S")); len(got) != 0 {
		t.Errorf("Diff of an unchanged draft = %+v", got)
	}

	// A new service: everything is created.
	nd := NewServiceDraft(id("A"), "Talking therapy")
	got = Diff(cur, nd.Dataset, nd.ServiceID())
	if len(got) != 3 || got[0].Action != ActionCreate || got[0].Field != "organization_id" || got[1].Field != "name" || got[2].After != "active" {
		t.Errorf("Diff of a new service = %+v", got)
	}
}

func TestRemoved(t *testing.T) {
	cur := fixture()
	d := draftOf(t, cur, id("S"))
	// Dropping the liaison contact removes it, its phone and its tag;
	// dropping L's address removes it because the draft includes L.
	d.Dataset.Contacts = nil
	d.Dataset.Phones = slices.DeleteFunc(d.Dataset.Phones, func(p directory.Phone) bool { return p.ContactID != "" })
	d.Dataset.Attributes = slices.DeleteFunc(d.Dataset.Attributes, func(a directory.Attribute) bool { return a.LinkID == id("S-liaison") })
	d.Dataset.Addresses = nil
	got := Removed(cur, d.Dataset, id("S"))
	want := map[string][]string{
		"contact":   {id("S-liaison")},
		"phone":     {id("S-liaison-phone")},
		"attribute": {id("S-liaison-tag")},
		"address":   {id("L-addr")},
	}
	if len(got) != len(want) {
		t.Errorf("Removed = %v, want %v", got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("Removed[%s] = %v, want %v", k, got[k], v)
		}
	}

	// Leaving L out of the draft unlinks nothing of L's and deletes neither
	// L nor its address; dropping the link to LB deletes only the link.
	d = draftOf(t, cur, id("S"))
	d.Dataset.Locations, d.Dataset.Addresses = nil, nil
	d.Dataset.ServiceAtLocations = slices.DeleteFunc(d.Dataset.ServiceAtLocations, func(s directory.ServiceAtLocation) bool { return s.ID == id("S@LB") })
	got = Removed(cur, d.Dataset, id("S"))
	if len(got) != 1 || !slices.Equal(got["service_at_location"], []string{id("S@LB")}) {
		t.Errorf("Removed after unlinking = %v", got)
	}
}

// fieldOf returns the field of the first problem of a validation error.
func fieldOf(err error) string {
	if fe, ok := errors.AsType[*apperr.FieldError](err); ok {
		return fe.Field
	}
	return ""
}

func TestValidate(t *testing.T) {
	ok := func(t *testing.T) Draft { return draftOf(t, fixture(), id("S")) }
	for _, c := range []struct {
		name      string
		owner     string
		edit      func(d *Draft)
		kind      error  // nil means valid
		field     string // the field the (first) problem names
		wantInMsg string
	}{
		{name: "unchanged draft", owner: id("A")},
		{name: "no HSDS organization", owner: "", kind: apperr.Forbidden},
		{name: "another organisation's service", owner: id("B"), kind: apperr.Forbidden, wantInMsg: "service.id"},
		{name: "moving the service to another organisation", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Services[0].OrganizationID = id("B")
		}, kind: apperr.Forbidden, wantInMsg: "service.organization_id"},
		{name: "smuggled location of another organisation", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Locations = append(d.Dataset.Locations, directory.Location{ID: id("M"), LocationType: "physical", Name: "Mine now"})
			d.Dataset.ServiceAtLocations = append(d.Dataset.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NewUUID(), ServiceID: id("S"), LocationID: id("M")})
		}, kind: apperr.Forbidden, wantInMsg: "locations[1].id"},
		{name: "smuggled phone of another service", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Phones = append(d.Dataset.Phones, directory.Phone{ID: id("T-phone"), ServiceID: id("S"), Number: "0"})
		}, kind: apperr.Forbidden, wantInMsg: "phone " + id("T-phone")},
		{name: "smuggled address of another location", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Addresses[0].ID = id("M-addr")
		}, kind: apperr.Forbidden, wantInMsg: "addresses[0].id"},
		{name: "phone naming another organisation", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Phones[0].OrganizationID = id("B")
		}, kind: apperr.Forbidden, wantInMsg: "organization_id"},
		{name: "two services", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Services = append(d.Dataset.Services, directory.Service{ID: directory.NewUUID(), OrganizationID: id("A"), Name: "x", Status: "active"})
		}, kind: apperr.Invalid, field: "service"},
		{name: "organisation records", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Organizations = []directory.Organization{{ID: id("A"), Name: "Renamed", Description: "x"}}
		}, kind: apperr.Invalid, field: "organizations"},
		{name: "service name missing", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Services[0].Name = ""
		}, kind: apperr.Invalid, field: "service.name"},
		{name: "bad opening time", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Schedules[0].OpensAt = "9am"
		}, kind: apperr.Invalid, field: "schedules[0].opens_at"},
		{name: "phone not linked to the listing", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Phones = append(d.Dataset.Phones, directory.Phone{ID: directory.NewUUID(), Number: "1"})
		}, kind: apperr.Invalid, field: "phones[2]"},
		{name: "phone of a location outside the listing", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Phones = append(d.Dataset.Phones, directory.Phone{ID: directory.NewUUID(), ServiceID: id("S"), LocationID: id("M"), Number: "1"})
		}, kind: apperr.Invalid, field: "phones[2].location_id"},
		{name: "location not linked", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Locations = append(d.Dataset.Locations, directory.Location{ID: directory.NewUUID(), OrganizationID: id("A"), LocationType: "physical"})
		}, kind: apperr.Invalid, field: "locations[1]"},
		{name: "new location linked", owner: id("A"), edit: func(d *Draft) {
			l := directory.NewUUID()
			d.Dataset.Locations = append(d.Dataset.Locations, directory.Location{ID: l, OrganizationID: id("A"), LocationType: "virtual", Name: "Online"})
			d.Dataset.ServiceAtLocations = append(d.Dataset.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NewUUID(), ServiceID: id("S"), LocationID: l})
		}},
		{name: "link to another organisation's location without editing it", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.ServiceAtLocations = append(d.Dataset.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NewUUID(), ServiceID: id("S"), LocationID: id("M")})
		}},
		{name: "unknown taxonomy term", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Attributes[0].TaxonomyTermID = directory.NewUUID()
		}, kind: apperr.Invalid, field: "attributes[0].taxonomy_term_id"},
		{name: "bad response time", owner: id("A"), edit: func(d *Draft) {
			r := d.Referral()
			r.ResponseTime = "soon"
			d.SetReferral(r)
		}, kind: apperr.Invalid, field: "referral.response_time"},
		{name: "bad capacity", owner: id("A"), edit: func(d *Draft) {
			r := d.Referral()
			r.Capacity = "full"
			d.SetReferral(r)
		}, kind: apperr.Invalid, field: "referral.capacity"},
		{name: "liaison no way to reach them", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Contacts[0].Email = ""
			d.Dataset.Phones = slices.DeleteFunc(d.Dataset.Phones, func(p directory.Phone) bool { return p.ContactID != "" })
		}, kind: apperr.Invalid, field: "contacts[0].email"},
		{name: "managed fields are not the draft's to get right", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Services[0].LastModified = "yesterday"
			d.Dataset.Services[0].AssuredDate = "last week"
		}},
		{name: "text too long", owner: id("A"), edit: func(d *Draft) {
			d.Dataset.Services[0].Description = strings.Repeat("x", MaxText+1)
		}, kind: apperr.Invalid, field: "service.description"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := ok(t)
			if c.edit != nil {
				c.edit(&d)
			}
			err := Validate(d, c.owner, fixture())
			if c.kind == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, c.kind) {
				t.Fatalf("Validate = %v, want %v", err, c.kind)
			}
			if c.field != "" && fieldOf(err) != c.field {
				t.Errorf("Validate = %v; first field %q, want %q", err, fieldOf(err), c.field)
			}
			if c.wantInMsg != "" && !strings.Contains(err.Error(), c.wantInMsg) {
				t.Errorf("Validate = %v, want it to mention %q", err, c.wantInMsg)
			}
		})
	}
}

func TestValidateNewService(t *testing.T) {
	d := NewServiceDraft(id("A"), "Talking therapy")
	if err := Validate(d, id("A"), fixture()); err != nil {
		t.Fatalf("new service: %v", err)
	}
	if k := KindOf(d, fixture()); k != KindCreate {
		t.Errorf("KindOf(new) = %s", k)
	}
	if k := KindOf(draftOf(t, fixture(), id("S")), fixture()); k != KindUpdate {
		t.Errorf("KindOf(existing) = %s", k)
	}
	d.Service().OrganizationID = ""
	if err := Validate(d, id("A"), fixture()); fieldOf(err) != "service.organization_id" {
		t.Errorf("new service without organisation: %v", err)
	}
	if err := Validate(Draft{}, id("A"), fixture()); fieldOf(err) != "service" {
		t.Errorf("empty draft: %v", err)
	}
}

func TestReferral(t *testing.T) {
	d := draftOf(t, fixture(), id("S"))
	if r := d.Referral(); r.LiaisonID != id("S-liaison") || r.ResponseTime != "" {
		t.Fatalf("stored referral = %+v", r)
	}
	want := Referral{Criteria: "Adults on probation in Lincolnshire", HowToRefer: "Use the referral form", WaitTime: "About 3 weeks",
		ResponseTime: "5 working days", Capacity: CapacityWaitingList, LiaisonID: id("S-liaison")}
	if err := d.SetReferral(want); err != nil {
		t.Fatal(err)
	}
	if got := d.Referral(); got != want {
		t.Errorf("Referral = %+v, want %+v", got, want)
	}
	if err := Validate(d, id("A"), fixture()); err != nil {
		t.Errorf("Validate after SetReferral: %v", err)
	}
	svc := d.Service()
	if svc.EligibilityDescription != want.Criteria || svc.ApplicationProcess != want.HowToRefer || svc.WaitTime != want.WaitTime {
		t.Errorf("service fields = %q %q %q", svc.EligibilityDescription, svc.ApplicationProcess, svc.WaitTime)
	}
	n := len(d.Dataset.Attributes)
	// Setting again changes values in place rather than adding attributes.
	want.ResponseTime = "2 days"
	d.SetReferral(want)
	if len(d.Dataset.Attributes) != n || d.Referral().ResponseTime != "2 days" {
		t.Errorf("second SetReferral: %d attributes (want %d), %+v", len(d.Dataset.Attributes), n, d.Referral())
	}
	// Clearing removes the attributes, leaving the eligibility one.
	if err := d.SetReferral(Referral{}); err != nil {
		t.Fatal(err)
	}
	if len(d.Dataset.Attributes) != 1 || d.Dataset.Attributes[0].ID != id("S-elig") {
		t.Errorf("after clearing: %+v", d.Dataset.Attributes)
	}
	if err := d.SetReferral(Referral{LiaisonID: id("T-phone")}); fieldOf(err) != "referral.liaison" {
		t.Errorf("liaison not a contact: %v", err)
	}
}

func TestResponseTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ResponseTime
		out  string
		bad  bool
	}{
		{in: "5 working days", want: ResponseTime{5, "working day"}, out: "5 working days"},
		{in: " 1  Working Day ", want: ResponseTime{1, "working day"}, out: "1 working day"},
		{in: "48 hours", want: ResponseTime{48, "hour"}, out: "48 hours"},
		{in: "2 weeks", want: ResponseTime{2, "week"}, out: "2 weeks"},
		{in: "", want: ResponseTime{}, out: ""},
		{in: "soon", bad: true},
		{in: "0 days", bad: true},
		{in: "5", bad: true},
		{in: "5 fortnights", bad: true},
		{in: "366 days", bad: true},
	} {
		got, err := ParseResponseTime("f", c.in)
		if c.bad {
			if fieldOf(err) != "f" {
				t.Errorf("ParseResponseTime(%q) = %v, %v; want an error naming f", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want || got.String() != c.out {
			t.Errorf("ParseResponseTime(%q) = %+v (%q), %v; want %+v (%q)", c.in, got, got.String(), err, c.want, c.out)
		}
	}
}

func TestDraftJSON(t *testing.T) {
	d := draftOf(t, fixture(), id("S"))
	d.SetReferral(Referral{ResponseTime: "3 days", LiaisonID: id("S-liaison")})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"service_at_location":[`) {
		t.Errorf("draft JSON does not use HSDS table names: %s", b)
	}
	var back Draft
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := Diff(d.Dataset, back.Dataset, id("S")); len(diff) != 0 {
		t.Errorf("round trip changed the draft: %+v", diff)
	}
	if *back.Dataset.Locations[0].Latitude != 53.2 {
		t.Errorf("latitude lost: %v", back.Dataset.Locations[0].Latitude)
	}
	if err := json.Unmarshal([]byte(`{"records":{"spaceship":[{"id":"x"}]}}`), &back); err == nil {
		t.Error("unknown table accepted")
	}
}

func TestFingerprint(t *testing.T) {
	cur := fixture()
	d := draftOf(t, cur, id("S"))
	base := Fingerprint(cur, d)
	if base == "" {
		t.Fatal("empty fingerprint for a stored service")
	}
	for _, c := range []struct {
		name   string
		edit   func(ds *directory.Dataset)
		change bool
	}{
		{"another service renamed", func(ds *directory.Dataset) { ds.Services[1].Name = "x" }, false},
		{"assured again", func(ds *directory.Dataset) { ds.Services[0].AssuredDate = "2026-01-01" }, false},
		{"service renamed", func(ds *directory.Dataset) { ds.Services[0].Name = "x" }, true},
		{"address changed", func(ds *directory.Dataset) { ds.Addresses[0].City = "Louth" }, true},
		{"phone added", func(ds *directory.Dataset) {
			ds.Phones = append(ds.Phones, directory.Phone{ID: directory.NewUUID(), ServiceID: id("S"), Number: "1"})
		}, true},
	} {
		cur := fixture()
		c.edit(cur)
		if got := Fingerprint(cur, d); (got != base) != c.change {
			t.Errorf("%s: fingerprint changed = %v, want %v", c.name, got != base, c.change)
		}
	}
	if got := Fingerprint(fixture(), NewServiceDraft(id("A"), "x")); got != "" {
		t.Errorf("fingerprint of a new service = %q, want empty", got)
	}
}

func TestPlan(t *testing.T) {
	cur := fixture()
	d := draftOf(t, cur, id("S"))
	d.Service().AssuredDate, d.Service().AssurerEmail = "2030-01-01", "me@x.example"
	d.Service().Name = "Renamed"
	now := time.Date(2026, 4, 2, 10, 11, 12, 999, time.FixedZone("BST", 3600))
	p := Plan(d, cur, now)
	var svc directory.Service
	for _, s := range p.Upserts.Services {
		svc = s
	}
	if svc.AssuredDate != "2025-01-10" || svc.AssurerEmail != "old@alpha.example" || svc.LastModified != "2026-04-02T09:11:12Z" || svc.Name != "Renamed" {
		t.Errorf("planned service = %+v", svc)
	}
	if len(p.Changes) != 1 || p.Changes[0].Field != "name" {
		t.Errorf("planned changes = %+v", p.Changes)
	}
	if !slices.ContainsFunc(p.Upserts.TaxonomyTerms, func(tt directory.TaxonomyTerm) bool {
		return tt.ID == directory.TermID(ReferralTaxonomy, TermResponseTime)
	}) {
		t.Error("plan does not carry the referral vocabulary")
	}
	if d.Service().LastModified == svc.LastModified {
		t.Error("Plan changed the draft it was given")
	}
	if err := directory.Validate(p.Upserts, func(table, rid string) bool { return directory.Rows(cur).Has(table, rid) }); err != nil {
		t.Errorf("planned upserts do not validate: %v", err)
	}
}

func TestHistory(t *testing.T) {
	rows := []directory.Metadata{
		{ID: "1", ResourceID: "s", ResourceType: "service", LastActionDate: "2025-01-01T00:00:00.000000Z", LastActionType: "create", FieldName: "*", UpdatedBy: "import (feed)"},
		{ID: "2", ResourceID: "s", ResourceType: "service", LastActionDate: "2025-03-01T10:00:00.000000Z", LastActionType: "update", FieldName: "name", PreviousValue: "a", ReplacementValue: "b", UpdatedBy: "p@x (approved by r@y)"},
		{ID: "3", ResourceID: "ph", ResourceType: "phone", LastActionDate: "2025-03-01T10:00:00.000000Z", LastActionType: "delete", FieldName: "number", PreviousValue: "1", UpdatedBy: "p@x (approved by r@y)"},
		{ID: "4", ResourceID: "s", ResourceType: "service", LastActionDate: "2025-02-01", LastActionType: "assure", FieldName: "assured_date", ReplacementValue: "2025-02-01", UpdatedBy: "p@x"},
	}
	h := History(rows, map[string]string{"2": "chg"})
	if len(h) != 3 {
		t.Fatalf("History = %+v, want 3 versions", h)
	}
	if h[0].ChangeID != "chg" || len(h[0].Changes) != 2 || h[0].Changes[1].Record != "phone" || h[0].UpdatedBy != "p@x (approved by r@y)" {
		t.Errorf("newest version = %+v", h[0])
	}
	if h[1].Changes[0].Action != ActionAssure || !h[1].At.Equal(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("middle version = %+v", h[1])
	}
	if h[2].Changes[0].Field != "*" || h[2].ChangeID != "" {
		t.Errorf("oldest version = %+v", h[2])
	}
}

func TestStale(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		assured, modified string
		after             time.Duration
		want              bool
	}{
		{"2026-06-01", "", 0, false},
		{"2025-12-01", "", 0, true},                        // 212 days
		{"2026-01-01", "", 0, false},                       // 181 days
		{"", "2026-05-01T00:00:00Z", 0, false},             // never assured: counts from last_modified
		{"", "2025-06-01T00:00:00Z", 0, true},              // never assured, old
		{"2025-01-01", "2026-06-30T08:00:00.5Z", 0, false}, // changed recently, assured long ago
		{"2026-06-01", "", 7 * 24 * time.Hour, true},       // configured period
		{"", "", 0, true},                                  // nothing known
		{"not a date", "nor this", 0, true},
	} {
		if got := Stale(c.assured, c.modified, now, c.after); got != c.want {
			t.Errorf("Stale(%q, %q, %v) = %v, want %v", c.assured, c.modified, c.after, got, c.want)
		}
	}
}

func TestStaleServices(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	ds := &directory.Dataset{
		Services: []directory.Service{
			{ID: "fresh", Status: "active", AssuredDate: "2026-06-01"},
			{ID: "old", OrganizationID: "o", Status: "active", AssuredDate: "2025-01-01"},
			{ID: "imported-recently", Status: "active"},
			{ID: "imported-long-ago", Status: "active"},
			{ID: "never", Status: "active"},
			{ID: "gone", Status: "defunct", AssuredDate: "2020-01-01"},
		},
		Metadata: []directory.Metadata{
			{ID: "m1", ResourceID: "imported-recently", ResourceType: "service", LastActionDate: "2026-05-01T00:00:00.000000Z"},
			{ID: "m2", ResourceID: "imported-long-ago", ResourceType: "service", LastActionDate: "2024-05-01T00:00:00.000000Z"},
		},
	}
	got := StaleServices(ds, now, 0)
	var idsGot []string
	for _, s := range got {
		idsGot = append(idsGot, s.ServiceID)
	}
	if want := []string{"never", "imported-long-ago", "old"}; !slices.Equal(idsGot, want) {
		t.Errorf("StaleServices = %v, want %v", idsGot, want)
	}
	if got[2].OrganizationID != "o" || !got[2].Since.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("stale entry = %+v", got[2])
	}
}

func TestSubscription(t *testing.T) {
	term := directory.TermID(directory.ServiceTypeTaxonomy, "reconnect")
	for _, c := range []struct {
		s     Subscription
		field string
	}{
		{Subscription{AreaCode: "E07000138"}, ""},
		{Subscription{ServiceTypeID: term}, ""},
		{Subscription{AreaCode: "E07000138", ServiceTypeID: term}, ""},
		{Subscription{}, "area_code"},
		{Subscription{AreaCode: "Lincoln"}, "area_code"},
		{Subscription{ServiceTypeID: "reconnect"}, "service_type_id"},
	} {
		if got := fieldOf(c.s.Validate()); got != c.field {
			t.Errorf("%+v.Validate() names %q, want %q", c.s, got, c.field)
		}
	}
}

func TestVocabularyValidates(t *testing.T) {
	if err := directory.Validate(Vocabulary(), nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range Vocabulary().TaxonomyTerms {
		if tt.ID != directory.TermID(ReferralTaxonomy, tt.Code) {
			t.Errorf("term %s id %s is not TermID", tt.Code, tt.ID)
		}
	}
}

func TestCheckNote(t *testing.T) {
	if err := CheckNote("note", "Fine.\nThanks"); err != nil {
		t.Error(err)
	}
	if fieldOf(CheckNote("note", strings.Repeat("a", MaxNote+1))) != "note" || fieldOf(CheckNote("note", "a\x00b")) != "note" {
		t.Error("bad notes accepted")
	}
}
