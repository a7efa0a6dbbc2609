package web

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/search"
)

// wantCSP is the policy every response must carry when no tile server is
// configured.
const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// check is one expectation about a page: the elements matching sel must
// number count (when count >= 0) and the text of the first must contain
// text.
type check struct {
	sel   string
	count int
	text  string
}

func TestPages(t *testing.T) {
	s := newTestServer(t, Config{Demo: true}, nil)
	tests := []struct {
		page       string // the template the page is rendered with
		path       string
		wantStatus int
		checks     []check
	}{
		{"home", "/", 200, []check{
			{"h1", 1, "Find health services for people on probation"},
			{"form[action=/search] input#q[name=q]", 1, ""},
			{"form[action=/search] input#where[name=where]", 1, ""},
			{"form select#type", 0, ""},
			{".app-shortcuts h3 a[href=/search?type=substance-use]", 1, "Substance use"},
			{".app-shortcuts li a[href=/search?type=drug-alcohol-treatment]", 1, "Drug and alcohol treatment"},
			{".app-shortcuts li a[href=/search?type=nhs-talking-therapies]", 1, "NHS Talking Therapies"},
			{".app-shortcuts h3", len(directory.Terms(directory.ServiceTypeTaxonomy)) - 31, ""},
			{".app-shortcuts li", 31, ""},
			{"main h2", -1, "Browse by type of service"},
		}},
		{"search", "/search?q=talking", 200, []check{
			{"h1", 1, "Search results"},
			{"#result-count", 1, "1 service matching “talking”"},
			{"#results li.app-result", 1, "Lincoln Talking Therapies"},
			{"#results a[href=/services/" + talkingID + "]", 1, "Lincoln Talking Therapies"},
			{"#results a[href=/organisations/" + orgID + "]", 1, "Lincoln Minds"},
			{"#results .govuk-tag--yellow", 1, "Demo record"},
			{"#results .app-result__probation", 1, "Accepts probation referrals"},
			{"#results .app-result__exclusion .govuk-tag--red", 1, "Excludes arson"},
			{"#results .app-result__distance", 0, ""},
			{"#results li[data-lat=53.230700][data-lng=-0.540600][data-label=Lincoln Talking Therapies]", 1, ""},
			{"#results-map[data-app-map][data-markers=results]", 1, ""},
			{"input#q[value=talking]", 1, ""},
			{"select#radius option[value=25][selected]", 1, ""},
			{".govuk-error-summary", 0, ""},
			{"#selected-filters", 0, ""},
		}},
		{"search", "/search?type=substance-use&include_inactive=1", 200, []check{
			{"h1", 1, "Substance use"},
			{"#results li.app-result", 1, "Recovery Hub"},
			{"#results .app-result__status .govuk-tag--orange", 1, "Temporarily closed"},
			{"#results-map", 0, ""},
			{"input#type-substance-use[checked]", 1, ""},
			{"#types details[open]", 1, "Substance use"},
			{"input[type=hidden][name=include_inactive][value=1]", 1, ""},
			{"#selected-filters a.moj-filter__tag[href=/search?include_inactive=1]", 1, "Substance use"},
		}},
		{"search", "/search?q=nothing+matches+this", 200, []check{
			{"#result-count", 1, "No services found matching “nothing matches this”"},
			{"#results", 0, ""},
			{"#remove-filters a[href=/search]", 1, "Remove the words “nothing matches this”"},
		}},
		{"search", "/search", 200, []check{
			{"#result-count", 1, "1 service"},
			{"#results li.app-result", 1, "Lincoln Talking Therapies"},
			{"#pagination", 0, ""},
		}},
		{"search", "/search?type=no-such-type", 400, []check{
			{".govuk-error-summary a[href=#type-mental-health]", 1, `"no-such-type" is not a service type we know`},
			{"#type-error", 1, `"no-such-type" is not a service type we know`},
			{"#results", 0, ""},
		}},
		{"service", "/services/" + talkingID, 200, []check{
			{"h1", 1, "Lincoln Talking Therapies"},
			{".govuk-caption-l", 1, "Lincoln Minds"},
			{".govuk-breadcrumbs a[href=/organisations/" + orgID + "]", 1, "Lincoln Minds"},
			{"#service-status .govuk-tag--yellow", 1, "Demo record"},
			{"#service-status .govuk-tag--green", 1, "Active"},
			{"main p", -1, "Talking therapies for anxiety and depression."},
			{"#who-it-is-for", 1, "Who it is for"},
			{".app-tag-list .govuk-tag--green", -1, "Accepts referrals from probation"},
			{"#who-it-cannot-help", 1, "Who it cannot help"},
			{".app-tag-list .govuk-tag--red", 1, "Excludes arson"},
			{"#how-to-refer", 1, "How to refer"},
			{".govuk-summary-list__value", 1, "About 3 weeks"},
			{"a[href=mailto:sam.patel@minds.example.org]", 1, "sam.patel@minds.example.org"},
			{"a[href=tel:+441522111111]", 1, "+44 1522 111 111"},
			{"a[href=tel:01522000000]", 1, "01522 000 000"},
			{"a[href=https://minds.example.org/talking]", 1, ""},
			{"#opening-hours", 1, "Opening hours"},
			{"table.govuk-table tbody tr", 3, "Monday to Friday 9am to 5:30pm"},
			{"table.govuk-table tbody th", 3, ""},
			{"#service-map[data-app-map][data-markers=locations][data-areas=/services/" + talkingID + "/areas.geojson]", 1, ""},
			{"#service-map[data-tiles]", 0, ""},
			{"#locations li[data-lat=53.230700][data-lng=-0.540600][data-label=City Centre Clinic]", 1, "1 High Street Lincoln LN1 1AA"},
			{"#locations li[data-label=2 North Road]", 1, "Evening groups only"},
			{"#locations li.app-location", 3, ""},
			{"#locations li[data-lat]", 2, ""},
			{"#locations a[href=https://minds.example.org/online]", 1, ""},
			{"#languages", 1, "Languages"},
			{"main p", -1, "Aged 18 and over."},
			{"#areas", 1, "Areas covered"},
			{"#dates", 1, "Details last confirmed by the service on 4 March 2025. Last updated on 30 June 2025."},
		}},
		{"service", "/services/" + recoveryID, 200, []check{
			{"h1", 1, "Recovery Hub"},
			{"#service-status .govuk-tag--orange", 1, "Temporarily closed"},
			{"#service-status .govuk-tag--yellow", 0, ""},
			{"#service-map", 0, ""},
			{"#locations", 0, ""},
			{"#who-it-is-for", 0, ""},
			{"#dates", 0, ""},
		}},
		{"organisation", "/organisations/" + orgID, 200, []check{
			{"h1", 1, "Lincoln Minds"},
			{"main .govuk-tag--yellow", -1, "Demo record"},
			{"#services li.app-result", 3, "Lincoln Talking Therapies"},
			{"#services a[href=/services/" + closedID + "]", 1, "Old Talking Service"},
			{"a[href=https://minds.example.org]", 1, ""},
		}},
		{"organisation", "/organisations/" + emptyOrgID, 200, []check{
			{"h1", 1, "Quiet Trust"},
			{"#services", 0, ""},
			{"main p", -1, "An organisation with nothing listed yet."},
		}},
		{"about-data", "/about/data", 200, []check{
			{"h1", 1, "About the data"},
			{"#demo-data", 1, "Demonstration data"},
			{"main li", -1, "Source: Office for National Statistics licensed under the Open Government Licence v.3.0"},
			{"main a[href=/openreferral/]", 1, "open data API"},
		}},
		{"accessibility", "/accessibility", 200, []check{
			{"h1", 1, "Accessibility statement"},
			{"main p", -1, "Web Content Accessibility Guidelines (WCAG) version 2.2"},
		}},
		{"error", "/services/" + directory.NameUUID("nope"), 404, []check{
			{"h1", 1, "Page not found"},
		}},
		{"error", "/search?q=" + strings.Repeat("a", maxQueryString), 400, []check{
			{"h1", 1, "There is a problem with your request"},
			{"#error-message", 1, "This search is too long to run: its words and filters take 2050 characters, and the limit is 2048."},
		}},
	}
	rendered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := get(t, s, tt.path)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			doc := parseHTML(t, body(t, res))
			checkLayout(t, doc, true)
			for _, c := range tt.checks {
				found := doc.Find(c.sel)
				if c.count >= 0 && len(found) != c.count {
					t.Errorf("%s: found %d, want %d", c.sel, len(found), c.count)
					continue
				}
				if c.text != "" {
					if !slices.ContainsFunc(found, func(n *node) bool { return strings.Contains(n.Text(), c.text) }) {
						var texts []string
						for _, n := range found {
							texts = append(texts, n.Text())
						}
						t.Errorf("%s: no element contains %q; texts: %q", c.sel, c.text, texts)
					}
				}
			}
			rendered[tt.page] = true
		})
	}
	for _, name := range []string{"home", "search", "service", "organisation", "about-data", "accessibility", "error"} {
		if !rendered[name] {
			t.Errorf("page template %q is not rendered by any case", name)
		}
	}
}

