package search

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

// TestRadiusMatchesScan checks radius searches, with and without service
// types, against a plain scan of every service measuring every location by
// great-circle distance: the place index, the type indexes and the flat
// filter must neither miss a service nor let one in, and each service's
// reported link and distance must be its nearest by great-circle distance.
func TestRadiusMatchesScan(t *testing.T) {
	d := demo.Generate(3000, 7)
	e := New(directory.NewIndex(d))
	st := func(code string) string { return directory.TermID(directory.ServiceTypeTaxonomy, code) }
	narrow, parent := st("nhs-talking-therapies"), st("mental-health")
	broad := directory.TermID(directory.LabelTaxonomy, "demo-fictional") // every demo service
	typeSets := [][]string{nil, {narrow}, {parent}, {narrow, st("housing-support")}, {broad}, {narrow, broad}}
	if e.placesOf(narrow) == nil || e.placesOf(broad) != nil {
		t.Fatalf("want an index of its own for %s and none for %s", narrow, broad)
	}

	places := geo.Places()
	r := rand.New(rand.NewPCG(3, 4))
	radii := []float64{500, 2000, 10000, 25000, 60000, 200000}
	for i := range 400 {
		p := places[r.IntN(len(places))].Location
		if i%4 == 0 { // anywhere in and around England, sea included
			p = geo.Point{Lat: 49.5 + r.Float64()*6.5, Lon: -6.5 + r.Float64()*8.5}
		}
		q := Query{Near: &p, Radius: radii[r.IntN(len(radii))], Types: typeSets[r.IntN(len(typeSets))], Sort: ByDistance, Limit: 100000}
		got := e.Search(q)
		want := scanRadius(e, q)
		if got.Total != len(want) || len(got.Hits) != len(want) {
			t.Fatalf("%v within %v m, types %v: %d hits, scan finds %d", p, q.Radius, q.Types, got.Total, len(want))
		}
		// The engine orders by its flat estimate, which over long distances
		// may swap two services a fraction of a percent apart; compare the
		// services found and what is reported of each.
		slices.SortFunc(got.Hits, func(a, b Hit) int { return a.Service - b.Service })
		for j, h := range got.Hits {
			if h != want[j] {
				t.Fatalf("%v within %v m, types %v: hit %d is %+v, scan has %+v", p, q.Radius, q.Types, j, h, want[j])
			}
		}
	}
}

// scanRadius answers a radius query without any index: every active service
// of one of q.Types whose nearest located link lies within q.Radius, in
// service order.
func scanRadius(e *Engine, q Query) []Hit {
	var out []Hit
	for s := range e.n {
		if e.inactive[s] {
			continue
		}
		if len(q.Types) > 0 && !slices.ContainsFunc(q.Types, func(t string) bool { b := e.tagged[t]; return b != nil && has(b, int32(s)) }) {
			continue
		}
		sal, dist := -1, -1.0
		for _, l := range e.locsOf(int32(s)) {
			if d := geo.Distance(*q.Near, l.p); sal < 0 || d < dist {
				sal, dist = int(l.sal), d
			}
		}
		if sal < 0 || dist > q.Radius {
			continue
		}
		out = append(out, Hit{Service: s, SAL: sal, Distance: dist})
	}
	return out
}

// TestOriginDistanceIsGeoDistance checks that the engine's great-circle
// distance, with its cosines worked out ahead, gives exactly the bits of
// geo.Distance, so that results and the radius edge do not move.
func TestOriginDistanceIsGeoDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 100000 {
		var a, b geo.Point
		if i%2 == 0 { // in and around England
			a = geo.Point{Lat: 49 + r.Float64()*7, Lon: -7 + r.Float64()*9}
			b = geo.Point{Lat: a.Lat + r.NormFloat64()*0.3, Lon: a.Lon + r.NormFloat64()*0.5}
		} else { // anywhere
			a = geo.Point{Lat: r.Float64()*180 - 90, Lon: r.Float64()*360 - 180}
			b = geo.Point{Lat: r.Float64()*180 - 90, Lon: r.Float64()*360 - 180}
		}
		o, l := newOrigin(a), newLoc(0, b)
		if got, want := o.distance(&l), geo.Distance(a, b); got != want {
			t.Fatalf("distance from %v to %v: %v, geo.Distance gives %v", a, b, got, want)
		}
	}
}

// TestTypePlacesConcurrent runs the first searches for each service type of
// a new engine at once, as a busy server does after a directory change:
// every one must get the answer a lone search gets (run with -race, this
// also checks the indexes are built safely).
func TestTypePlacesConcurrent(t *testing.T) {
	d := demo.Generate(2000, 9)
	st := func(code string) string { return directory.TermID(directory.ServiceTypeTaxonomy, code) }
	types := []string{st("nhs-talking-therapies"), st("housing-support"), st("mental-health"), st("drug-alcohol-treatment")}
	leeds := geo.Point{Lat: 53.7965, Lon: -1.5479}
	query := func(i int) Query {
		return Query{Near: &leeds, Radius: 60000, Types: []string{types[i%len(types)]}, Limit: 50}
	}
	lone := New(directory.NewIndex(d))
	want := make([]Result, len(types))
	for i := range types {
		want[i] = lone.Search(query(i))
		if want[i].Total == 0 {
			t.Fatalf("type %d finds nothing near Leeds: the test would prove nothing", i)
		}
	}
	e := New(directory.NewIndex(d))
	got := make([]Result, 8*len(types))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = e.Search(query(i)) })
	}
	wg.Wait()
	for i, r := range got {
		if w := want[i%len(types)]; r.Total != w.Total || !slices.Equal(r.Hits, w.Hits) {
			t.Errorf("search %d: %d hits %v, alone %d hits %v", i, r.Total, r.Hits, w.Total, w.Hits)
		}
	}
}
