package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/loadtest"
	"throughcare/internal/search"
)

// benchEngine indexes a synthetic directory of 50,000 services, once.
var benchEngine = sync.OnceValue(func() *search.Engine {
	return search.New(directory.NewIndex(demo.Generate(50_000, 1)))
})

func benchGet(b *testing.B, h http.Handler, target string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: status %d: %s", target, rec.Code, rec.Body)
	}
}

// BenchmarkServicesPage pages through /services, 50 at a time, over 50,000
// services.
func BenchmarkServicesPage(b *testing.B) {
	e := benchEngine()
	h := New(Config{Engine: func() *search.Engine { return e }})
	benchGet(b, h, "/openreferral/services") // build the view once
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		benchGet(b, h, fmt.Sprintf("/openreferral/services?page=%d&per_page=50", n%1000+1))
		n++
	}
}

// BenchmarkServiceAtLocationsNear searches by keyword within 25 km of a
// point, the shape of a typical ORUK client query.
func BenchmarkServiceAtLocationsNear(b *testing.B) {
	e := benchEngine()
	h := New(Config{Engine: func() *search.Engine { return e }})
	target := "/openreferral/service_at_locations?search=mental&lat=53.2307&lon=-0.5406&proximity=25000&per_page=20"
	benchGet(b, h, target) // build the view and its search text once
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, h, target)
	}
}

// benchSearch is the query of DESIGN section 7's search target: keywords, a
// service type and a 25 km radius around a town, the top 20 as JSON.
const benchSearch = "/api/v1/search?q=counselling&type=nhs-talking-therapies&where=Leeds&radius=25&per_page=20"

// searchBatch is how many requests one iteration of BenchmarkSearchAPI50k
// sends, so that a single iteration (make bench runs -benchtime 1x)
// already gives a stable median.
const searchBatch = 500

// BenchmarkSearchAPI50k serves benchSearch in-process, through the whole
// handler (routing, parsing, search, encoding), over 50,000 services. One
// op is one request: ns/op is the mean, and median-µs and p99-µs are taken
// over every request.
func BenchmarkSearchAPI50k(b *testing.B) {
	e := benchEngine()
	h := New(Config{Engine: func() *search.Engine { return e }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, benchSearch, nil))
	var first searchBody
	if err := json.Unmarshal(rec.Body.Bytes(), &first); rec.Code != http.StatusOK || err != nil || len(first.Contents) == 0 {
		b.Fatalf("%s: status %d, %d results (%v): %.300s", benchSearch, rec.Code, len(first.Contents), err, rec.Body)
	}
	b.Logf("%d matches, %d on the page, %d bytes", first.TotalItems, len(first.Contents), rec.Body.Len())

	durs := make([]time.Duration, 0, searchBatch)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	requests := 0
	for b.Loop() {
		for range searchBatch {
			t0 := time.Now()
			benchGet(b, h, benchSearch)
			durs = append(durs, time.Since(t0))
		}
		requests += searchBatch
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	slices.Sort(durs)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(requests), "ns/op")
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1000, "median-µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1000, "p99-µs")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(requests), "allocs/req")
}

// BenchmarkSearchHTTPvsBare serves benchSearch over real HTTP on loopback,
// side by side with a bare net/http handler sending the same bytes, and
// reports their throughput ratio (DESIGN section 7: at least 0.5). See
// docs/benchmarks.md for the method.
func BenchmarkSearchHTTPvsBare(b *testing.B) {
	e := benchEngine()
	h := New(Config{Engine: func() *search.Engine { return e }})
	var rep loadtest.Report
	for b.Loop() {
		var err error
		rep, err = loadtest.Compare(b.Context(), loadtest.Config{
			Subject:     h,
			Path:        benchSearch,
			Duration:    1500 * time.Millisecond,
			Concurrency: 8,
			Rounds:      3,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("\n%s", rep)
	if rep.Subject.Errors > 0 || rep.Bare.Errors > 0 {
		b.Errorf("requests failed: %d to the search handler, %d to the bare one", rep.Subject.Errors, rep.Bare.Errors)
	}
	if rep.Ratio < 0.5 {
		b.Logf("the ratio %.3f is below the target of 0.5", rep.Ratio)
	}
	b.ReportMetric(0, "ns/op") // one op is a whole comparison; its time says nothing
	b.ReportMetric(rep.Ratio, "ratio")
	b.ReportMetric(rep.Subject.RequestsPerSec, "search-req/s")
	b.ReportMetric(rep.Bare.RequestsPerSec, "bare-req/s")
	b.ReportMetric(float64(rep.Overhead.Nanoseconds())/1000, "overhead-µs")
}
