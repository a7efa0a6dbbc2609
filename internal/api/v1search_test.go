package api

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

// Service names of the search fixture, in name order.
const (
	sCrisis  = "Crisis Counselling Line"
	sGrant   = "Grantham Counselling" // temporarily closed
	sLeeds   = "Leeds Housing Advice"
	sLincoln = "Lincoln Talking Therapies"
	sSlea    = "Sleaford Recovery Service"
)

// searchFixture is a directory tagged with the shipped vocabulary, as
// /api/v1/search reads service types and needs by their shipped codes.
func searchFixture() *directory.Dataset {
	d := directory.JusticeTaxonomy()
	typ := func(code string) string { return directory.TermID(directory.ServiceTypeTaxonomy, code) }
	need := func(code string) string { return directory.TermID(directory.EligibilityTaxonomy, code) }
	org := id("search:org")
	d.Organizations = []directory.Organization{{ID: org, Name: "East Midlands Health", Description: "An NHS trust."}}
	type svc struct {
		key, name, status, desc string
		minAge, maxAge          *float64
		terms                   []string
		lat, lon                float64 // 0: a virtual location
		area                    directory.ServiceArea
		byday, opens, closes    string
	}
	for _, s := range []svc{
		{key: "lincoln", name: sLincoln, status: "active", desc: "Counselling and talking therapy for adults on probation.",
			minAge: num(18), terms: []string{typ("nhs-talking-therapies"), need("referrals-from-probation"), need("self-referral")},
			lat: lincolnLat, lon: lincolnLon, area: directory.ServiceArea{Name: "Lincoln", URI: "http://statistics.data.gov.uk/id/statistical-geography/E07000138"},
			byday: "MO,TU,WE,TH,FR", opens: "09:00", closes: "17:00"},
		{key: "sleaford", name: sSlea, status: "active", desc: "Drug and alcohol treatment and recovery groups.",
			terms: []string{typ("drug-alcohol-treatment"), need("referrals-from-probation")},
			lat:   sleafordLat, lon: sleafordLon, area: directory.ServiceArea{Name: "Sleaford and around", ExtentType: "geojson",
				Extent: `{"type":"Polygon","coordinates":[[[-0.6,52.9],[-0.2,52.9],[-0.2,53.1],[-0.6,53.1],[-0.6,52.9]]]}`},
			byday: "TH", opens: "18:00", closes: "21:00"},
		{key: "crisis", name: sCrisis, status: "active", desc: "Counsellors answer calls day and night.",
			terms: []string{typ("crisis-mental-health")}, byday: "MO,TU,WE,TH,FR,SA,SU", opens: "00:00", closes: "00:00"},
		{key: "grantham", name: sGrant, status: "temporarily closed", desc: "Counselling for young adults.",
			maxAge: num(25), terms: []string{typ("psychological-therapies")}, lat: 52.9119, lon: -0.6426},
		{key: "leeds", name: sLeeds, status: "active", desc: "Advice for people with nowhere to stay.",
			terms: []string{typ("housing-support"), need("no-fixed-abode")}, lat: 53.797, lon: -1.548},
	} {
		sid, lid := id("search:svc:"+s.key), id("search:loc:"+s.key)
		d.Services = append(d.Services, directory.Service{ID: sid, OrganizationID: org, Name: s.name, Status: s.status,
			Description: s.desc, MinimumAge: s.minAge, MaximumAge: s.maxAge})
		loc := directory.Location{ID: lid, LocationType: "virtual", Name: s.name + " online", URL: "https://example.org/" + s.key}
		if s.lat != 0 {
			loc = directory.Location{ID: lid, LocationType: "physical", Name: s.name + " office", Latitude: num(s.lat), Longitude: num(s.lon)}
		}
		d.Locations = append(d.Locations, loc)
		d.ServiceAtLocations = append(d.ServiceAtLocations, directory.ServiceAtLocation{ID: id("search:sal:" + s.key), ServiceID: sid, LocationID: lid})
		for _, term := range s.terms {
			d.Attributes = append(d.Attributes, directory.Attribute{ID: id("search:attr:" + s.key + term), LinkID: sid, LinkType: "service", TaxonomyTermID: term})
		}
		if s.area.Name != "" {
			a := s.area
			a.ID, a.ServiceID = id("search:area:"+s.key), sid
			d.ServiceAreas = append(d.ServiceAreas, a)
		}
		if s.byday != "" {
			d.Schedules = append(d.Schedules, directory.Schedule{ID: id("search:sched:" + s.key), ServiceID: sid, Freq: "WEEKLY",
				ByDay: s.byday, OpensAt: s.opens, ClosesAt: s.closes})
		}
	}
	return d
}

