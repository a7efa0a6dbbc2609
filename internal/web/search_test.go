package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

// mondayMorning is the time the demo server's clock shows: Monday 4 May
// 2026, 10:30 in UK time.
var mondayMorning = time.Date(2026, time.May, 4, 10, 30, 0, 0, ukTime)

// demoEngine is the search engine over the demo directory, built once.
var demoEngine = sync.OnceValue(func() *search.Engine {
	return search.New(directory.NewIndex(demo.Dataset()))
})

// newDemoServer returns a Server over the demo directory whose clock
// shows mondayMorning, unless cfg says otherwise.
func newDemoServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	e := demoEngine()
	cfg.Engine = func() *search.Engine { return e }
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return mondayMorning }
	}
	return newTestServer(t, cfg, nil)
}

// page fetches target, checks its status and the layout every page has,
// and returns the parsed document.
func page(t *testing.T, s http.Handler, target string, wantStatus int) *node {
	t.Helper()
	res := get(t, s, target)
	if res.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d", target, res.StatusCode, wantStatus)
	}
	doc := parseHTML(t, body(t, res))
	checkLayout(t, doc, false)
	return doc
}

// texts returns the text of every element matching sel.
func texts(doc *node, sel string) []string {
	var out []string
	for _, n := range doc.Find(sel) {
		out = append(out, n.Text())
	}
	return out
}

// attrs returns an attribute of every element matching sel.
func attrs(doc *node, sel, name string) []string {
	var out []string
	for _, n := range doc.Find(sel) {
		out = append(out, n.attrs[name])
	}
	return out
}

// one returns the only element matching sel, failing the test otherwise.
func one(t *testing.T, doc *node, sel string) *node {
	t.Helper()
	found := doc.Find(sel)
	if len(found) != 1 {
		t.Fatalf("%s: found %d, want 1", sel, len(found))
	}
	return found[0]
}

// queryOf returns the query of a link to /search, failing the test for
// any other link.
func queryOf(t *testing.T, href string) url.Values {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil || u.Path != "/search" {
		t.Fatalf("link %q does not lead to /search", href)
	}
	return u.Query()
}

