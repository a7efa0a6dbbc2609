package hsds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"throughcare/internal/directory"
)

// diffDatasets describes the first difference between two datasets, each
// table compared as a set of rows, or returns "".
func diffDatasets(a, b *directory.Dataset) string {
	for _, t := range directory.Tables {
		ra, rb := sortedRows(t, a), sortedRows(t, b)
		if len(ra) != len(rb) {
			return fmt.Sprintf("%s: %d rows, then %d", t.Name, len(ra), len(rb))
		}
		for i := range ra {
			if !reflect.DeepEqual(ra[i], rb[i]) {
				return fmt.Sprintf("%s row %d:\n  %q\n  %q", t.Name, i, ra[i], rb[i])
			}
		}
	}
	return ""
}

func sortedRows(t *directory.Table, d *directory.Dataset) [][]string {
	rows := make([][]string, t.Len(d))
	for i := range rows {
		rows[i] = t.Strings(d, i)
	}
	slices.SortFunc(rows, func(x, y []string) int { return slices.Compare(x, y) })
	return rows
}

// merge appends every row of src to dst. (It appends field by field on
// purpose: copying through reflect.AppendSlice let the compiler keep a
// literal src on the stack while its pointers were copied to the heap.)
func merge(dst, src *directory.Dataset) {
	dst.Organizations = append(dst.Organizations, src.Organizations...)
	dst.OrganizationIdentifiers = append(dst.OrganizationIdentifiers, src.OrganizationIdentifiers...)
	dst.Programs = append(dst.Programs, src.Programs...)
	dst.Services = append(dst.Services, src.Services...)
	dst.Locations = append(dst.Locations, src.Locations...)
	dst.ServiceAtLocations = append(dst.ServiceAtLocations, src.ServiceAtLocations...)
	dst.Addresses = append(dst.Addresses, src.Addresses...)
	dst.Phones = append(dst.Phones, src.Phones...)
	dst.Contacts = append(dst.Contacts, src.Contacts...)
	dst.Schedules = append(dst.Schedules, src.Schedules...)
	dst.ServiceAreas = append(dst.ServiceAreas, src.ServiceAreas...)
	dst.Languages = append(dst.Languages, src.Languages...)
	dst.Accessibility = append(dst.Accessibility, src.Accessibility...)
	dst.CostOptions = append(dst.CostOptions, src.CostOptions...)
	dst.Funding = append(dst.Funding, src.Funding...)
	dst.RequiredDocuments = append(dst.RequiredDocuments, src.RequiredDocuments...)
	dst.Taxonomies = append(dst.Taxonomies, src.Taxonomies...)
	dst.TaxonomyTerms = append(dst.TaxonomyTerms, src.TaxonomyTerms...)
	dst.Attributes = append(dst.Attributes, src.Attributes...)
	dst.Metadata = append(dst.Metadata, src.Metadata...)
}

