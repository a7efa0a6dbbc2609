package api

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"throughcare/internal/directory"
)

const (
	crisis = "Crisis Line"
	drugs  = "Drug and Alcohol Recovery"
	talk   = "Talking Space"
	youth  = "Youth Outreach"
)

func TestServiceFilters(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{crisis, drugs, talk, youth}},
		{"colour=blue", []string{crisis, drugs, talk, youth}},
		// search: every word must begin a word of name, alternate name,
		// description or organisation name, in any case.
		{"search=counsel", []string{talk}},
		{"search=COUNSELLING+Probation", []string{talk}},
		{"search=men", []string{crisis}}, // "mental", not "women"
		{"search=women", []string{drugs}},
		{"search=minds", []string{crisis, talk}},     // organisation name
		{"search=dars", []string{drugs}},             // alternate name
		{"search=talking+crisis", nil},               // every word must match
		{"search=round-the-clock", []string{crisis}}, // punctuation splits words
		{"search=%21%21%21", []string{crisis, drugs, talk, youth}},
		{"taxonomy_term_id=" + termMH, []string{crisis, talk}}, // and the terms below it
		{"taxonomy_term_id=" + termTalk, []string{talk}},
		{"taxonomy_term_id=" + id("term:none"), nil},
		{"taxonomy_id=" + taxElig, []string{talk}},
		{"taxonomy_id=" + taxTypes, []string{crisis, drugs, talk}},
		{"taxonomy_id=" + taxTypes + "&taxonomy_term_id=" + termSub, []string{drugs}},
		{"taxonomy_id=" + taxElig + "&taxonomy_term_id=" + termSub, nil},
		{"organization_id=" + orgRecovery, []string{drugs, youth}},
		{"organization_id=" + id("org:none"), nil},
		// modified_after is inclusive; Crisis Line changed at 23:00Z.
		{"modified_after=2024-03-01T10:00:00Z", []string{crisis, talk}},
		{"modified_after=2024-03-01T10:00:01Z", []string{crisis}},
		{"modified_after=2024-05-31T23:00:00Z", []string{crisis}},
		{"modified_after=2024-06-01T00:30:00%2B01:00", nil},
		{"modified_after=2024-06-01T00:30:00%2B02:00", []string{crisis}},
		{"modified_after=2024-06-01T00:30:00+02:00", []string{crisis}}, // "+" sent unescaped
		{"modified_after=2020-01-01T00:00:00Z", []string{crisis, talk, youth}},
		// Ages: ranges overlap; a missing bound is open.
		{"minimum_age=18&maximum_age=25", []string{crisis, drugs, talk}},
		{"minimum_age=66", []string{crisis, drugs}},
		{"minimum_age=65", []string{crisis, drugs, talk}},
		{"maximum_age=12", []string{crisis, youth}},
		{"minimum_age=17.5&maximum_age=17.9", []string{crisis}},
		// Days and times, from service and service-at-location schedules.
		{"day=MO", []string{crisis, talk}},
		{"day=thursday", []string{crisis, drugs}},
		{"day=Th&start_time=18:30&end_time=20:00", []string{crisis, drugs}},
		{"day=TH&start_time=17:00&end_time=20:00", []string{crisis}},
		{"day=MO&start_time=09:00&end_time=17:00", []string{crisis, talk}},
		{"day=MO&start_time=16:00&end_time=18:00", []string{crisis}},
		{"day=SU", []string{crisis}},
		{"start_time=20:30", []string{crisis, drugs}},
		{"start_time=21:00", []string{crisis}},
		{"end_time=17:00", []string{crisis, talk}},
		{"end_time=24:00", []string{crisis}},
		{"start_time=08:59:59", []string{crisis}},
		// Filters combine.
		{"search=support&organization_id=" + orgRecovery, []string{drugs}},
		{"day=TH&minimum_age=18&search=groups", []string{drugs}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			p := getPage(t, h, "/openreferral/services?"+tt.query)
			got := p.field(t, "name")
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !sameStrings(got, want) || p.TotalItems != len(want) {
				t.Errorf("got %v (total %d), want %v", got, p.TotalItems, want)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, tt := range []struct {
		query string
		want  page
		names []string
	}{
		{"", page{TotalItems: 4, TotalPages: 1, PageNumber: 1, Size: 4, FirstPage: true, LastPage: true}, []string{crisis, drugs, talk, youth}},
		{"per_page=3", page{TotalItems: 4, TotalPages: 2, PageNumber: 1, Size: 3, FirstPage: true}, []string{crisis, drugs, talk}},
		{"per_page=3&page=2", page{TotalItems: 4, TotalPages: 2, PageNumber: 2, Size: 1, LastPage: true}, []string{youth}},
		{"per_page=3&page=3", page{TotalItems: 4, TotalPages: 2, PageNumber: 3, Size: 0, LastPage: true, Empty: true}, []string{}},
		{"per_page=2&page=2", page{TotalItems: 4, TotalPages: 2, PageNumber: 2, Size: 2, LastPage: true}, []string{talk, youth}},
		{"per_page=1&page=4", page{TotalItems: 4, TotalPages: 4, PageNumber: 4, Size: 1, LastPage: true}, []string{youth}},
		{"per_page=1000", page{TotalItems: 4, TotalPages: 1, PageNumber: 1, Size: 4, FirstPage: true, LastPage: true}, []string{crisis, drugs, talk, youth}},
		{"page=9223372036854775807", page{TotalItems: 4, TotalPages: 1, PageNumber: math.MaxInt, LastPage: true, Empty: true}, []string{}},
		{"search=nothing-matches", page{TotalItems: 0, TotalPages: 0, PageNumber: 1, FirstPage: true, LastPage: true, Empty: true}, []string{}},
		{"search=nothing-matches&page=2", page{TotalItems: 0, TotalPages: 0, PageNumber: 2, LastPage: true, Empty: true}, []string{}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			p := getPage(t, h, "/openreferral/services?"+tt.query)
			names := p.field(t, "name")
			p.Contents = nil
			if !reflect.DeepEqual(p, tt.want) || !sameStrings(names, tt.names) {
				t.Errorf("got %+v %v\nwant %+v %v", p, names, tt.want, tt.names)
			}
		})
	}
}

