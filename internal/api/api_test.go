package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

func TestRoot(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, tt := range []struct {
		name    string
		host    string
		proto   string
		tls     bool
		wantURL string
	}{
		{"plain", "directory.example.org", "", false, "http://directory.example.org/openreferral/openapi.json"},
		{"behind a TLS proxy", "directory.example.org", "https", false, "https://directory.example.org/openreferral/openapi.json"},
		{"proxy lists several", "directory.example.org:8080", "HTTPS, http", false, "https://directory.example.org:8080/openreferral/openapi.json"},
		{"junk proto ignored", "directory.example.org", "gopher", false, "http://directory.example.org/openreferral/openapi.json"},
		{"direct TLS", "directory.example.org", "", true, "https://directory.example.org/openreferral/openapi.json"},
		{"proxy says http over TLS", "directory.example.org", "http", true, "http://directory.example.org/openreferral/openapi.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/openreferral/", nil)
			r.Host = tt.host
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var got map[string]string
			if err := json.Unmarshal(mustOK(t, rec), &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"version":     "HSDS-UK-3.0",
				"profile":     "https://github.com/openreferral/uk-profile",
				"openapi_url": tt.wantURL,
			}
			if len(got) != len(want) {
				t.Errorf("got keys %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestCORSAndContentTypeOnEveryAnswer(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, tt := range []struct {
		method, target string
		status         int
		ctype          string
	}{
		{"GET", "/openreferral/", 200, "application/json"},
		{"GET", "/openreferral/openapi.json", 200, "application/json"},
		{"GET", "/openreferral/services", 200, "application/json"},
		{"GET", "/openreferral/services?format=ndjson", 200, "application/x-ndjson"},
		{"GET", "/openreferral/services/" + svcTalk, 200, "application/json"},
		{"GET", "/openreferral/services?per_page=0", 400, "application/json"},
		{"GET", "/openreferral/services/" + id("nothing"), 404, "application/json"},
		{"GET", "/openreferral/no-such-endpoint", 404, "application/json"},
		{"POST", "/openreferral/services", 405, "application/json"},
		{"OPTIONS", "/openreferral/services", 204, ""},
		{"HEAD", "/openreferral/services", 200, "application/json"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tt.method, tt.target, rec.Code, tt.status, rec.Body)
		}
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want *", tt.method, tt.target, got)
		}
		if got := rec.Header().Get("Content-Type"); got != tt.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", tt.method, tt.target, got, tt.ctype)
		}
	}
}

func TestMethodsOtherThanGet(t *testing.T) {
	h := newTestHandler(t, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/openreferral/services/"+svcTalk, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
		t.Errorf("DELETE: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	want := `{"error":{"status":405,"message":"this API is read-only: use GET"}}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("DELETE body %s, want %s", rec.Body, want)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/openreferral/services", nil))
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Methods") != "GET, HEAD, OPTIONS" || rec.Body.Len() != 0 {
		t.Errorf("OPTIONS: status %d, methods %q, body %q", rec.Code, rec.Header().Get("Access-Control-Allow-Methods"), rec.Body)
	}

	// HEAD gets the headers of GET, over a real connection.
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := srv.Client().Head(srv.URL + "/openreferral/services/" + svcTalk)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ContentLength <= 0 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: status %d, length %d, type %q", res.StatusCode, res.ContentLength, res.Header.Get("Content-Type"))
	}
}