// richDataset holds every fixture plus rows that only a careful export
// keeps: records no service reaches, children of several parents, and tags
// with no link_type or resource_type.
func richDataset(t *testing.T) *directory.Dataset {
	t.Helper()
	d := &directory.Dataset{}
	for _, f := range []string{"service.json", "page.json", "organizations.json", "services.ndjson", "oruk-v1-page.json", "csv"} {
		merge(d, readFixture(t, f, ""))
	}
	x := func(n int) string { return id("ff", n) }
	svc, org, loc := id("5e", 1), id("0a", 1), id("1e", 1)
	merge(d, &directory.Dataset{
		Organizations: []directory.Organization{{ID: x(1), Name: "Lonely Org", Description: "No services, no children"}},
		Programs:      []directory.Program{{ID: x(2), OrganizationID: org, Name: "Second programme", Description: "No services"}},
		Locations: []directory.Location{
			{ID: x(3), LocationType: "virtual", URL: "https://lonely.example", Name: "Online only"},
			{ID: x(4), LocationType: "physical", OrganizationID: org, Name: "Org site with no services", Latitude: num(0), Longitude: num(-0.000001)},
		},
		Contacts: []directory.Contact{
			{ID: x(5), LocationID: x(4), Name: "Site manager"},
			{ID: x(6), ServiceID: svc, LocationID: loc, OrganizationID: org, Name: "Shared contact"},
		},
		Phones: []directory.Phone{
			{ID: x(7), ContactID: x(6), ServiceID: svc, Number: "01000 999999"},
			{ID: x(8), LocationID: x(3), Number: "0800 000000", Extension: num(1.5)},
			{ID: x(9), ContactID: id("ee", 1), Number: "dangling contact"},
		},
		Schedules: []directory.Schedule{{ID: x(10), LocationID: x(4), Description: "Open\nsometimes, \"maybe\"", Timezone: num(1)}},
		Languages: []directory.Language{{ID: x(11), Name: "Nobody's"}},
		Funding:   []directory.Funding{{ID: x(12), OrganizationID: x(1), Source: "Lonely grant"}},
		TaxonomyTerms: []directory.TaxonomyTerm{
			{ID: x(13), Name: "Unused", Description: "A term nothing uses", TaxonomyID: id("3b", 1), ParentID: id("3a", 1)},
			{ID: x(14), Name: "No taxonomy", Description: "A loose term"},
		},
		Taxonomies: []directory.Taxonomy{{ID: x(15), Name: "Unused taxonomy", Description: "Has no terms", URI: "https://tax.example"}},
		Attributes: []directory.Attribute{
			{ID: x(16), LinkID: svc, TaxonomyTermID: x(13), Value: "no link_type"},
			{ID: x(17), LinkID: x(13), LinkType: "taxonomy_term", TaxonomyTermID: x(14)},
			{ID: x(18), LinkID: x(7), LinkType: "phone", LinkEntity: "phone", TaxonomyTermID: x(14), Value: "on a phone"},
		},
		Metadata: []directory.Metadata{
			{ID: x(19), ResourceID: svc, LastActionDate: "2025-03-01", LastActionType: "update", FieldName: "name", UpdatedBy: "no resource type"},
			{ID: x(20), ResourceID: x(13), ResourceType: "taxonomy_term", LastActionDate: "2025-03-01", LastActionType: "create", FieldName: "*", UpdatedBy: "t"},
			{ID: x(21), ResourceID: x(18), ResourceType: "attribute", LastActionDate: "2025-03-01", LastActionType: "create", FieldName: "*", UpdatedBy: "t"},
			{ID: x(22), ResourceID: id("ee", 2), ResourceType: "service", LastActionDate: "2025-03-01", LastActionType: "delete", FieldName: "*", UpdatedBy: "t"},
		},
	})
	return d
}

func TestRoundTrip(t *testing.T) {
	d0 := richDataset(t)
	for _, format := range []string{FormatHSDSJSON, FormatNDJSON, FormatCSV} {
		t.Run(format, func(t *testing.T) {
			d := d0
			for round := 1; round <= 2; round++ {
				got := writeAndRead(t, d, format)
				if msg := diffDatasets(d, got); msg != "" {
					t.Fatalf("round %d: %s", round, msg)
				}
				d = got
			}
		})
	}
}

// writeAndRead exports d in format and reads the export back.
func writeAndRead(t *testing.T, d *directory.Dataset, format string) *directory.Dataset {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export")
	var err error
	switch format {
	case FormatCSV:
		err = WriteCSVPackage(path, d)
	default:
		var buf bytes.Buffer
		if format == FormatNDJSON {
			err = WriteNDJSON(&buf, directory.NewIndex(d))
		} else {
			err = WriteJSON(&buf, directory.NewIndex(d))
		}
		if err == nil {
			err = os.WriteFile(path, buf.Bytes(), 0o644)
		}
	}
	if err != nil {
		t.Fatalf("write %s: %v", format, err)
	}
	got, err := ReadFile(path, format)
	if err != nil {
		t.Fatalf("read %s back: %v", format, err)
	}
	return got
}