// sameQuery reports whether two queries hold the same values, in any
// order of keys.
func sameQuery(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestSearchByPlace(t *testing.T) {
	s := newDemoServer(t, Config{})
	doc := page(t, s, "/search?q=counselling&where=Lincoln", 200)

	if got := one(t, doc, "#result-count").Text(); got != "4 services matching “counselling” within 25 km of Lincoln, Lincolnshire" {
		t.Errorf("summary = %q", got)
	}
	if got := one(t, doc, "title").Text(); got != "Search results – Throughcare" {
		t.Errorf("title = %q", got)
	}
	wantNames := []string{
		"Lincolnshire Women's Trauma Counselling",
		"Lincolnshire NHS Talking Therapies",
		"Lincoln Women's Centre",
		"Lincolnshire Mental Health Treatment Requirement Service",
	}
	if got := texts(doc, "#results li.app-result h3"); !slices.Equal(got, wantNames) {
		t.Errorf("results = %q, want %q", got, wantNames)
	}
	if got := texts(doc, "#results .app-result__distance"); !slices.Equal(got, []string{"0.7 km away", "1.1 km away", "0.7 km away", "1.1 km away"}) {
		t.Errorf("distances = %q", got)
	}
	if got := texts(doc, "#results .app-result__today"); !slices.Equal(got, []string{"Open today, 9am to 5pm", "Open today, 9am to 5pm", "Open today, 10am to 2pm", "Open today, 9am to 5pm"}) {
		t.Errorf("opening times today = %q", got)
	}
	// Every result links to its page with the place searched from; each
	// has a location, so each is a marker for the map.
	for _, href := range attrs(doc, "#results li.app-result h3 a", "href") {
		if !strings.HasPrefix(href, "/services/") || !strings.HasSuffix(href, "?from=53.23100,-0.54100") {
			t.Errorf("result link %q lacks the place", href)
		}
	}
	if n := len(doc.Find("#results li.app-result[data-lat][data-lng][data-label][data-href]")); n != 4 {
		t.Errorf("%d results carry a marker, want 4", n)
	}
	one(t, doc, "#results-map[data-app-map][data-markers=results]")
	// The page loads Leaflet as well as app.js.
	if n := len(doc.Find("script[src]")); n != 2 {
		t.Errorf("%d scripts, want app.js and Leaflet", n)
	}
	// The results carry their tags: probation referrals apart, service
	// types, and who they accept.
	first := doc.Find("#results li.app-result")[0]
	if got := texts(first, ".app-result__probation"); !slices.Equal(got, []string{"Accepts probation referrals"}) {
		t.Errorf("probation tag = %q", got)
	}
	if got := texts(first, ".app-result__eligibility"); !slices.Contains(got, "Women only") || slices.Contains(got, "Accepts referrals from probation") {
		t.Errorf("eligibility tags = %q", got)
	}
	if got := texts(first, ".govuk-tag--yellow"); !slices.Equal(got, []string{"Demo record"}) {
		t.Errorf("demo tag = %q", got)
	}
	// Nothing here is closed or paged.
	for _, sel := range []string{".app-result__status", "#pagination", "#result-range", "#no-results", ".govuk-error-summary"} {
		if n := len(doc.Find(sel)); n != 0 {
			t.Errorf("%s: found %d, want none", sel, n)
		}
	}
}

func TestSearchFilterEcho(t *testing.T) {
	s := newDemoServer(t, Config{})
	base := "/search?q=counselling&where=Lincoln&radius=10&type=mental-health,autism&need=self-referral&need=women-only" +
		"&accepting=1&covers=1&age=30&day=tu&time=18:00&sort=name&page=1"
	doc := page(t, s, base, 200)
	for _, sel := range []string{
		"input#q[value=counselling]",
		"input#where[value=Lincoln]",
		"select#radius option[value=10][selected]",
		"input#type-mental-health[checked]",
		"input#type-autism[checked]",
		"input#need-self-referral[checked]",
		"input#need-women-only[checked]",
		"input#accepting[checked]",
		"input#covers[checked]",
		"input#age[value=30]",
		"select#day option[value=tuesday][selected]",
		"input#time[value=18:00]",
		"select#sort option[value=name][selected]",
	} {
		if n := len(doc.Find(sel)); n != 1 {
			t.Errorf("%s: found %d, want 1", sel, n)
		}
	}
	if n := len(doc.Find("input[checked]")); n != 6 {
		t.Errorf("%d boxes ticked, want 6", n)
	}
	if got := texts(doc, "#types details[open] summary"); !slices.Equal(got, []string{"Mental health", "Learning disability and autism"}) {
		t.Errorf("unfolded type groups = %q", got)
	}

	// Each selected filter links to the same search without it.
	all := canonicalQuery(queryOf(t, base))
	wantGone := map[string]func(url.Values){
		"Mental health": func(v url.Values) { v["type"] = []string{"autism"} },
		"Autism":        func(v url.Values) { v["type"] = []string{"mental-health"} },
		"Accepts self-referral": func(v url.Values) {
			v["need"] = []string{"women-only"}
		},
		"Women only":                       func(v url.Values) { v["need"] = []string{"self-referral"} },
		"Accepts referrals from probation": func(v url.Values) { v.Del("accepting") },
		"Covers Lincoln, Lincolnshire":     func(v url.Values) { v.Del("covers") },
		"Aged 30":                          func(v url.Values) { v.Del("age") },
		"Open on Tuesday at 6pm":           func(v url.Values) { v.Del("day"); v.Del("time") },
	}
	tags := doc.Find("#selected-filters a.moj-filter__tag")
	if len(tags) != len(wantGone) {
		t.Errorf("%d selected filters, want %d: %q", len(tags), len(wantGone), texts(doc, "#selected-filters a.moj-filter__tag"))
	}
	for _, tag := range tags {
		text := strings.TrimPrefix(tag.Text(), "Remove this filter ")
		change, ok := wantGone[text]
		if !ok {
			t.Errorf("unexpected selected filter %q", text)
			continue
		}
		want := without(all)
		change(want)
		if got := queryOf(t, tag.attrs["href"]); !sameQuery(got, want) {
			t.Errorf("%s: link %v, want %v", text, got, want)
		}
	}
	if got := texts(doc, "#selected-filters h3"); !slices.Equal(got, []string{"Type of service", "Who it accepts", "Referrals", "Area", "Age", "When it is open"}) {
		t.Errorf("selected filter headings = %q", got)
	}
	clear := queryOf(t, one(t, doc, "#clear-filters").attrs["href"])
	if !sameQuery(clear, url.Values{"q": {"counselling"}, "where": {"Lincoln"}, "radius": {"10"}}) {
		t.Errorf("clear filters = %v", clear)
	}

	tests := []struct {
		path   string
		checks []check
	}{
		// Asking for referrals from probation as a need ticks its own box.
		{"/search?need=referrals-from-probation&need=women-only", []check{
			{"input#accepting[checked]", 1, ""},
			{"input#need-women-only[checked]", 1, ""},
			{"input[checked]", 2, ""},
			{"#selected-filters a[href=/search?need=women-only]", 1, "Accepts referrals from probation"},
		}},
		{"/search?open_now=1", []check{
			{"input#open_now[checked]", 1, ""},
			{"#selected-filters a.moj-filter__tag[href=/search]", 1, "Open now"},
			{"select#day option[value=][selected]", 1, "Any day"},
		}},
		// A point shows in the place box, and distances are measured from it.
		{"/search?lat=53.231&lon=-0.541&q=counselling", []check{
			{"input#where[value=53.231,-0.541]", 1, ""},
			{"#result-count", 1, "4 services matching “counselling” within 25 km of 53.231000,-0.541000"},
		}},
		// A distance the select does not offer is kept.
		{"/search?where=Lincoln&radius=200&q=counselling", []check{
			{"select#radius option[value=200][selected]", 1, "Within 200 km"},
			{"select#radius option", 6, ""},
		}},
		// The form always sends a distance; without a place it means nothing.
		{"/search?q=counselling&where=&radius=25&sort=relevance&day=&time=", []check{
			{"#result-count", 1, "services matching “counselling”"},
			{".govuk-error-summary", 0, ""},
			{"#selected-filters", 0, ""},
			{"select#radius option[value=25][selected]", 1, ""},
		}},
		// Parameters the form has no field for ride along hidden.
		{"/search?per_page=5&include_inactive=1&org=" + directory.NameUUID("nobody"), []check{
			{"input[type=hidden][name=per_page][value=5]", 1, ""},
			{"input[type=hidden][name=include_inactive][value=1]", 1, ""},
			{"input[type=hidden][name=org]", 1, ""},
			{"#result-count", 1, "No services found"},
		}},
	}
	for _, tt := range tests {
		doc := page(t, s, tt.path, 200)
		for _, c := range tt.checks {
			found := doc.Find(c.sel)
			if c.count >= 0 && len(found) != c.count {
				t.Errorf("%s: %s: found %d, want %d", tt.path, c.sel, len(found), c.count)
				continue
			}
			if c.text != "" && !slices.ContainsFunc(found, func(n *node) bool { return strings.Contains(n.Text(), c.text) }) {
				t.Errorf("%s: %s: no element contains %q; texts %q", tt.path, c.sel, c.text, texts(doc, c.sel))
			}
		}
	}
}

func TestSearchPagination(t *testing.T) {
	s := newDemoServer(t, Config{})
	e := demoEngine()
	total := func(query string) int {
		v, _ := url.ParseQuery(query)
		req, err := e.ParseRequest(context.Background(), v, nil, mondayMorning)
		if err != nil {
			t.Fatal(err)
		}
		return e.Search(req.Query).Total
	}

	all := total("")
	pages := (all + search.DefaultPer - 1) / search.DefaultPer
	if pages < 6 {
		t.Fatalf("the demo directory fills %d pages; the test needs at least 6", pages)
	}
	last := strconv.Itoa(pages)
	doc := page(t, s, "/search", 200)
	if got := one(t, doc, "#result-range").Text(); got != "Showing 1 to 20 of "+strconv.Itoa(all) {
		t.Errorf("range = %q", got)
	}
	if got := texts(doc, "#pagination .govuk-pagination__item"); !slices.Equal(got, []string{"1", "2", "⋯", last}) {
		t.Errorf("page items = %q", got)
	}
	if n := len(doc.Find("#pagination .govuk-pagination__prev")); n != 0 {
		t.Errorf("first page has a previous link")
	}
	if got := attrs(doc, "#pagination .govuk-pagination__next a", "href"); !slices.Equal(got, []string{"/search?page=2"}) {
		t.Errorf("next = %q", got)
	}
	one(t, doc, "#pagination .govuk-pagination__item--current a[aria-current=page][href=/search]")

	// In the middle, with filters: every link keeps them.
	filters := "accepting=1&sort=name&type=mental-health&type=social-support"
	n := total(filters)
	pages = (n + 4) / 5
	if pages < 7 {
		t.Fatalf("the filtered search fills %d pages of 5; the test needs at least 7", pages)
	}
	doc = page(t, s, "/search?per_page=5&page=4&"+filters, 200)
	if got := one(t, doc, "title").Text(); got != "Search results (page 4 of "+strconv.Itoa(pages)+") – Throughcare" {
		t.Errorf("title = %q", got)
	}
	if got := one(t, doc, "#result-range").Text(); got != "Showing 16 to 20 of "+strconv.Itoa(n) {
		t.Errorf("range = %q", got)
	}
	if got := texts(doc, "#pagination .govuk-pagination__item"); !slices.Equal(got, []string{"1", "⋯", "3", "4", "5", "⋯", strconv.Itoa(pages)}) {
		t.Errorf("page items = %q", got)
	}
	want := queryOf(t, "/search?per_page=5&"+filters)
	links := doc.Find("#pagination a")
	wantPages := []string{"3", "1", "3", "4", "5", strconv.Itoa(pages), "5"} // prev, items, next
	if len(links) != len(wantPages) {
		t.Fatalf("%d pagination links, want %d", len(links), len(wantPages))
	}
	for i, a := range links {
		got := queryOf(t, a.attrs["href"])
		w := without(want)
		if wantPages[i] != "1" {
			w.Set("page", wantPages[i])
		}
		if !sameQuery(got, w) {
			t.Errorf("link %d (%q) = %v, want %v", i, a.Text(), got, w)
		}
	}
	if n := len(doc.Find("#results li.app-result")); n != 5 {
		t.Errorf("%d results on the page, want 5", n)
	}

	// Past the end: an empty page that links back.
	doc = page(t, s, "/search?q=counselling&where=Lincoln&page=3", 200)
	if got := one(t, doc, "#out-of-range").Text(); got != "There is no page 3 of these results: they fill 1 page." {
		t.Errorf("out of range = %q", got)
	}
	if got := one(t, doc, "#first-page").attrs["href"]; got != "/search?q=counselling&radius=25&where=Lincoln" {
		t.Errorf("first page link = %q", got)
	}
	for _, sel := range []string{"#last-page", "#results", "#pagination", "#no-results"} {
		if n := len(doc.Find(sel)); n != 0 {
			t.Errorf("%s shown past the end", sel)
		}
	}
	doc = page(t, s, "/search?page=999", 200)
	if got := one(t, doc, "#last-page").attrs["href"]; got != "/search?page="+last {
		t.Errorf("last page link = %q", got)
	}
}

// fakePostcodes knows one postcode, in Lincoln; "LN9 9ZZ" fails as if the
// database were down.
func fakePostcodes(_ context.Context, pc string) (geo.Point, []string, error) {
	switch pc {
	case "LN1 1AA":
		return geo.Point{Lat: 53.2307, Lon: -0.5406}, []string{"E07000138"}, nil
	case "LN9 9ZZ":
		return geo.Point{}, nil, errors.New("store: connection refused")
	}
	return geo.Point{}, nil, apperr.Errorf(apperr.NotFound, "postcode %s not found", pc)
}

func TestSearchErrors(t *testing.T) {
	s := newDemoServer(t, Config{})
	withLookup := newDemoServer(t, Config{Postcodes: fakePostcodes})
	noPostcodes := newDemoServer(t, Config{Postcodes: func(context.Context, string) (geo.Point, []string, error) {
		return geo.Point{}, nil, search.ErrNoPostcodes
	}})
	type item struct{ text, href string }
	tests := []struct {
		name  string
		srv   *Server
		path  string
		items []item
		// field is the id of the field whose error message shows beside it.
		field string
	}{
		{"invalid postcode", s, "/search?where=LN99", []item{{`"LN99" is not a full UK postcode`, "#where"}}, "where-error"},
		{"postcode without a lookup", s, "/search?where=LN1+1AA", []item{{"Postcode search needs the ONS Postcode Directory, which is not loaded here", "#where"}}, "where-error"},
		{"postcode directory empty", noPostcodes, "/search?where=LN1+1AA", []item{{"Postcode search needs the ONS Postcode Directory", "#where"}}, "where-error"},
		{"unknown postcode", withLookup, "/search?where=ln22zz", []item{{"We could not find the postcode LN2 2ZZ; check it, or search by town", "#where"}}, "where-error"},
		{"unknown town", s, "/search?where=Lincolm", []item{{`We do not know a town or city called "Lincolm"`, "#where"}}, "where-error"},
		{"bad point", s, "/search?lat=95&lon=1", []item{{"Postcode or place must be a latitude from -90 to 90", "#where"}}, "where-error"},
		{"radius out of range", s, "/search?where=Lincoln&radius=500", []item{{"Distance must be a number of kilometres from 1 to 200", "#radius"}}, "radius-error"},
		{"radius not a number", s, "/search?where=Lincoln&radius=far", []item{{"Distance must be a number of kilometres from 1 to 200", "#radius"}}, "radius-error"},
		{"unknown service type", s, "/search?type=nope", []item{{`"nope" is not a service type we know`, "#type-mental-health"}}, "type-error"},
		{"unknown need", s, "/search?need=nope", []item{{`"nope" is not an eligibility code we know`, "#need-accepts-licence"}}, "need-error"},
		{"age", s, "/search?age=abc", []item{{"Age must be a whole number of years from 0 to 120", "#age"}}, "age-error"},
		{"day", s, "/search?day=funday", []item{{"Day must be a day of the week, such as monday or mo", "#day"}}, "day-error"},
		{"time", s, "/search?day=monday&time=25:00", []item{{"Time must be a time of day as HH:MM, such as 09:30", "#time"}}, "time-error"},
		{"covers without a place", s, "/search?covers=1", []item{{"Covers this place needs a place", "#covers"}}, "covers-error"},
		{"accepting", s, "/search?accepting=maybe", []item{{"Accepts referrals from probation must be true or false", "#accepting"}}, "accepting-error"},
		{"sort by distance without a place", s, "/search?sort=distance", []item{{"Sorting by distance needs a place", "#sort"}}, "sort-error"},
		{"keywords too long", s, "/search?q=" + strings.Repeat("x", 201), []item{{"Keywords must be at most 200 characters", "#q"}}, "q-error"},
		{"page zero", s, "/search?page=0", []item{{"Page number must be a whole number from 1 to 100000", ""}}, ""},
		{"several at once", s, "/search?where=LN99&age=abc&radius=500&sort=sideways&day=funday&time=25:00&page=0", []item{
			{"Age must be", "#age"},
			{"Day must be", "#day"},
			{"Time must be", "#time"},
			{`"LN99" is not a full UK postcode`, "#where"},
			{"Distance must be", "#radius"},
			{"Sort by must be relevance, distance or name", "#sort"},
			{"Page number must be", ""},
		}, "where-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := page(t, tt.srv, tt.path, 400)
			if got := one(t, doc, "title").Text(); !strings.HasPrefix(got, "Error: ") {
				t.Errorf("title = %q", got)
			}
			lis := doc.Find(".govuk-error-summary li")
			if len(lis) != len(tt.items) {
				t.Fatalf("error summary = %q, want %d items", texts(doc, ".govuk-error-summary li"), len(tt.items))
			}
			for i, it := range tt.items {
				if !strings.Contains(lis[i].Text(), it.text) {
					t.Errorf("error %d = %q, want it to contain %q", i, lis[i].Text(), it.text)
				}
				links := lis[i].Find("a")
				switch {
				case it.href == "" && len(links) != 0:
					t.Errorf("error %d links to %q, want no link", i, links[0].attrs["href"])
				case it.href != "" && (len(links) != 1 || links[0].attrs["href"] != it.href):
					t.Errorf("error %d links to %q, want %s", i, attrs(lis[i], "a", "href"), it.href)
				}
				// The field the summary links to exists.
				if it.href != "" && len(doc.Find(it.href)) != 1 {
					t.Errorf("error %d links to %s, which is not on the page", i, it.href)
				}
			}
			if tt.field != "" {
				msg := one(t, doc, "#"+tt.field)
				if !strings.HasPrefix(msg.Text(), "Error: ") || !strings.Contains(msg.Text(), tt.items[0].text) && tt.name != "several at once" {
					t.Errorf("field message = %q", msg.Text())
				}
			}
			if len(doc.Find("#results")) != 0 || !strings.HasPrefix(one(t, doc, "#result-count").Text(), "Correct the problem") {
				t.Errorf("an invalid search shows results")
			}
		})
	}

	// The bad input is echoed back to be corrected.
	doc := page(t, s, "/search?where=LN99&q=counselling&age=abc", 400)
	for _, sel := range []string{"input#where[value=LN99].govuk-input--error", "input#q[value=counselling]", "input#age[value=abc].govuk-input--error"} {
		if len(doc.Find(sel)) != 1 {
			t.Errorf("%s missing", sel)
		}
	}
	// A broken type filter unfolds the group holding the box it links to.
	doc = page(t, s, "/search?type=nope", 400)
	if got := texts(doc, "#types details[open] summary"); !slices.Equal(got, []string{"Mental health"}) {
		t.Errorf("unfolded groups = %q", got)
	}
}