// Every malformed known parameter is a 400 that names it; the body is
// exactly the documented error shape.
func TestBadParameters(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, tt := range []struct {
		target, field, message string
	}{
		{"/services?page=0", "page", "page: must be a whole number of 1 or more"},
		{"/services?page=abc", "page", "page: must be a whole number of 1 or more"},
		{"/services?page=1.5", "page", "page: must be a whole number of 1 or more"},
		{"/services?page=99999999999999999999", "page", "page: must be a whole number of 1 or more"},
		{"/services?per_page=0", "per_page", "per_page: must be a whole number from 1 to 1000"},
		{"/services?per_page=1001", "per_page", "per_page: must be a whole number from 1 to 1000"},
		{"/services?per_page=ten", "per_page", "per_page: must be a whole number from 1 to 1000"},
		{"/services?format=xml", "format", "format: must be json or ndjson"},
		{"/services?full=maybe", "full", "full: must be true or false"},
		{"/services?minimal=yes", "minimal", "minimal: must be true or false"},
		{"/services?minimal=true&full=true", "minimal", "minimal: cannot be combined with full"},
		{"/services?taxonomy_term_id=mental-health", "taxonomy_term_id", "taxonomy_term_id: must be a UUID, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"},
		{"/services?taxonomy_id=123", "taxonomy_id", "taxonomy_id: must be a UUID, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"},
		{"/services?organization_id=minds", "organization_id", "organization_id: must be a UUID, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"},
		{"/services?modified_after=2024-01-01", "modified_after", "modified_after: must be an RFC 3339 date-time, such as 2024-05-01T09:00:00Z"},
		{"/services?modified_after=yesterday", "modified_after", "modified_after: must be an RFC 3339 date-time, such as 2024-05-01T09:00:00Z"},
		{"/services?minimum_age=-1", "minimum_age", "minimum_age: must be an age in years from 0 to 150"},
		{"/services?minimum_age=adult", "minimum_age", "minimum_age: must be an age in years from 0 to 150"},
		{"/services?maximum_age=200", "maximum_age", "maximum_age: must be an age in years from 0 to 150"},
		{"/services?maximum_age=NaN", "maximum_age", "maximum_age: must be an age in years from 0 to 150"},
		{"/services?minimum_age=30&maximum_age=20", "maximum_age", "maximum_age: must not be less than minimum_age"},
		{"/services?day=funday", "day", "day: must be a day of the week: MO, TU, WE, TH, FR, SA or SU, or the day's name"},
		{"/services?start_time=9am", "start_time", "start_time: must be a time of day as HH:MM, such as 09:30"},
		{"/services?start_time=24:00", "start_time", "start_time: must be a time of day as HH:MM, such as 09:30"},
		{"/services?start_time=12:60", "start_time", "start_time: must be a time of day as HH:MM, such as 09:30"},
		{"/services?end_time=25:00", "end_time", "end_time: must be a time of day as HH:MM, such as 09:30"},
		{"/services?start_time=10:00&end_time=09:00", "end_time", "end_time: must be later than start_time"},
		{"/service_at_locations?page=-1", "page", "page: must be a whole number of 1 or more"},
		{"/service_at_locations?day=XX", "day", "day: must be a day of the week: MO, TU, WE, TH, FR, SA or SU, or the day's name"},
		{"/service_at_locations?lat=91&lon=0", "lat", "lat: must be a latitude from -90 to 90"},
		{"/service_at_locations?lat=53&lon=181", "lon", "lon: must be a longitude from -180 to 180"},
		{"/service_at_locations?lat=53", "lon", "lon: is needed with lat"},
		{"/service_at_locations?lon=-0.5", "lat", "lat: is needed with lon"},
		{"/service_at_locations?lat=53&lon=-0.5&proximity=0", "proximity", "proximity: must be a distance in metres from 1 to 1000000"},
		{"/service_at_locations?lat=53&lon=-0.5&proximity=1000001", "proximity", "proximity: must be a distance in metres from 1 to 1000000"},
		{"/service_at_locations?proximity=1000", "proximity", "proximity: needs lat and lon, or postcode"},
		{"/service_at_locations?postcode=LN1+1AA&lat=53&lon=0", "postcode", "postcode: give either postcode or lat and lon, not both"},
		{"/service_at_locations?postcode=LN1+1AA&proximity=1000", "postcode", "postcode: postcode search needs the ONS Postcode Directory; load it with `throughcare import onspd FILE.csv`"},
		{"/service_at_locations?full=2", "full", "full: must be true or false"},
		{"/organizations?per_page=5000", "per_page", "per_page: must be a whole number from 1 to 1000"},
		{"/organizations?full_service=please", "full_service", "full_service: must be true or false"},
		{"/organizations?full=please", "full", "full: must be true or false"},
		{"/organizations/" + orgMinds + "?full_service=please", "full_service", "full_service: must be true or false"},
		{"/taxonomies?format=csv", "format", "format: must be json or ndjson"},
		{"/taxonomy_terms?top_only=perhaps", "top_only", "top_only: must be true or false"},
		{"/taxonomy_terms?parent_id=mental-health", "parent_id", "parent_id: must be a UUID, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"},
		{"/taxonomy_terms?taxonomy_id=types", "taxonomy_id", "taxonomy_id: must be a UUID, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"},
	} {
		t.Run(tt.target, func(t *testing.T) {
			rec := get(t, h, "/openreferral"+tt.target)
			want, _ := json.Marshal(errorBody{errorDetail{Status: 400, Message: tt.message, Field: tt.field}})
			if rec.Code != http.StatusBadRequest || strings.TrimSpace(rec.Body.String()) != string(want) {
				t.Errorf("got %d %s\nwant 400 %s", rec.Code, rec.Body, want)
			}
		})
	}
}

