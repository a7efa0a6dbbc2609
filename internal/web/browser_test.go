package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"throughcare/internal/browsertest"
	"throughcare/internal/directory"
)

// TestBrowser walks the public pages in headless Chromium: home, a search,
// a service page with its map, the organisation and the other pages, and
// checks each with axe-core. It also checks that no page reports a script
// error or a Content-Security-Policy violation.
func TestBrowser(t *testing.T) {
	requireBuiltAssets(t)
	s := newTestServer(t, Config{Demo: true}, nil)
	b := browsertest.Start(t, s)

	noProblems := func(page string) {
		t.Helper()
		if p := b.Problems(); len(p) > 0 {
			t.Errorf("%s reported problems:\n%s", page, strings.Join(p, "\n"))
		}
	}

	// Home: app.js ran (GOV.UK Frontend's body classes are set).
	b.Open(t, "/")
	b.WaitFor(t, `document.body.classList.contains("govuk-frontend-supported")`)
	if !browsertest.Eval[bool](t, b, `document.body.classList.contains("js-enabled")`) {
		t.Errorf("js-enabled class not set")
	}
	browsertest.Axe(b.Ctx, t)
	noProblems("home")

	// Search from the home page's form, then follow the result.
	if status := b.Follow(t,
		chromedp.SendKeys(chromedp.CSS("#q"), "talking"),
		chromedp.Submit(chromedp.CSS("#q")),
	); status != 200 {
		t.Fatalf("search: status %d", status)
	}
	if got := browsertest.Eval[string](t, b, `location.pathname + location.search`); got != "/search?q=talking&where=&radius=25" {
		t.Errorf("search URL = %q", got)
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector("#result-count").textContent.trim()`); got != "1 service matching “talking”" {
		t.Errorf("result count = %q", got)
	}
	browsertest.Axe(b.Ctx, t)
	noProblems("search")

	if status := b.Follow(t, chromedp.Click(chromedp.CSS(`#results a[href^="/services/"]`))); status != 200 {
		t.Fatalf("service page: status %d", status)
	}
	if got := browsertest.Eval[string](t, b, `location.pathname`); got != "/services/"+talkingID {
		t.Errorf("result link led to %s", got)
	}

	// The map: two markers from the address list, the area outline from
	// the GeoJSON endpoint, and no tiles.
	b.WaitFor(t, `document.querySelectorAll("#service-map .leaflet-marker-icon").length === 2 && document.querySelectorAll("#service-map path.app-map__area").length === 1`)
	titles := browsertest.Eval[[]string](t, b, `[...document.querySelectorAll("#service-map .leaflet-marker-icon")].map(m => m.getAttribute("alt")).sort()`)
	if !slices.Equal(titles, []string{"2 North Road", "City Centre Clinic"}) {
		t.Errorf("markers = %q", titles)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#service-map .leaflet-tile").length`); n != 0 {
		t.Errorf("%d tiles drawn with no tile server set", n)
	}
	if h := browsertest.Eval[float64](t, b, `document.querySelector("#service-map").getBoundingClientRect().height`); h < 200 {
		t.Errorf("map height = %v, want it shown", h)
	}
	browsertest.Axe(b.Ctx, t)
	noProblems("service page")

	// Keyboard users can reach a marker and open its label.
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(`#service-map .leaflet-marker-icon[alt="City Centre Clinic"]`))); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, `document.querySelector("#service-map .leaflet-popup-content") !== null`)
	if got := browsertest.Eval[string](t, b, `document.querySelector("#service-map .leaflet-popup-content").textContent`); got != "City Centre Clinic" {
		t.Errorf("popup = %q", got)
	}
	noProblems("map popup")

	for _, path := range []string{
		"/services/" + recoveryID,
		"/organisations/" + orgID,
		"/about/data",
		"/accessibility",
		"/search?type=substance-use&include_inactive=1",
		"/search?q=nothing+matches",
	} {
		b.Open(t, path)
		b.WaitFor(t, `document.body.classList.contains("js-enabled")`)
		browsertest.Axe(b.Ctx, t)
		noProblems(path)
	}

	// The error pages; the browser logs the failed status of the page
	// itself, which is expected.
	for _, path := range []string{"/services/" + directory.NameUUID("missing"), "/search?type=nope"} {
		b.Open(t, path)
		b.WaitFor(t, `document.body.classList.contains("js-enabled")`)
		browsertest.Axe(b.Ctx, t)
		for _, p := range b.Problems() {
			if !strings.Contains(p, "the server responded with a status of") || !strings.Contains(p, b.URL+path) {
				t.Errorf("%s reported a problem: %s", path, p)
			}
		}
	}
}