// checkLayout checks what every page has: the generic header with the
// service name and no crown, the skip link, the footer links, the demo
// banner (when demo), our stylesheet and module, and no inline script,
// inline style or event-handler attribute.
func checkLayout(t *testing.T, doc *node, demo bool) {
	t.Helper()
	if got := doc.Find(".govuk-generic-header .govuk-generic-header__homepage-link"); len(got) != 1 || got[0].Text() != "Throughcare" {
		t.Errorf("generic header with the service name missing")
	}
	if len(doc.Find(".govuk-header__crown")) > 0 || len(doc.Find(".govuk-footer__crown")) > 0 || len(doc.Find(".govuk-logo")) > 0 {
		t.Errorf("page shows the crown")
	}
	if got := doc.Find("a.govuk-skip-link[href=#main-content]"); len(got) != 1 {
		t.Errorf("skip link missing")
	}
	if len(doc.Find("main#main-content")) != 1 {
		t.Errorf("main#main-content missing")
	}
	for _, href := range []string{"/about/data", "/openreferral/", "/accessibility"} {
		if len(doc.Find("footer a[href="+href+"]")) != 1 {
			t.Errorf("footer link to %s missing", href)
		}
	}
	banner := doc.Find(".govuk-phase-banner")
	if demo && (len(banner) != 1 || !strings.Contains(banner[0].Text(), "fictional")) {
		t.Errorf("demo banner missing")
	}
	if !demo && len(banner) != 0 {
		t.Errorf("demo banner shown outside demo mode")
	}
	if len(doc.Find("link[rel=stylesheet]")) == 0 || len(doc.Find("script[type=module]")) != 1 {
		t.Errorf("stylesheet or module script missing")
	}
	for _, n := range doc.all() {
		switch {
		case n.tag == "script" && (n.attrs["src"] == "" || strings.TrimSpace(n.Text()) != ""):
			t.Errorf("inline script: %v", n.attrs)
		case n.tag == "style":
			t.Errorf("inline <style> element")
		}
		for name := range n.attrs {
			if name == "style" || strings.HasPrefix(name, "on") {
				t.Errorf("<%s> has a %s attribute, which the CSP blocks", n.tag, name)
			}
		}
	}
}