func TestBadQueryStrings(t *testing.T) {
	h := newTestHandler(t, nil)
	long := "/openreferral/services?search=" + strings.Repeat("a", 2048)
	for _, tt := range []struct{ target, message string }{
		{long, "the query string is longer than 2048 bytes"},
		{"/openreferral/services/" + svcTalk + "?x=" + strings.Repeat("b", 2100), "the query string is longer than 2048 bytes"},
		{"/openreferral/services?search=%zz", `the query string is malformed: invalid URL escape "%zz"`},
	} {
		rec := get(t, h, tt.target)
		var body errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != 400 || body.Error.Status != 400 || body.Error.Message != tt.message || body.Error.Field != "" {
			t.Errorf("%.60s…: got %d %s", tt.target, rec.Code, rec.Body)
		}
	}
	// Exactly at the limit is fine.
	at := "/openreferral/services?search=" + strings.Repeat("a", 2048-len("search="))
	if rec := get(t, h, at); rec.Code != http.StatusOK {
		t.Errorf("query of 2048 bytes: status %d", rec.Code)
	}
	// Parameters we do not know are ignored.
	if p := getPage(t, h, "/openreferral/services?colour=blue&page=1"); p.TotalItems != 4 {
		t.Errorf("unknown parameter changed the answer: %d items", p.TotalItems)
	}
}

func TestNotFound(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, tt := range []struct{ target, message string }{
		{"/openreferral/services/" + id("nothing"), "there is no service with this id"},
		{"/openreferral/services/" + strings.ToUpper(id("nothing")), "there is no service with this id"},
		{"/openreferral/services/not-a-uuid", "there is no service with this id"},
		{"/openreferral/services/" + orgMinds, "there is no service with this id"},
		{"/openreferral/service_at_locations/" + svcTalk, "there is no service_at_location with this id"},
		{"/openreferral/service_at_locations/x", "there is no service_at_location with this id"},
		{"/openreferral/organizations/" + svcTalk, "there is no organization with this id"},
		{"/openreferral/taxonomies/" + termMH, "there is no taxonomy with this id"},
		{"/openreferral/taxonomy_terms/" + taxTypes, "there is no taxonomy term with this id"},
		{"/openreferral/services/" + svcTalk + "/extra", "there is no endpoint at /openreferral/services/" + svcTalk + "/extra"},
		{"/openreferral/services/", "there is no endpoint at /openreferral/services/"},
	} {
		rec := get(t, h, tt.target)
		want, _ := json.Marshal(errorBody{errorDetail{Status: 404, Message: tt.message}})
		if rec.Code != http.StatusNotFound || strings.TrimSpace(rec.Body.String()) != string(want) {
			t.Errorf("%s: got %d %s, want 404 %s", tt.target, rec.Code, rec.Body, want)
		}
	}
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	var logged strings.Builder
	h := New(Config{
		Engine: engineOf(fixture()),
		Logger: newBufLogger(&logged),
		Postcodes: func(context.Context, string) (geo.Point, []string, error) {
			return geo.Point{}, nil, errors.New("postcode table is locked")
		},
	})
	for _, target := range []string{"/openreferral/service_at_locations?postcode=LN1+1AA", "/api/v1/search?where=LN1+1AA"} {
		logged.Reset()
		rec := get(t, h, target)
		if rec.Code != 500 || strings.TrimSpace(rec.Body.String()) != `{"error":{"status":500,"message":"Internal error."}}` {
			t.Errorf("%s: got %d %s", target, rec.Code, rec.Body)
		}
		if !strings.Contains(logged.String(), "postcode table is locked") {
			t.Errorf("%s: the cause was not logged: %q", target, logged.String())
		}
	}
}