func TestSearchNeverFails(t *testing.T) {
	s := newDemoServer(t, Config{})
	values := []string{"", "x", "-1", "0", "1", "999999", "1,2", "%zz", "🙂", "on", "53.2,-0.5", strings.Repeat("é", 120)}
	for _, name := range append(slices.Clone(search.Parameters), "from", "unknown") {
		for _, val := range values {
			target := "/search?" + url.Values{name: {val}, "where": {"Lincoln"}}.Encode()
			if name == "where" {
				target = "/search?" + url.Values{name: {val}}.Encode()
			}
			res := get(t, s, target)
			if res.StatusCode != 200 && res.StatusCode != 400 {
				t.Errorf("GET %s: status %d", target, res.StatusCode)
			}
		}
	}
	// A raw query that does not decode is read as far as it goes.
	if res := get(t, s, "/search?q=%zz&where=Lincoln"); res.StatusCode != 200 {
		t.Errorf("undecodable query: status %d", res.StatusCode)
	}
}

func TestSearchLookupFailure(t *testing.T) {
	var logBuf bytes.Buffer
	e := demoEngine()
	s := newTestServer(t, Config{Engine: func() *search.Engine { return e }, Postcodes: fakePostcodes}, &logBuf)
	res := get(t, s, "/search?where=LN9+9ZZ")
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", res.StatusCode)
	}
	if strings.Contains(body(t, res), "connection refused") || !strings.Contains(logBuf.String(), "connection refused") {
		t.Errorf("the detail of an internal error must be logged, not shown")
	}
}