func TestWriteJSONShape(t *testing.T) {
	d := richDataset(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, directory.NewIndex(d)); err != nil {
		t.Fatal(err)
	}
	var page map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &page); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	var total int
	var contents []map[string]json.RawMessage
	json.Unmarshal(page["total_items"], &total)
	json.Unmarshal(page["contents"], &contents)
	if total != len(d.Services) || len(contents) != len(d.Services) {
		t.Errorf("total_items %d, %d contents, want %d", total, len(contents), len(d.Services))
	}
	for _, c := range contents {
		if _, ok := c["status"]; !ok {
			t.Errorf("a content item is not a service: %s", c["id"])
		}
	}
	// The records no service reaches follow, named after their tables.
	var extras []string
	for k := range page {
		if tableForKey(k) != "" {
			extras = append(extras, k)
		}
	}
	slices.Sort(extras)
	want := []string{"attributes", "languages", "locations", "metadata", "organizations", "phones", "taxonomies", "taxonomy_terms"}
	if !slices.Equal(extras, want) {
		t.Errorf("extra arrays %v, want %v", extras, want)
	}
	var orgs []directory.Organization
	json.Unmarshal(page["organizations"], &orgs)
	names := map[string]bool{}
	for _, o := range orgs {
		names[o.Name] = true
	}
	if !names["Lonely Org"] || !names["Valley Council"] || !names["Lakeside Advice Centre"] || !names["Brookside Parish"] {
		t.Errorf("organisations without services: %v", names)
	}
	for _, o := range orgs {
		if o.Name == "Lonely Org" && (len(o.Funding) != 1 || o.Funding[0].Source != "Lonely grant") {
			t.Errorf("the lonely organisation's funding is not nested: %+v", o)
		}
	}

	// A shared record is written in full once.
	first := contents[0]
	var org directory.Organization
	json.Unmarshal(first["organization"], &org)
	if len(org.OrganizationIdentifiers) != 1 || len(org.Programs) != 2 || len(org.Locations) != 1 ||
		len(org.Locations[0].Contacts) != 1 || len(org.Locations[0].Schedules) != 1 {
		t.Errorf("the first service's organisation is not fully nested: %+v", org)
	}
	if n := strings.Count(buf.String(), `"identifier":"1000001"`); n != 1 {
		t.Errorf("the organisation identifier appears %d times", n)
	}
}

func TestWriteNDJSONShape(t *testing.T) {
	d := richDataset(t)
	var buf bytes.Buffer
	if err := WriteNDJSON(&buf, directory.NewIndex(d)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, l := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		_, isService := m["status"]
		if (i < len(d.Services)) != isService {
			t.Errorf("line %d: services first, then wrapped records: %.80s", i+1, l)
		}
		if !isService && len(m) != 1 {
			t.Errorf("line %d: a wrapped record has one field: %.80s", i+1, l)
		}
	}
}

// largestWrite records the size of the biggest single Write.
type largestWrite struct{ n, max int }

func (w *largestWrite) Write(p []byte) (int, error) {
	w.n += len(p)
	w.max = max(w.max, len(p))
	return len(p), nil
}

func TestWriteJSONStreams(t *testing.T) {
	d := generated(3000)
	for _, write := range []func(*largestWrite) error{
		func(w *largestWrite) error { return WriteJSON(w, directory.NewIndex(d)) },
		func(w *largestWrite) error { return WriteNDJSON(w, directory.NewIndex(d)) },
	} {
		var w largestWrite
		if err := write(&w); err != nil {
			t.Fatal(err)
		}
		if w.n < 2<<20 || w.max > 128<<10 {
			t.Errorf("wrote %d bytes, %d at most in one write; want over 2 MiB in writes of at most 128 KiB", w.n, w.max)
		}
	}
}

