package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"throughcare/internal/demo"
	"throughcare/internal/directory"
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