// decode turns a JSON body into a generic value.
func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestServiceListForms(t *testing.T) {
	h := newTestHandler(t, nil)

	// The list form: one-to-one fields with organisation and programme, no arrays.
	p := getPage(t, h, "/openreferral/services?search=talking")
	item := decode(t, p.Contents[0])
	want := []string{"assured_date", "description", "eligibility_description", "email", "id", "last_modified", "maximum_age",
		"minimum_age", "name", "organization", "organization_id", "program", "program_id", "status", "url"}
	if got := keys(item); !sameStrings(got, want) {
		t.Errorf("list item keys %v, want %v", got, want)
	}
	if org := item["organization"].(map[string]any); org["name"] != "Lincoln Minds" || org["phones"] != nil {
		t.Errorf("nested organisation %v", org)
	}

	// minimal: id, name, status and last_modified only, 1000 a page.
	p = getPage(t, h, "/openreferral/services?minimal=true")
	if p.TotalPages != 1 || p.Size != 4 {
		t.Errorf("minimal page %+v", p)
	}
	for _, c := range p.Contents {
		m := decode(t, c)
		want := []string{"id", "last_modified", "name", "status"}
		if m["name"] == drugs {
			want = []string{"id", "name", "status"} // it has no last_modified
		}
		if got := keys(m); !sameStrings(got, want) {
			t.Errorf("minimal %v: keys %v, want %v", m["name"], got, want)
		}
	}
	if p := getPage(t, h, "/openreferral/services?minimal=true&per_page=2"); p.Size != 2 || p.TotalPages != 2 {
		t.Errorf("minimal with per_page: %+v", p)
	}

	// full: fully nested.
	p = getPage(t, h, "/openreferral/services?full=true&search=talking")
	item = decode(t, p.Contents[0])
	for _, k := range []string{"phones", "schedules", "service_areas", "service_at_locations", "languages", "funding",
		"cost_options", "required_documents", "contacts", "attributes", "metadata"} {
		if _, ok := item[k]; !ok {
			t.Errorf("full item lacks %s", k)
		}
	}
}