func TestDemoOff(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	for _, path := range []string{"/", "/services/" + talkingID, "/about/data"} {
		doc := parseHTML(t, body(t, get(t, s, path)))
		checkLayout(t, doc, false)
	}
	// A record tagged demo-fictional is marked even outside demo mode.
	doc := parseHTML(t, body(t, get(t, s, "/services/"+talkingID)))
	if got := doc.Find("#service-status .govuk-tag--yellow"); len(got) != 1 || got[0].Text() != "Demo record" {
		t.Errorf("demo record tag missing outside demo mode")
	}
	doc = parseHTML(t, body(t, get(t, s, "/about/data")))
	if got := doc.Find("#demo-data"); len(got) != 1 || got[0].Text() != "Demonstration records" {
		t.Errorf("about page in live mode: %v", got)
	}
}

func TestNotFound(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	for _, path := range []string{
		"/services/" + directory.NameUUID("missing"),
		"/services/" + directory.NameUUID("missing") + "/areas.geojson",
		"/organisations/" + talkingID, // a service id is not an organisation
		"/no/such/page",
		"/services/",
		"/assets/0000000000000000/dist/app.css",
		"/assets/" + s.assets.hash + "/no-such-file.css",
		"/assets/" + s.assets.hash + "/js",
		"/assets/" + s.assets.hash + "/dist/.gitkeep",
	} {
		res := get(t, s, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
			continue
		}
		doc := parseHTML(t, body(t, res))
		if got := doc.Find("h1"); len(got) != 1 || got[0].Text() != "Page not found" {
			t.Errorf("GET %s: not the 404 page", path)
		}
		if res.Header.Get("Content-Security-Policy") != wantCSP {
			t.Errorf("GET %s: error page without CSP", path)
		}
	}
}