// thursdayEvening is 19:00 on Thursday 7 May 2026 in UK (summer) time.
var thursdayEvening = time.Date(2026, time.May, 7, 18, 0, 0, 0, time.UTC)

func newSearchHandler(t testing.TB, lookup search.PostcodeLookup) http.Handler {
	t.Helper()
	d := searchFixture()
	if err := directory.Validate(d, nil); err != nil {
		t.Fatalf("search fixture is not valid HSDS: %v", err)
	}
	return New(Config{Engine: engineOf(d), Postcodes: lookup, Now: func() time.Time { return thursdayEvening }, Logger: newBufLogger(testWriter{t})})
}

// searchBody is the answer of /api/v1/search as a client reads it.
type searchBody struct {
	Query      map[string]any `json:"query"`
	TotalItems int            `json:"total_items"`
	TotalPages int            `json:"total_pages"`
	PageNumber int            `json:"page_number"`
	Size       int            `json:"size"`
	FirstPage  bool           `json:"first_page"`
	LastPage   bool           `json:"last_page"`
	Empty      bool           `json:"empty"`
	Contents   []struct {
		Service struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"service"`
		DistanceM           *int64   `json:"distance_m"`
		Score               *float64 `json:"score"`
		ServiceAtLocationID string   `json:"service_at_location_id"`
		Location            *struct {
			ID        string   `json:"id"`
			Name      string   `json:"name"`
			Latitude  *float64 `json:"latitude"`
			Longitude *float64 `json:"longitude"`
		} `json:"location"`
		Eligibility  []string `json:"eligibility"`
		ServiceTypes []string `json:"service_types"`
	} `json:"contents"`
}

func (b searchBody) names() []string {
	out := []string{}
	for _, c := range b.Contents {
		out = append(out, c.Service.Name)
	}
	return out
}

func getSearch(t testing.TB, h http.Handler, query string) searchBody {
	t.Helper()
	var b searchBody
	body := mustOK(t, get(t, h, "/api/v1/search?"+query))
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("%s: %v: %s", query, err, body)
	}
	if b.Contents == nil {
		t.Fatalf("%s: contents missing or null: %s", query, body)
	}
	return b
}

func TestSearchFilters(t *testing.T) {
	h := newSearchHandler(t, (&fakePostcodes{}).lookup)
	active := []string{sCrisis, sLeeds, sLincoln, sSlea}
	for _, tt := range []struct {
		query string
		want  []string
		echo  map[string]any // the query member, exactly
	}{
		{"", active, map[string]any{"sort": "name"}},
		{"include_inactive=1", []string{sCrisis, sGrant, sLeeds, sLincoln, sSlea}, map[string]any{"include_inactive": true, "sort": "name"}},
		// Keywords are stemmed ("counsellors" meets "counselling"), match
		// synonyms ("talking therapy") and type names, and are ranked.
		{"q=counselling", []string{sLincoln, sCrisis}, map[string]any{"q": "counselling", "sort": "relevance"}},
		{"q=counsellor&include_inactive=true", []string{sLincoln, sGrant, sCrisis}, map[string]any{"q": "counsellor", "include_inactive": true, "sort": "relevance"}},
		{"q=addiction", []string{sSlea}, map[string]any{"q": "addiction", "sort": "relevance"}}, // a synonym of drug
		{"q=counselling+housing", []string{}, map[string]any{"q": "counselling housing", "sort": "relevance"}},
		{"q=zebra", []string{}, map[string]any{"q": "zebra", "sort": "relevance"}},
		// Service types: any of them, a broad type with its narrower ones.
		{"type=nhs-talking-therapies", []string{sLincoln}, map[string]any{"types": []any{"nhs-talking-therapies"}, "sort": "name"}},
		{"type=mental-health", []string{sCrisis, sLincoln}, map[string]any{"types": []any{"mental-health"}, "sort": "name"}},
		{"type=housing-support,drug-alcohol-treatment", []string{sLeeds, sSlea}, map[string]any{"types": []any{"housing-support", "drug-alcohol-treatment"}, "sort": "name"}},
		// Needs: all of them.
		{"need=referrals-from-probation", []string{sLincoln, sSlea}, map[string]any{"needs": []any{"referrals-from-probation"}, "sort": "name"}},
		{"need=referrals-from-probation&need=self-referral", []string{sLincoln}, map[string]any{"needs": []any{"referrals-from-probation", "self-referral"}, "sort": "name"}},
		{"accepting=1", []string{sLincoln, sSlea}, map[string]any{"accepting": true, "sort": "name"}},
		{"need=no-fixed-abode", []string{sLeeds}, map[string]any{"needs": []any{"no-fixed-abode"}, "sort": "name"}},
		{"age=16", []string{sCrisis, sLeeds, sSlea}, map[string]any{"age": 16.0, "sort": "name"}},
		{"age=30&include_inactive=1", active, map[string]any{"age": 30.0, "include_inactive": true, "sort": "name"}},
		// Opening times; a service without hours is left out.
		{"day=thursday&time=19:00", []string{sCrisis, sSlea}, map[string]any{"day": "thursday", "time": "19:00", "sort": "name"}},
		{"day=mo&time=10:00", []string{sCrisis, sLincoln}, map[string]any{"day": "monday", "time": "10:00", "sort": "name"}},
		{"day=Friday", []string{sCrisis, sLincoln}, map[string]any{"day": "friday", "time": "12:00", "sort": "name"}},
		{"open_now=1", []string{sCrisis, sSlea}, map[string]any{"day": "thursday", "time": "19:00", "sort": "name"}},
		// Places: nearest first, services without a location last.
		{"where=Lincoln", []string{sLincoln, sSlea, sLeeds, sCrisis},
			map[string]any{"where": "Lincoln", "place": "Lincoln, Lincolnshire", "lat": 53.231, "lon": -0.541, "sort": "distance"}},
		{"where=lincoln&radius=25", []string{sLincoln},
			map[string]any{"where": "lincoln", "place": "Lincoln, Lincolnshire", "lat": 53.231, "lon": -0.541, "radius_km": 25.0, "sort": "distance"}},
		{"where=Lincoln&radius=30", []string{sLincoln, sSlea},
			map[string]any{"where": "Lincoln", "place": "Lincoln, Lincolnshire", "lat": 53.231, "lon": -0.541, "radius_km": 30.0, "sort": "distance"}},
		{"where=Lincoln&sort=name", []string{sCrisis, sLeeds, sLincoln, sSlea},
			map[string]any{"where": "Lincoln", "place": "Lincoln, Lincolnshire", "lat": 53.231, "lon": -0.541, "sort": "name"}},
		{"lat=52.999&lon=-0.409&radius=5", []string{sSlea},
			map[string]any{"place": "52.999000,-0.409000", "lat": 52.999, "lon": -0.409, "radius_km": 5.0, "sort": "distance"}},
		{"where=52.999,-0.409&radius=5", []string{sSlea},
			map[string]any{"where": "52.999,-0.409", "place": "52.999000,-0.409000", "lat": 52.999, "lon": -0.409, "radius_km": 5.0, "sort": "distance"}},
		{"where=LN1+1AA&radius=1", []string{sLincoln},
			map[string]any{"where": "LN1 1AA", "place": "LN1 1AA", "lat": lincolnLat, "lon": lincolnLon, "radius_km": 1.0, "sort": "distance"}},
		{"where=ln11aa&q=counselling", []string{sLincoln, sCrisis},
			map[string]any{"q": "counselling", "where": "ln11aa", "place": "LN1 1AA", "lat": lincolnLat, "lon": lincolnLon, "sort": "relevance"}},
		// Covers: the service's area holds the place, by extent or by the
		// postcode's area codes; services declaring no area are left out.
		{"where=NG34+7SH&covers=1", []string{sSlea},
			map[string]any{"where": "NG34 7SH", "place": "NG34 7SH", "lat": sleafordLat, "lon": sleafordLon, "covers": true, "sort": "distance"}},
		{"where=LN1+1AA&covers=true", []string{sLincoln},
			map[string]any{"where": "LN1 1AA", "place": "LN1 1AA", "lat": lincolnLat, "lon": lincolnLon, "covers": true, "sort": "distance"}},
		{"area=E07000138", []string{sLincoln}, map[string]any{"area": "E07000138", "sort": "name"}},
		{"org=" + id("search:org") + "&type=crisis-mental-health", []string{sCrisis},
			map[string]any{"org": id("search:org"), "types": []any{"crisis-mental-health"}, "sort": "name"}},
		{"org=" + id("search:nobody"), []string{}, map[string]any{"org": id("search:nobody"), "sort": "name"}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			b := getSearch(t, h, tt.query)
			if got := b.names(); !slices.Equal(got, tt.want) || b.TotalItems != len(tt.want) {
				t.Errorf("got %v (total %d), want %v", got, b.TotalItems, tt.want)
			}
			gotEcho, _ := json.Marshal(b.Query)
			wantEcho, _ := json.Marshal(tt.echo)
			if string(gotEcho) != string(wantEcho) {
				t.Errorf("query echo %s, want %s", gotEcho, wantEcho)
			}
			for i, c := range b.Contents {
				// A score only with keywords, descending.
				if (c.Score != nil) != (b.Query["q"] != nil) || c.Score != nil && *c.Score <= 0 {
					t.Errorf("%s: score %v", c.Service.Name, c.Score)
				}
				if c.Score != nil && i > 0 && b.Query["sort"] == "relevance" && *c.Score > *b.Contents[i-1].Score {
					t.Errorf("%s: score %v above the previous result's", c.Service.Name, *c.Score)
				}
				// A distance only with a place, and only to a located service.
				located := c.Location != nil && c.Location.Latitude != nil
				if (c.DistanceM != nil) != (b.Query["lat"] != nil && located) {
					t.Errorf("%s: distance %v", c.Service.Name, c.DistanceM)
				}
			}
		})
	}
}

// Each result carries the nearest location, its distance and the
// service's codes.
func TestSearchResultItems(t *testing.T) {
	h := newSearchHandler(t, nil)
	b := getSearch(t, h, "where=Lincoln&q=counselling")
	if len(b.Contents) != 2 {
		t.Fatalf("got %v", b.names())
	}
	lin, crisis := b.Contents[0], b.Contents[1]
	wantDist := int64(math.Round(geo.Distance(geo.Point{Lat: 53.231, Lon: -0.541}, geo.Point{Lat: lincolnLat, Lon: lincolnLon})))
	if lin.DistanceM == nil || *lin.DistanceM != wantDist || wantDist <= 0 {
		t.Errorf("distance %v, want %d", lin.DistanceM, wantDist)
	}
	if lin.ServiceAtLocationID != id("search:sal:lincoln") || lin.Location == nil || lin.Location.ID != id("search:loc:lincoln") ||
		lin.Location.Name != sLincoln+" office" || *lin.Location.Latitude != lincolnLat || *lin.Location.Longitude != lincolnLon {
		t.Errorf("location %+v %+v", lin.ServiceAtLocationID, lin.Location)
	}
	if !slices.Equal(lin.ServiceTypes, []string{"nhs-talking-therapies"}) || !slices.Equal(lin.Eligibility, []string{"referrals-from-probation", "self-referral"}) {
		t.Errorf("codes %v %v", lin.ServiceTypes, lin.Eligibility)
	}
	// The online crisis line has a location, without coordinates, so no
	// distance; and no eligibility codes, as an empty list.
	if crisis.DistanceM != nil || crisis.Location == nil || crisis.Location.Latitude != nil || crisis.ServiceAtLocationID != id("search:sal:crisis") ||
		crisis.Eligibility == nil || len(crisis.Eligibility) != 0 {
		t.Errorf("crisis line: %+v", crisis)
	}

	// The exact members of the answer and of an item.
	raw := decode(t, mustOK(t, get(t, h, "/api/v1/search?where=Lincoln&q=counselling")))
	if got, want := keys(raw), []string{"contents", "empty", "first_page", "last_page", "page_number", "query", "size", "total_items", "total_pages"}; !slices.Equal(got, want) {
		t.Errorf("answer keys %v, want %v", got, want)
	}
	item := raw["contents"].([]any)[0].(map[string]any)
	if got, want := keys(item), []string{"distance_m", "eligibility", "location", "score", "service", "service_at_location_id", "service_types"}; !slices.Equal(got, want) {
		t.Errorf("item keys %v, want %v", got, want)
	}
	svc := item["service"].(map[string]any)
	if got, want := keys(svc), []string{"description", "id", "minimum_age", "name", "organization", "organization_id", "status"}; !slices.Equal(got, want) {
		t.Errorf("service keys %v, want %v", got, want)
	}
	// Without keywords or a place: neither score nor distance, and the
	// service's own location.
	raw = decode(t, mustOK(t, get(t, h, "/api/v1/search?type=drug-alcohol-treatment")))
	item = raw["contents"].([]any)[0].(map[string]any)
	if got, want := keys(item), []string{"eligibility", "location", "service", "service_at_location_id", "service_types"}; !slices.Equal(got, want) {
		t.Errorf("item keys without keywords or place %v, want %v", got, want)
	}
}

func TestSearchPaging(t *testing.T) {
	h := newSearchHandler(t, nil)
	for _, tt := range []struct {
		query string
		want  searchBody
		names []string
	}{
		{"per_page=3", searchBody{TotalItems: 4, TotalPages: 2, PageNumber: 1, Size: 3, FirstPage: true}, []string{sCrisis, sLeeds, sLincoln}},
		{"per_page=3&page=2", searchBody{TotalItems: 4, TotalPages: 2, PageNumber: 2, Size: 1, LastPage: true}, []string{sSlea}},
		{"per_page=3&page=3", searchBody{TotalItems: 4, TotalPages: 2, PageNumber: 3, LastPage: true, Empty: true}, []string{}},
		{"page=100000", searchBody{TotalItems: 4, TotalPages: 1, PageNumber: 100000, LastPage: true, Empty: true}, []string{}},
		{"per_page=100", searchBody{TotalItems: 4, TotalPages: 1, PageNumber: 1, Size: 4, FirstPage: true, LastPage: true}, []string{sCrisis, sLeeds, sLincoln, sSlea}},
		{"q=zebra", searchBody{PageNumber: 1, FirstPage: true, LastPage: true, Empty: true}, []string{}},
		{"where=Lincoln&per_page=2&page=2", searchBody{TotalItems: 4, TotalPages: 2, PageNumber: 2, Size: 2, LastPage: true}, []string{sLeeds, sCrisis}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			b := getSearch(t, h, tt.query)
			names := b.names()
			b.Query, b.Contents = nil, nil
			if b.TotalItems != tt.want.TotalItems || b.TotalPages != tt.want.TotalPages || b.PageNumber != tt.want.PageNumber ||
				b.Size != tt.want.Size || b.FirstPage != tt.want.FirstPage || b.LastPage != tt.want.LastPage || b.Empty != tt.want.Empty ||
				!slices.Equal(names, tt.names) {
				t.Errorf("got %+v %v\nwant %+v %v", b, names, tt.want, tt.names)
			}
		})
	}
}

// Every bad parameter is a 400 naming it, in the API's error body.
func TestSearchBadParameters(t *testing.T) {
	h := newSearchHandler(t, (&fakePostcodes{}).lookup)
	for _, tt := range []struct {
		query, field, says string // says: part of the message
	}{
		{"where=LN1", "where", "is not a full UK postcode"},
		{"where=LN1+1A", "where", "is not a full UK postcode"},
		{"where=ZZ9+9ZZ", "where", "could not find the postcode ZZ9 9ZZ"},
		{"where=Atlantis", "where", "do not know a town or city called"},
		{"where=" + strings.Repeat("x", 101), "where", "at most 100 characters"},
		{"where=Lincoln&radius=0", "radius", "kilometres from 1 to 200"},
		{"where=Lincoln&radius=201", "radius", "kilometres from 1 to 200"},
		{"where=Lincoln&radius=far", "radius", "kilometres from 1 to 200"},
		{"where=Lincoln&radius=NaN", "radius", "kilometres from 1 to 200"},
		{"radius=10", "radius", "needs a place"},
		{"covers=1", "covers", "needs a place"},
		{"type=no-such-type", "type", `"no-such-type" is not a service type we know`},
		{"type=self-referral", "type", "is not a service type we know"}, // an eligibility code
		{"need=nhs-talking-therapies", "need", "is not an eligibility code we know"},
		{"q=" + strings.Repeat("counselling+", 20), "q", "at most 200 characters"},
		{"page=0", "page", "from 1 to 100000"},
		{"page=100001", "page", "from 1 to 100000"},
		{"per_page=101", "per_page", "from 1 to 100"},
		{"per_page=ten", "per_page", "from 1 to 100"},
		{"sort=random", "sort", "relevance, distance or name"},
		{"sort=distance", "sort", "needs a place"},
		{"lat=91&lon=0", "lat", "latitude from -90 to 90"},
		{"lat=NaN&lon=0", "lat", "latitude from -90 to 90"},
		{"lat=0&lon=NaN", "lon", "longitude from -180 to 180"},
		{"lat=53", "lat", "together"},
		{"lat=53&lon=200", "lon", "longitude from -180 to 180"},
		{"age=-1", "age", "from 0 to 120"},
		{"age=200", "age", "from 0 to 120"},
		{"day=funday", "day", "day of the week"},
		{"day=mo&time=25:00", "time", "HH:MM"},
		{"open_now=perhaps", "open_now", "true or false"},
		{"accepting=maybe", "accepting", "true or false"},
		{"area=Lincoln", "area", "is not an area code"},
		{"org=nobody", "org", "UUID"},
		{"include_inactive=2", "include_inactive", "true or false"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			rec := get(t, h, "/api/v1/search?"+tt.query)
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			d := body.Error
			if rec.Code != 400 || d.Status != 400 || d.Field != tt.field || !strings.HasPrefix(d.Message, tt.field+": ") || !strings.Contains(d.Message, tt.says) {
				t.Errorf("got %d %s\nwant 400 naming %s, saying %q", rec.Code, rec.Body, tt.field, tt.says)
			}
		})
	}

	// Query strings: too long, or malformed.
	for _, tt := range []struct{ target, message string }{
		{"/api/v1/search?q=" + strings.Repeat("a", 2049-len("q=")), "the query string is longer than 2048 bytes"},
		{"/api/v1/search?q=%zz", `the query string is malformed: invalid URL escape "%zz"`},
	} {
		rec := get(t, h, tt.target)
		want, _ := json.Marshal(errorBody{errorDetail{Status: 400, Message: tt.message}})
		if rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != string(want) {
			t.Errorf("%.40s…: got %d %s, want %s", tt.target, rec.Code, rec.Body, want)
		}
	}
}

// Without a postcode directory, a postcode search says how to load one;
// towns and coordinates still work.
func TestSearchWithoutPostcodes(t *testing.T) {
	for name, lookup := range map[string]search.PostcodeLookup{
		"no lookup": nil,
		"nothing loaded": func(context.Context, string) (geo.Point, []string, error) {
			return geo.Point{}, nil, search.ErrNoPostcodes
		},
	} {
		h := newSearchHandler(t, lookup)
		rec := get(t, h, "/api/v1/search?where="+url.QueryEscape("LN1 1AA"))
		var body errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != 400 || body.Error.Field != "where" || !strings.Contains(body.Error.Message, "needs the ONS Postcode Directory") ||
			!strings.Contains(body.Error.Message, "throughcare import onspd") {
			t.Errorf("%s: got %d %s", name, rec.Code, rec.Body)
		}
		if b := getSearch(t, h, "where=Sleaford&radius=5"); !slices.Equal(b.names(), []string{sSlea}) {
			t.Errorf("%s: town search gave %v", name, b.names())
		}
	}
}

func TestSearchHTTP(t *testing.T) {
	h := newSearchHandler(t, nil)
	for _, tt := range []struct {
		method, target string
		status         int
		ctype          string
	}{
		{"GET", "/api/v1/search", 200, "application/json"},
		{"HEAD", "/api/v1/search?q=counselling", 200, "application/json"},
		{"GET", "/api/v1/search?page=0", 400, "application/json"},
		{"OPTIONS", "/api/v1/search", 204, ""},
		{"POST", "/api/v1/search", 405, "application/json"},
		{"GET", "/api/v1/nothing-here", 404, "application/json"},
		{"GET", "/api/v1/", 404, "application/json"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
		if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.ctype || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s %s: %d %q CORS %q, want %d %q", tt.method, tt.target, rec.Code, rec.Header().Get("Content-Type"),
				rec.Header().Get("Access-Control-Allow-Origin"), tt.status, tt.ctype)
		}
	}
}

// The answer validates against our OpenAPI document, and each service in
// it against the HSDS service list and ORUK service schemas.
func TestSearchResponsesValidate(t *testing.T) {
	s := schemas(t)
	h := newSearchHandler(t, (&fakePostcodes{}).lookup)
	n := 0
	for _, q := range []string{"", "include_inactive=1&per_page=100", "where=Lincoln&q=counselling", "where=LN1+1AA&covers=1&open_now=1",
		"type=mental-health&need=self-referral&age=30&day=mo&time=10:00&sort=name", "page=9", "accepting=1&area=E07000138&org=" + id("search:org")} {
		body := mustOK(t, get(t, h, "/api/v1/search?"+q))
		noEmptyValues(t, q, body)
		s.check(t, ours("/search", "200", "application/json"), body)
		for _, c := range decode(t, body)["contents"].([]any) {
			svc, _ := json.Marshal(c.(map[string]any)["service"])
			s.check(t, hsdsBase+"compiled/service_list.json", svc)
			s.check(t, orukBase+"service.json", svc)
			n++
		}
	}
	if n < 8 {
		t.Errorf("only %d services checked", n)
	}
	// Over the synthetic directory too.
	hs := New(Config{Engine: engineOf(demoDirectory())})
	body := mustOK(t, get(t, hs, "/api/v1/search?q=counselling&where=Leeds&radius=50&per_page=100"))
	s.check(t, ours("/search", "200", "application/json"), body)
	items := decode(t, body)["contents"].([]any)
	if len(items) == 0 {
		t.Fatal("no synthetic results")
	}
	for _, c := range items {
		svc, _ := json.Marshal(c.(map[string]any)["service"])
		noEmptyValues(t, "synthetic", svc)
		s.check(t, hsdsBase+"compiled/service_list.json", svc)
		s.check(t, orukBase+"service.json", svc)
	}
	for _, target := range []string{"/api/v1/search?type=nope", "/api/v1/nowhere"} {
		rec := get(t, h, target)
		s.check(t, oursURL+"#/components/schemas/Error", rec.Body.Bytes())
	}
	// The response schema really is checked.
	for _, doc := range []string{
		`{"query":{"sort":"name"},"total_items":0,"total_pages":0,"page_number":1,"size":0,"first_page":true,"last_page":true,"empty":true,"contents":[{"eligibility":[],"service_types":[]}]}`,
		`{"query":{"sort":"sideways"},"total_items":0,"total_pages":0,"page_number":1,"size":0,"first_page":true,"last_page":true,"empty":true,"contents":[]}`,
		`{"total_items":0,"total_pages":0,"page_number":1,"size":0,"first_page":true,"last_page":true,"empty":true,"contents":[]}`,
	} {
		v, err := json.Marshal(json.RawMessage(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := validates(t, s, ours("/search", "200", "application/json"), v); err == nil {
			t.Errorf("the search schema accepted %s", doc)
		}
	}
}

// demoDirectory is a small synthetic directory.
func demoDirectory() *directory.Dataset { return demo.Generate(400, 2) }

// validates returns the schema error of doc against the schema at url.
func validates(t testing.TB, s *schemaSet, url string, doc []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
	if err != nil {
		return err
	}
	return s.schema(t, url).Validate(v)
}

// Past the budget, briefs and links are still right but no longer kept.
func TestKeptJSONIsBounded(t *testing.T) {
	v := newView(search.New(directory.NewIndex(searchFixture())))
	first := v.brief(0)
	if v.briefs[0].Load() != first || v.brief(0) != first {
		t.Fatal("a brief under the budget was not kept")
	}
	link := string(v.searchLink(0))
	if !strings.HasPrefix(link, `,"service_at_location_id":"`+v.x.ServiceAtLocationAt(0).ID+`","location":{"id":`) {
		t.Errorf("link members %s", link)
	}
	v.keptBytes.Store(maxKeptBytes)
	b := v.brief(1)
	if v.briefs[1].Load() != nil || !json.Valid(b.json) || !strings.Contains(string(b.json), v.x.ServiceAt(1).ID) {
		t.Errorf("over the budget: kept %v, json %s", v.briefs[1].Load() != nil, b.json)
	}
	if got := string(v.searchLink(1)); v.links[1].Load() != nil || !strings.Contains(got, v.x.ServiceAtLocationAt(1).ID) {
		t.Errorf("over the budget: link %s kept %v", got, v.links[1].Load() != nil)
	}
	if string(v.searchLink(0)) != link {
		t.Error("a kept link changed")
	}
}

// TestAppendScore checks that scores are written exactly as
// strconv.AppendFloat writes them once rounded to thousandths: whole
// numbers, trailing zeros, tiny, large and random scores.
func TestAppendScore(t *testing.T) {
	scores := []float64{0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.5, 1, 1.5, 2.25, 2.2504, 9.9995, 10, 10.1, 123.456, 999.9999, 1e6 + 0.25, 1e9 + 0.001, 3e12, 1e300}
	r := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		scores = append(scores, r.Float64()*30, r.ExpFloat64()*1000, float64(r.IntN(100000))/1000)
	}
	for _, s := range scores {
		got := string(appendScore([]byte("x"), s))
		if want := "x" + strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64); got != want {
			t.Fatalf("score %v: wrote %s, want %s", s, got, want)
		}
	}
}