func TestGetService(t *testing.T) {
	h := newTestHandler(t, nil)
	s := decode(t, mustOK(t, get(t, h, "/openreferral/services/"+svcTalk)))
	if s["id"] != svcTalk || s["name"] != talk {
		t.Fatalf("got %v", s)
	}
	count := func(k string) int { a, _ := s[k].([]any); return len(a) }
	for k, n := range map[string]int{
		"phones": 1, "schedules": 1, "service_areas": 1, "service_at_locations": 2, "languages": 1, "funding": 1,
		"cost_options": 1, "required_documents": 1, "contacts": 1, "attributes": 2, "metadata": 1,
	} {
		if count(k) != n {
			t.Errorf("%s: %d, want %d", k, count(k), n)
		}
	}
	phone := s["phones"].([]any)[0].(map[string]any)
	if langs := phone["languages"].([]any); len(langs) != 1 || langs[0].(map[string]any)["code"] != "pl" {
		t.Errorf("phone languages %v", phone["languages"])
	}
	attr := s["attributes"].([]any)[0].(map[string]any)
	if attr["taxonomy_term"].(map[string]any)["id"] == nil {
		t.Errorf("attribute without its term: %v", attr)
	}
	sal := s["service_at_locations"].([]any)[0].(map[string]any)
	if sal["location"].(map[string]any)["addresses"] == nil {
		t.Errorf("service_at_location without its location's address: %v", sal)
	}
	if s["organization"].(map[string]any)["name"] != "Lincoln Minds" || s["program"].(map[string]any)["name"] != "Adult therapies" {
		t.Errorf("organisation or programme missing: %v %v", s["organization"], s["program"])
	}
	// Upper-case ids are the same UUID, but we store lower case.
	if rec := get(t, h, "/openreferral/services/"+strings.ToUpper(svcTalk)); rec.Code != 404 {
		t.Errorf("upper-case id: %d", rec.Code)
	}
}

// Labels of the links (their descriptions), in the order expected when two
// links of one service tie: by link id.
func talkPair() []string {
	a, b := id("sal:talk-lincoln"), id("sal:talk-sleaford")
	if a < b {
		return []string{"talk@lincoln", "talk@sleaford"}
	}
	return []string{"talk@sleaford", "talk@lincoln"}
}

func TestServiceAtLocationFilters(t *testing.T) {
	h := newTestHandler(t, nil)
	lincoln := "lat=53.2307&lon=-0.5406"
	sleaford := "lat=52.9990&lon=-0.4090"
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", slices.Concat([]string{"crisis@online", "drugs@lincoln"}, talkPair(), []string{"youth@sleaford"})},
		{"taxonomy_term_id=" + termMH, slices.Concat([]string{"crisis@online"}, talkPair())},
		{"day=TH", []string{"crisis@online", "drugs@lincoln"}},
		{"search=youth", []string{"youth@sleaford"}},
		{"organization_id=" + orgRecovery, []string{"drugs@lincoln", "youth@sleaford"}},
		{"minimum_age=10&maximum_age=12", []string{"crisis@online", "youth@sleaford"}},
		{"modified_after=2024-01-01T00:00:00Z", slices.Concat([]string{"crisis@online"}, talkPair())},
		// Near a point: located links only, nearest first, ties in name order.
		{lincoln + "&proximity=1000", []string{"drugs@lincoln", "talk@lincoln"}},
		{lincoln, []string{"drugs@lincoln", "talk@lincoln", "talk@sleaford", "youth@sleaford"}},
		{sleaford + "&proximity=30000", []string{"talk@sleaford", "youth@sleaford", "drugs@lincoln", "talk@lincoln"}},
		{sleaford + "&proximity=20000", []string{"talk@sleaford", "youth@sleaford"}},
		{lincoln + "&proximity=50000&organization_id=" + orgRecovery, []string{"drugs@lincoln", "youth@sleaford"}},
		{lincoln + "&proximity=1000&day=MO", []string{"talk@lincoln"}},
		{"lat=0&lon=0&proximity=1000000", nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			p := getPage(t, h, "/openreferral/service_at_locations?"+tt.query)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if got := p.field(t, "description"); !sameStrings(got, want) || p.TotalItems != len(want) {
				t.Errorf("got %v (total %d), want %v", got, p.TotalItems, want)
			}
		})
	}
}