func TestSearchByPostcode(t *testing.T) {
	s := newDemoServer(t, Config{Postcodes: fakePostcodes})
	doc := page(t, s, "/search?where=ln11aa&q=counselling&covers=1", 200)
	// Every counselling service near Lincoln covers the City of Lincoln.
	if got := one(t, doc, "#result-count").Text(); got != "4 services matching “counselling” within 25 km of LN1 1AA" {
		t.Errorf("summary = %q", got)
	}
	if got := texts(doc, "#selected-filters a.moj-filter__tag"); !slices.Equal(got, []string{"Remove this filter Covers LN1 1AA"}) {
		t.Errorf("selected filters = %q", got)
	}
}

func TestSearchEmpty(t *testing.T) {
	s := newDemoServer(t, Config{})
	doc := page(t, s, "/search?type=autism&where=Sleaford&radius=10", 200)
	if got := one(t, doc, "#result-count").Text(); got != "No services found within 10 km of Sleaford, Lincolnshire" {
		t.Errorf("summary = %q", got)
	}
	for _, sel := range []string{"#results", "#results-map", "#pagination"} {
		if len(doc.Find(sel)) != 0 {
			t.Errorf("%s shown with no results", sel)
		}
	}
	type link struct {
		text  string
		query url.Values
	}
	check := func(sel string, want []link) {
		t.Helper()
		items := doc.Find(sel + " li")
		if len(items) != len(want) {
			t.Errorf("%s: %q, want %d items", sel, texts(doc, sel+" li"), len(want))
			return
		}
		for i, w := range want {
			if items[i].Text() != w.text {
				t.Errorf("%s item %d = %q, want %q", sel, i, items[i].Text(), w.text)
			}
			href := one(t, items[i], "a").attrs["href"]
			if got := queryOf(t, href); !sameQuery(got, w.query) {
				t.Errorf("%s item %d links to %v, want %v", sel, i, got, w.query)
			}
		}
	}
	check("#wider-radius", []link{
		{"Search within 50 km (1 service)", url.Values{"type": {"autism"}, "where": {"Sleaford"}, "radius": {"50"}}},
		{"Search within 100 km (1 service)", url.Values{"type": {"autism"}, "where": {"Sleaford"}, "radius": {"100"}}},
	})
	check("#nearby-places", []link{
		{"North Hykeham (1 service)", url.Values{"type": {"autism"}, "where": {"North Hykeham"}, "radius": {"10"}}},
		{"Lincoln (1 service)", url.Values{"type": {"autism"}, "where": {"Lincoln"}, "radius": {"10"}}},
	})
	check("#remove-filters", []link{
		{"Remove the place Sleaford, Lincolnshire", url.Values{"type": {"autism"}}},
		{"Remove the filter “Autism”", url.Values{"where": {"Sleaford"}, "radius": {"10"}}},
	})

	// Each suggestion finds as many services as it says.
	for _, sel := range []string{"#wider-radius li", "#nearby-places li"} {
		for _, li := range doc.Find(sel) {
			href := one(t, li, "a").attrs["href"]
			want := strings.TrimSuffix(li.Text()[strings.LastIndex(li.Text(), "(")+1:], ")")
			next := page(t, s, href, 200)
			if got := one(t, next, "#result-count").Text(); !strings.HasPrefix(got, want+" within") {
				t.Errorf("%s finds %q, the suggestion said %s", href, got, want)
			}
		}
	}

	// Words that match nothing anywhere get no wider searches.
	doc = page(t, s, "/search?q=xyzzy&where=Lincoln", 200)
	if len(doc.Find("#wider-radius")) != 0 || len(doc.Find("#nearby-places")) != 0 {
		t.Errorf("suggestions that find nothing")
	}
	if got := texts(doc, "#remove-filters li"); !slices.Equal(got, []string{"Remove the words “xyzzy”", "Remove the place Lincoln, Lincolnshire"}) {
		t.Errorf("remove = %q", got)
	}
}