func TestInternalError(t *testing.T) {
	var logBuf bytes.Buffer
	s := newTestServer(t, Config{}, &logBuf)
	h := s.handle(func(http.ResponseWriter, *http.Request) error {
		return errors.New("store: connection to db-7 refused")
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	page := rec.Body.String()
	doc := parseHTML(t, page)
	if got := doc.Find("#error-message"); len(got) != 1 || got[0].Text() != "Internal error." {
		t.Errorf("message = %v, want Internal error.", got)
	}
	if strings.Contains(page, "db-7") {
		t.Errorf("the page shows the error's detail")
	}
	if log := logBuf.String(); !strings.Contains(log, "db-7") || !strings.Contains(log, "path=/boom") {
		t.Errorf("the log lacks the detail: %q", log)
	}

	// Users' own mistakes are not logged as failures.
	logBuf.Reset()
	get(t, s, "/no/such/page")
	if logBuf.Len() != 0 {
		t.Errorf("a 404 was logged: %q", logBuf.String())
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{apperr.Errorf(apperr.NotFound, "x"), 404},
		{apperr.Field("f", "bad"), 400},
		{apperr.Errorf(apperr.Conflict, "x"), 409},
		{apperr.Errorf(apperr.Forbidden, "x"), 403},
		{apperr.Errorf(apperr.Unauthenticated, "x"), 401},
		{errors.New("x"), 500},
	}
	for _, tt := range tests {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	res := get(t, s, "/")
	for name, want := range map[string]string{
		"Content-Security-Policy":   wantCSP,
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "same-origin",
		"Strict-Transport-Security": "",
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := rec.Header().Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("HSTS over TLS = %q", got)
	}

	tiled := newTestServer(t, Config{TilesURL: "https://{s}.tiles.example.org/{z}/{x}/{y}.png", TilesAttribution: "© Example contributors"}, nil)
	res = get(t, tiled, "/services/"+talkingID)
	want := strings.Replace(wantCSP, "img-src 'self' data:", "img-src 'self' data: https://*.tiles.example.org", 1)
	if got := res.Header.Get("Content-Security-Policy"); got != want {
		t.Errorf("CSP with tiles = %q, want %q", got, want)
	}
	doc := parseHTML(t, body(t, res))
	if got := doc.Find("#service-map[data-tiles=https://{s}.tiles.example.org/{z}/{x}/{y}.png][data-attribution=© Example contributors]"); len(got) != 1 {
		t.Errorf("map lacks the tile settings")
	}
}

func TestTilesSource(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org", true},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org", true},
		{"http://localhost:8081/tiles/{z}/{x}/{y}.png", "http://localhost:8081", true},
		{"/tiles/{z}/{x}/{y}.png", "", false},
		{"javascript:alert(1)", "", false},
		{"https://{z}.example.org/{x}/{y}.png", "", false},
	}
	for _, tt := range tests {
		got, err := tilesSource(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("tilesSource(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && (!errors.Is(err, apperr.Invalid) || !strings.HasPrefix(err.Error(), "TilesURL: ")) {
			t.Errorf("tilesSource(%q) error %q is not an Invalid error naming TilesURL", tt.in, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New(Config{})
	if !errors.Is(err, apperr.Invalid) || !strings.HasPrefix(err.Error(), "Engine: ") || !strings.Contains(err.Error(), "Index") {
		t.Errorf("New without Engine or Index: %v", err)
	}
	ix := func() *directory.Index { return nil }
	_, err = New(Config{Index: ix, TilesURL: "tiles/{z}"})
	if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "TilesURL") {
		t.Errorf("New with a bad TilesURL: %v", err)
	}
	_, err = New(Config{Index: ix, Dev: true, DevDir: t.TempDir()})
	if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "DevDir") {
		t.Errorf("New in dev mode without templates: %v", err)
	}
}

func TestNoIndexYet(t *testing.T) {
	s := newTestServer(t, Config{Index: func() *directory.Index { return nil }}, nil)
	if res := get(t, s, "/"); res.StatusCode != 200 {
		t.Errorf("home without an index: %d", res.StatusCode)
	}
	if res := get(t, s, "/search?q=x"); res.StatusCode != 200 {
		t.Errorf("search without an index: %d", res.StatusCode)
	}
	// Nor while the engine is not built yet.
	s = newTestServer(t, Config{Engine: func() *search.Engine { return nil }}, nil)
	for _, path := range []string{"/", "/search", "/search?q=x&where=Lincoln"} {
		if res := get(t, s, path); res.StatusCode != 200 {
			t.Errorf("%s without an engine: %d", path, res.StatusCode)
		}
	}
	if res := get(t, s, "/services/"+talkingID); res.StatusCode != 404 {
		t.Errorf("service without an index: %d", res.StatusCode)
	}
}

func TestHeadRequest(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD /: status %d, %d body bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

// assetRef finds the URLs of our static files in a page.
var assetRef = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)
