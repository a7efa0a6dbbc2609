package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestMigrationSetsMatch(t *testing.T) {
	lite, err := store.Migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []store.Migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if !slices.Equal(names(lite), names(pg)) {
		t.Fatalf("sqlite migrations %v differ from postgres migrations %v", names(lite), names(pg))
	}
	if len(lite) == 0 {
		t.Fatal("no migrations embedded")
	}
}

func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", applied)
		}
	})
}

func ptr(f float64) *float64 { return &f }

// smallDirectory is one organisation with one service at one location,
// tagged with one taxonomy term.
func smallDirectory() *directory.Dataset {
	tax := directory.NameUUID("test:tax")
	term := directory.NameUUID("test:term")
	org := directory.NameUUID("test:org")
	svc := directory.NameUUID("test:svc")
	loc := directory.NameUUID("test:loc")
	return &directory.Dataset{
		Taxonomies:    []directory.Taxonomy{{ID: tax, Name: "Types", Description: "Service types"}},
		TaxonomyTerms: []directory.TaxonomyTerm{{ID: term, Name: "Crisis", Description: "Crisis care", TaxonomyID: tax, Code: "crisis"}},
		Organizations: []directory.Organization{{ID: org, Name: "Example Trust", Description: "A trust"}},
		Services: []directory.Service{{ID: svc, OrganizationID: org, Name: "Crisis line", Status: "active",
			MinimumAge: ptr(18)}},
		Locations:          []directory.Location{{ID: loc, LocationType: "physical", Name: "Base", Latitude: ptr(53.23), Longitude: ptr(-0.54)}},
		ServiceAtLocations: []directory.ServiceAtLocation{{ID: directory.NameUUID("test:sal"), ServiceID: svc, LocationID: loc}},
		Addresses: []directory.Address{{ID: directory.NameUUID("test:addr"), LocationID: loc, Address1: "1 High St",
			City: "Lincoln", StateProvince: "Lincolnshire", PostalCode: "LN1 1AA", Country: "GB", AddressType: "physical"}},
		Phones: []directory.Phone{
			{ID: directory.NameUUID("test:phone1"), ServiceID: svc, Number: "0113 496 0000"},
			{ID: directory.NameUUID("test:phone2"), ServiceID: svc, Number: "0113 496 0001"},
		},
		Attributes: []directory.Attribute{{ID: directory.NameUUID("test:attr"), LinkID: svc, LinkType: "service", TaxonomyTermID: term}},
	}
}