func TestWriteCSVPackageDescriptor(t *testing.T) {
	d := readFixture(t, "service.json", "")
	dir := t.TempDir()
	if err := WriteCSVPackage(dir, d); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if len(files) != len(d.Counts())+1 || !slices.Contains(files, "services.csv") || slices.Contains(files, "meta_table_descriptions.csv") {
		t.Errorf("files %v: want one CSV per non-empty table and datapackage.json", files)
	}
	header, _ := os.ReadFile(filepath.Join(dir, "services.csv"))
	if first, _, _ := strings.Cut(string(header), "\n"); first != strings.Join(directory.TableNamed("service").Columns, ",") {
		t.Errorf("services.csv header = %s", first)
	}
	var dp struct {
		Profile   string `json:"profile"`
		Resources []struct {
			Name, Path string
			Schema     struct {
				Fields []struct {
					Name, Type, Format string
					Constraints        struct{ Required, Unique bool }
				}
				PrimaryKey string
			}
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "datapackage.json"))
	if err := json.Unmarshal(data, &dp); err != nil {
		t.Fatal(err)
	}
	if dp.Profile != "tabular-data-package" || len(dp.Resources) != len(d.Counts()) {
		t.Fatalf("datapackage = %s", data)
	}
	fields := map[string]string{}
	for _, r := range dp.Resources {
		if r.Schema.PrimaryKey != "id" {
			t.Errorf("%s primary key %q", r.Name, r.Schema.PrimaryKey)
		}
		for _, f := range r.Schema.Fields {
			fields[r.Name+"."+f.Name] = fmt.Sprintf("%s/%s/%v/%v", f.Type, f.Format, f.Constraints.Required, f.Constraints.Unique)
		}
	}
	for k, want := range map[string]string{
		"service.id": "string/uuid/true/true", "service.name": "string//true/false", "service.minimum_age": "number//false/false",
		"service.email": "string/email/false/false", "service.last_modified": "string/date-time/false/false",
		"service.organization_id": "string/uuid/false/false", "organization.website": "string/uri/false/false",
		"phone.extension": "number//false/false", "address.country": "string//true/false", "service.assured_date": "string//false/false",
	} {
		if fields[k] != want {
			t.Errorf("field %s = %q, want %q", k, fields[k], want)
		}
	}
}

func TestWriteCSVPackageFailure(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	if err := WriteCSVPackage(filepath.Join(file, "sub"), &directory.Dataset{}); err == nil {
		t.Error("writing under a file succeeded")
	}
}

// generated builds a directory of n services, each with an organisation
// shared by ten services, a location, phones, a schedule and a tag.
func generated(n int) *directory.Dataset {
	g := func(kind string, i int) string { return directory.NameUUID(fmt.Sprintf("bench:%s:%d", kind, i)) }
	d := &directory.Dataset{
		Taxonomies:    []directory.Taxonomy{{ID: g("tax", 0), Name: "Types", Description: "Generated"}},
		TaxonomyTerms: []directory.TaxonomyTerm{{ID: g("term", 0), Name: "Counselling", Description: "Generated", TaxonomyID: g("tax", 0)}},
	}
	for i := range n {
		if i%10 == 0 {
			d.Organizations = append(d.Organizations, directory.Organization{ID: g("org", i/10), Name: fmt.Sprintf("Organisation %d", i/10), Description: "A generated organisation for benchmarks."})
		}
		sid, lid := g("svc", i), g("loc", i)
		d.Services = append(d.Services, directory.Service{ID: sid, OrganizationID: g("org", i/10), Name: fmt.Sprintf("Service %d", i), Status: "active",
			Description: strings.Repeat("A generated service that helps people on probation with their mental health. ", 4),
			MinimumAge:  num(18), URL: "https://example.org/s", Email: "s@example.org"})
		d.Locations = append(d.Locations, directory.Location{ID: lid, LocationType: "physical", Name: "Site", Latitude: num(52 + float64(i%100)/100), Longitude: num(-1)})
		d.ServiceAtLocations = append(d.ServiceAtLocations, directory.ServiceAtLocation{ID: g("sal", i), ServiceID: sid, LocationID: lid})
		d.Addresses = append(d.Addresses, directory.Address{ID: g("addr", i), LocationID: lid, Address1: "1 Generated Road", City: "Town",
			StateProvince: "County", PostalCode: "ZZ9 9ZZ", Country: "GB", AddressType: "physical"})
		d.Phones = append(d.Phones, directory.Phone{ID: g("phone", i), ServiceID: sid, Number: "01000 000000"})
		d.Schedules = append(d.Schedules, directory.Schedule{ID: g("sched", i), ServiceID: sid, Freq: "WEEKLY", ByDay: "MO,WE", OpensAt: "09:00", ClosesAt: "17:00"})
		d.Attributes = append(d.Attributes, directory.Attribute{ID: g("attr", i), LinkID: sid, LinkType: "service", TaxonomyTermID: g("term", 0)})
	}
	return d
}