// fakePostcodes knows three postcodes: one in Lincoln, one in Sleaford
// (North Kesteven) and one with no location. It records what it was asked.
type fakePostcodes struct{ asked []string }

func (f *fakePostcodes) lookup(_ context.Context, pc string) (geo.Point, []string, error) {
	f.asked = append(f.asked, pc)
	switch pc {
	case "LN1 1AA":
		return geo.Point{Lat: lincolnLat, Lon: lincolnLon}, []string{"E07000138", "E10000019", "E12000004"}, nil
	case "NG34 7SH":
		return geo.Point{Lat: sleafordLat, Lon: sleafordLon}, []string{"E07000139", "E10000019", "E12000004"}, nil
	}
	return geo.Point{}, nil, apperr.Errorf(apperr.NotFound, "no such postcode")
}

func TestPostcodeSearch(t *testing.T) {
	var pcs fakePostcodes
	h := New(Config{Engine: engineOf(fixture()), Postcodes: pcs.lookup})
	for _, tt := range []struct {
		query string
		want  []string
	}{
		// Talking Space serves Lincoln (E07000138) only, so it is not
		// listed at its Sleaford office for a Sleaford postcode.
		{"postcode=NG34+7SH&proximity=1000", []string{"youth@sleaford"}},
		{"postcode=ng347sh&proximity=30000", []string{"youth@sleaford", "drugs@lincoln"}},
		{"postcode=LN1+1AA&proximity=1000", []string{"drugs@lincoln", "talk@lincoln"}},
		{"postcode=LN1+1AA&proximity=30000", []string{"drugs@lincoln", "talk@lincoln", "talk@sleaford", "youth@sleaford"}},
		{"postcode=LN1+1AA", []string{"drugs@lincoln", "talk@lincoln", "talk@sleaford", "youth@sleaford"}},
		{"postcode=LN1+1AA&proximity=30000&search=counsel", []string{"talk@lincoln", "talk@sleaford"}},
		// A bare point has no area codes, so an area given only by code
		// cannot be checked and does not exclude the service.
		{"lat=52.9990&lon=-0.4090&proximity=1000", []string{"talk@sleaford", "youth@sleaford"}},
	} {
		p := getPage(t, h, "/openreferral/service_at_locations?"+tt.query)
		if got := p.field(t, "description"); !sameStrings(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, tt := range []struct{ pc, message string }{
		{"ZZ9 9ZZ", "postcode: ZZ9 9ZZ is not a postcode we know"},
		{"XX1", "postcode: too short: a full postcode has 5 to 7 letters and digits, e.g. LN1 1AA"},
	} {
		rec := get(t, h, "/openreferral/service_at_locations?postcode="+url.QueryEscape(tt.pc))
		want, _ := json.Marshal(errorBody{errorDetail{Status: 400, Message: tt.message, Field: "postcode"}})
		if rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != string(want) {
			t.Errorf("%s: got %d %s, want %s", tt.pc, rec.Code, rec.Body, want)
		}
	}
	// Postcodes are normalised before the lookup; a malformed one is
	// refused without one.
	want := []string{"NG34 7SH", "NG34 7SH", "LN1 1AA", "LN1 1AA", "LN1 1AA", "LN1 1AA", "ZZ9 9ZZ"}
	if !sameStrings(pcs.asked, want) {
		t.Errorf("lookup asked %v, want %v", pcs.asked, want)
	}

	// A lookup that has no postcodes loaded gets the same answer as no
	// lookup at all.
	empty := New(Config{Engine: engineOf(fixture()), Postcodes: func(context.Context, string) (geo.Point, []string, error) {
		return geo.Point{}, nil, search.ErrNoPostcodes
	}})
	rec := get(t, empty, "/openreferral/service_at_locations?postcode=LN1+1AA")
	if want, _ := json.Marshal(errorBody{errorDetail{Status: 400, Message: errNoPostcodes.Error(), Field: "postcode"}}); rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != string(want) {
		t.Errorf("no postcodes loaded: got %d %s", rec.Code, rec.Body)
	}
}

// Service areas with an extent are checked against the point itself, for
// lat and lon as for a postcode.
func TestServiceAreaExtents(t *testing.T) {
	d := fixture()
	// A box around Sleaford only, for the youth service.
	d.ServiceAreas = append(d.ServiceAreas, directory.ServiceArea{
		ID: id("area:youth"), ServiceID: svcYouth, Name: "Sleaford and around", ExtentType: "geojson",
		Extent: `{"type":"Polygon","coordinates":[[[-0.6,52.9],[-0.2,52.9],[-0.2,53.1],[-0.6,53.1],[-0.6,52.9]]]}`,
	})
	var pcs fakePostcodes
	h := New(Config{Engine: engineOf(d), Postcodes: pcs.lookup})
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"lat=53.2307&lon=-0.5406&proximity=30000", []string{"drugs@lincoln", "talk@lincoln", "talk@sleaford"}},
		{"lat=52.9990&lon=-0.4090&proximity=30000", []string{"talk@sleaford", "youth@sleaford", "drugs@lincoln", "talk@lincoln"}},
		{"postcode=LN1+1AA&proximity=30000", []string{"drugs@lincoln", "talk@lincoln", "talk@sleaford"}},
		{"postcode=NG34+7SH&proximity=30000", []string{"youth@sleaford", "drugs@lincoln"}},
		// Without a place, areas do not matter.
		{"search=youth", []string{"youth@sleaford"}},
	} {
		p := getPage(t, h, "/openreferral/service_at_locations?"+tt.query)
		if got := p.field(t, "description"); !sameStrings(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.query, got, tt.want)
		}
	}
}