// TestBrowserWithoutScript checks that the service page reads completely
// with JavaScript off: the map container takes no space and the addresses
// stand alone. (axe-core cannot run there; the markup is the one TestBrowser
// checks.)
func TestBrowserWithoutScript(t *testing.T) {
	requireBuiltAssets(t)
	s := newTestServer(t, Config{}, nil)
	b := browsertest.Start(t, s)
	b.DisableScripts(t)
	b.Open(t, "/services/"+talkingID)
	if h := browsertest.Eval[float64](t, b, `document.querySelector("#service-map").getBoundingClientRect().height`); h != 0 {
		t.Errorf("empty map takes %vpx without JavaScript", h)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#locations li.app-location").length`); n != 3 {
		t.Errorf("%d locations listed, want 3", n)
	}
}

// TestBrowserTiles draws the map over tiles, served here by the test server
// itself, and checks the provider's credit is shown as plain text.
func TestBrowserTiles(t *testing.T) {
	requireBuiltAssets(t)
	// The site needs the server's address for its tile URL, so it is set
	// once the server runs.
	var site atomic.Pointer[Server]
	b := browsertest.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/tiles/") {
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#eee"/></svg>`)
			return
		}
		site.Load().ServeHTTP(w, r)
	}))
	site.Store(newTestServer(t, Config{TilesURL: b.URL + "/tiles/{z}/{x}/{y}.svg", TilesAttribution: "<b>Example</b> contributors"}, nil))

	b.Open(t, "/services/"+talkingID)
	b.WaitFor(t, `[...document.querySelectorAll("#service-map img.leaflet-tile")].some(img => img.complete && img.naturalWidth > 0)`)
	got := browsertest.Eval[string](t, b, `document.querySelector("#service-map .leaflet-control-attribution").textContent`)
	if got != "<b>Example</b> contributors" {
		t.Errorf("attribution = %q, want the text as given", got)
	}
	browsertest.Axe(b.Ctx, t)
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("problems:\n%s", strings.Join(p, "\n"))
	}
}