func TestServiceAtLocationForms(t *testing.T) {
	h := newTestHandler(t, nil)
	p := getPage(t, h, "/openreferral/service_at_locations?search=drug")
	item := decode(t, p.Contents[0])
	loc := item["location"].(map[string]any)
	svc := item["service"].(map[string]any)
	if loc["name"] != "Lincoln hub" || loc["addresses"] == nil || svc["name"] != drugs || svc["organization"] == nil {
		t.Errorf("list item: %v", item)
	}
	if _, ok := item["schedules"]; !ok {
		t.Errorf("list item lacks the link's own schedule: %v", item)
	}

	p = getPage(t, h, "/openreferral/service_at_locations?search=talking&full=true")
	svc = decode(t, p.Contents[0])["service"].(map[string]any)
	if svc["phones"] == nil || svc["contacts"] == nil {
		t.Errorf("full item's service is not nested: %v", svc)
	}
	p = getPage(t, h, "/openreferral/service_at_locations?search=talking")
	if svc := decode(t, p.Contents[0])["service"].(map[string]any); svc["phones"] != nil {
		t.Errorf("list item's service is nested: %v", svc)
	}

	one := decode(t, mustOK(t, get(t, h, "/openreferral/service_at_locations/"+id("sal:talk-sleaford"))))
	if one["description"] != "talk@sleaford" || one["location"].(map[string]any)["name"] != "Sleaford office" ||
		one["service"].(map[string]any)["phones"] == nil {
		t.Errorf("GET one: %v", one)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		lat1, lon1, lat2, lon2, want float64
	}{
		{lincolnLat, lincolnLon, lincolnLat, lincolnLon, 0},
		{0, 0, 0, 1, 111_195},                                      // one degree of the equator
		{0, 0, 1, 0, 111_195},                                      // one degree of a meridian
		{lincolnLat, lincolnLon, sleafordLat, sleafordLon, 27_300}, // about 27 km
		{51.5007, -0.1246, 55.9533, -3.1883, 534_000},              // London to Edinburgh
		{0, 0, 0, 180, math.Pi * earthRadius},                      // antipodes
	} {
		got := distance(tt.lat1, tt.lon1, tt.lat2, tt.lon2)
		if math.Abs(got-tt.want) > tt.want*0.005+1 {
			t.Errorf("distance(%v,%v → %v,%v) = %.0f m, want about %.0f", tt.lat1, tt.lon1, tt.lat2, tt.lon2, got, tt.want)
		}
	}
}

// ndjsonLines reads an ndjson answer.
func ndjsonLines(t testing.TB, target string) []map[string]any {
	t.Helper()
	h := newTestHandler(t, nil)
	rec := get(t, h, target)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%s: status %d, type %q", target, rec.Code, rec.Header().Get("Content-Type"))
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, decode(t, sc.Bytes()))
	}
	if n := bytes.Count(rec.Body.Bytes(), []byte("\n")); n != len(out) {
		t.Errorf("%s: %d newlines for %d documents", target, n, len(out))
	}
	return out
}

