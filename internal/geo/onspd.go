package geo

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"throughcare/internal/apperr"
)

// PostcodeRecord is one row of the ONS Postcode Directory, reduced to the
// columns the directory uses. Area codes are ONS GSS codes; a column the
// file lacks, an empty cell and a pseudo code meaning "none" (such as
// E99999999) all read as "".
type PostcodeRecord struct {
	Postcode     string // pcds: the postcode in standard form, "LN1 1AA"
	Location     Point  // lat, long; meaningful only if HasLocation
	HasLocation  bool   // false where ONSPD has no grid reference
	Introduced   string // dointr: year and month, "198001"
	TerminatedOn string // doterm: year and month the postcode was withdrawn, "" if live
	Terminated   bool   // whether the postcode has been withdrawn (doterm set)
	LA           string // oslaua (laua in NSPL): local authority district
	County       string // oscty (cty in NSPL): county, for two-tier areas
	Region       string // rgn: English region (E12)
	Country      string // ctry
	PFA          string // pfa: police force area (E23/W15)
	ICB          string // icb: Integrated Care Board (E54)
	SubICB       string // sicbl, or ccg in older files: sub-ICB location (E38)
}

// onspdColumns maps each field to the header names that may carry it, in
// order of preference. Header names are matched without regard to case.
var onspdColumns = []struct {
	names    []string
	required bool
}{
	colPostcode:   {names: []string{"pcds"}, required: true},
	colLat:        {names: []string{"lat"}, required: true},
	colLong:       {names: []string{"long"}, required: true},
	colIntroduced: {names: []string{"dointr"}},
	colTerminated: {names: []string{"doterm"}},
	colLA:         {names: []string{"oslaua", "laua"}},
	colCounty:     {names: []string{"oscty", "cty"}},
	colRegion:     {names: []string{"rgn"}},
	colCountry:    {names: []string{"ctry"}},
	colPFA:        {names: []string{"pfa"}},
	colICB:        {names: []string{"icb"}},
	colSubICB:     {names: []string{"sicbl", "ccg"}},
}

// onspdFile names the input in errors until the caller names the file.
const onspdFile = "ONSPD"

const (
	colPostcode = iota
	colLat
	colLong
	colIntroduced
	colTerminated
	colLA
	colCounty
	colRegion
	colCountry
	colPFA
	colICB
	colSubICB
	numColumns
)

// ReadONSPD streams the ONS Postcode Directory (or the National Statistics
// Postcode Lookup, which shares its column names) from a CSV file with a
// header line, calling fn once per postcode in file order. Columns are found
// by name, so any edition's layout works as long as pcds, lat and long are
// present. Memory stays bounded whatever the file size: rows are read one
// at a time into a reused buffer, and repeated area codes share one string.
//
// ONSPD marks a postcode without a grid reference with lat 99.999999 and
// long 0.000000; such rows, and rows with empty coordinates, have
// HasLocation false. Terminated postcodes are passed on with Terminated set,
// since old addresses still turn up in referrals; callers that want only
// live postcodes skip them.
//
// Bad input gives an apperr.FieldError (Invalid) with the line number, the
// column name and, where known, the character position, such as
// "ONSPD:2:50: lat: "x" is not a latitude"; its File is "ONSPD", which
// callers may replace with the file's name. An error from fn stops the read and is returned wrapped
// with the line number, so errors.Is still sees it.
func ReadONSPD(r io.Reader, fn func(PostcodeRecord) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked below, with a clearer message
	header, err := cr.Read()
	if err == io.EOF {
		return &apperr.FieldError{File: onspdFile, Line: 1, Msg: "the file is empty: expected an ONSPD header line starting pcd,pcd2,pcds"}
	}
	if err != nil {
		return csvError(err)
	}
	header = slices.Clone(header)            // the reader reuses its slice
	pos := make(map[string]int, len(header)) // lower-case name -> first index
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := pos[h]; !dup {
			pos[h] = i
		}
	}
	var idx [numColumns]int
	for c, col := range onspdColumns {
		idx[c] = -1
		for _, name := range col.names { // first-listed name wins
			if i, ok := pos[name]; ok {
				idx[c] = i
				break
			}
		}
	}
	for c, col := range onspdColumns {
		if col.required && idx[c] < 0 {
			return &apperr.FieldError{File: onspdFile, Line: 1, Field: col.names[0],
				Msg: "column missing from the header: is this an ONS Postcode Directory CSV?"}
		}
	}
	nCols := len(header)
	interned := make(map[string]string)
	intern := func(s string) string {
		if s == "" {
			return ""
		}
		if v, ok := interned[s]; ok {
			return v
		}
		v := strings.Clone(s)
		interned[v] = v
		return v
	}

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != nCols {
			return &apperr.FieldError{File: onspdFile, Line: line, Msg: fmt.Sprintf("has %d fields, the header has %d", len(rec), nCols)}
		}
		cell := func(c int) string {
			if idx[c] < 0 {
				return ""
			}
			return strings.TrimSpace(rec[idx[c]])
		}
		fail := func(c int, format string, args ...any) error {
			l, col := cr.FieldPos(idx[c])
			return &apperr.FieldError{File: onspdFile, Line: l, Column: col, Field: header[idx[c]], Msg: fmt.Sprintf(format, args...)}
		}

		pc := cell(colPostcode)
		if pc == "" {
			return fail(colPostcode, "missing postcode")
		}
		var p PostcodeRecord
		p.Postcode = strings.Clone(pc)
		latS, lonS := cell(colLat), cell(colLong)
		if latS != "" || lonS != "" {
			lat, err := strconv.ParseFloat(latS, 64)
			if err != nil {
				return fail(colLat, "%q is not a latitude", latS)
			}
			lon, err := strconv.ParseFloat(lonS, 64)
			if err != nil {
				return fail(colLong, "%q is not a longitude", lonS)
			}
			// 99.999999 is ONSPD's "no grid reference" marker.
			if lat < 99 {
				p.Location = Point{Lat: lat, Lon: lon}
				if !p.Location.Valid() {
					return fail(colLat, "%s,%s is not a WGS84 position", latS, lonS)
				}
				p.HasLocation = true
			}
		}
		p.Introduced = intern(cell(colIntroduced))
		p.TerminatedOn = intern(cell(colTerminated))
		p.Terminated = p.TerminatedOn != ""
		p.LA = intern(gss(cell(colLA)))
		p.County = intern(gss(cell(colCounty)))
		p.Region = intern(gss(cell(colRegion)))
		p.Country = intern(gss(cell(colCountry)))
		p.PFA = intern(gss(cell(colPFA)))
		p.ICB = intern(gss(cell(colICB)))
		p.SubICB = intern(gss(cell(colSubICB)))
		if err := fn(p); err != nil {
			return fmt.Errorf("line %d (postcode %s): %w", line, p.Postcode, err)
		}
	}
}