// TestBrowserSearch searches the demo directory in Chromium as a person
// would: by place and keywords from the home page, then with a filter
// ticked in the panel, checking the list and the map agree; then opens a
// result. axe-core checks the results page, the empty results page and
// the page of a search with mistakes.
func TestBrowserSearch(t *testing.T) {
	requireBuiltAssets(t)
	s := newDemoServer(t, Config{Demo: true})
	b := browsertest.Start(t, s)
	noProblems := func(page string) {
		t.Helper()
		if p := b.Problems(); len(p) > 0 {
			t.Errorf("%s reported problems:\n%s", page, strings.Join(p, "\n"))
		}
	}
	// markersMatch waits for the map to draw and checks it has one marker
	// for each located result listed, n in all.
	markersMatch := func(n int) {
		t.Helper()
		b.WaitFor(t, `document.querySelectorAll("#results-map .leaflet-marker-icon").length > 0`)
		located := browsertest.Eval[int](t, b, `document.querySelectorAll("#results li.app-result[data-lat]").length`)
		markers := browsertest.Eval[int](t, b, `document.querySelectorAll("#results-map .leaflet-marker-icon").length`)
		listed := browsertest.Eval[int](t, b, `document.querySelectorAll("#results li.app-result").length`)
		if located != n || markers != n || listed != n {
			t.Errorf("%d results listed, %d located, %d markers; want %d of each", listed, located, markers, n)
		}
	}

	b.Open(t, "/")
	b.WaitFor(t, `document.body.classList.contains("govuk-frontend-supported")`)
	if status := b.Follow(t,
		chromedp.SendKeys(chromedp.CSS("#q"), "counselling"),
		chromedp.SendKeys(chromedp.CSS("#where"), "Lincoln"),
		chromedp.Click(chromedp.CSS("#search-button")),
	); status != 200 {
		t.Fatalf("search: status %d", status)
	}
	if got := browsertest.Eval[string](t, b, `location.search`); got != "?q=counselling&where=Lincoln&radius=25" {
		t.Errorf("search URL = %q", got)
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector("#result-count").textContent.trim()`); got != "4 services matching “counselling” within 25 km of Lincoln, Lincolnshire" {
		t.Errorf("result count = %q", got)
	}
	markersMatch(4)
	browsertest.Axe(b.Ctx, t)
	// A marker's popup links to its service.
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(`#results-map .leaflet-marker-icon`))); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, `document.querySelector("#results-map .leaflet-popup-content a") !== null`)
	if href := browsertest.Eval[string](t, b, `document.querySelector("#results-map .leaflet-popup-content a").getAttribute("href")`); !strings.HasPrefix(href, "/services/") || !strings.HasSuffix(href, "?from=53.23100,-0.54100") {
		t.Errorf("popup link = %q", href)
	}
	noProblems("results")

	// Tick a need and a service type in a folded group, then apply.
	if err := chromedp.Do(b.Ctx,
		chromedp.Click(chromedp.CSS("#need-self-referral")),
		chromedp.Click(chromedp.CSS(`#types details summary`)), // Mental health
		chromedp.Click(chromedp.CSS("#type-psychological-therapies")),
	); err != nil {
		t.Fatal(err)
	}
	if status := b.Follow(t, chromedp.Click(chromedp.CSS("#apply-filters"))); status != 200 {
		t.Fatalf("filter: status %d", status)
	}
	search := browsertest.Eval[string](t, b, `location.search`)
	for _, want := range []string{"q=counselling", "where=Lincoln", "radius=25", "type=psychological-therapies", "need=self-referral", "sort=relevance"} {
		if !strings.Contains(search, want) {
			t.Errorf("filtered search %q lacks %s", search, want)
		}
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector("#result-count").textContent.trim()`); got != "2 services matching “counselling” within 25 km of Lincoln, Lincolnshire" {
		t.Errorf("result count = %q", got)
	}
	if !browsertest.Eval[bool](t, b, `document.querySelector("#need-self-referral").checked && document.querySelector("#type-psychological-therapies").checked`) {
		t.Errorf("the ticked boxes are not ticked on the results")
	}
	tags := browsertest.Eval[[]string](t, b, `[...document.querySelectorAll("#selected-filters .moj-filter__tag")].map(a => a.textContent.replace("Remove this filter", "").trim())`)
	if !slices.Equal(tags, []string{"Psychological therapies", "Accepts self-referral"}) {
		t.Errorf("selected filters = %q", tags)
	}
	markersMatch(2)
	browsertest.Axe(b.Ctx, t)
	noProblems("filtered results")

	// Open the first result: it says how far away it is.
	if status := b.Follow(t, chromedp.Click(chromedp.CSS(`#results li.app-result h3 a`))); status != 200 {
		t.Fatalf("service page: status %d", status)
	}
	if got := browsertest.Eval[string](t, b, `location.pathname`); !strings.HasPrefix(got, "/services/") {
		t.Errorf("result link led to %s", got)
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector("#distance").textContent`); got != "0.7 km from the place you searched for" {
		t.Errorf("distance = %q", got)
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector("#today").textContent`); got != "Open today, 9am to 5pm" {
		t.Errorf("today = %q", got)
	}
	noProblems("service page")

	// Nothing found: the suggestions page.
	b.Open(t, "/search?type=autism&where=Sleaford&radius=10")
	b.WaitFor(t, `document.body.classList.contains("js-enabled")`)
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#no-results a").length`); n != 6 {
		t.Errorf("%d suggestions, want 6", n)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#results-map").length`); n != 0 {
		t.Errorf("a map with no results")
	}
	browsertest.Axe(b.Ctx, t)
	noProblems("empty results")

	// Mistakes: the error summary takes the focus and links to the field.
	b.Open(t, "/search?where=LN99&age=abc")
	b.WaitFor(t, `document.activeElement && document.activeElement.closest(".govuk-error-summary") !== null`)
	browsertest.Axe(b.Ctx, t)
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(`.govuk-error-summary a[href="#age"]`))); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, `document.activeElement && document.activeElement.id === "age"`)
	for _, p := range b.Problems() {
		if !strings.Contains(p, "the server responded with a status of 400") {
			t.Errorf("the page with mistakes reported a problem: %s", p)
		}
	}

	// On a wide screen the filter panel stays open; on a narrow one it
	// folds behind a button that opens it.
	if !browsertest.Eval[bool](t, b, `document.querySelector("#need-self-referral").getBoundingClientRect().height > 0`) {
		t.Errorf("the filter panel is folded on a wide screen")
	}
	if err := chromedp.Do(b.Ctx, chromedp.EmulateViewport(400, 900)); err != nil {
		t.Fatal(err)
	}
	b.Open(t, "/search?q=counselling&where=Lincoln")
	b.WaitFor(t, `document.querySelector(".moj-action-bar__filter button") !== null`)
	if got := browsertest.Eval[string](t, b, `document.querySelector(".moj-action-bar__filter button").textContent`); got != "Show filter" {
		t.Errorf("filter button = %q", got)
	}
	if browsertest.Eval[bool](t, b, `document.querySelector("#need-self-referral").getBoundingClientRect().height > 0`) {
		t.Errorf("the filter panel covers a narrow screen")
	}
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(".moj-action-bar__filter button"))); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, `document.querySelector("#need-self-referral").getBoundingClientRect().height > 0`)
	browsertest.Axe(b.Ctx, t)
	noProblems("narrow results")
}