func TestNDJSON(t *testing.T) {
	names := func(lines []map[string]any, k string) []string {
		out := []string{}
		for _, l := range lines {
			out = append(out, l[k].(string))
		}
		return out
	}
	// Every match, unpaginated, fully nested, in name order.
	lines := ndjsonLines(t, "/openreferral/services?format=ndjson&per_page=1&page=3")
	if got := names(lines, "name"); !sameStrings(got, []string{crisis, drugs, talk, youth}) {
		t.Errorf("services: %v", got)
	}
	if lines[2]["phones"] == nil || lines[2]["service_at_locations"] == nil {
		t.Errorf("ndjson service not fully nested: %v", lines[2])
	}
	lines = ndjsonLines(t, "/openreferral/services?format=NDJSON&organization_id="+orgRecovery)
	if got := names(lines, "name"); !sameStrings(got, []string{drugs, youth}) {
		t.Errorf("filtered: %v", got)
	}
	if lines := ndjsonLines(t, "/openreferral/services?format=ndjson&search=nothing-matches"); len(lines) != 0 {
		t.Errorf("no match gave %d lines", len(lines))
	}
	lines = ndjsonLines(t, "/openreferral/service_at_locations?format=ndjson&lat=53.2307&lon=-0.5406&proximity=1000")
	if got := names(lines, "description"); !sameStrings(got, []string{"drugs@lincoln", "talk@lincoln"}) {
		t.Errorf("service_at_locations: %v", got)
	}
	if lines[1]["service"].(map[string]any)["phones"] == nil {
		t.Errorf("ndjson link's service not fully nested: %v", lines[1])
	}
	lines = ndjsonLines(t, "/openreferral/organizations?format=ndjson")
	if got := names(lines, "name"); !sameStrings(got, []string{"Lincoln Minds", "Recovery Together"}) || lines[0]["phones"] == nil {
		t.Errorf("organizations: %v", lines)
	}
	if lines := ndjsonLines(t, "/openreferral/taxonomies?format=ndjson"); len(lines) != 2 {
		t.Errorf("taxonomies: %v", lines)
	}
	if lines := ndjsonLines(t, "/openreferral/taxonomy_terms?format=ndjson&top_only=true"); len(lines) != 3 {
		t.Errorf("taxonomy terms: %v", lines)
	}
}

func TestOrganizations(t *testing.T) {
	h := newTestHandler(t, nil)
	p := getPage(t, h, "/openreferral/organizations")
	if got := p.field(t, "name"); !sameStrings(got, []string{"Lincoln Minds", "Recovery Together"}) {
		t.Errorf("order %v", got)
	}
	flat := decode(t, p.Contents[0])
	if got, want := keys(flat), []string{"alternate_name", "description", "email", "id", "name", "website", "year_incorporated"}; !sameStrings(got, want) {
		t.Errorf("list item keys %v, want %v", got, want)
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"search=charity", []string{"Lincoln Minds"}},
		{"search=lm", []string{"Lincoln Minds"}},
		{"search=alcohol", []string{"Recovery Together"}},
		{"search=talking", []string{}}, // services are not searched here
		{"per_page=1&page=2", []string{"Recovery Together"}},
	} {
		if got := getPage(t, h, "/openreferral/organizations?"+tt.query).field(t, "name"); !sameStrings(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.query, got, tt.want)
		}
	}

	full := decode(t, getPage(t, h, "/openreferral/organizations?full=true").Contents[0])
	if full["phones"] == nil || full["organization_identifiers"] == nil || full["programs"] == nil || full["services"] != nil {
		t.Errorf("full=true: %v", full)
	}
	withSvc := decode(t, getPage(t, h, "/openreferral/organizations?full_service=true").Contents[0])
	svcs := withSvc["services"].([]any)
	if len(svcs) != 2 || svcs[0].(map[string]any)["name"] != crisis || svcs[1].(map[string]any)["phones"] == nil || withSvc["phones"] != nil {
		t.Errorf("full_service=true: %v", withSvc)
	}

	one := decode(t, mustOK(t, get(t, h, "/openreferral/organizations/"+orgMinds)))
	svcs = one["services"].([]any)
	if one["phones"] == nil || len(svcs) != 2 || svcs[0].(map[string]any)["name"] != crisis || svcs[1].(map[string]any)["phones"] != nil {
		t.Errorf("GET one: %v", one)
	}
	one = decode(t, mustOK(t, get(t, h, "/openreferral/organizations/"+orgMinds+"?full_service=true")))
	if svcs := one["services"].([]any); svcs[1].(map[string]any)["phones"] == nil {
		t.Errorf("GET one with full_service: %v", one)
	}
}