func TestServicePageFromSearch(t *testing.T) {
	now := func() time.Time { return mondayMorning }
	s := newTestServer(t, Config{Now: now}, nil)
	tests := []struct {
		path         string
		distance     string
		today        string
		wantDistance bool
	}{
		{"/services/" + talkingID + "?from=53.2500,-0.5300", "0.0 km from the place you searched for", "Open 24 hours", true},
		{"/services/" + talkingID + "?from=53.2307,-0.6", "4.0 km from the place you searched for", "Open 24 hours", true},
		{"/services/" + talkingID, "", "Open 24 hours", false},
		{"/services/" + talkingID + "?from=nowhere", "", "Open 24 hours", false},
		{"/services/" + talkingID + "?from=95,0", "", "Open 24 hours", false},
		{"/services/" + recoveryID + "?from=53.2500,-0.5300", "", "Hours not listed", false},
	}
	for _, tt := range tests {
		doc := page(t, s, tt.path, 200)
		d := doc.Find("#distance")
		if tt.wantDistance != (len(d) == 1) || (tt.wantDistance && d[0].Text() != tt.distance) {
			t.Errorf("%s: distance %q, want %q", tt.path, texts(doc, "#distance"), tt.distance)
		}
		if got := one(t, doc, "#today").Text(); got != tt.today {
			t.Errorf("%s: today = %q, want %q", tt.path, got, tt.today)
		}
	}

	// A demo service with office hours, reached from a search by place.
	ds := newDemoServer(t, Config{})
	res := page(t, ds, "/search?q=counselling&where=Lincoln", 200)
	href := attrs(res, "#results li.app-result h3 a", "href")[0]
	doc := page(t, ds, href, 200)
	if got := one(t, doc, "#distance").Text(); got != "0.7 km from the place you searched for" {
		t.Errorf("distance = %q", got)
	}
	if got := one(t, doc, "#today").Text(); got != "Open today, 9am to 5pm" {
		t.Errorf("today = %q", got)
	}
}

