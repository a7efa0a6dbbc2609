package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"throughcare/internal/directory"
)

// requireBuiltAssets fails the test when `make assets` has not been run:
// the pages reference the built stylesheet and scripts.
func requireBuiltAssets(t *testing.T) {
	t.Helper()
	if _, err := fs.Stat(embeddedStatic(), "dist/app.css"); err != nil {
		t.Fatalf("the built assets are missing (%v): run `make assets` first", err)
	}
}

// cssURL finds url(...) references in a stylesheet; importFrom finds the
// modules a script imports.
var (
	cssURL     = regexp.MustCompile(`url\(\s*["']?([^"')]+)["']?\s*\)`)
	importFrom = regexp.MustCompile(`(?m)^import\s[^'"]*['"]([^'"]+)['"]`)
)

func TestAssetsResolve(t *testing.T) {
	requireBuiltAssets(t)
	s := newTestServer(t, Config{}, nil)

	// Every static URL any page names, and what those files name in turn.
	pending := map[string]bool{}
	for _, page := range []string{"/", "/search?q=therapies", "/services/" + talkingID, "/organisations/" + orgID, "/about/data", "/accessibility", "/no/such/page"} {
		for _, m := range assetRef.FindAllStringSubmatch(body(t, get(t, s, page)), -1) {
			pending[m[1]] = true
		}
	}
	for _, want := range []string{"dist/app.css", "js/app.js", "dist/leaflet/leaflet.js", "dist/leaflet/leaflet.css", "images/favicon.svg"} {
		if !pending[s.assets.URL(want)] {
			t.Errorf("no page references %s", s.assets.URL(want))
		}
	}
	done := map[string]bool{}
	for len(pending) > 0 {
		var u string
		for u = range pending {
			break
		}
		delete(pending, u)
		done[u] = true
		if !strings.HasPrefix(u, "/assets/"+s.assets.hash+"/") {
			t.Errorf("asset URL %s lacks the content hash %s", u, s.assets.hash)
			continue
		}
		res := get(t, s, u)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", u, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", u, got)
		}
		var refs []string
		content := body(t, res)
		switch path.Ext(u) {
		case ".css":
			for _, m := range cssURL.FindAllStringSubmatch(content, -1) {
				// data: URLs are inline; "#default#VML" is an old IE
				// behaviour in leaflet.css, not a file.
				if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
					refs = append(refs, m[1])
				}
			}
		case ".js":
			if strings.HasSuffix(u, "/js/app.js") {
				for _, m := range importFrom.FindAllStringSubmatch(content, -1) {
					refs = append(refs, m[1])
				}
			}
		}
		for _, ref := range refs {
			if strings.Contains(ref, "govuk-crest.svg") {
				continue // only the crown footer, which we never show, uses it
			}
			abs := path.Join(path.Dir(u), ref)
			if !done[abs] {
				pending[abs] = true
			}
		}
	}
	for _, want := range []string{"dist/govuk-frontend.min.js", "dist/moj-frontend.min.js", "dist/leaflet/images/layers.png", "dist/images/icon-document.svg"} {
		if !done[s.assets.URL(want)] {
			t.Errorf("%s is not reached from any page", want)
		}
	}

	// The stylesheet was compiled without the GDS Transport font.
	css := body(t, get(t, s, s.assets.URL("dist/app.css")))
	if strings.Contains(css, "@font-face") || strings.Contains(css, "GDS Transport") || !strings.Contains(css, "font-family:arial,sans-serif") {
		t.Errorf("app.css still carries the GDS Transport font")
	}
}

func TestAssetHashFollowsContent(t *testing.T) {
	a := fstest.MapFS{"js/app.js": {Data: []byte("one")}, "dist/app.css": {Data: []byte("x")}, "dist/.built": {Data: []byte("stamp")}}
	b := fstest.MapFS{"js/app.js": {Data: []byte("two")}, "dist/app.css": {Data: []byte("x")}, "dist/.built": {Data: []byte("stamp")}}
	c := fstest.MapFS{"js/app.js": {Data: []byte("one")}, "dist/app.css": {Data: []byte("x")}, "dist/.built": {Data: []byte("later stamp")}}
	ha, err := treeHash(a)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := treeHash(b)
	hc, _ := treeHash(c)
	if ha == hb {
		t.Errorf("the hash did not change with a file's content")
	}
	if ha != hc {
		t.Errorf("the hash changed with a hidden file, which is never served")
	}
	if len(ha) != 16 {
		t.Errorf("hash %q is not 16 hex digits", ha)
	}
}

func TestDevMode(t *testing.T) {
	s := newTestServer(t, Config{Dev: true, DevDir: "."}, nil)
	page := body(t, get(t, s, "/"))
	if !strings.Contains(page, `href="/assets/dev/dist/app.css"`) {
		t.Fatalf("dev mode page does not use the dev asset path")
	}
	res := get(t, s, "/assets/dev/js/app.js")
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("dev asset: status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res := get(t, s, "/assets/dev/dist/.built"); res.StatusCode != http.StatusNotFound {
		t.Errorf("dev mode serves hidden files: %d", res.StatusCode)
	}
}

func TestAreasGeoJSON(t *testing.T) {
	var logBuf bytes.Buffer
	s := newTestServer(t, Config{}, &logBuf)
	res := get(t, s, "/services/"+talkingID+"/areas.geojson")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var fc struct {
		Type     string
		Features []struct {
			Type       string
			Properties struct{ Name string }
			Geometry   struct {
				Type        string
				Coordinates [][][2]float64
			}
		}
	}
	if err := json.Unmarshal([]byte(body(t, res)), &fc); err != nil {
		t.Fatal(err)
	}
	// The broken shape is left out, with a warning; the good one comes
	// through whole.
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 {
		t.Fatalf("got %+v, want one feature", fc)
	}
	if log := logBuf.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "unreadable GeoJSON") || !strings.Contains(log, directory.NameUUID("test:area:broken")) {
		t.Errorf("no warning naming the broken area: %q", log)
	}
	f := fc.Features[0]
	if f.Type != "Feature" || f.Properties.Name != "Lincoln" || f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates[0]) != 5 || f.Geometry.Coordinates[0][1] != [2]float64{-0.48, 53.20} {
		t.Errorf("feature = %+v", f)
	}

	res = get(t, s, "/services/"+recoveryID+"/areas.geojson")
	if got := strings.TrimSpace(body(t, res)); got != `{"type":"FeatureCollection","features":[]}` {
		t.Errorf("service without areas: %s", got)
	}
}

func TestGeometries(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
		ok   bool
	}{
		{`{"type":"Point","coordinates":[1,2]}`, []string{`{"type":"Point","coordinates":[1,2]}`}, true},
		{`{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}`, []string{`{"type":"Point","coordinates":[1,2]}`}, true},
		{`{"type":"Feature","geometry":null}`, nil, true},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feature","geometry":{"type":"Point","coordinates":[3,4]}}]}`,
			[]string{`{"type":"Point","coordinates":[1,2]}`, `{"type":"Point","coordinates":[3,4]}`}, true},
		{`{"type":"Topology"}`, nil, false},
		{`{"type":"FeatureCollection","features":[{"type":"Nope"}]}`, nil, false},
		{`not json`, nil, false},
	}
	for _, tt := range tests {
		got, err := geometries(json.RawMessage(tt.doc))
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if (err == nil) != tt.ok || !slices.Equal(gs, tt.want) {
			t.Errorf("geometries(%s) = %q, %v; want %q, ok %v", tt.doc, gs, err, tt.want, tt.ok)
		}
	}
}
