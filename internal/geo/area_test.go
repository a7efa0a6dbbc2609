package geo

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"throughcare/internal/apperr"
)

const square = `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`

func feature(props, geometry string) string {
	return `{"type":"Feature","properties":` + props + `,"geometry":` + geometry + `}`
}

func collection(features ...string) string {
	return `{"type":"FeatureCollection","name":"test","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[` +
		strings.Join(features, ",") + `]}`
}

func TestReadAreas(t *testing.T) {
	farSquare := `{"type":"MultiPolygon","coordinates":[[[[5,5],[6,5],[6,6],[5,6],[5,5]]]]}`
	for _, tc := range []struct {
		name     string
		in       string
		nameProp string
		want     []Area // Shape compared by a point inside
	}{
		{
			name:     "collection",
			in:       collection(feature(`{"LAD21CD":"E07000138","LAD21NM":"Lincoln"}`, square), feature(`{"LAD21CD":"E07000139","LAD21NM":" North Kesteven "}`, farSquare)),
			nameProp: "LAD21NM",
			want:     []Area{{Kind: KindICB, Code: "E07000138", Name: "Lincoln"}, {Kind: KindICB, Code: "E07000139", Name: "North Kesteven"}},
		},
		{
			name:     "type after features, extra members",
			in:       `{"features":[` + feature(`{"C":"A1","N":"One"}`, square) + `],"bbox":[0,0,1,1],"type":"FeatureCollection"}`,
			nameProp: "N",
			want:     []Area{{Kind: KindICB, Code: "A1", Name: "One"}},
		},
		{
			name:     "single feature",
			in:       feature(`{"C":"A1","N":"One"}`, square),
			nameProp: "N",
			want:     []Area{{Kind: KindICB, Code: "A1", Name: "One"}},
		},
		{
			name:     "newline-delimited features",
			in:       feature(`{"C":"A1","N":"One"}`, square) + "\n" + feature(`{"C":"A2","N":"Two"}`, farSquare) + "\n",
			nameProp: "N",
			want:     []Area{{Kind: KindICB, Code: "A1", Name: "One"}, {Kind: KindICB, Code: "A2", Name: "Two"}},
		},
		{
			name: "numeric code, no name property",
			in:   collection(feature(`{"C":42}`, square)),
			want: []Area{{Kind: KindICB, Code: "42", Name: "42"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codeProp := "C"
			if strings.Contains(tc.in, "LAD21CD") {
				codeProp = "LAD21CD"
			}
			// One byte at a time, to be sure the decoder really streams.
			got, err := ReadAreas(iotest.OneByteReader(strings.NewReader(tc.in)), KindICB, codeProp, tc.nameProp)
			if err != nil {
				t.Fatalf("ReadAreas: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d areas, want %d", len(got), len(tc.want))
			}
			for i, a := range got {
				w := tc.want[i]
				if a.Kind != w.Kind || a.Code != w.Code || a.Name != w.Name {
					t.Errorf("area %d = {%s %q %q}, want {%s %q %q}", i, a.Kind, a.Code, a.Name, w.Kind, w.Code, w.Name)
				}
				if a.Shape == nil || a.Shape.BBox().IsEmpty() {
					t.Errorf("area %d has no shape", i)
				}
			}
			if !got[0].Shape.Contains(Point{0.5, 0.5}) {
				t.Error("first area does not contain its own centre")
			}
			if len(got) > 1 && (!got[1].Shape.Contains(Point{5.5, 5.5}) || got[1].Shape.Contains(Point{0.5, 0.5})) {
				t.Error("second area has the wrong shape")
			}
		})
	}
}

func TestReadAreasErrors(t *testing.T) {
	ok := feature(`{"C":"A1","N":"One"}`, square)
	for _, tc := range []struct {
		name, in, want string
		kind           AreaKind
		codeProp       string
	}{
		{name: "empty input", in: "", want: "features: the file holds no features"},
		{name: "bad kind", in: collection(ok), kind: "county", want: `kind: "county" is not an area kind`},
		{name: "no code property", in: collection(ok), codeProp: "-", want: "code property: required"},
		{name: "array at top", in: `[1,2]`, want: `expected a GeoJSON FeatureCollection or Feature object, found "["`},
		{name: "geometry at top", in: square, want: `type: "Polygon" is not supported here`},
		{name: "no type", in: `{"features":[]}`, want: "type: missing"},
		{name: "collection without features", in: `{"type":"FeatureCollection"}`, want: "features: missing"},
		{name: "features not an array", in: `{"type":"FeatureCollection","features":{}}`, want: `features: must be an array, found "{"`},
		{name: "element not a feature", in: collection(ok, square), want: `features[1].type: must be "Feature", found "Polygon"`},
		{name: "missing code", in: collection(ok, feature(`{"N":"Two"}`, square)), want: "features[1].properties.C: missing"},
		{name: "null code", in: collection(feature(`{"C":null,"N":"x"}`, square)), want: "features[0].properties.C: missing"},
		{name: "blank code", in: collection(feature(`{"C":"  ","N":"x"}`, square)), want: "features[0].properties.C: is blank"},
		{name: "code is an object", in: collection(feature(`{"C":{},"N":"x"}`, square)), want: "features[0].properties.C: must be a string or a number"},
		{name: "no properties", in: collection(`{"type":"Feature","geometry":` + square + `}`), want: "features[0].properties.C: missing"},
		{name: "properties not an object", in: collection(feature(`[1]`, square)), want: "features[0].properties: must be an object"},
		{name: "missing name", in: collection(ok, feature(`{"C":"A2"}`, square)), want: "features[1].properties.N: missing"},
		{name: "duplicate code", in: collection(ok, feature(`{"C":"A1","N":"Again"}`, square)), want: `features[1].properties.C: code "A1" repeats features[0]`},
		{name: "no geometry", in: collection(feature(`{"C":"A1","N":"x"}`, "null")), want: "features[0].geometry: missing"},
		{name: "point geometry", in: collection(feature(`{"C":"A1","N":"x"}`, `{"type":"Point","coordinates":[0,0]}`)), want: `features[0].geometry.type: "Point" is not supported`},
		{name: "bad ring", in: collection(ok, feature(`{"C":"A2","N":"Two"}`, square), feature(`{"C":"A3","N":"x"}`, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`)), want: "features[2].geometry.coordinates[0]: ring is not closed"},
		{name: "truncated", in: collection(ok)[:60], want: "the file ends in the middle of a JSON value"},
		{name: "bad JSON", in: `{"type":"FeatureCollection","features":[` + ok + `,}`, want: "features[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind := tc.kind
			if kind == "" {
				kind = KindLA
			}
			codeProp := tc.codeProp
			switch codeProp {
			case "":
				codeProp = "C"
			case "-":
				codeProp = ""
			}
			_, err := ReadAreas(strings.NewReader(tc.in), kind, codeProp, "N")
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

func TestReadAreasReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(`{"type":"FeatureCollection","features":[`), iotest.ErrReader(boom))
	_, err := ReadAreas(r, KindLA, "C", "N")
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

func TestParseAreaKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want AreaKind
		ok   bool
	}{
		{"region", KindRegion, true},
		{"PDU", KindPDU, true},
		{" la ", KindLA, true},
		{"icb", KindICB, true},
		{"ccg", "", false},
		{"", "", false},
	} {
		got, err := ParseAreaKind(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseAreaKind(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "kind: ") {
			t.Errorf("error %q should name the field kind", err)
		}
	}
	if len(AreaKinds) != 4 {
		t.Errorf("AreaKinds = %v", AreaKinds)
	}
	for _, k := range AreaKinds {
		if !k.Valid() {
			t.Errorf("%q not valid", k)
		}
	}
}

func TestProbationRegions(t *testing.T) {
	regions := ProbationRegions()
	if len(regions) != 12 {
		t.Fatalf("%d regions, want 12", len(regions))
	}
	codes, delius := map[string]bool{}, map[string]bool{}
	for i, r := range regions {
		if r.Code == "" || r.Name == "" || r.DeliusCode == "" {
			t.Errorf("incomplete region %+v", r)
		}
		if codes[r.Code] || delius[r.DeliusCode] {
			t.Errorf("duplicate code in %+v", r)
		}
		codes[r.Code], delius[r.DeliusCode] = true, true
		if i > 0 && regions[i-1].Name >= r.Name {
			t.Errorf("not in name order: %q before %q", regions[i-1].Name, r.Name)
		}
		if got, ok := LookupProbationRegion(r.Code); !ok || got != r {
			t.Errorf("LookupProbationRegion(%q) = %+v, %v", r.Code, got, ok)
		}
		if got, ok := LookupProbationRegion(r.Name); !ok || got != r {
			t.Errorf("LookupProbationRegion(%q) = %+v, %v", r.Name, got, ok)
		}
	}
	regions[0].Name = "changed"
	if ProbationRegions()[0].Name == "changed" {
		t.Error("ProbationRegions returned the package's own slice")
	}
	for _, tc := range []struct {
		in, want string
	}{
		{"Kent Surrey & Sussex", "kent-surrey-sussex"},
		{"KENT, SURREY AND SUSSEX", "kent-surrey-sussex"},
		{"Yorkshire and The Humber", "yorkshire-humber"},
		{"n53", "east-midlands"},
		{" Wales ", "wales"},
		{"London", "london"},
		{"Scotland", ""},
		{"", ""},
		{"and", ""},
	} {
		got, ok := LookupProbationRegion(tc.in)
		if got.Code != tc.want || ok != (tc.want != "") {
			t.Errorf("LookupProbationRegion(%q) = %q, %v; want %q", tc.in, got.Code, ok, tc.want)
		}
	}
}