func TestTaxonomies(t *testing.T) {
	h := newTestHandler(t, nil)
	if got := getPage(t, h, "/openreferral/taxonomies").field(t, "name"); !sameStrings(got, []string{"Eligibility", "Service types"}) {
		t.Errorf("order %v", got)
	}
	if got := getPage(t, h, "/openreferral/taxonomies?search=KIND").field(t, "name"); !sameStrings(got, []string{"Service types"}) {
		t.Errorf("search %v", got)
	}
	one := decode(t, mustOK(t, get(t, h, "/openreferral/taxonomies/"+taxTypes)))
	if one["name"] != "Service types" || one["uri"] != "https://example.org/types" {
		t.Errorf("GET one: %v", one)
	}

	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"Accepts probation referrals", "Mental health", "Substance misuse", "Talking therapies"}},
		{"taxonomy_id=" + taxTypes, []string{"Mental health", "Substance misuse", "Talking therapies"}},
		{"parent_id=" + termMH, []string{"Talking therapies"}},
		{"parent_id=" + termTalk, []string{}},
		{"top_only=true", []string{"Accepts probation referrals", "Mental health", "Substance misuse"}},
		{"top_only=true&taxonomy_id=" + taxTypes, []string{"Mental health", "Substance misuse"}},
		{"top_only=false&taxonomy_id=" + taxElig, []string{"Accepts probation referrals"}},
		{"search=drug", []string{"Substance misuse"}},
		{"search=psychological", []string{"Talking therapies"}},
		{"search=therapies", []string{"Talking therapies"}}, // in the code
		{"per_page=2&page=2", []string{"Substance misuse", "Talking therapies"}},
	} {
		if got := getPage(t, h, "/openreferral/taxonomy_terms?"+tt.query).field(t, "name"); !sameStrings(got, tt.want) {
			t.Errorf("terms %s: got %v, want %v", tt.query, got, tt.want)
		}
	}
	term := decode(t, getPage(t, h, "/openreferral/taxonomy_terms?parent_id="+termMH).Contents[0])
	if term["taxonomy_detail"].(map[string]any)["name"] != "Service types" {
		t.Errorf("term without its taxonomy: %v", term)
	}
	one = decode(t, mustOK(t, get(t, h, "/openreferral/taxonomy_terms/"+termTalk)))
	if one["parent_id"] != termMH || one["taxonomy_detail"] == nil {
		t.Errorf("GET one term: %v", one)
	}
}