// gss drops ONS pseudo codes: a country letter followed by eight nines
// (E99999999, W99999999, ...) means "not in any such area".
func gss(code string) string {
	if len(code) == 9 && code[1:] == "99999999" {
		return ""
	}
	return code
}

func csvError(err error) error {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return &apperr.FieldError{File: onspdFile, Line: pe.Line, Column: pe.Column, Msg: "bad CSV: " + pe.Err.Error()}
	}
	return fmt.Errorf("reading ONSPD: %w", err)
}

// IsGSSCode reports whether s has the shape of an ONS Government
// Statistical Service code: a capital letter and eight digits, such as
// E07000138.
func IsGSSCode(s string) bool {
	if len(s) != 9 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < 9; i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// LoadCodeNames reads an ONS code list as JSON, mapping each code to its
// name. Two shapes are accepted: {"E07000138": "Lincoln", ...} and
// {"E38000006": {"name": "NHS South Yorkshire", ...}, ...}. A header row
// left over from the CSV the list was made from (a key ending in CD whose
// value ends in NM, such as "PFA15CD": "PFA15NM") is skipped. Codes are
// mostly GSS codes, but not all (Northern Ireland's commissioning groups are
// ZC010 and so on), so any key of 3 to 12 capital letters and digits is
// taken; anything else, or a missing or blank name, is an apperr.Invalid
// error naming the key.
func LoadCodeNames(r io.Reader) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, apperr.Field("code list", "must be a JSON object of code to name: %s", jsonMsg(err))
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		code := strings.TrimSpace(strings.TrimPrefix(k, "\ufeff"))
		var name string
		if err := json.Unmarshal(v, &name); err != nil {
			var obj struct {
				Name *string `json:"name"`
			}
			if json.Unmarshal(v, &obj) != nil || obj.Name == nil {
				return nil, apperr.Field(code, "must be a name, or an object with a name")
			}
			name = *obj.Name
		}
		name = strings.TrimSpace(name)
		if strings.HasSuffix(strings.ToUpper(code), "CD") && strings.HasSuffix(strings.ToUpper(name), "NM") {
			continue
		}
		if !validCode(code) {
			return nil, apperr.Field(code, "is not a code: expected 3 to 12 capital letters and digits, such as E07000138")
		}
		if name == "" {
			return nil, apperr.Field(code, "has a blank name")
		}
		out[code] = name
	}
	return out, nil
}

func validCode(s string) bool {
	if len(s) < 3 || len(s) > 12 {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) && !isLetter(s[i]) {
			return false
		}
	}
	return true
}
