package search

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

// BenchmarkSearch50k runs the DESIGN section 7 query (keywords, a service
// type and a 25 km radius, top 20) over a synthetic directory of 50,000
// services. Each iteration runs 2,000 such queries from random town centres,
// so that one iteration (make bench runs -benchtime 1x) already gives a
// stable median, reported as median-µs.
func BenchmarkSearch50k(b *testing.B) {
	x := directory.NewIndex(demo.Generate(50000, 1))
	start := time.Now()
	e := New(x)
	b.Logf("index built in %v", time.Since(start).Round(time.Millisecond))
	places := geo.Places()
	types := []string{"drug-alcohol-treatment", "nhs-talking-therapies", "community-mental-health-team", "housing-support"}
	words := []string{"recovery support", "counselling", "crisis", "mental health", "housing"}
	r := rand.New(rand.NewPCG(1, 2))
	qs := make([]Query, 2000)
	for i := range qs {
		p := places[r.IntN(len(places))].Location
		qs[i] = Query{
			Text:   words[r.IntN(len(words))],
			Types:  []string{directory.TermID(directory.ServiceTypeTaxonomy, types[r.IntN(len(types))])},
			Near:   &p,
			Radius: 25000,
			Limit:  20,
		}
	}
	durs := make([]time.Duration, 0, b.N*len(qs))
	hits := 0
	b.ResetTimer()
	for range b.N {
		for _, q := range qs {
			t0 := time.Now()
			res := e.Search(q)
			durs = append(durs, time.Since(t0))
			hits += len(res.Hits)
		}
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1000, "median-µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1000, "p99-µs")
	b.ReportMetric(float64(hits)/float64(len(durs)), "hits/query")
}

// BenchmarkBuild50k measures building the index over 50,000 services.
func BenchmarkBuild50k(b *testing.B) {
	x := directory.NewIndex(demo.Generate(50000, 1))
	b.ResetTimer()
	for range b.N {
		New(x)
	}
}