// A new snapshot is served as soon as Config.Index returns it.
func TestServesTheCurrentSnapshot(t *testing.T) {
	var cur atomic.Pointer[search.Engine]
	cur.Store(search.New(directory.NewIndex(fixture())))
	h := New(Config{Engine: cur.Load})
	if p := getPage(t, h, "/openreferral/services"); p.TotalItems != 4 {
		t.Fatalf("first snapshot: %d services", p.TotalItems)
	}
	d := fixture()
	d.Services = append(d.Services, directory.Service{ID: id("svc:new"), Name: "Aardvark Advice", Status: "active"})
	cur.Store(search.New(directory.NewIndex(d)))
	p := getPage(t, h, "/openreferral/services?per_page=1")
	if got := p.field(t, "name"); p.TotalItems != 5 || !sameStrings(got, []string{"Aardvark Advice"}) {
		t.Errorf("second snapshot: %d services, first %v", p.TotalItems, got)
	}
	cur.Store(nil)
	if p := getPage(t, h, "/openreferral/services"); p.TotalItems != 0 || !p.Empty {
		t.Errorf("nil snapshot: %+v", p)
	}
}

func TestNewWithoutEnginePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted a Config without Engine")
		}
	}()
	New(Config{})
}

// Concurrent first requests share one view and its lazily built parts; run
// with -race to check.
func TestConcurrentRequests(t *testing.T) {
	h := newTestHandler(t, nil)
	targets := []string{
		"/openreferral/services?search=counselling",
		"/openreferral/services?modified_after=2024-01-01T00:00:00Z",
		"/openreferral/services?day=MO&start_time=10:00",
		"/openreferral/service_at_locations?lat=53.2&lon=-0.5&proximity=50000",
		"/openreferral/service_at_locations?search=drug&day=TH",
		"/openreferral/organizations?search=minds",
		"/openreferral/taxonomy_terms?top_only=true",
		"/openreferral/services?format=ndjson",
		"/api/v1/search?q=counselling&lat=53.2&lon=-0.5",
		"/api/v1/search?day=th&per_page=2&page=2",
	}
	want := make([]string, len(targets))
	var wg sync.WaitGroup
	for round := range 2 {
		for i, target := range targets {
			wg.Go(func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
				if rec.Code != http.StatusOK {
					t.Errorf("%s: %d", target, rec.Code)
				}
				if round == 0 {
					want[i] = rec.Body.String()
				} else if rec.Body.String() != want[i] {
					t.Errorf("%s: answer changed between rounds", target)
				}
			})
		}
		wg.Wait()
	}
}
