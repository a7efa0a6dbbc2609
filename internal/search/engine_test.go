package search

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

func f(v float64) *float64 { return &v }

// fixture is a small directory whose answers can be worked out by hand.
//
//	talk   "Talking Therapies Lincoln"  Lincoln, 18+, Mon–Fri 09:00–17:00, type therapy, accepts probation
//	crisis "Night Crisis Café"          Lincoln, Fri 22:00–02:00, type crisis
//	drugs  "Substance Misuse Recovery"  Sleaford (~27 km from Lincoln), 24 hours every day, type drugs
//	gp     "Open Door GP"               Leeds, no schedule, no type, area polygon with a hole
//	shut   "Counselling Service"        Lincoln, inactive, type therapy
//	noloc  "Phone Counselling"          no location, type therapy, covers E07000138 by code
type fixture struct {
	e                                       *Engine
	talk, crisis, drugs, gp, shut, noloc    int
	therapy, crisisT, drugsT, mh, probation string
}

var (
	lincoln  = geo.Point{Lat: 53.2307, Lon: -0.5406}
	sleaford = geo.Point{Lat: 52.9990, Lon: -0.4090}
	leeds    = geo.Point{Lat: 53.7997, Lon: -1.5492}
)

// square returns a GeoJSON polygon: a square of side 2·r degrees around c,
// with a hole of side 2·h degrees in its middle.
func square(c geo.Point, r, h float64) string {
	ring := func(r float64) string {
		return "[[" + ff(c.Lon-r) + "," + ff(c.Lat-r) + "],[" + ff(c.Lon+r) + "," + ff(c.Lat-r) + "],[" +
			ff(c.Lon+r) + "," + ff(c.Lat+r) + "],[" + ff(c.Lon-r) + "," + ff(c.Lat+r) + "],[" + ff(c.Lon-r) + "," + ff(c.Lat-r) + "]]"
	}
	return `{"type":"Polygon","coordinates":[` + ring(r) + `,` + ring(h) + `]}`
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func newFixture(t testing.TB) *fixture {
	t.Helper()
	id := directory.NameUUID
	tax := id("t:types")
	fx := &fixture{therapy: id("t:therapy"), crisisT: id("t:crisis"), drugsT: id("t:drugs"), mh: id("t:mh"), probation: id("t:probation")}
	d := &directory.Dataset{
		Taxonomies: []directory.Taxonomy{{ID: tax, Name: "Types", Description: "x"}},
		TaxonomyTerms: []directory.TaxonomyTerm{
			{ID: fx.mh, Name: "Mental health", Description: "x", TaxonomyID: tax},
			{ID: fx.therapy, Name: "Talking therapies", Description: "x", TaxonomyID: tax, ParentID: fx.mh},
			{ID: fx.crisisT, Name: "Crisis", Description: "x", TaxonomyID: tax, ParentID: fx.mh},
			{ID: fx.drugsT, Name: "Drug and alcohol treatment", Description: "x", TaxonomyID: tax},
			{ID: fx.probation, Name: "Accepts probation referrals", Description: "x", TaxonomyID: tax},
		},
		Organizations: []directory.Organization{{ID: id("o:1"), Name: "Witham Trust", Description: "x"}, {ID: id("o:2"), Name: "Aire Health", Description: "x"}},
	}
	type svc struct {
		key, name, desc, status string
		org                     string
		at                      *geo.Point
		min                     *float64
		terms                   []string
	}
	svcs := []svc{
		{"talk", "Talking Therapies Lincoln", "Counselling and CBT for anxiety and depression.", "active", "o:1", &lincoln, f(18), []string{fx.therapy, fx.probation}},
		{"crisis", "Night Crisis Café", "A calm place when things feel too much.", "active", "o:1", &lincoln, nil, []string{fx.crisisT}},
		{"drugs", "Substance Misuse Recovery", "Help to stop using heroin or crack, and alcohol support.", "active", "o:1", &sleaford, nil, []string{fx.drugsT, fx.probation}},
		{"gp", "Open Door GP", "Registers people with no fixed abode and no ID.", "active", "o:2", &leeds, nil, nil},
		{"shut", "Counselling Service", "Counselling for adults.", "inactive", "o:1", &lincoln, nil, []string{fx.therapy}},
		{"noloc", "Phone Counselling", "Counselling by telephone.", "active", "o:2", nil, nil, []string{fx.therapy}},
	}
	pos := map[string]int{}
	for i, s := range svcs {
		sid := id("s:" + s.key)
		pos[s.key] = i
		d.Services = append(d.Services, directory.Service{ID: sid, Name: s.name, Description: s.desc, Status: s.status,
			OrganizationID: id(s.org), MinimumAge: s.min})
		if s.at != nil {
			lid := id("l:" + s.key)
			d.Locations = append(d.Locations, directory.Location{ID: lid, LocationType: "physical", Latitude: f(s.at.Lat), Longitude: f(s.at.Lon)})
			d.ServiceAtLocations = append(d.ServiceAtLocations, directory.ServiceAtLocation{ID: id("sal:" + s.key), ServiceID: sid, LocationID: lid})
		}
		for j, term := range s.terms {
			d.Attributes = append(d.Attributes, directory.Attribute{ID: id("a:" + s.key + string(rune('0'+j))), LinkID: sid, LinkType: "service", TaxonomyTermID: term})
		}
	}
	d.Schedules = []directory.Schedule{
		{ID: id("sc:talk"), ServiceID: id("s:talk"), Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:00"},
		{ID: id("sc:crisis"), ServiceID: id("s:crisis"), Freq: "WEEKLY", ByDay: "FR", OpensAt: "22:00:00", ClosesAt: "02:00:00"},
		{ID: id("sc:drugs"), ServiceAtLocationID: id("sal:drugs"), Freq: "WEEKLY", OpensAt: "00:00", ClosesAt: "00:00"},
	}
	d.ServiceAreas = []directory.ServiceArea{
		{ID: id("sa:gp"), ServiceID: id("s:gp"), Name: "Leeds (not the centre)", ExtentType: "geojson", Extent: square(leeds, 0.2, 0.01)},
		{ID: id("sa:noloc"), ServiceID: id("s:noloc"), Name: "Lincoln", URI: "http://statistics.data.gov.uk/id/statistical-geography/E07000138"},
	}
	fx.e = New(directory.NewIndex(d))
	fx.talk, fx.crisis, fx.drugs, fx.gp, fx.shut, fx.noloc = pos["talk"], pos["crisis"], pos["drugs"], pos["gp"], pos["shut"], pos["noloc"]
	return fx
}

func services(r Result) []int {
	var out []int
	for _, h := range r.Hits {
		out = append(out, h.Service)
	}
	return out
}

func age(n int) *int { return &n }

func TestFilters(t *testing.T) {
	fx := newFixture(t)
	near := func(p geo.Point) *geo.Point { return &p }
	for _, tc := range []struct {
		name string
		q    Query
		want []int // in order
	}{
		{"everything active, by name", Query{}, []int{fx.crisis, fx.gp, fx.noloc, fx.drugs, fx.talk}},
		{"inactive included", Query{IncludeInactive: true}, []int{fx.shut, fx.crisis, fx.gp, fx.noloc, fx.drugs, fx.talk}},
		{"keyword", Query{Text: "counselling"}, []int{fx.noloc, fx.talk}},
		{"synonym: drugs finds substance misuse", Query{Text: "drugs"}, []int{fx.drugs}},
		{"synonym phrase: talking therapy finds counselling", Query{Text: "talking therapy"}, []int{fx.talk, fx.noloc}},
		{"every word must match", Query{Text: "counselling heroin"}, nil},
		{"unknown word", Query{Text: "zzzz"}, nil},
		{"type", Query{Types: []string{fx.crisisT}}, []int{fx.crisis}},
		{"parent type finds children", Query{Types: []string{fx.mh}}, []int{fx.crisis, fx.noloc, fx.talk}},
		{"any of two types", Query{Types: []string{fx.crisisT, fx.drugsT}}, []int{fx.crisis, fx.drugs}},
		{"unknown type", Query{Types: []string{directory.NameUUID("nope")}}, nil},
		{"attribute", Query{Attributes: []string{fx.probation}}, []int{fx.drugs, fx.talk}},
		{"every attribute", Query{Attributes: []string{fx.probation, fx.therapy}}, []int{fx.talk}},
		{"age 17 excludes 18+", Query{Age: age(17), Types: []string{fx.therapy}}, []int{fx.noloc}},
		{"age 18 is in", Query{Age: age(18), Types: []string{fx.therapy}}, []int{fx.noloc, fx.talk}},
		{"organisation", Query{OrganizationID: directory.NameUUID("o:2")}, []int{fx.gp, fx.noloc}},
		{"near, by distance", Query{Near: near(lincoln)}, []int{fx.crisis, fx.talk, fx.drugs, fx.gp, fx.noloc}},
		{"radius 25 km leaves Sleaford out", Query{Near: near(lincoln), Radius: 25000}, []int{fx.crisis, fx.talk}},
		{"radius 30 km takes Sleaford in", Query{Near: near(lincoln), Radius: 30000}, []int{fx.crisis, fx.talk, fx.drugs}},
		{"keyword and radius", Query{Text: "counselling", Near: near(lincoln), Radius: 30000}, []int{fx.talk}},
		{"keyword, type and radius", Query{Text: "alcohol", Types: []string{fx.drugsT}, Near: near(lincoln), Radius: 30000}, []int{fx.drugs}},
		{"covers by code", Query{CoversCodes: []string{"e07000138"}}, []int{fx.noloc}},
		{"covers by polygon", Query{CoversPoint: near(geo.Point{Lat: leeds.Lat + 0.1, Lon: leeds.Lon})}, []int{fx.gp}},
		{"polygon hole is not covered", Query{CoversPoint: near(leeds)}, nil},
		{"outside the polygon", Query{CoversPoint: near(lincoln)}, nil},
		{"open Monday 09:00 (opening minute)", Query{Open: &OpenAt{time.Monday, 9 * 60}}, []int{fx.drugs, fx.talk}},
		{"closed Monday 17:00 (closing minute)", Query{Open: &OpenAt{time.Monday, 17 * 60}}, []int{fx.drugs}},
		{"Saturday 01:30 is still Friday night", Query{Open: &OpenAt{time.Saturday, 90}}, []int{fx.crisis, fx.drugs}},
		{"Saturday 02:00 has closed", Query{Open: &OpenAt{time.Saturday, 120}}, []int{fx.drugs}},
		{"Friday 01:30 is Thursday night: closed", Query{Open: &OpenAt{time.Friday, 90}}, []int{fx.drugs}},
		{"Friday 23:59", Query{Open: &OpenAt{time.Friday, 23*60 + 59}}, []int{fx.crisis, fx.drugs}},
		{"no schedule never counts as open", Query{Open: &OpenAt{time.Sunday, 12 * 60}, OrganizationID: directory.NameUUID("o:2")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := services(fx.e.Search(tc.q))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", names(fx, got), names(fx, tc.want))
			}
		})
	}
}

func names(fx *fixture, ss []int) []string {
	var out []string
	for _, s := range ss {
		out = append(out, fx.e.x.ServiceAt(s).Name)
	}
	return out
}

func TestRanking(t *testing.T) {
	fx := newFixture(t)
	// "counselling" is in the name of Phone Counselling (weight 3) and the
	// description of Talking Therapies Lincoln (weight 1, plus its type's name
	// through the synonym group): the name match must rank first.
	r := fx.e.Search(Query{Text: "counselling"})
	if len(r.Hits) != 2 || r.Hits[0].Service != fx.noloc || !(r.Hits[0].Score > r.Hits[1].Score) {
		t.Fatalf("hits %+v", r.Hits)
	}
	// With a point, equal scores fall back to distance.
	p := lincoln
	r = fx.e.Search(Query{Text: "counselling", Near: &p, Sort: ByDistance})
	if got := services(r); !slices.Equal(got, []int{fx.talk, fx.noloc}) {
		t.Errorf("by distance: %v", names(fx, got))
	}
	if r.Hits[0].Distance != 0 || r.Hits[1].Distance != -1 || r.Hits[1].SAL != -1 {
		t.Errorf("distances %+v", r.Hits)
	}
}

func TestRadiusDistanceIsNearestLocation(t *testing.T) {
	fx := newFixture(t)
	p := sleaford
	r := fx.e.Search(Query{Near: &p, Radius: 1000})
	if len(r.Hits) != 1 || r.Hits[0].Service != fx.drugs || r.Hits[0].Distance > 1 {
		t.Fatalf("hits %+v", r.Hits)
	}
	want := geo.Distance(sleaford, lincoln)
	r = fx.e.Search(Query{Near: &p, Radius: want + 1, Types: []string{fx.therapy}})
	if len(r.Hits) != 1 || r.Hits[0].Service != fx.talk || r.Hits[0].Distance != want {
		t.Fatalf("edge of radius: %+v, want distance %v", r.Hits, want)
	}
	r = fx.e.Search(Query{Near: &p, Radius: want - 1, Types: []string{fx.therapy}})
	if len(r.Hits) != 0 {
		t.Fatalf("just inside the edge: %+v", r.Hits)
	}
}

func TestPaging(t *testing.T) {
	fx := newFixture(t)
	all := services(fx.e.Search(Query{Limit: 100}))
	var paged []int
	for off := 0; off < 10; off += 2 {
		r := fx.e.Search(Query{Offset: off, Limit: 2})
		if r.Total != len(all) {
			t.Fatalf("total %d, want %d", r.Total, len(all))
		}
		paged = append(paged, services(r)...)
	}
	if !slices.Equal(paged, all) {
		t.Errorf("pages %v, all %v", paged, all)
	}
	if r := fx.e.Search(Query{Offset: 50}); r.Total != len(all) || len(r.Hits) != 0 {
		t.Errorf("beyond the end: %+v", r)
	}
}

func TestTopKMatchesFullSort(t *testing.T) {
	hs := make([]Hit, 500)
	for i := range hs {
		hs[i] = Hit{Service: i, Score: float64((i * 7919) % 503)}
	}
	less := func(a, b Hit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return a.Service - b.Service
	}
	want := slices.Clone(hs)
	slices.SortFunc(want, less)
	got := slices.Clone(hs)
	topK(got, 20, less)
	if !slices.Equal(got[:20], want[:20]) {
		t.Errorf("topK differs from sort")
	}
}