func importSmall(t *testing.T, db *store.DB, ds *directory.Dataset) store.ImportResult {
	t.Helper()
	res, err := db.ImportDataset(context.Background(), ds, store.ImportSource{Name: "small.json", Format: "hsds-json", UpdatedBy: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestImportDataset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := smallDirectory()
		res := importSmall(t, db, in)
		if res.Inserted != in.Count()+2 { // +2 provenance rows (service, organisation)
			t.Errorf("first import inserted %d rows, want %d", res.Inserted, in.Count()+2)
		}
		got, err := db.LoadDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Metadata) != 2 {
			t.Fatalf("metadata rows = %d, want 2", len(got.Metadata))
		}
		for _, m := range got.Metadata {
			if m.LastActionType != "create" || m.UpdatedBy != "test (small.json)" {
				t.Errorf("provenance row = %+v", m)
			}
		}
		got.Metadata = nil
		assertSameData(t, in, got)
		if got.Services[0].MinimumAge == nil || *got.Services[0].MinimumAge != 18 {
			t.Errorf("minimum_age did not survive: %v", got.Services[0].MinimumAge)
		}

		// The same data again changes nothing.
		res = importSmall(t, db, smallDirectory())
		if res.Changed() || res.Unchanged != in.Count() {
			t.Errorf("second import: %+v, want no changes and %d unchanged", res, in.Count())
		}

		// A renamed service with one phone fewer: an update, a field-level
		// provenance row and a deleted phone.
		next := smallDirectory()
		next.Services[0].Name = "Crisis line (24 hours)"
		next.Phones = next.Phones[:1]
		res = importSmall(t, db, next)
		if res.Updated != 1 || res.Deleted != 1 {
			t.Errorf("third import: %+v, want 1 updated and 1 deleted", res)
		}
		got, err = db.LoadDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Phones) != 1 || got.Services[0].Name != "Crisis line (24 hours)" {
			t.Errorf("after update: %d phones, name %q", len(got.Phones), got.Services[0].Name)
		}
		var upd []directory.Metadata
		for _, m := range got.Metadata {
			if m.LastActionType == "update" {
				upd = append(upd, m)
			}
		}
		if len(upd) != 1 || upd[0].FieldName != "name" || upd[0].PreviousValue != "Crisis line" || upd[0].ReplacementValue != "Crisis line (24 hours)" {
			t.Errorf("update provenance = %+v", upd)
		}
		runs, err := db.ImportRuns(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 3 || runs[0].Deleted != 1 || runs[2].Source != "small.json" {
			t.Errorf("import runs = %+v", runs)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		importSmall(t, db, smallDirectory())
		before, err := db.LoadDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}

		// A validator refusal writes nothing.
		bad := smallDirectory()
		bad.Services[0].Name = "Changed"
		refuse := func(*directory.Dataset, func(string, string) bool) error {
			return apperr.Field("name", "refused")
		}
		if _, err := db.ImportDataset(ctx, bad, store.ImportSource{Name: "x"}, refuse); !errors.Is(err, apperr.Invalid) {
			t.Fatalf("err = %v, want Invalid", err)
		}

		// A dangling reference that slips past validation fails at commit
		// and writes nothing either.
		dangling := smallDirectory()
		dangling.Services[0].Name = "Changed again"
		dangling.Phones = append(dangling.Phones, directory.Phone{ID: directory.NameUUID("test:phone3"),
			LocationID: directory.NameUUID("no such location"), Number: "1"})
		_, err = db.ImportDataset(ctx, dangling, store.ImportSource{Name: "x"}, nil)
		if err == nil || !errors.Is(err, apperr.Invalid) {
			t.Fatalf("err = %v, want an Invalid reference error", err)
		}
		if !strings.Contains(err.Error(), "reference") {
			t.Errorf("error %q does not mention the reference", err)
		}
		after, err := db.LoadDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		assertSameData(t, before, after)
	})
}

func TestKnownLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		importSmall(t, db, smallDirectory())
		term := directory.NameUUID("test:term")
		var sawKnown, sawUnknown bool
		check := func(_ *directory.Dataset, known func(string, string) bool) error {
			sawKnown = known("taxonomy_term", term)
			sawUnknown = known("taxonomy_term", directory.NameUUID("nope"))
			return nil
		}
		if _, err := db.ImportDataset(context.Background(), &directory.Dataset{}, store.ImportSource{}, check); err != nil {
			t.Fatal(err)
		}
		if !sawKnown || sawUnknown {
			t.Errorf("known(stored term) = %v, known(missing) = %v", sawKnown, sawUnknown)
		}
	})
}

// assertSameData compares two datasets table by table, ignoring row order.
func assertSameData(t *testing.T, want, got *directory.Dataset) {
	t.Helper()
	for _, tb := range directory.Tables {
		w, g := tableRows(tb, want), tableRows(tb, got)
		if !slices.Equal(w, g) {
			t.Errorf("table %s:\n got  %v\n want %v", tb.Name, g, w)
		}
	}
}

func tableRows(tb *directory.Table, d *directory.Dataset) []string {
	var out []string
	for i := range tb.Len(d) {
		out = append(out, strings.Join(tb.Strings(d, i), "|"))
	}
	slices.Sort(out)
	return out
}

// TestTablesMatchSchema checks that every table descriptor names exactly the
// columns the migrations create, on both engines.
func TestTablesMatchSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tb := range directory.Tables {
			rows, err := db.SQL().Query(`SELECT * FROM ` + tb.Name + ` LIMIT 0`)
			if err != nil {
				t.Fatalf("%s: %v", tb.Name, err)
			}
			cols, err := rows.Columns()
			rows.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cols, tb.Columns) {
				t.Errorf("table %s has columns\n %v\nbut its descriptor lists\n %v", tb.Name, cols, tb.Columns)
			}
		}
	})
}
