package demo

import (
	"reflect"
	"strings"
	"testing"

	"throughcare/internal/directory"
)

func TestGenerateShape(t *testing.T) {
	const n = 1000
	d := Generate(n, 1)
	integrity(t, d)

	if len(d.Services) != n || len(d.Organizations) != n/4 {
		t.Fatalf("%d services from %d organisations, want %d from %d", len(d.Services), len(d.Organizations), n, n/4)
	}
	if l := len(d.Locations); l < n || l > 2*n {
		t.Errorf("%d locations, want 1 or 2 per service", l)
	}
	if len(d.ServiceAtLocations) != len(d.Locations) || len(d.Addresses) != len(d.Locations) {
		t.Errorf("%d locations, %d service-at-locations, %d addresses; want one of each per location",
			len(d.Locations), len(d.ServiceAtLocations), len(d.Addresses))
	}
	if len(d.Phones) != n || len(d.ServiceAreas) != n {
		t.Errorf("%d phones and %d service areas, want %d of each", len(d.Phones), len(d.ServiceAreas), n)
	}
	if len(d.Taxonomies) != 3 {
		t.Errorf("%d taxonomies, want the justice taxonomy", len(d.Taxonomies))
	}

	perService := func(ids func(yield func(string) bool)) map[string]int {
		m := map[string]int{}
		for id := range ids {
			m[id]++
		}
		return m
	}
	scheds := perService(func(yield func(string) bool) {
		for _, s := range d.Schedules {
			yield(s.ServiceID)
		}
	})
	sals := perService(func(yield func(string) bool) {
		for _, s := range d.ServiceAtLocations {
			yield(s.ServiceID)
		}
	})
	attrs := attrsOf(d)
	typeOf := map[string]string{}
	for _, a := range d.Attributes {
		if a.LinkType == directory.ServiceTypeTaxonomy {
			typeOf[a.LinkID] = a.TaxonomyTermID
		}
	}
	nouns := map[string][]string{}
	for _, k := range kinds {
		nouns[directory.TermID(directory.ServiceTypeTaxonomy, k.typ)] = k.nouns
	}
	for _, s := range d.Services {
		if c := scheds[s.ID]; c < 1 || c > 3 {
			t.Errorf("service %s: %d schedules, want 1-3", s.Name, c)
		}
		if c := sals[s.ID]; c < 1 || c > 2 {
			t.Errorf("service %s: %d locations, want 1-2", s.Name, c)
		}
		if c := len(attrs[s.ID]); c < 2 || c > 5 {
			t.Errorf("service %s: %d attributes, want 2-5", s.Name, c)
		}
		if !hasServiceType(attrs[s.ID]) {
			t.Errorf("service %s has no service type", s.Name)
		}
		// The name says what the service is, so keyword search is meaningful.
		named := false
		for _, noun := range nouns[typeOf[s.ID]] {
			named = named || strings.HasSuffix(s.Name, noun)
		}
		if !named {
			t.Errorf("service %q does not carry a name of its type", s.Name)
		}
		if !strings.HasSuffix(s.Description, " "+synthSentence) {
			t.Errorf("service %q: description %q lacks the synthetic sentence", s.Name, s.Description)
		}
	}
	for _, o := range d.Organizations {
		if !strings.HasSuffix(o.Description, " "+synthSentence) {
			t.Errorf("organisation %q: description lacks the synthetic sentence", o.Name)
		}
	}

	nearTown := 0
	for _, l := range d.Locations {
		if l.Latitude == nil || l.Longitude == nil || !inEngland(*l.Latitude, *l.Longitude) {
			t.Fatalf("location %s at %v,%v is outside England's bounding box", l.ID, l.Latitude, l.Longitude)
		}
		nt := nearestTown(*l.Latitude, *l.Longitude)
		if km(nt.lat, nt.lon, *l.Latitude, *l.Longitude) < 10 {
			nearTown++
		}
	}
	if nearTown < len(d.Locations)*8/10 {
		t.Errorf("only %d of %d locations are within 10 km of a town centre", nearTown, len(d.Locations))
	}
	for _, a := range d.Addresses {
		if !postcodeRE.MatchString(a.PostalCode) {
			t.Errorf("postcode %q is not in UK format", a.PostalCode)
		}
	}
	for _, p := range d.Phones {
		if !dramaRE.MatchString(p.Number) {
			t.Errorf("phone %q is not an Ofcom drama number", p.Number)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(1000, 1), Generate(1000, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate(1000, 1) differs between calls")
	}
	c := Generate(1000, 2)
	if c.Services[0].ID == a.Services[0].ID || c.Services[0].Name+c.Services[1].Name == a.Services[0].Name+a.Services[1].Name {
		t.Error("different seeds gave the same services")
	}
	// A smaller directory with the same seed is a different draw, but still valid.
	if small := Generate(3, 1); len(small.Services) != 3 || len(small.Organizations) != 1 {
		t.Errorf("Generate(3, 1): %d services, %d organisations", len(small.Services), len(small.Organizations))
	}
}

func TestGenerateEmpty(t *testing.T) {
	d := Generate(0, 7)
	if len(d.Services) != 0 || len(d.Organizations) != 1 || len(d.TaxonomyTerms) == 0 {
		t.Errorf("Generate(0): %d services, %d organisations, %d terms", len(d.Services), len(d.Organizations), len(d.TaxonomyTerms))
	}
	defer func() {
		if recover() == nil {
			t.Error("Generate(-1) did not panic")
		}
	}()
	Generate(-1, 7)
}

func TestUUIDsAreVersion4(t *testing.T) {
	g := newSynth(0, 9)
	seen := map[string]bool{}
	for range 1000 {
		u := g.uuid()
		if !directory.ValidUUID(u) || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) {
			t.Fatalf("uuid %q is not a version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("uuid %q repeated", u)
		}
		seen[u] = true
	}
}

func BenchmarkGenerate50000(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(50000, 1)
	}
}

func BenchmarkDataset(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Dataset()
	}
}
