package hsds

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

func readFixture(t *testing.T, path, format string) *directory.Dataset {
	t.Helper()
	d, err := ReadFile(filepath.Join("testdata", path), format)
	if err != nil {
		t.Fatalf("ReadFile(%s, %q): %v", path, format, err)
	}
	return d
}

func wantCounts(t *testing.T, d *directory.Dataset, want map[string]int) {
	t.Helper()
	if got := d.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("counts\n got %v\nwant %v", got, want)
	}
}

func wantValid(t *testing.T, d *directory.Dataset) {
	t.Helper()
	if err := directory.Validate(d, nil); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// find returns the row of rows whose id (first field) is id.
func find[T any](t *testing.T, rows []T, id string) T {
	t.Helper()
	for _, r := range rows {
		if reflect.ValueOf(r).Field(0).String() == id {
			return r
		}
	}
	t.Fatalf("no %T with id %s", *new(T), id)
	return *new(T)
}

func num(f float64) *float64 { return &f }

// id returns the fixtures' UUID with the given prefix and number.
func id(prefix string, n int) string {
	return fmt.Sprintf("%s000000-0000-4000-8000-%012d", prefix, n)
}

func TestReadFullService(t *testing.T) {
	d := readFixture(t, "service.json", "")
	wantCounts(t, d, map[string]int{
		"accessibility": 1, "address": 1, "attribute": 3, "contact": 1, "cost_option": 1, "funding": 2, "language": 3,
		"location": 1, "metadata": 2, "organization": 1, "organization_identifier": 1, "phone": 3, "program": 1,
		"required_document": 1, "schedule": 2, "service": 1, "service_area": 1, "service_at_location": 1, "taxonomy": 1, "taxonomy_term": 2,
	})
	wantValid(t, d)
	svc, org, loc := id("5e", 1), id("0a", 1), id("1e", 1)

	s := d.Services[0]
	if s.ID != svc || s.OrganizationID != org || s.ProgramID != id("0b", 1) || *s.MinimumAge != 18 || *s.MaximumAge != 99.5 ||
		s.Status != "active" || s.LastModified != "2025-01-15T10:30:00Z" {
		t.Errorf("service = %+v", s)
	}
	if s.Phones != nil || s.Organization != nil || s.Attributes != nil {
		t.Error("the flat service still holds nested records")
	}
	// Parent ids come from where a record is nested.
	checks := []struct{ what, got, want string }{
		{"org phone organization_id", find(t, d.Phones, id("0c", 1)).OrganizationID, org},
		{"service phone service_id", find(t, d.Phones, id("0c", 2)).ServiceID, svc},
		{"contact phone contact_id", find(t, d.Phones, id("0c", 3)).ContactID, id("2e", 1)},
		{"contact phone service_id", find(t, d.Phones, id("0c", 3)).ServiceID, ""},
		{"phone language phone_id", find(t, d.Languages, id("1a", 1)).PhoneID, id("0c", 2)},
		{"location language location_id", find(t, d.Languages, id("1a", 2)).LocationID, loc},
		{"service language service_id", find(t, d.Languages, id("1a", 3)).ServiceID, svc},
		{"identifier organization_id", d.OrganizationIdentifiers[0].OrganizationID, org},
		{"program organization_id", d.Programs[0].OrganizationID, org},
		{"org funding organization_id", find(t, d.Funding, id("0d", 1)).OrganizationID, org},
		{"service funding service_id", find(t, d.Funding, id("0d", 2)).ServiceID, svc},
		{"service schedule service_id", find(t, d.Schedules, id("1b", 1)).ServiceID, svc},
		{"sal schedule service_at_location_id", find(t, d.Schedules, id("1b", 2)).ServiceAtLocationID, id("1d", 1)},
		{"sal service_id", d.ServiceAtLocations[0].ServiceID, svc},
		{"sal location_id", d.ServiceAtLocations[0].LocationID, loc},
		{"address location_id", d.Addresses[0].LocationID, loc},
		{"accessibility location_id", d.Accessibility[0].LocationID, loc},
		{"area service_id", d.ServiceAreas[0].ServiceID, svc},
		{"cost service_id", d.CostOptions[0].ServiceID, svc},
		{"document service_id", d.RequiredDocuments[0].ServiceID, svc},
		{"contact service_id", d.Contacts[0].ServiceID, svc},
		{"location attribute link_id", find(t, d.Attributes, id("2b", 1)).LinkID, loc},
		{"location attribute link_type", find(t, d.Attributes, id("2b", 1)).LinkType, "location"},
		{"service attribute link_id", find(t, d.Attributes, id("2b", 2)).LinkID, svc},
		{"service attribute link_type", find(t, d.Attributes, id("2b", 2)).LinkType, "service"},
		{"service attribute term", find(t, d.Attributes, id("2b", 2)).TaxonomyTermID, id("3a", 1)},
		{"given link_type kept", find(t, d.Attributes, id("2b", 3)).LinkType, "eligibility"},
		{"term taxonomy_id from taxonomy_detail", find(t, d.TaxonomyTerms, id("3a", 1)).TaxonomyID, id("3b", 1)},
		{"org metadata resource", find(t, d.Metadata, id("0e", 1)).ResourceID + " " + find(t, d.Metadata, id("0e", 1)).ResourceType, org + " organization"},
		{"service metadata resource", find(t, d.Metadata, id("0e", 2)).ResourceID + " " + find(t, d.Metadata, id("0e", 2)).ResourceType, svc + " service"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if p := find(t, d.Phones, id("0c", 2)); p.Extension == nil || *p.Extension != 12 {
		t.Errorf("phone extension = %v", p.Extension)
	}
	if l := d.Locations[0]; *l.Latitude != 53.2307 || *l.Longitude != -0.5406 {
		t.Errorf("location = %+v", l)
	}
}

func TestReadPageDeduplicatesSharedRecords(t *testing.T) {
	d := readFixture(t, "page.json", "")
	wantCounts(t, d, map[string]int{"service": 3, "organization": 1, "service_at_location": 2, "location": 1, "address": 1})
	wantValid(t, d)
	for _, s := range d.Services {
		if s.OrganizationID != id("0a", 11) {
			t.Errorf("service %s organization_id = %q", s.ID, s.OrganizationID)
		}
	}
	// The location's second copy has fewer fields but the same values for
	// those it has; nested arrays are not compared.
	if l := d.Locations[0]; l.Name != "Hillside Hub" || l.LocationType != "physical" {
		t.Errorf("location = %+v", l)
	}
}

func TestReadOrganizationPackage(t *testing.T) {
	d := readFixture(t, "organizations.json", "")
	wantCounts(t, d, map[string]int{"organization": 2, "service": 1, "phone": 1, "location": 1})
	wantValid(t, d)
	if got := d.Services[0].OrganizationID; got != id("0a", 21) {
		t.Errorf("service organization_id = %q", got)
	}
	if got := d.Locations[0].OrganizationID; got != id("0a", 21) {
		t.Errorf("location organization_id = %q", got)
	}
	if got := d.Phones[0].ServiceID; got != id("5e", 21) {
		t.Errorf("phone service_id = %q", got)
	}
}

func TestReadNDJSON(t *testing.T) {
	for _, format := range []string{"", FormatNDJSON} {
		d := readFixture(t, "services.ndjson", format)
		wantCounts(t, d, map[string]int{"service": 2, "organization": 2, "taxonomy_term": 1, "taxonomy": 1})
		wantValid(t, d)
		if got := find(t, d.Organizations, id("0a", 32)).Name; got != "Valley Council" {
			t.Errorf("wrapped organization name = %q", got)
		}
		if got := d.Taxonomies[0].Version; got != "2" {
			t.Errorf("taxonomy version = %q", got)
		}
	}
	// Without the file extension, ndjson is told from its first line.
	data, err := os.ReadFile("testdata/services.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(strings.NewReader(string(data)), "stdin", "")
	if err != nil {
		t.Fatalf("Read(auto): %v", err)
	}
	if len(d.Services) != 2 || len(d.Organizations) != 2 {
		t.Errorf("auto-detected ndjson: %v", d.Counts())
	}
}

func TestReadFormatsAndShapes(t *testing.T) {
	svc := `{"id":"` + id("5e", 71) + `","name":"Ashside Clinic","status":"active"}`
	org := `{"id":"` + id("0a", 71) + `","name":"Ashside","description":"d","services":[` + svc + `]}`
	org2 := `{"id":"` + id("0a", 72) + `","name":"Ashside","description":"d","website":"https://ash.example"}`
	sal := `{"id":"` + id("1d", 71) + `","service_id":"` + id("5e", 71) + `","location_id":"` + id("1e", 71) +
		`","location":{"id":"` + id("1e", 71) + `","location_type":"virtual"},"service":` + svc + `}`
	tests := []struct {
		name, input, format string
		want                map[string]int
	}{
		{"one service", svc, "", map[string]int{"service": 1}},
		{"array of services", "[" + svc + "]", "hsds-json", map[string]int{"service": 1}},
		{"byte order mark", "\ufeff[" + svc + "]", "", map[string]int{"service": 1}},
		{"empty array", "[]", "", map[string]int{}},
		{"page", `{"total_items":1,"contents":[` + svc + `]}`, "", map[string]int{"service": 1}},
		{"page with contents first", `{"contents":[` + svc + `],"total_items":1}`, "", map[string]int{"service": 1}},
		{"page of organizations", `{"total_items":1,"contents":[` + org + `]}`, "", map[string]int{"organization": 1, "service": 1}},
		{"array of service_at_locations", "[" + sal + "]", "", map[string]int{"service_at_location": 1, "location": 1, "service": 1}},
		{"null contents", `{"total_items":0,"contents":null}`, "", map[string]int{}},
		{"ndjson told by its first line", svc + "\n\n" + org2, "", map[string]int{"service": 1, "organization": 1}},
		{"pretty ndjson read as JSON", "{\n" + svc[1:] + "\n" + svc, "", map[string]int{"service": 1}},
		{"pretty objects of two kinds", "{\n" + svc[1:] + "\n{\n" + org2[1:], "", map[string]int{"service": 1, "organization": 1}},
		{"single taxonomy with terms", `{"id":"` + id("3b", 71) + `","name":"T","description":"d","taxonomy_terms":[{"id":"` + id("3a", 71) + `","name":"a","description":"b"}]}`,
			"", map[string]int{"taxonomy": 1, "taxonomy_term": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(strings.NewReader(tt.input), "in.json", tt.format)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			wantCounts(t, d, tt.want)
		})
	}
	d, err := Read(strings.NewReader("["+sal+"]"), "in.json", "")
	if err != nil {
		t.Fatal(err)
	}
	if l := d.Locations[0]; l.LocationType != "virtual" || d.ServiceAtLocations[0].LocationID != l.ID {
		t.Errorf("nested location: %+v", d)
	}
}

func TestReadORUKv1(t *testing.T) {
	d := readFixture(t, "oruk-v1-page.json", "")
	wantCounts(t, d, map[string]int{
		"service": 2, "organization": 1, "contact": 2, "phone": 2, "language": 3, "cost_option": 1, "funding": 1,
		"schedule": 6, "service_area": 2, "service_at_location": 1, "location": 1, "address": 1, "accessibility": 1,
		"attribute": 6, "taxonomy_term": 5, "taxonomy": 3,
	})
	wantValid(t, d)
	v1 := func(entity, id string) string { return directory.NameUUID("oruk-v1:" + entity + ":" + id) }
	sid := v1("service", "svc-101")

	s := find(t, d.Services, sid)
	if s.Name != "Meadow Carers Café" || s.AssuredDate != "2024-03-01" || s.Status != "active" || s.OrganizationID != v1("organization", "org-7") ||
		*s.MinimumAge != 16 || *s.MaximumAge != 80 || s.Fees != "Free" {
		t.Errorf("service = %+v", s)
	}
	s2 := find(t, d.Services, v1("service", "102"))
	if s2.Status != "active" || s2.MinimumAge != nil {
		t.Errorf("second service = %+v", s2)
	}
	if o := d.Organizations[0]; o.Website != "https://meadow.example" || o.Logo == "" || o.URI != "https://meadow.example/id" {
		t.Errorf("organization = %+v", o)
	}

	contact := find(t, d.Contacts, v1("contact", "c-1"))
	phone := find(t, d.Phones, v1("phone", "p-1"))
	if contact.ServiceID != sid || phone.ContactID != contact.ID || phone.Number != "01000 100001" {
		t.Errorf("contact %+v phone %+v", contact, phone)
	}
	// Children with no id get one from their parent and position.
	walkContact := directory.NameUUID("oruk-v1:contact:" + s2.ID + "#0")
	walkPhone := find(t, d.Phones, directory.NameUUID("oruk-v1:phone:"+walkContact+"#0"))
	if walkPhone.ContactID != walkContact || find(t, d.Contacts, walkContact).Name != "Walk leader" {
		t.Errorf("generated ids: phone %+v", walkPhone)
	}
	if l := find(t, d.Languages, directory.NameUUID("oruk-v1:phone_language:"+phone.ID+"#0")); l.PhoneID != phone.ID || l.Name != "English" {
		t.Errorf("phone language = %+v", l)
	}
	if l := find(t, d.Languages, v1("language", "l-2")); l.ServiceID != sid || l.Name != "Polish" {
		t.Errorf("language = %+v", l)
	}
	if c := d.CostOptions[0]; *c.Amount != 2.5 || c.Currency != "GBP" || c.ValidTo != "2024-12-31" || c.Option != "Per visit" {
		t.Errorf("cost option = %+v", c)
	}
	if f := d.Funding[0]; f.ServiceID != sid || f.Source != "Lottery grant" {
		t.Errorf("funding = %+v", f)
	}

	// Eligibility texts become attributes with a term in one taxonomy;
	// "adult" in both services is one term.
	eligTax := directory.NameUUID("oruk-v1:taxonomy:ORUK v1 eligibility")
	adult := find(t, d.TaxonomyTerms, directory.NameUUID("oruk-v1:eligibility-term:adult"))
	if adult.Name != "adult" || adult.TaxonomyID != eligTax || adult.Taxonomy != "ORUK v1 eligibility" {
		t.Errorf("adult term = %+v", adult)
	}
	if a := find(t, d.Attributes, v1("eligibility", "e-3")); a.LinkID != s2.ID || a.LinkType != "service" || a.TaxonomyTermID != adult.ID || a.Value != "adult" {
		t.Errorf("eligibility attribute = %+v", a)
	}

	type sched struct{ byday, freq, opens, closes, from, to, desc string }
	wantSched := map[string]sched{
		v1("regular_schedule", "rs-1"): {"TU", "WEEKLY", "10:00:00", "12:00:00", "2024-01-01", "", "Weekly"},
		v1("regular_schedule", "rs-2"): {"TH", "WEEKLY", "14:00:00", "16:00", "", "", ""},
		v1("regular_schedule", "rs-3"): {"1MO", "MONTHLY", "09:30", "11:00", "", "", ""},
		v1("regular_schedule", "rs-9"): {"SA", "WEEKLY", "09:00", "10:00", "", "", ""},
		v1("holiday_schedule", "h-1"):  {"", "", "", "", "2024-12-24", "2025-01-02", "closed"},
		v1("holiday_schedule", "h-2"):  {"", "", "10:00", "12:00", "2024-08-26", "2024-08-26", "open"},
	}
	for sid2, w := range wantSched {
		sc := find(t, d.Schedules, sid2)
		got := sched{sc.ByDay, sc.Freq, sc.OpensAt, sc.ClosesAt, sc.ValidFrom, sc.ValidTo, sc.Description}
		if got != w {
			t.Errorf("schedule %s = %+v, want %+v", sid2, got, w)
		}
	}
	if sc := find(t, d.Schedules, v1("regular_schedule", "rs-2")); sc.Interval == nil || *sc.Interval != 2 || sc.ServiceID != sid {
		t.Errorf("rs-2 = %+v", sc)
	}
	if sc := find(t, d.Schedules, v1("regular_schedule", "rs-9")); sc.ServiceAtLocationID != v1("service_at_location", "sal-1") || sc.ServiceID != "" {
		t.Errorf("rs-9 = %+v", sc)
	}

	if a := find(t, d.ServiceAreas, v1("service_area", "sa-1")); a.Name != "Meadow ward" || a.Extent != "" || a.ExtentType != "" || a.URI == "" {
		t.Errorf("area = %+v", a)
	}
	if a := find(t, d.ServiceAreas, v1("service_area", "sa-2")); a.ExtentType != "geojson" || !strings.Contains(a.Extent, "Point") {
		t.Errorf("area = %+v", a)
	}

	loc := d.Locations[0]
	if loc.ID != v1("location", "loc-1") || loc.LocationType != "physical" || *loc.Latitude != 52.01 || *loc.Longitude != -1.02 || loc.Name != "Meadow Hall" {
		t.Errorf("location = %+v", loc)
	}
	if sl := d.ServiceAtLocations[0]; sl.ServiceID != sid || sl.LocationID != loc.ID {
		t.Errorf("service at location = %+v", sl)
	}
	if a := d.Addresses[0]; a.LocationID != loc.ID || a.Address1 != "3 Demo Lane" || a.City != "Meadow" || a.StateProvince != "Exampleshire" ||
		a.Country != "GB" || a.AddressType != "physical" || a.PostalCode != "ZZ3 3CC" {
		t.Errorf("address = %+v", a)
	}
	if a := d.Accessibility[0]; a.LocationID != loc.ID || a.Description != "Hearing loop" {
		t.Errorf("accessibility = %+v", a)
	}

	carers := find(t, d.TaxonomyTerms, v1("taxonomy", "esdServiceTypes:123"))
	if carers.Code != "esdServiceTypes:123" || carers.Name != "Carers support" || carers.Description != "Carers support" ||
		carers.ParentID != v1("taxonomy", "esdServiceTypes:1") || carers.TaxonomyID != directory.NameUUID("oruk-v1:vocabulary:esdServiceTypes") {
		t.Errorf("taxonomy term = %+v", carers)
	}
	if orphan := find(t, d.TaxonomyTerms, v1("taxonomy", "bccsource:Org")); orphan.ParentID != "" {
		t.Errorf("a parent missing from the file was kept: %+v", orphan)
	}
	if a := find(t, d.Attributes, v1("service_taxonomy", "st-1")); a.LinkID != sid || a.TaxonomyTermID != carers.ID {
		t.Errorf("service taxonomy attribute = %+v", a)
	}

	// The same feed read again gives the same ids.
	again := readFixture(t, "oruk-v1-page.json", FormatORUKv1)
	if msg := diffDatasets(d, again); msg != "" {
		t.Errorf("a second read differs: %s", msg)
	}
}

func TestReadORUKv1Shapes(t *testing.T) {
	v1svc := `{"id":"7","name":"Birch Advice","regular_schedules":[{"id":"r","weekday":"Friday","opens_at":"09:00","closes_at":"10:00"}]}`
	for _, tt := range []struct{ name, input, format string }{
		{"single service", v1svc, ""},
		{"array", "[" + v1svc + "]", ""},
		{"v1 page named contents", `{"totalElements":1,"contents":[` + v1svc + `]}`, ""},
		{"plain service forced to v1", `{"id":"7","name":"Birch Advice","regular_schedules":[{"id":"r","weekday":"fri","opens_at":"09:00","closes_at":"10:00"}]}`, FormatORUKv1},
		{"ndjson line", v1svc + "\n" + v1svc + "\n", FormatNDJSON},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(strings.NewReader(tt.input), "v1.json", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Services) != 1 || d.Services[0].ID != directory.NameUUID("oruk-v1:service:7") || d.Schedules[0].ByDay != "FR" {
				t.Errorf("got %+v", d)
			}
		})
	}
}

func TestWeekdayCode(t *testing.T) {
	for in, want := range map[string]string{
		"Monday": "MO", "tue": "TU", "WE": "WE", "thursday": "TH", "Fri": "FR", "6": "SA", "7": "SU", "0": "SU", "1": "MO",
		"": "", "8": "8", "M": "M", "Someday": "Someday",
	} {
		if got := weekdayCode(in); got != want {
			t.Errorf("weekdayCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadCSVPackage(t *testing.T) {
	for _, path := range []string{"csv", "csv/datapackage.json"} {
		d := readFixture(t, path, "")
		wantCounts(t, d, map[string]int{
			"organization": 2, "service": 2, "location": 1, "service_at_location": 1, "address": 1, "phone": 1,
			"schedule": 1, "taxonomy": 1, "taxonomy_term": 2, "attribute": 1,
		})
		wantValid(t, d)
		o := find(t, d.Organizations, id("0a", 41))
		if o.Description != "A fictional charity, with a comma" || *o.YearIncorporated != 2004 {
			t.Errorf("organization = %+v", o)
		}
		if o := find(t, d.Organizations, id("0a", 42)); o.Description != "A fictional parish.\nTwo lines of description." || o.Email != "" || o.YearIncorporated != nil {
			t.Errorf("organization = %+v", o)
		}
		s := find(t, d.Services, id("5e", 41))
		if *s.MinimumAge != 16 || s.MaximumAge != nil || s.AssuredDate != "2025-02-01" || s.Description != "Counselling, in person" {
			t.Errorf("service = %+v", s)
		}
		if p := d.Phones[0]; *p.Extension != 201 {
			t.Errorf("phone = %+v", p)
		}
		if sc := d.Schedules[0]; *sc.Interval != 2 || sc.ByDay != "WE" {
			t.Errorf("schedule = %+v", sc)
		}
	}
	// Without datapackage.json the HSDS file names are read.
	dir := t.TempDir()
	for _, f := range []string{"services.csv", "organizations.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata/csv", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	d, err := ReadFile(dir, FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, d, map[string]int{"organization": 2, "service": 2})
}

func TestReadErrors(t *testing.T) {
	bad := func(name string) string { return filepath.Join("testdata", "bad", name) }
	tests := []struct {
		name, path, format string
		want               apperr.FieldError // Msg: a part of the message
	}{
		{"invalid JSON", bad("syntax.json"), "", apperr.FieldError{File: bad("syntax.json"), Line: 3, Column: 78,
			Msg: `invalid JSON: invalid character '"' after object key:value pair`}},
		{"wrong type", bad("type.json"), "", apperr.FieldError{File: bad("type.json"), Line: 8, Column: 18,
			Record: "service " + id("5e", 53), Field: "minimum_age", Msg: "expected a number, found a string"}},
		{"duplicate id", bad("duplicate-id.json"), "", apperr.FieldError{File: bad("duplicate-id.json"), Line: 4, Column: 3,
			Record: "phone " + id("0c", 57), Field: "id", Msg: "duplicate id: the file has two different phone records with this id"}},
		{"empty file", bad("empty.json"), "", apperr.FieldError{File: bad("empty.json"), Msg: "file is empty"}},
		{"CSV bad number", bad("csv-number"), "", apperr.FieldError{File: filepath.Join(bad("csv-number"), "services.csv"), Line: 3, Column: 4,
			Record: "service " + id("5e", 62), Field: "minimum_age", Msg: `"ten" is not a number`}},
		{"CSV bad row", bad("csv-row"), "csv", apperr.FieldError{File: filepath.Join(bad("csv-row"), "services.csv"), Line: 3, Column: 46,
			Msg: `invalid CSV: bare " in non-quoted-field`}},
		{"missing file", bad("nothing-here.json"), "", apperr.FieldError{File: bad("nothing-here.json"), Msg: "cannot open: no such file or directory"}},
		{"folder read as JSON", bad("csv-row"), "hsds-json", apperr.FieldError{File: bad("csv-row"), Msg: "is a folder"}},
		{"file read as CSV", bad("type.json"), "csv", apperr.FieldError{File: bad("type.json"), Msg: "a CSV datapackage is read from its folder"}},
		{"unknown format", bad("type.json"), "xml", apperr.FieldError{File: bad("type.json"), Msg: `unknown format "xml"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFile(tt.path, tt.format)
			checkFieldError(t, err, tt.want)
		})
	}
}

func checkFieldError(t *testing.T, err error, want apperr.FieldError) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, apperr.Invalid) {
		t.Errorf("%v is not apperr.Invalid", err)
	}
	var fe *apperr.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("%T %v is not a FieldError", err, err)
	}
	got := *fe
	if got.File != want.File || got.Line != want.Line || got.Column != want.Column || got.Record != want.Record ||
		got.Field != want.Field || !strings.Contains(got.Msg, want.Msg) {
		t.Errorf("error  %#v\nwant   %#v (Msg a part)", got, want)
	}
}

func TestReadStreamErrors(t *testing.T) {
	svc := func(extra string) string {
		return `{"id":"` + id("5e", 81) + `","name":"Pine Clinic","status":"active"` + extra + `}`
	}
	tests := []struct {
		name, input, format string
		want                apperr.FieldError
	}{
		{"white space only", " \n\t\n", "", apperr.FieldError{Msg: "file is empty"}},
		{"nothing", "", "ndjson", apperr.FieldError{Msg: "file is empty"}},
		{"a string", `"hello"`, "", apperr.FieldError{Line: 1, Column: 1, Msg: "holds an object or an array, not a string"}},
		{"garbage first byte", "\x00\x01", "", apperr.FieldError{Line: 1, Column: 1, Msg: "invalid JSON: invalid character '\\x00'"}},
		{"truncated array", "[\n" + svc(""), "", apperr.FieldError{Line: 2, Column: 85, Msg: "unexpected end of file"}},
		{"truncated record", "[\n" + svc("")[:30], "", apperr.FieldError{Line: 2, Column: 31, Msg: "unexpected end of file"}},
		{"missing comma in array", "[" + svc("") + "\n  " + svc("") + "]", "", apperr.FieldError{Line: 2, Column: 3, Msg: "expected a comma or ], found '{'"}},
		{"trailing data", svc("") + " x", "", apperr.FieldError{Line: 1, Column: 86, Msg: "invalid JSON: unexpected 'x' after the end of the top-level value"}},
		{"trailing data after array", "[]\n]", "", apperr.FieldError{Line: 2, Column: 1, Msg: "unexpected ']' after the end of the top-level value"}},
		{"control character in string", "[\n  {\"id\": \"a\x01b\"}]", "", apperr.FieldError{Line: 2, Column: 12, Msg: "invalid JSON: invalid character '\\x01' in string literal"}},
		{"element not an object", `[1]`, "", apperr.FieldError{Line: 1, Column: 2, Msg: "expected a record (a JSON object), found a number"}},
		{"contents not an array", `{"total_items":1,"contents":"x"}`, "", apperr.FieldError{Line: 1, Column: 29, Msg: "expected an array of records, found a string"}},
		{"wrong type nested in array", "[\n" + svc(`,"phones":[{"number":"1"},{"number":2}]`) + "]", "", apperr.FieldError{Line: 2, Column: 120,
			Record: "service " + id("5e", 81), Field: "phones[1].number", Msg: "expected a string, found a number"}},
		{"object for a number", svc(`,"minimum_age":{"years":10}`), "", apperr.FieldError{Line: 1, Column: 99,
			Record: "service " + id("5e", 81), Field: "minimum_age", Msg: "expected a number, found an object"}},
		{"escaped quote in bad string", svc(`,"maximum_age":"a\"b"`), "", apperr.FieldError{Line: 1, Column: 99,
			Record: "service " + id("5e", 81), Field: "maximum_age", Msg: "expected a number, found a string"}},
		{"id of wrong type", `{"id":5,"name":"x","status":"active"}`, "", apperr.FieldError{Line: 1, Column: 7, Field: "id", Msg: "expected a string, found a number"}},
		{"ndjson syntax", svc("") + "\n" + `{"id": }` + "\n", "ndjson", apperr.FieldError{Line: 2, Column: 8, Msg: "invalid JSON: invalid character '}'"}},
		{"ndjson type", svc("") + "\n\n   " + svc(`,"minimum_age":"x"`) + "\n", "ndjson", apperr.FieldError{Line: 3, Column: 102,
			Record: "service " + id("5e", 81), Field: "minimum_age", Msg: "expected a number, found a string"}},
		{"ndjson not an object", "[1]\n", "ndjson", apperr.FieldError{Line: 1, Column: 1, Msg: "expected a record (a JSON object), found a number"}},
		{"ndjson wrapped record", `{"phone":{"id":"` + id("0c", 81) + `","number":5}}`, "ndjson", apperr.FieldError{Line: 1, Column: 64,
			Record: "phone " + id("0c", 81), Field: "number", Msg: "expected a string, found a number"}},
		{"v1 bad number", `{"content":[{"id":"s1","name":"x","eligibilitys":[{"minimum_age":"ten"}]}]}`, "", apperr.FieldError{Line: 1, Column: 13,
			Record: "service s1", Field: "eligibilitys.minimum_age", Msg: "expected a number, found a string"}},
		{"nested parent mismatch", svc(`,"phones":[{"id":"` + id("0c", 82) + `","service_id":"` + id("5e", 99) + `","number":"1"}]`), "", apperr.FieldError{Line: 1, Column: 1,
			Record: "phone " + id("0c", 82), Field: "service_id", Msg: "but the phone is nested in the record with id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.input), "in.json", tt.format)
			tt.want.File = "in.json"
			checkFieldError(t, err, tt.want)
		})
	}
}

func TestReadThenValidate(t *testing.T) {
	d := readFixture(t, "bad/missing-name.json", "")
	err := directory.Validate(d, nil)
	checkFieldError(t, err, apperr.FieldError{Record: "service " + id("5e", 55), Field: "name", Msg: "is required"})

	d = readFixture(t, "bad/unknown-term.json", "")
	err = directory.Validate(d, nil)
	checkFieldError(t, err, apperr.FieldError{Record: "attribute " + id("2b", 56), Field: "taxonomy_term_id",
		Msg: `unknown taxonomy term "3a000000-0000-4000-8000-0000000000ff" (the attribute of service ` + id("5e", 56) + ")"})
	// A term already stored is fine.
	if err := directory.Validate(d, func(table, tid string) bool {
		return table == "taxonomy_term" && tid == "3a000000-0000-4000-8000-0000000000ff"
	}); err != nil {
		t.Errorf("Validate with the term stored: %v", err)
	}
}
