package geo

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

// A 10 x 10 degree square (lon 0..10, lat 0..10) with a 2 x 2 hole at
// lon 4..6, lat 4..6.
const squareWithHole = `{"type":"Polygon","coordinates":[
	[[0,0],[10,0],[10,10],[0,10],[0,0]],
	[[4,4],[4,6],[6,6],[6,4],[4,4]]
]}`

// Two separate squares, the second with a hole, plus a concave "U".
const multi = `{"type":"MultiPolygon","coordinates":[
	[[[0,0],[1,0],[1,1],[0,1],[0,0]]],
	[[[20,20],[24,20],[24,24],[20,24],[20,20]],[[21,21],[23,21],[23,23],[21,23],[21,21]]],
	[[[40,0],[43,0],[43,3],[42,3],[42,1],[41,1],[41,3],[40,3],[40,0]]]
]}`

func mustShape(t testing.TB, s string) *Shape {
	t.Helper()
	sh, err := ParseShape([]byte(s))
	if err != nil {
		t.Fatalf("ParseShape: %v", err)
	}
	return sh
}

func TestShapeContainsPolygonWithHole(t *testing.T) {
	sh := mustShape(t, squareWithHole)
	if got, want := sh.BBox(), (BBox{0, 0, 10, 10}); got != want {
		t.Errorf("BBox = %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name     string
		lon, lat float64
		want     bool
	}{
		{"inside", 2, 2, true},
		{"inside, level with the hole", 5, 2, true},
		{"inside, beside the hole", 8, 5, true},
		{"in the hole", 5, 5, false},
		{"in the hole, near its corner", 4.01, 5.99, false},
		{"outside east", 11, 5, false},
		{"outside west", -0.001, 5, false},
		{"outside north", 5, 10.001, false},
		// The shape is closed: its boundary, including the hole's rim, is in.
		{"outer vertex", 0, 0, true},
		{"outer vertex, top right", 10, 10, true},
		{"outer edge, west", 0, 5, true},
		{"outer edge, north", 3, 10, true},
		{"hole edge", 4, 5, true},
		{"hole vertex", 6, 6, true},
		// A ray through a vertex must be counted once.
		{"level with the top edge, outside", -1, 10, false},
		{"level with a hole vertex, inside", 1, 6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sh.Contains(Point{Lat: tc.lat, Lon: tc.lon}); got != tc.want {
				t.Errorf("Contains(lon %v, lat %v) = %v, want %v", tc.lon, tc.lat, got, tc.want)
			}
		})
	}
}

func TestShapeContainsMultiPolygon(t *testing.T) {
	sh := mustShape(t, multi)
	if n := len(sh.Polygons()); n != 3 {
		t.Fatalf("%d polygons, want 3", n)
	}
	if got, want := sh.BBox(), (BBox{0, 0, 24, 43}); got != want {
		t.Errorf("BBox = %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name     string
		lon, lat float64
		want     bool
	}{
		{"first square", 0.5, 0.5, true},
		{"second square, outside its hole", 20.5, 22, true},
		{"second square's hole", 22, 22, false},
		{"between the polygons, inside the box", 10, 10, false},
		{"U, left arm", 40.5, 2, true},
		{"U, right arm", 42.5, 2.5, true},
		{"U, base", 41.5, 0.5, true},
		{"U, the notch", 41.5, 2, false},
		{"U, notch rim", 41.5, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sh.Contains(Point{Lat: tc.lat, Lon: tc.lon}); got != tc.want {
				t.Errorf("Contains(lon %v, lat %v) = %v, want %v", tc.lon, tc.lat, got, tc.want)
			}
		})
	}
}

func TestShapeEmpty(t *testing.T) {
	var nilShape *Shape
	if nilShape.Contains(Point{0, 0}) || !nilShape.BBox().IsEmpty() || nilShape.Polygons() != nil {
		t.Error("nil *Shape should be empty")
	}
	var zero Shape
	if zero.Contains(Point{0, 0}) || !zero.BBox().IsEmpty() {
		t.Error("zero Shape should be empty")
	}
}

func TestParseShapeForms(t *testing.T) {
	feature := `{"type":"Feature","properties":{"name":"sq"},"geometry":` + squareWithHole + `}`
	collection := `{"type":"FeatureCollection","features":[` + feature + `,{"type":"Feature","properties":{},"geometry":` + multi + `}]}`
	for _, tc := range []struct {
		name   string
		in     string
		polys  int
		inside Point
	}{
		{"Polygon", squareWithHole, 1, Point{2, 2}},
		{"MultiPolygon", multi, 3, Point{22, 20.5}},
		{"Feature", feature, 1, Point{2, 2}},
		{"FeatureCollection merges its features", collection, 4, Point{22, 20.5}},
		{"third coordinate ignored", `{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]}`, 1, Point{0.2, 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := mustShape(t, tc.in)
			if n := len(sh.Polygons()); n != tc.polys {
				t.Errorf("%d polygons, want %d", n, tc.polys)
			}
			if !sh.Contains(tc.inside) {
				t.Errorf("does not contain %v", tc.inside)
			}
		})
	}
}

func TestParseShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not JSON", `{"type":`, "geojson: not a GeoJSON object"},
		{"no type", `{"coordinates":[]}`, "type: missing"},
		{"point", `{"type":"Point","coordinates":[0,0]}`, `type: "Point" is not supported`},
		{"no coordinates", `{"type":"Polygon"}`, "coordinates: missing"},
		{"coordinates wrong depth", `{"type":"Polygon","coordinates":[[0,0],[1,1]]}`, "coordinates: a Polygon needs an array of rings"},
		{"no rings", `{"type":"Polygon","coordinates":[]}`, "coordinates: the polygon has no rings"},
		{"empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, "coordinates: the MultiPolygon has no polygons"},
		{"short ring", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, "coordinates[0]: a ring needs at least 4 positions, got 3"},
		{"open ring", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, "coordinates[0]: ring is not closed"},
		{"open hole", `{"type":"Polygon","coordinates":[[[0,0],[9,0],[9,9],[0,0]],[[1,1],[2,1],[2,2],[1,2]]]}`, "coordinates[1]: ring is not closed"},
		{"lonely number", `{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}`, "coordinates[0][1]: a position needs a longitude and a latitude"},
		{"grid metres", `{"type":"Polygon","coordinates":[[[497000,371000],[498000,371000],[498000,372000],[497000,371000]]]}`, "coordinates[0][0]: [497000, 371000] is not a WGS84"},
		{"multipolygon bad ring", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0]]]]}`, "coordinates[1][0]: a ring needs at least 4 positions"},
		{"feature without geometry", `{"type":"Feature","properties":{},"geometry":null}`, "geometry: missing"},
		{"feature with a line", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}`, `geometry.type: "LineString" is not supported`},
		{"empty collection", `{"type":"FeatureCollection","features":[]}`, "features: the collection has no features"},
		{"bad feature in collection", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":` + squareWithHole + `},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}]}`, "features[1].geometry.coordinates[0]: a ring needs at least 4 positions"},
		{"nested collection", `{"type":"FeatureCollection","features":[{"type":"FeatureCollection","features":[]}]}`, `features[0].type: "FeatureCollection" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseShape([]byte(tc.in))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v is not apperr.Invalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestNewShapeErrors(t *testing.T) {
	good := Ring{{0, 0}, {0, 1}, {1, 1}, {0, 0}}
	if _, err := NewShape(Polygon{Outer: good, Holes: []Ring{{{0, 0}}}}); err == nil ||
		!strings.Contains(err.Error(), "polygons[0].holes[0]: a ring needs at least 4 positions") {
		t.Errorf("bad hole: %v", err)
	}
	if _, err := NewShape(Polygon{Outer: good}, Polygon{Outer: Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}}}); err == nil ||
		!strings.Contains(err.Error(), "polygons[1].outer: ring is not closed") {
		t.Errorf("open ring: %v", err)
	}
	if _, err := NewShape(Polygon{Outer: Ring{{0, 0}, {95, 1}, {1, 1}, {0, 0}}}); err == nil ||
		!strings.Contains(err.Error(), "position 1") {
		t.Errorf("latitude 95: %v", err)
	}
}

func TestShapeJSONRoundTrip(t *testing.T) {
	for _, in := range []string{squareWithHole, multi} {
		sh := mustShape(t, in)
		out, err := json.Marshal(sh)
		if err != nil {
			t.Fatal(err)
		}
		var back Shape
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", out, err)
		}
		// Compare as parsed JSON so whitespace does not matter.
		var a, b any
		if err := json.Unmarshal([]byte(in), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("round trip changed the geometry:\n in  %s\n out %s", ja, jb)
		}
		if back.BBox() != sh.BBox() || len(back.Polygons()) != len(sh.Polygons()) {
			t.Errorf("round trip changed the shape")
		}
	}
	// Coordinates keep full precision.
	sh := mustShape(t, `{"type":"Polygon","coordinates":[[[-0.52651,53.25385],[-0.1,53.1],[-0.2,53.3],[-0.52651,53.25385]]]}`)
	out, _ := json.Marshal(sh)
	if want := `{"type":"Polygon","coordinates":[[[-0.52651,53.25385],[-0.1,53.1],[-0.2,53.3],[-0.52651,53.25385]]]}`; string(out) != want {
		t.Errorf("MarshalJSON = %s, want %s", out, want)
	}
}

// boundaryFile returns the path of a shared reference boundary file, or
// skips the test when the shared data folder is not beside the repository.
func boundaryFile(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", "ons", "boundaries", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference boundaries not available (%v); they live in ../shared/data beside the repository", err)
	}
	return p
}

func lincolnAreas(t testing.TB) (lincoln, nk Area) {
	t.Helper()
	f, err := os.Open(boundaryFile(t, "lincoln-north-kesteven.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	areas, err := ReadAreas(f, KindLA, "LAD21CD", "LAD21NM")
	if err != nil {
		t.Fatalf("ReadAreas: %v", err)
	}
	if len(areas) != 2 || areas[0].Code != "E07000138" || areas[1].Code != "E07000139" {
		t.Fatalf("areas = %+v, want Lincoln then North Kesteven", areas)
	}
	return areas[0], areas[1]
}

func TestLincolnAndNorthKesteven(t *testing.T) {
	lincoln, nk := lincolnAreas(t)
	if lincoln.Name != "Lincoln" || nk.Name != "North Kesteven" || lincoln.Kind != KindLA {
		t.Errorf("names/kind: %q %q %q", lincoln.Name, nk.Name, lincoln.Kind)
	}
	for _, tc := range []struct {
		name  string
		p     Point
		inLin bool
		inNK  bool
	}{
		{"Lincoln city centre", Point{53.2307, -0.5406}, true, false},
		{"Lincoln Cathedral", Point{53.2343, -0.5361}, true, false},
		{"Sleaford", Point{52.9990, -0.4090}, false, true},
		{"North Hykeham", Point{53.1950, -0.5930}, false, true},
		{"Grantham (South Kesteven)", Point{52.9118, -0.6420}, false, false},
		{"Gainsborough (West Lindsey)", Point{53.3990, -0.7760}, false, false},
		// Pairs about 90 m either side of edges the two districts share,
		// taken from the boundary file.
		{"south-east border, Lincoln side", Point{53.2206, -0.5183}, true, false},
		{"south-east border, NK side", Point{53.2190, -0.5181}, false, true},
		{"south border, Lincoln side", Point{53.2046, -0.5419}, true, false},
		{"south border, NK side", Point{53.2030, -0.5421}, false, true},
		{"Hykeham border, Lincoln side", Point{53.1919, -0.5520}, true, false},
		{"Hykeham border, NK side", Point{53.1915, -0.5504}, false, true},
		{"west border, Lincoln side", Point{53.2161, -0.6184}, true, false},
		{"west border, NK side", Point{53.2149, -0.6194}, false, true},
		{"north-west border, Lincoln side", Point{53.2416, -0.5834}, true, false},
		{"north-west border, NK side", Point{53.2401, -0.5839}, false, true},
		// A vertex on the shared border is in both (shapes are closed).
		{"shared border vertex", Point{53.21322, -0.53383}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lincoln.Shape.Contains(tc.p); got != tc.inLin {
				t.Errorf("Lincoln.Contains(%v) = %v, want %v", tc.p, got, tc.inLin)
			}
			if got := nk.Shape.Contains(tc.p); got != tc.inNK {
				t.Errorf("NorthKesteven.Contains(%v) = %v, want %v", tc.p, got, tc.inNK)
			}
		})
	}
}

// TestLincolnSharedBorder walks every edge the two districts share and
// checks that points a metre either side of its midpoint fall in exactly
// one district each, and in different ones.
func TestLincolnSharedBorder(t *testing.T) {
	lincoln, nk := lincolnAreas(t)
	nkVertex := make(map[Point]bool)
	for _, p := range nk.Shape.Polygons()[0].Outer {
		nkVertex[p] = true
	}
	ring := lincoln.Shape.Polygons()[0].Outer
	checked := 0
	for i := 1; i < len(ring); i++ {
		a, b := ring[i-1], ring[i]
		if !nkVertex[a] || !nkVertex[b] || Distance(a, b) < 20 {
			continue
		}
		mid := Point{(a.Lat + b.Lat) / 2, (a.Lon + b.Lon) / 2}
		dLon, dLat := b.Lon-a.Lon, b.Lat-a.Lat
		l := math.Hypot(dLon, dLat)
		const off = 1e-5 // degrees, about a metre
		left := Point{mid.Lat + dLon/l*off, mid.Lon - dLat/l*off}
		right := Point{mid.Lat - dLon/l*off, mid.Lon + dLat/l*off}
		for _, p := range []Point{left, right} {
			if lincoln.Shape.Contains(p) == nk.Shape.Contains(p) {
				t.Errorf("edge %d: %v is in Lincoln %v and North Kesteven %v; want exactly one",
					i, p, lincoln.Shape.Contains(p), nk.Shape.Contains(p))
			}
		}
		if lincoln.Shape.Contains(left) == lincoln.Shape.Contains(right) {
			t.Errorf("edge %d: both sides on the same side of the border", i)
		}
		checked++
	}
	if checked < 40 {
		t.Errorf("checked only %d shared edges; the file should give over 40", checked)
	}
}

func BenchmarkContainsLincoln(b *testing.B) {
	_, nk := lincolnAreas(b)
	pts := []Point{
		{53.0, -0.4},     // in North Kesteven
		{53.2307, -0.54}, // in Lincoln, inside North Kesteven's box
		{53.10, -0.30},
		{52.95, -0.70},
		{53.5, 0}, // outside the box
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		nk.Shape.Contains(pts[i%len(pts)])
	}
}
