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