func TestParseClock(t *testing.T) {
	for s, want := range map[string]int{"00:00": 0, "09:30": 570, "23:59": 1439, "24:00": 1440, "07:15:59": 435, "24:00:00": 1440} {
		if got, ok := parseClock(s); !ok || got != want {
			t.Errorf("parseClock(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "9:30", "09-30", "24:01", "25:00", "12:60", "12:00:60", "24:00:01", "ab:cd", "09:30:0", "09:30Z"} {
		if _, ok := parseClock(s); ok {
			t.Errorf("parseClock(%q) accepted", s)
		}
	}
}

func TestOpeningOf(t *testing.T) {
	for _, tt := range []struct {
		name string
		sc   directory.Schedule
		want opening
	}{
		{"weekdays", directory.Schedule{Freq: "WEEKLY", ByDay: "MO,TU, WE", OpensAt: "09:00", ClosesAt: "17:00"}, opening{0b0000111, 540, 1020}},
		{"monthly ordinals", directory.Schedule{Freq: "MONTHLY", ByDay: "1MO,-1FR", OpensAt: "10:00:00", ClosesAt: "12:00:00"}, opening{0b0010001, 600, 720}},
		{"past midnight", directory.Schedule{ByDay: "SA", OpensAt: "22:00", ClosesAt: "02:00"}, opening{0b0100000, 1320, 1560}},
		{"to midnight", directory.Schedule{ByDay: "SU", OpensAt: "18:00", ClosesAt: "24:00"}, opening{0b1000000, 1080, 1440}},
		{"weekly from dtstart", directory.Schedule{Freq: "WEEKLY", DTStart: "2024-05-02", OpensAt: "09:00", ClosesAt: "10:00"}, opening{0b0001000, 540, 600}}, // a Thursday
		{"no days", directory.Schedule{OpensAt: "09:00", ClosesAt: "10:00"}, opening{0, 540, 600}},
		{"no times", directory.Schedule{ByDay: "TU"}, opening{0b0000010, -1, -1}},
		{"junk", directory.Schedule{ByDay: "XX,,M", OpensAt: "nine", ClosesAt: "5pm"}, opening{0, -1, -1}},
	} {
		if got := openingOf(&tt.sc); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	sat := opening{days: 1 << 5, open: 1320, close: 1560}
	for _, tt := range []struct {
		day, start, end int
		want            bool
	}{
		{5, -1, -1, true},
		{4, -1, -1, false},
		{-1, -1, -1, true},
		{5, 1380, 1500, true}, // 23:00 to 01:00
		{5, 1300, -1, false},
		{-1, -1, 1440, true},
	} {
		if got := sat.covers(tt.day, tt.start, tt.end); got != tt.want {
			t.Errorf("covers(%d, %d, %d) = %v", tt.day, tt.start, tt.end, got)
		}
	}
	if (opening{days: 1, open: -1, close: -1}).covers(0, 600, -1) {
		t.Error("an opening without times matched a time")
	}
}

// The bounding box that speeds up distance search must never drop a link
// that is within the radius: compare with a plain scan over random points,
// including some near the poles and across the 180° meridian.
func TestNearMatchesPlainScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &directory.Dataset{}
	type place struct {
		id       string
		lat, lon float64
	}
	var places []place
	for i := range 400 {
		lat := rng.Float64()*178 - 89
		lon := rng.Float64()*360 - 180
		if i%4 == 0 { // a cluster around a point on the 180° meridian
			lat, lon = 60+rng.NormFloat64()*3, 180-rng.Float64()*6
			if i%8 == 0 {
				lon -= 354
			}
		}
		s, l, sl := id(fmt.Sprint("near svc ", i)), id(fmt.Sprint("near loc ", i)), id(fmt.Sprint("near sal ", i))
		d.Services = append(d.Services, directory.Service{ID: s, Name: fmt.Sprintf("Service %03d", i), Status: "active"})
		d.Locations = append(d.Locations, directory.Location{ID: l, LocationType: "physical", Latitude: num(lat), Longitude: num(lon)})
		d.ServiceAtLocations = append(d.ServiceAtLocations, directory.ServiceAtLocation{ID: sl, ServiceID: s, LocationID: l})
		places = append(places, place{sl, lat, lon})
	}
	h := newTestHandler(t, d)
	found := 0
	for k := range 40 {
		lat, lon := rng.Float64()*170-85, rng.Float64()*360-180
		if k%2 == 0 {
			lat, lon = 60+rng.NormFloat64()*3, 179.9-rng.Float64()*0.2
		}
		// Round as the query string will, so both searches use one point.
		lat, _ = strconv.ParseFloat(strconv.FormatFloat(lat, 'f', 6, 64), 64)
		lon, _ = strconv.ParseFloat(strconv.FormatFloat(lon, 'f', 6, 64), 64)
		radius := math.Round(math.Exp(rng.Float64()*math.Log(maxProximity)) + 1)
		type hit struct {
			id string
			d  float64
		}
		var want []hit
		for _, p := range places {
			if dist := distance(lat, lon, p.lat, p.lon); dist <= radius {
				want = append(want, hit{p.id, dist})
			}
		}
		slices.SortStableFunc(want, func(a, b hit) int { return cmp.Compare(a.d, b.d) })
		wantIDs := []string{}
		for _, w := range want {
			wantIDs = append(wantIDs, w.id)
		}
		found += len(wantIDs)
		q := fmt.Sprintf("/openreferral/service_at_locations?lat=%f&lon=%f&proximity=%.0f&per_page=1000", lat, lon, radius)
		if got := getPage(t, h, q).field(t, "id"); !sameStrings(got, wantIDs) {
			t.Errorf("%s: got %d links %v\nplain scan finds %d %v", q, len(got), got, len(wantIDs), wantIDs)
		}
	}
	if found < 50 {
		t.Errorf("the random searches found only %d links in all; the test proves little", found)
	}
}

// Around England, where circles are answered from the search engine's
// grid, the links found are exactly those a plain scan finds, in the same
// order, with keywords and without.
func TestNearEngineMatchesPlainScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := &directory.Dataset{}
	type place struct {
		id, svc  string
		lat, lon float64
	}
	var places []place
	for i := range 300 {
		s := id(fmt.Sprint("dense svc ", i))
		desc := "Housing advice."
		if i%3 == 0 {
			desc = "Counselling for adults."
		}
		d.Services = append(d.Services, directory.Service{ID: s, Name: fmt.Sprintf("Service %03d", i), Status: "active", Description: desc})
		for j := range 1 + i%2 { // some services have two links
			lat, lon := 53+rng.Float64()*2-1, -0.5+rng.Float64()*3-1.5
			l, sl := id(fmt.Sprint("dense loc ", i, j)), id(fmt.Sprint("dense sal ", i, j))
			d.Locations = append(d.Locations, directory.Location{ID: l, LocationType: "physical", Latitude: num(lat), Longitude: num(lon)})
			d.ServiceAtLocations = append(d.ServiceAtLocations, directory.ServiceAtLocation{ID: sl, ServiceID: s, LocationID: l})
			places = append(places, place{sl, s, lat, lon})
		}
	}
	// Service name order, then link id, as ties are listed.
	names := map[string]string{}
	for _, s := range d.Services {
		names[s.ID] = s.Name
	}
	slices.SortFunc(places, func(a, b place) int {
		return cmp.Or(strings.Compare(names[a.svc], names[b.svc]), strings.Compare(a.id, b.id))
	})
	counselling := map[string]bool{}
	for _, s := range d.Services {
		counselling[s.ID] = strings.HasPrefix(s.Description, "Counselling")
	}
	h := newTestHandler(t, d)
	found := 0
	for k := range 30 {
		lat, lon := 53+rng.Float64()*2-1, -0.5+rng.Float64()*3-1.5
		lat, _ = strconv.ParseFloat(strconv.FormatFloat(lat, 'f', 6, 64), 64)
		lon, _ = strconv.ParseFloat(strconv.FormatFloat(lon, 'f', 6, 64), 64)
		radius := float64(1000 + rng.IntN(199_000))
		keyword := k%2 == 1
		type hit struct {
			id string
			d  float64
		}
		var want []hit
		for _, p := range places {
			if dist := distance(lat, lon, p.lat, p.lon); dist <= radius && (!keyword || counselling[p.svc]) {
				want = append(want, hit{p.id, dist})
			}
		}
		slices.SortStableFunc(want, func(a, b hit) int { return cmp.Compare(a.d, b.d) })
		wantIDs := []string{}
		for _, w := range want {
			wantIDs = append(wantIDs, w.id)
		}
		found += len(wantIDs)
		q := fmt.Sprintf("/openreferral/service_at_locations?lat=%f&lon=%f&proximity=%.0f&per_page=1000", lat, lon, radius)
		if keyword {
			q += "&search=counsellor" // stemmed: found only through the engine
		}
		if got := getPage(t, h, q).field(t, "id"); !sameStrings(got, wantIDs) {
			t.Errorf("%s: got %d links %v\nplain scan finds %d %v", q, len(got), got, len(wantIDs), wantIDs)
		}
	}
	if found < 500 {
		t.Errorf("the searches found only %d links in all; the test proves little", found)
	}
}