// TestBrowserSearchWithoutScript checks that the results page works with
// JavaScript off: the list stands without the map, and the filter panel is
// a plain form that still filters.
func TestBrowserSearchWithoutScript(t *testing.T) {
	requireBuiltAssets(t)
	s := newDemoServer(t, Config{})
	b := browsertest.Start(t, s)
	b.DisableScripts(t)
	b.Open(t, "/search?q=counselling&where=Lincoln")
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#results li.app-result").length`); n != 4 {
		t.Errorf("%d results listed, want 4", n)
	}
	if h := browsertest.Eval[float64](t, b, `document.querySelector("#results-map").getBoundingClientRect().height`); h != 0 {
		t.Errorf("empty map takes %vpx without JavaScript", h)
	}
	if !browsertest.Eval[bool](t, b, `document.querySelector("#need-self-referral").getBoundingClientRect().height > 0`) {
		t.Errorf("the filter panel is hidden without JavaScript")
	}
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS("#need-self-referral"))); err != nil {
		t.Fatal(err)
	}
	if status := b.Follow(t, chromedp.Click(chromedp.CSS("#apply-filters"))); status != 200 {
		t.Fatalf("filter: status %d", status)
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector("#result-count").textContent.trim()`); got != "3 services matching “counselling” within 25 km of Lincoln, Lincolnshire" {
		t.Errorf("result count = %q", got)
	}
}
