package demo

import (
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"throughcare/internal/directory"
)

var (
	postcodeRE = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$`)
	dramaRE    = regexp.MustCompile(`^(01632 960\d{3}|01(13|14|15|16|17|18|21|51|61) 496 0\d{3}|0191 498 0\d{3}|020 7946 0\d{3})$`)
	onsURIRE   = regexp.MustCompile(`^http://statistics\.data\.gov\.uk/id/statistical-geography/E0[6-9]\d{6}$`)
)

// integrity checks what a loader relies on beyond directory.Validate: ids
// unique across the whole dataset, and every attribute pointing at a record
// of the table its link_entity names, through a term of the taxonomy its
// link_type names.
func integrity(t *testing.T, d *directory.Dataset) {
	t.Helper()
	tableOf := map[string]string{}
	for _, tb := range directory.Tables {
		for i := range tb.Len(d) {
			id := tb.ID(d, i)
			if !directory.ValidUUID(id) {
				t.Errorf("%s row %d: id %q is not a UUID", tb.Name, i, id)
			}
			if prev, dup := tableOf[id]; dup {
				t.Errorf("id %s used in %s and %s", id, prev, tb.Name)
			}
			tableOf[id] = tb.Name
		}
	}
	terms := map[string]directory.TaxonomyTerm{}
	for _, term := range d.TaxonomyTerms {
		terms[term.ID] = term
	}
	for _, a := range d.Attributes {
		if got := tableOf[a.LinkID]; got != a.LinkEntity {
			t.Errorf("attribute %s: link_id names a %q record, link_entity says %q", a.ID, got, a.LinkEntity)
		}
		term, ok := terms[a.TaxonomyTermID]
		if !ok {
			t.Errorf("attribute %s: term %s does not resolve", a.ID, a.TaxonomyTermID)
			continue
		}
		if term.TaxonomyID != directory.TaxonomyID(a.LinkType) {
			t.Errorf("attribute %s: term %q is not in taxonomy %q", a.ID, term.Code, a.LinkType)
		}
		if term.ParentID == "" && a.LinkType == directory.ServiceTypeTaxonomy {
			t.Errorf("attribute %s: uses top-level group %q rather than a specific type", a.ID, term.Code)
		}
	}
	if err := directory.Validate(d, nil); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// attrsOf groups attribute term ids by the record they tag.
func attrsOf(d *directory.Dataset) map[string][]string {
	m := map[string][]string{}
	for _, a := range d.Attributes {
		m[a.LinkID] = append(m[a.LinkID], a.TaxonomyTermID)
	}
	return m
}

func hasServiceType(terms []string) bool {
	for _, id := range terms {
		for _, tt := range directory.Terms(directory.ServiceTypeTaxonomy) {
			if tt.ID == id {
				return true
			}
		}
	}
	return false
}

func TestDatasetIsValidAndComplete(t *testing.T) {
	d := Dataset()
	integrity(t, d)

	if n := len(d.Services); n < 150 {
		t.Errorf("%d services, want at least 150", n)
	}
	if n := len(d.Organizations); n < 60 {
		t.Errorf("%d organisations, want at least 60", n)
	}
	if len(d.Taxonomies) != 3 || len(d.TaxonomyTerms) != len(directory.JusticeTaxonomy().TaxonomyTerms) {
		t.Errorf("dataset holds %d taxonomies and %d terms, want the whole justice taxonomy", len(d.Taxonomies), len(d.TaxonomyTerms))
	}

	label := directory.TermID(directory.LabelTaxonomy, "demo-fictional")
	attrs := attrsOf(d)
	for _, o := range d.Organizations {
		if !strings.HasSuffix(o.Description, " "+demoSentence) {
			t.Errorf("organisation %q: description does not end with the demo sentence", o.Name)
		}
		if !contains(attrs[o.ID], label) {
			t.Errorf("organisation %q has no demo label", o.Name)
		}
		if !strings.HasSuffix(o.Website, ".example/") || !strings.HasSuffix(o.Email, ".example") {
			t.Errorf("organisation %q: web or email not on .example: %q %q", o.Name, o.Website, o.Email)
		}
	}
	for _, l := range d.Locations {
		if !contains(attrs[l.ID], label) {
			t.Errorf("location %q has no demo label", l.Name)
		}
	}

	var closed, old, evening, always int
	schedules := map[string]int{}
	for _, s := range d.Schedules {
		schedules[s.ServiceID]++
		if s.ClosesAt > "18:00" {
			evening++
		}
		if s.ByDay == everyDay && s.OpensAt == "00:00" {
			always++
		}
	}
	noSchedule := 0
	for _, s := range d.Services {
		if !strings.HasSuffix(s.Description, " "+demoSentence) {
			t.Errorf("service %q: description does not end with the demo sentence", s.Name)
		}
		if !contains(attrs[s.ID], label) {
			t.Errorf("service %q has no demo label", s.Name)
		}
		if !hasServiceType(attrs[s.ID]) {
			t.Errorf("service %q has no service-type attribute", s.Name)
		}
		if len(attrs[s.ID]) < 4 {
			t.Errorf("service %q has only %d attributes", s.Name, len(attrs[s.ID]))
		}
		for _, part := range []string{"Criteria: ", "How to refer: ", "Response time: "} {
			if !strings.Contains(s.ApplicationProcess, part) {
				t.Errorf("service %q: application process lacks %q", s.Name, part)
			}
		}
		if s.EligibilityDescription == "" || s.WaitTime == "" || strings.Contains(s.Name+s.Description+s.EligibilityDescription, "{") {
			t.Errorf("service %q: missing or unfilled text", s.Name)
		}
		if !strings.HasPrefix(s.URL, "https://") || !strings.Contains(s.URL, ".example/") || !strings.HasSuffix(s.Email, ".example") {
			t.Errorf("service %q: web or email not on .example: %q %q", s.Name, s.URL, s.Email)
		}
		if s.Status != "active" {
			closed++
			if s.Alert == "" {
				t.Errorf("service %q is %s without an alert", s.Name, s.Status)
			}
		}
		assured, err := time.Parse(time.DateOnly, s.AssuredDate)
		if err != nil {
			t.Fatalf("service %q: assured date %q: %v", s.Name, s.AssuredDate, err)
		}
		if assured.After(reference) || assured.Before(reference.AddDate(-1, 0, 0)) {
			t.Errorf("service %q: assured %s, not in the 12 months before %s", s.Name, s.AssuredDate, reference.Format(time.DateOnly))
		}
		if assured.Before(reference.AddDate(0, -6, 0)) {
			old++
		}
		if modified, err := time.Parse(time.RFC3339, s.LastModified); err != nil || modified.Before(assured) {
			t.Errorf("service %q: last modified %q before assured %q", s.Name, s.LastModified, s.AssuredDate)
		}
		if schedules[s.ID] == 0 {
			noSchedule++
		}
	}
	if closed < 3 || closed > len(d.Services)/10 {
		t.Errorf("%d services are not active, want a few", closed)
	}
	if old < 20 || old > len(d.Services)*2/3 {
		t.Errorf("%d of %d services were assured more than 6 months ago, want a good share but not most", old, len(d.Services))
	}
	if evening == 0 || always == 0 || noSchedule == 0 || noSchedule > len(d.Services)/5 {
		t.Errorf("schedules: %d evening, %d round the clock, %d services without; want some of each", evening, always, noSchedule)
	}

	contacts := map[string]bool{}
	for _, c := range d.Contacts {
		if c.Name == "" || c.Title == "" || !strings.HasSuffix(c.Email, ".example") {
			t.Errorf("contact %+v: want a name, title and .example email", c)
		}
		contacts[c.ServiceID] = true
	}
	areas := map[string]int{}
	for _, a := range d.ServiceAreas {
		if !onsURIRE.MatchString(a.URI) || a.Name == "" {
			t.Errorf("service area %+v: want a name and an ONS district URI", a)
		}
		areas[a.ServiceID]++
	}
	for _, s := range d.Services {
		if !contacts[s.ID] || areas[s.ID] == 0 {
			t.Errorf("service %q: contact %v, %d service areas", s.Name, contacts[s.ID], areas[s.ID])
		}
	}
	for _, p := range d.Phones {
		if !dramaRE.MatchString(p.Number) {
			t.Errorf("phone %q is not an Ofcom drama number", p.Number)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestDatasetPlacesLocationsInTheirTowns(t *testing.T) {
	d := Dataset()
	addr := map[string]directory.Address{}
	for _, a := range d.Addresses {
		addr[a.LocationID] = a
	}
	physical := 0
	for _, l := range d.Locations {
		if l.LocationType == "virtual" {
			if l.Latitude != nil || l.URL == "" {
				t.Errorf("virtual location %q: want a URL and no point", l.Name)
			}
			continue
		}
		physical++
		a, ok := addr[l.ID]
		if !ok || l.Latitude == nil || l.Longitude == nil {
			t.Errorf("location %q: want an address and a point", l.Name)
			continue
		}
		if !postcodeRE.MatchString(a.PostalCode) {
			t.Errorf("location %q: postcode %q is not in UK format", l.Name, a.PostalCode)
		}
		// The nearest town centre must be the address's town, within 3 km,
		// and the postcode must be in one of that town's districts.
		near := nearestTown(*l.Latitude, *l.Longitude)
		if near.city != a.City || km(near.lat, near.lon, *l.Latitude, *l.Longitude) > 3 {
			t.Errorf("location %q (%s) at %.4f,%.4f: nearest town is %s", l.Name, a.City, *l.Latitude, *l.Longitude, near.name)
		}
		outward, _, _ := strings.Cut(a.PostalCode, " ")
		if !contains(near.postcodes, outward) {
			t.Errorf("location %q in %s: postcode %s is not in %v", l.Name, near.name, a.PostalCode, near.postcodes)
		}
	}
	if physical == 0 {
		t.Fatal("no physical locations")
	}
}

func nearestTown(lat, lon float64) *town {
	best, bestKm := &towns[0], math.Inf(1)
	for i := range towns {
		if k := km(towns[i].lat, towns[i].lon, lat, lon); k < bestKm {
			best, bestKm = &towns[i], k
		}
	}
	return best
}

// km is the great-circle distance between two points.
func km(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func TestDatasetIsDeterministic(t *testing.T) {
	a, b := Dataset(), Dataset()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls of Dataset differ")
	}
	// Ids are fixed by name, so they must not move between releases.
	if got, want := a.Organizations[0].ID, directory.NameUUID("demo:organization:lincs:trust"); got != want {
		t.Errorf("first organisation id = %s, want %s", got, want)
	}
	a.Services[0].Name = "changed"
	if Dataset().Services[0].Name == "changed" {
		t.Error("changing one result changed the next")
	}
}

func TestAsOfMovesOnlyDates(t *testing.T) {
	a := Dataset()
	b := AsOf(reference.AddDate(0, 0, 30).Add(15 * time.Hour))
	if len(a.Services) != len(b.Services) {
		t.Fatalf("service counts differ: %d and %d", len(a.Services), len(b.Services))
	}
	for i := range a.Services {
		sa, sb := a.Services[i], b.Services[i]
		da, _ := time.Parse(time.DateOnly, sa.AssuredDate)
		db, _ := time.Parse(time.DateOnly, sb.AssuredDate)
		if sa.ID != sb.ID || db.Sub(da) != 30*24*time.Hour {
			t.Fatalf("service %d: %s assured %s vs %s assured %s", i, sa.ID, sa.AssuredDate, sb.ID, sb.AssuredDate)
		}
		sa.AssuredDate, sa.LastModified = sb.AssuredDate, sb.LastModified
		if !reflect.DeepEqual(sa, sb) {
			t.Fatalf("service %d differs beyond its dates", i)
		}
	}
}

func TestTownsAreInEngland(t *testing.T) {
	seen := map[string]bool{}
	for _, tw := range towns {
		if seen[tw.name] {
			t.Errorf("town %q listed twice", tw.name)
		}
		seen[tw.name] = true
		if !inEngland(tw.lat, tw.lon) {
			t.Errorf("town %q at %v,%v is outside England's bounding box", tw.name, tw.lat, tw.lon)
		}
		if !regexp.MustCompile(`^E0[6-9]\d{6}$`).MatchString(tw.lad) || tw.ladName == "" || len(tw.postcodes) == 0 {
			t.Errorf("town %q: bad area code %q, name %q or postcodes %v", tw.name, tw.lad, tw.ladName, tw.postcodes)
		}
		for _, pc := range tw.postcodes {
			if !postcodeRE.MatchString(pc + " 1AB") {
				t.Errorf("town %q: %q is not a postcode district", tw.name, pc)
			}
		}
	}
	if len(towns) < 60 {
		t.Errorf("%d towns, want about 60 or more", len(towns))
	}
	for _, a := range areas {
		for _, name := range a.towns {
			if !seen[name] {
				t.Errorf("area %q names unknown town %q", a.key, name)
			}
		}
	}
}

func inEngland(lat, lon float64) bool {
	return lat >= EnglandMinLat && lat <= EnglandMaxLat && lon >= EnglandMinLon && lon <= EnglandMaxLon
}

func TestSlugAndPostcode(t *testing.T) {
	for in, want := range map[string]string{
		"Lincoln Community Mental Health Team":   "lincoln-community-mental-health-team",
		"Weavers' Loft Women's Centre":           "weavers-loft-womens-centre",
		"Lincolnshire 24/7 Mental Health Crisis": "lincolnshire-24-7-mental-health-crisis",
		"  Ashton-under-Lyne ":                   "ashton-under-lyne",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	for h := range uint64(2000) {
		if pc := postcode("LN1", h*7919); !postcodeRE.MatchString(pc) {
			t.Fatalf("postcode(LN1, %d) = %q", h*7919, pc)
		}
	}
}