func TestSearchStaleAndClosed(t *testing.T) {
	// The fixture's talking service was last confirmed in March 2025 and
	// changed in June 2025, which counts as checked.
	s := newTestServer(t, Config{Now: func() time.Time { return mondayMorning }}, nil)
	doc := page(t, s, "/search?q=talking", 200)
	if got := texts(doc, "#results .app-result__stale"); !slices.Equal(got, []string{"Not confirmed since 30 June 2025"}) {
		t.Errorf("stale tag = %q", got)
	}
	early := newTestServer(t, Config{Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }}, nil)
	doc = page(t, early, "/search?q=talking", 200)
	if n := len(doc.Find("#results .app-result__stale")); n != 0 {
		t.Errorf("a listing checked three months ago is marked stale")
	}
	doc = page(t, s, "/search?q=talking&include_inactive=1", 200)
	if got := texts(doc, "#results .app-result__status"); !slices.Equal(got, []string{"Closed"}) {
		t.Errorf("status tags = %q (the defunct service, closed)", got)
	}
}

func TestEngineSnapshots(t *testing.T) {
	// With Index only, the server builds an engine once per index.
	ix1 := directory.NewIndex(fixture())
	cur := ix1
	s := newTestServer(t, Config{Index: func() *directory.Index { return cur }}, nil)
	a, b := s.snapshot(), s.snapshot()
	if a.ix != ix1 || a.engine == nil || a.engine != b.engine || a.engine.Index() != ix1 {
		t.Errorf("the engine is not reused for the same index")
	}
	cur = directory.NewIndex(fixture())
	if c := s.snapshot(); c.ix != cur || c.engine == a.engine || c.engine.Index() != cur {
		t.Errorf("a new index did not get a new engine")
	}

	// With Engine, the index comes from the engine, not from Index.
	e := search.New(directory.NewIndex(fixture()))
	s = newTestServer(t, Config{Engine: func() *search.Engine { return e }, Index: func() *directory.Index { return ix1 }}, nil)
	if got := s.snapshot(); got.engine != e || got.ix != e.Index() {
		t.Errorf("snapshot does not follow the engine")
	}
	if res := get(t, s, "/services/"+talkingID); res.StatusCode != 200 {
		t.Errorf("service page over the engine's index: %d", res.StatusCode)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"q=+counselling+&where=&radius=25", "q=counselling"},
		{"where=Lincoln", "radius=25&where=Lincoln"},
		{"where=Lincoln&radius=10&page=1&sort=relevance", "radius=10&where=Lincoln"},
		{"type=a,b&type=+c+&type=a&need=", "type=a&type=b&type=c"},
		{"need=REFERRALS-FROM-PROBATION&need=x", "accepting=1&need=x"},
		{"need=referrals-from-probation&accepting=0", "accepting=1"},
		{"accepting=0&covers=false&open_now=off&include_inactive=no", ""},
		{"accepting=maybe", "accepting=maybe"},
		{"lat=53.2&lon=-0.5", "radius=25&where=53.2%2C-0.5"},
		{"lat=53.2", "lat=53.2&radius=25"},
		{"q=a&q=b&unknown=1&from=1,2", "q=a"},
		{"page=2&sort=distance", "page=2&sort=distance"},
	}
	for _, tt := range tests {
		in, _ := url.ParseQuery(tt.in)
		if got := canonicalQuery(in).Encode(); got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPagination(t *testing.T) {
	v := url.Values{"q": {"x"}}
	tests := []struct {
		current, pages int
		want           string
	}{
		{1, 1, "[1]"},
		{1, 2, "[1] 2 >"},
		{2, 3, "< 1 [2] 3 >"},
		{3, 5, "< 1 2 [3] 4 5 >"},
		{1, 12, "[1] 2 … 12 >"},
		{5, 12, "< 1 … 4 [5] 6 … 12 >"},
		{12, 12, "< 1 … 11 [12]"},
	}
	for _, tt := range tests {
		p := newPagination(v, tt.current, tt.pages)
		var parts []string
		if p.Prev != "" {
			parts = append(parts, "<")
			if want := pageURL(v, tt.current-1); p.Prev != want {
				t.Errorf("prev = %q, want %q", p.Prev, want)
			}
		}
		for _, it := range p.Items {
			switch {
			case it.Ellipsis:
				parts = append(parts, "…")
			case it.Current:
				parts = append(parts, "["+strconv.Itoa(it.Number)+"]")
			default:
				parts = append(parts, strconv.Itoa(it.Number))
			}
			if !it.Ellipsis && it.Href != pageURL(v, it.Number) {
				t.Errorf("page %d links to %q", it.Number, it.Href)
			}
		}
		if p.Next != "" {
			parts = append(parts, ">")
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("newPagination(%d of %d) = %s, want %s", tt.current, tt.pages, got, tt.want)
		}
	}
	if got := pageURL(url.Values{"q": {"x"}, "page": {"4"}}, 1); got != "/search?q=x" {
		t.Errorf("pageURL(1) = %q", got)
	}
}

func TestSearchSummary(t *testing.T) {
	lincoln := geo.Point{Lat: 53.231, Lon: -0.541}
	tests := []struct {
		req   search.Request
		total int
		want  string
	}{
		{search.Request{}, 0, "No services found"},
		{search.Request{}, 1, "1 service"},
		{search.Request{Query: search.Query{Text: "alcohol"}}, 12, "12 services matching “alcohol”"},
		{search.Request{Point: &lincoln, Place: "Lincoln, Lincolnshire", RadiusKm: 25}, 12, "12 services within 25 km of Lincoln, Lincolnshire"},
		{search.Request{Point: &lincoln, Place: "LN1 1AA", RadiusKm: 2.5}, 2, "2 services within 2.5 km of LN1 1AA"},
		{search.Request{Point: &lincoln, Place: "LN1 1AA"}, 2, "2 services near LN1 1AA"},
	}
	for _, tt := range tests {
		if got := searchSummary(tt.req, tt.total); got != tt.want {
			t.Errorf("searchSummary = %q, want %q", got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		field, msg, want string
	}{
		{"age", "must be a whole number", "Age must be a whole number"},
		{"radius", "needs a place: give where", "Distance needs a place: give where"},
		{"q", "keywords must be at most 200 characters", "Keywords must be at most 200 characters"},
		{"where", `"x" is not a full UK postcode`, `"x" is not a full UK postcode`},
		{"mystery", "must be set", "Mystery must be set"},
	}
	for _, tt := range tests {
		if got := errorText(&apperr.FieldError{Field: tt.field, Msg: tt.msg}); got != tt.want {
			t.Errorf("errorText(%s, %q) = %q, want %q", tt.field, tt.msg, got, tt.want)
		}
	}
}
