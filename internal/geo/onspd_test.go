package geo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

func readSample(t *testing.T) []PostcodeRecord {
	t.Helper()
	f, err := os.Open("testdata/onspd-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []PostcodeRecord
	if err := ReadONSPD(f, func(r PostcodeRecord) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatalf("ReadONSPD: %v", err)
	}
	return got
}

func TestReadONSPD(t *testing.T) {
	got := readSample(t)
	want := []PostcodeRecord{
		{Postcode: "LN1 3DY", Location: Point{53.2341, -0.5382}, HasLocation: true, Introduced: "198001",
			LA: "E07000138", County: "E10000019", Region: "E12000004", Country: "E92000001", PFA: "E23000020", ICB: "E54000013", SubICB: "E38000238"},
		{Postcode: "NG34 7EE", Location: Point{52.999, -0.409}, HasLocation: true, Introduced: "198001",
			LA: "E07000139", County: "E10000019", Region: "E12000004", Country: "E92000001", PFA: "E23000020", ICB: "E54000013", SubICB: "E38000238"},
		{Postcode: "LN5 9ZZ", Location: Point{53.2105, -0.5459}, HasLocation: true, Introduced: "198001", TerminatedOn: "200512", Terminated: true,
			LA: "E07000138", County: "E10000019", Region: "E12000004", Country: "E92000001", PFA: "E23000020", ICB: "E54000013", SubICB: "E38000238"},
		{Postcode: "LN6 9ZZ", Introduced: "201903",
			LA: "E07000139", County: "E10000019", Region: "E12000004", Country: "E92000001", PFA: "E23000020", ICB: "E54000013", SubICB: "E38000238"},
		{Postcode: "M60 9ZZ", Introduced: "198001", TerminatedOn: "199006", Terminated: true,
			LA: "E08000003", Region: "E12000002", Country: "E92000001", PFA: "E23000005", ICB: "E54000057", SubICB: "E38000217"},
		{Postcode: "CF10 9ZZ", Location: Point{51.48, -3.18}, HasLocation: true, Introduced: "199901",
			LA: "W06000015", Country: "W92000004", PFA: "W15000003", SubICB: "W11000029"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// onspdHeader is the header line of the published ONSPD, read from the
// fixture so that the tests below build rows in exactly that layout.
func onspdHeader(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/onspd-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\r\n")
	return strings.Split(line, ",")
}

// onspdRow builds one CSV line with the given columns set and the rest empty.
func onspdRow(header []string, set map[string]string) string {
	cells := make([]string, len(header))
	for i, h := range header {
		cells[i] = set[h]
	}
	return strings.Join(cells, ",")
}

func TestReadONSPDHeaderVariants(t *testing.T) {
	// NSPL-style names, upper case, a byte-order mark, columns in another
	// order, and only a few of them.
	in := "\ufeffPCDS,LONG,LAT,LAUA,CCG,DOTERM\n" +
		"LN1 3DY,-0.5382,53.2341,E07000138,E38000238,\n" +
		"LN2 9ZZ,,,E07000138,E38000238,202001\n"
	var got []PostcodeRecord
	if err := ReadONSPD(strings.NewReader(in), func(r PostcodeRecord) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []PostcodeRecord{
		{Postcode: "LN1 3DY", Location: Point{53.2341, -0.5382}, HasLocation: true, LA: "E07000138", SubICB: "E38000238"},
		{Postcode: "LN2 9ZZ", TerminatedOn: "202001", Terminated: true, LA: "E07000138", SubICB: "E38000238"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	// When a file has both sicbl and ccg, sicbl wins.
	in = "pcds,lat,long,ccg,sicbl\nLN1 3DY,53.2,-0.5,E38000001,E38000238\n"
	if err := ReadONSPD(strings.NewReader(in), func(r PostcodeRecord) error {
		if r.SubICB != "E38000238" {
			t.Errorf("SubICB = %q, want the sicbl column", r.SubICB)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestReadONSPDErrors(t *testing.T) {
	header := onspdHeader(t)
	hline := strings.Join(header, ",")
	good := onspdRow(header, map[string]string{"pcds": "LN1 3DY", "lat": "53.2341", "long": "-0.5382"})
	latCol := 0
	for i, h := range header {
		if h == "lat" {
			latCol = i
		}
	}
	for _, tc := range []struct {
		name, in string
		line     int
		field    string
		msg      string
	}{
		{"empty file", "", 1, "", "the file is empty"},
		{"not ONSPD", "name,lat,long\nx,1,2\n", 1, "pcds", "column missing from the header"},
		{"no lat column", "pcds,long\nLN1 3DY,0\n", 1, "lat", "column missing"},
		{"missing postcode", hline + "\n" + good + "\n" + onspdRow(header, map[string]string{"lat": "53"}) + "\n", 3, "pcds", "missing postcode"},
		{"bad latitude", hline + "\n" + good + "\n" + good + "\n" + onspdRow(header, map[string]string{"pcds": "LN1 3DY", "lat": "north", "long": "0"}) + "\n", 4, "lat", `"north" is not a latitude`},
		{"bad longitude", hline + "\n" + onspdRow(header, map[string]string{"pcds": "LN1 3DY", "lat": "53", "long": "0,5"}) + "\n", 0, "", "fields, the header has"},
		{"longitude text", hline + "\n" + onspdRow(header, map[string]string{"pcds": "LN1 3DY", "lat": "53", "long": "west"}) + "\n", 2, "long", `"west" is not a longitude`},
		{"out of range", hline + "\n" + onspdRow(header, map[string]string{"pcds": "LN1 3DY", "lat": "53", "long": "200"}) + "\n", 2, "lat", "53,200 is not a WGS84 position"},
		{"short row", hline + "\n" + good + "\nLN1 3DY,x\n", 3, "", "has 2 fields, the header has 53"},
		{"bad quoting", hline + "\n" + good + "\n\"LN1 3DY\"x," + strings.Repeat(",", 52) + "\n", 3, "", "bad CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := ReadONSPD(strings.NewReader(tc.in), func(PostcodeRecord) error { n++; return nil })
			if err == nil {
				t.Fatalf("no error, want %q", tc.msg)
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v is not apperr.Invalid", err)
			}
			fe, ok := errors.AsType[*apperr.FieldError](err)
			if !ok {
				t.Fatalf("error %v is not a FieldError", err)
			}
			if tc.line != 0 && fe.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", fe.Line, tc.line, err)
			}
			if fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", fe.Msg, tc.msg)
			}
		})
	}

	// The column of a bad cell is reported too (1-based, in bytes).
	in := hline + "\n" + onspdRow(header, map[string]string{"pcds": "LN1 3DY", "lat": "x", "long": "0"}) + "\n"
	err := ReadONSPD(strings.NewReader(in), func(PostcodeRecord) error { return nil })
	fe, _ := errors.AsType[*apperr.FieldError](err)
	wantCol := len(onspdRow(header[:latCol], map[string]string{"pcds": "LN1 3DY"})) + 2
	if fe == nil || fe.Column != wantCol {
		t.Errorf("error %v: column %d, want %d", err, fe.Column, wantCol)
	}
	if want := fmt.Sprintf("ONSPD:2:%d: lat: \"x\" is not a latitude", wantCol); err == nil || err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
}

func TestReadONSPDCallbackError(t *testing.T) {
	stop := errors.New("stop here")
	f, err := os.Open("testdata/onspd-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	err = ReadONSPD(f, func(r PostcodeRecord) error {
		n++
		if r.Terminated {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if n != 3 || !strings.Contains(err.Error(), "line 4 (postcode LN5 9ZZ)") {
		t.Errorf("stopped after %d rows with %q; want 3 rows, at line 4", n, err)
	}
}

func TestLoadCodeNames(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
	}{
		{"flat", `{"E07000138":"Lincoln","E07000139":" North Kesteven "}`, map[string]string{"E07000138": "Lincoln", "E07000139": "North Kesteven"}},
		{"nested", `{"E38000238":{"ccg19cdh":"71E","name":"NHS Lincolnshire"},"ZC010":{"name":"Belfast"}}`, map[string]string{"E38000238": "NHS Lincolnshire", "ZC010": "Belfast"}},
		{"header rows skipped", `{"\ufeffPFA15CD":"PFA15NM","ï»¿PFA15CD":"PFA15NM","SICBL23CD":{"name":"SICBL23NM"},"E23000020":"Lincolnshire"}`, map[string]string{"E23000020": "Lincolnshire"}},
		{"empty", `{}`, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadCodeNames(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, in, want string }{
		{"not an object", `["E07000138"]`, "code list: must be a JSON object"},
		{"not JSON", `{`, "code list: must be a JSON object"},
		{"number value", `{"E07000138":5}`, "E07000138: must be a name, or an object with a name"},
		{"object without name", `{"E07000138":{"title":"Lincoln"}}`, "E07000138: must be a name"},
		{"blank name", `{"E07000138":"  "}`, "E07000138: has a blank name"},
		{"bad code", `{"Lincoln city":"Lincoln"}`, "Lincoln city: is not a code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCodeNames(strings.NewReader(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want Invalid starting %q", err, tc.want)
			}
		})
	}
}

// TestLoadSharedCodeLists loads every ONS code list in the shared reference
// data, when it is present.
func TestLoadSharedCodeLists(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "ons")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared ONS code lists not available (%v)", err)
	}
	for _, tc := range []struct {
		file      string
		min       int
		code, nam string
	}{
		{"districts.json", 300, "E07000138", "Lincoln"},
		{"icb.json", 42, "E54000013", "NHS Lincolnshire Integrated Care Board"},
		{"regions.json", 9, "E12000004", "East Midlands"},
		{"countries.json", 6, "W92000004", "Wales"},
		{"counties.json", 20, "E10000019", "Lincolnshire"},
		{"police_force_areas.json", 40, "E23000020", "Lincolnshire"},
		{"ccgs.json", 100, "E38000238", "NHS Lincolnshire"},
		{"nhs_regions.json", 7, "E40000011", "Midlands"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			names, err := LoadCodeNames(f)
			if err != nil {
				t.Fatalf("LoadCodeNames: %v", err)
			}
			if len(names) < tc.min {
				t.Errorf("%d names, want at least %d", len(names), tc.min)
			}
			if names[tc.code] != tc.nam {
				t.Errorf("%s = %q, want %q", tc.code, names[tc.code], tc.nam)
			}
			for code := range names {
				if strings.HasSuffix(code, "CD") {
					t.Errorf("header row %q was not skipped", code)
				}
			}
		})
	}
}

func TestIsGSSCode(t *testing.T) {
	for s, want := range map[string]bool{
		"E07000138": true, "W06000015": true, "E99999999": true,
		"e07000138": false, "E0700013": false, "E070001388": false, "ZC010": false, "EE7000138": false, "": false,
	} {
		if got := IsGSSCode(s); got != want {
			t.Errorf("IsGSSCode(%q) = %v, want %v", s, got, want)
		}
	}
}

// BenchmarkReadONSPD reads synthetic rows in the published layout; the
// rows/s metric is what matters for a 2.7 million-row import.
func BenchmarkReadONSPD(b *testing.B) {
	header := onspdHeader(b)
	var buf bytes.Buffer
	buf.WriteString(strings.Join(header, ",") + "\r\n")
	const rows = 20000
	las := []string{"E07000138", "E07000139", "E08000003", "E06000012"}
	for i := range rows {
		set := map[string]string{
			"pcd": fmt.Sprintf("LN%d %dAA", i%10, i%9), "pcd2": fmt.Sprintf("LN%d  %dAA", i%10, i%9),
			"pcds":   fmt.Sprintf(`"LN%d %d%c%c"`, i%100, i%10, 'A'+i%26, 'A'+(i/26)%26),
			"dointr": `"198001"`, "oslaua": `"` + las[i%4] + `"`, "oscty": `"E10000019"`, "rgn": `"E12000004"`,
			"ctry": `"E92000001"`, "pfa": `"E23000020"`, "icb": `"E54000013"`, "sicbl": `"E38000238"`,
			"lat": fmt.Sprintf("%.6f", 53+float64(i%1000)/1000), "long": fmt.Sprintf("%.6f", -0.5-float64(i%700)/1000),
			"oseast1m": "497740", "osnrth1m": "371920", "lsoa21": `"E01026100"`, "oa21": `"E00133030"`, "msoa21": `"E02005400"`,
		}
		if i%50 == 0 {
			set["doterm"] = `"200512"`
		}
		buf.WriteString(onspdRow(header, set) + "\r\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		if err := ReadONSPD(bytes.NewReader(data), func(PostcodeRecord) error { total++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}
