package hsds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"throughcare/internal/directory"
)

// jsonReader reads one JSON document (or several objects one after the
// other) and hands each record to the builder.
type jsonReader struct {
	s      *stream
	b      *builder
	format string // FormatAuto, FormatHSDSJSON or FormatORUKv1
	sawV1  bool   // the envelope has ORUK v1 page fields
}

func readJSON(br *bufio.Reader, name, format string, start pos) (*directory.Dataset, error) {
	s := newStream(br, name)
	s.p = start
	r := &jsonReader{s: s, b: newBuilder(name), format: format}
	if err := r.top(); err != nil {
		return nil, err
	}
	return r.b.finish(), nil
}

// top reads the whole input: an array of records, a page envelope, or one
// record (or several, one after the other).
func (r *jsonReader) top() error {
	s := r.s
	c, err := s.peek()
	if err != nil {
		return s.ioErr(err)
	}
	switch c {
	case '[':
		if err := r.array(""); err != nil {
			return err
		}
	case '{':
		head, _ := s.br.Peek(s.br.Size())
		if isEnvelope(head) {
			if err := r.envelope(); err != nil {
				return err
			}
			break
		}
		for { // one record, or several one after another
			raw, start, err := s.value()
			if err != nil {
				return s.readErr(raw, start, err)
			}
			if err := r.element(r.detect(raw), raw, start); err != nil {
				return err
			}
			if c, err := s.peek(); err != nil || c != '{' {
				break
			}
		}
	default:
		raw, start, err := s.value()
		if err != nil {
			return s.readErr(raw, start, err)
		}
		return s.errAt(start, "", "", "invalid JSON: a directory file holds an object or an array, not %s", jsonKind(raw))
	}
	if c, err := s.peek(); err == nil {
		return s.errAt(s.p, "", "", "invalid JSON: unexpected %s after the end of the top-level value", quoteByte(c))
	} else if err != io.EOF {
		return s.ioErr(err)
	}
	return nil
}

func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}

// pageKeys are the fields that mark a page envelope: HSDS 3.0's Page and
// the Spring-style page of ORUK v1 feeds.
var pageKeys = map[string]bool{
	"contents": true, "content": true, "total_items": true, "total_pages": true, "page_number": true,
	"first_page": true, "last_page": true, "totalElements": true, "totalPages": true, "numberOfElements": true, "pageable": true,
}

// v1PageKeys are the page fields only ORUK v1 uses.
var v1PageKeys = map[string]bool{
	"content": true, "totalElements": true, "totalPages": true, "numberOfElements": true, "pageable": true,
	"first": true, "last": true, "number": true,
}

// isEnvelope looks at the start of an object (head, up to 64 KiB) and
// reports whether a page field comes before an "id".
func isEnvelope(head []byte) bool {
	s := newStream(bufio.NewReader(bytes.NewReader(head)), "")
	if s.expect('{', "{") != nil {
		return false
	}
	for {
		c, err := s.peek()
		if err != nil || c == '}' {
			return false
		}
		if c == ',' {
			s.skip()
		}
		raw, _, err := s.value()
		var key string
		if err != nil || json.Unmarshal(raw, &key) != nil || s.expect(':', ":") != nil {
			return false
		}
		switch {
		case pageKeys[key]:
			return true
		case key == "id":
			return false
		}
		if _, _, err := s.value(); err != nil {
			return false
		}
	}
}

// tableForKey maps the extra arrays of our own export ("organizations",
// "taxonomy_terms", …: the CSV file names without .csv) to their tables.
func tableForKey(key string) string {
	for _, t := range directory.Tables {
		if strings.TrimSuffix(t.CSV, ".csv") == key {
			return t.Name
		}
	}
	return ""
}

// envelope reads a page: records come from "contents" (or v1's "content")
// and from arrays named after tables; other fields are skipped.
func (r *jsonReader) envelope() error {
	s := r.s
	if err := s.expect('{', "{"); err != nil {
		return err
	}
	for first := true; ; first = false {
		c, err := s.peek()
		if err != nil {
			return s.ioErr(err)
		}
		if c == '}' {
			s.skip()
			return nil
		}
		if !first {
			if err := s.expect(',', "a comma or }"); err != nil {
				return err
			}
		}
		if c, err := s.peek(); err != nil || c != '"' {
			if err != nil {
				return s.ioErr(err)
			}
			return s.errAt(s.p, "", "", "invalid JSON: expected a field name, found %s", quoteByte(c))
		}
		raw, kstart, err := s.value()
		if err != nil {
			return s.readErr(raw, kstart, err)
		}
		var key string
		if fe := decode(s.name, raw, kstart, &key); fe != nil {
			return fe
		}
		if err := s.expect(':', "a colon"); err != nil {
			return err
		}
		switch table := tableForKey(key); {
		case key == "contents" || key == "content":
			err = r.array("")
		case table != "":
			err = r.array(table)
		default:
			if v1PageKeys[key] {
				r.sawV1 = true
			}
			if raw, start, err := s.value(); err != nil {
				return s.readErr(raw, start, err)
			}
		}
		if err != nil {
			return err
		}
	}
}

// array reads an array of records of one table ("" to detect it from the
// first record), or null.
func (r *jsonReader) array(table string) error {
	s := r.s
	c, err := s.peek()
	if err != nil {
		return s.ioErr(err)
	}
	if c != '[' {
		raw, start, err := s.value()
		if err != nil {
			return s.readErr(raw, start, err)
		}
		if string(raw) == "null" {
			return nil
		}
		return s.errAt(start, "", "", "expected an array of records, found %s", jsonKind(raw))
	}
	s.skip()
	kind := table
	for first := true; ; first = false {
		c, err := s.peek()
		if err != nil {
			return s.ioErr(err)
		}
		if c == ']' {
			s.skip()
			return nil
		}
		if !first {
			if err := s.expect(',', "a comma or ]"); err != nil {
				return err
			}
		}
		raw, start, err := s.value()
		if err != nil {
			return s.readErr(raw, start, err)
		}
		if kind == "" {
			kind = r.detect(raw)
		}
		if err := r.element(kind, raw, start); err != nil {
			return err
		}
	}
}

// element flattens one record: kind is an HSDS table name, or kindV1 for an
// ORUK v1 service.
func (r *jsonReader) element(kind string, raw []byte, start pos) error {
	if len(raw) == 0 || raw[0] != '{' {
		if fe := decode(r.s.name, raw, start, new(json.RawMessage)); fe != nil {
			return fe
		}
		return r.s.errAt(start, "", "", "expected a record (a JSON object), found %s", jsonKind(raw))
	}
	if kind == kindV1 {
		return r.b.v1Service(raw, start)
	}
	return r.b.record(kind, raw, start)
}

// detect works out what kind of record raw is.
func (r *jsonReader) detect(raw []byte) string {
	switch r.format {
	case FormatORUKv1:
		return kindV1
	case FormatAuto:
		if r.sawV1 {
			return kindV1
		}
	}
	k := detectKind(raw)
	if k == kindV1 && r.format == FormatHSDSJSON {
		return "service"
	}
	return k
}

// kindV1 is the kind of an ORUK v1 service record.
const kindV1 = "oruk-v1 service"

// seen records that a field is present, whatever its value, without
// keeping it.
type seen bool

func (s *seen) UnmarshalJSON([]byte) error { *s = true; return nil }

// probe holds the fields that tell kinds of record apart.
type probe struct {
	ID seen `json:"id"`
	// ORUK v1 services
	Eligibilitys     seen `json:"eligibilitys"`
	RegularSchedules seen `json:"regular_schedules"`
	HolidaySchedules seen `json:"holiday_schedules"`
	ServiceTaxonomys seen `json:"service_taxonomys"`
	Fundings         seen `json:"fundings"`
	Reviews          seen `json:"reviews"`
	DeliverableType  seen `json:"deliverable_type"`
	AttendingAccess  seen `json:"attending_access"`
	SALs             []struct {
		Location struct {
			PhysicalAddresses seen `json:"physical_addresses"`
			AccessibilityFD   seen `json:"accessibility_for_disabilities"`
		} `json:"location"`
	} `json:"service_at_locations"`
	// organisations
	Services                seen `json:"services"`
	OrganizationIdentifiers seen `json:"organization_identifiers"`
	YearIncorporated        seen `json:"year_incorporated"`
	TaxStatus               seen `json:"tax_status"`
	LegalStatus             seen `json:"legal_status"`
	Programs                seen `json:"programs"`
	Website                 seen `json:"website"`
	ParentOrganizationID    seen `json:"parent_organization_id"`
	// services
	Status       seen `json:"status"`
	ProgramID    seen `json:"program_id"`
	MinimumAge   seen `json:"minimum_age"`
	MaximumAge   seen `json:"maximum_age"`
	ServiceAreas seen `json:"service_areas"`
	CostOptions  seen `json:"cost_options"`
	// service at location
	Location   seen `json:"location"`
	Service    seen `json:"service"`
	ServiceID  seen `json:"service_id"`
	LocationID seen `json:"location_id"`
	// locations
	LocationType seen `json:"location_type"`
	Addresses    seen `json:"addresses"`
	Latitude     seen `json:"latitude"`
	// taxonomy terms and taxonomies
	TaxonomyID     seen `json:"taxonomy_id"`
	ParentID       seen `json:"parent_id"`
	Code           seen `json:"code"`
	TaxonomyDetail seen `json:"taxonomy_detail"`
	TermURI        seen `json:"term_uri"`
	Taxonomy       seen `json:"taxonomy"`
	TaxonomyTerms  seen `json:"taxonomy_terms"`
	Version        seen `json:"version"`
}

func (p *probe) v1() bool {
	if bool(p.Eligibilitys || p.RegularSchedules || p.HolidaySchedules || p.ServiceTaxonomys || p.Fundings ||
		p.Reviews || p.DeliverableType || p.AttendingAccess) {
		return true
	}
	for _, sl := range p.SALs {
		if bool(sl.Location.PhysicalAddresses || sl.Location.AccessibilityFD) {
			return true
		}
	}
	return false
}

// detectKind tells, by its fields, which table a record belongs to (or
// kindV1). Services are the default: most files hold services.
func detectKind(raw []byte) string {
	var p probe
	json.Unmarshal(raw, &p) // a field of the wrong type only hides that field
	return p.kind()
}

func (p *probe) kind() string {
	switch {
	case p.v1():
		return kindV1
	case bool(p.Services || p.OrganizationIdentifiers || p.YearIncorporated || p.TaxStatus || p.LegalStatus ||
		p.Programs || p.Website || p.ParentOrganizationID):
		return "organization"
	case bool(p.Status || p.ProgramID || p.MinimumAge || p.MaximumAge || p.ServiceAreas || p.CostOptions || len(p.SALs) > 0):
		return "service"
	case bool(p.Location || p.Service || p.ServiceID && p.LocationID):
		return "service_at_location"
	case bool(p.LocationType || p.Addresses || p.Latitude):
		return "location"
	case bool(p.TaxonomyID || p.ParentID || p.Code || p.TaxonomyDetail || p.TermURI || p.Taxonomy):
		return "taxonomy_term"
	case bool(p.TaxonomyTerms || p.Version):
		return "taxonomy"
	}
	return "service"
}

// readNDJSON reads one record per line. Blank lines are skipped. A line
// that is an object with a single field named after a table, such as
// {"organization": {...}}, holds a record of that table (our export writes
// the records no service reaches that way); any other line is a record
// whose kind is told by its fields.
func readNDJSON(br *bufio.Reader, name string, start pos) (*directory.Dataset, error) {
	b := newBuilder(name)
	var buf []byte
	for line := start.line; ; line++ {
		var err error
		buf, err = readLine(br, buf)
		if errors.Is(err, errTooLarge) {
			return nil, &fieldErr{File: name, Line: line, Msg: "line is longer than 16 MiB"}
		}
		if err != nil && err != io.EOF {
			return nil, &fieldErr{File: name, Line: line, Msg: "cannot read: " + err.Error()}
		}
		text := bytes.TrimRight(buf, " \t\r\n")
		lead := len(text) - len(bytes.TrimLeft(text, " \t"))
		text = text[lead:]
		if len(text) > 0 {
			if err := ndjsonLine(b, text, pos{line: line, col: lead + 1}); err != nil {
				return nil, err
			}
		}
		if err == io.EOF {
			break
		}
	}
	return b.finish(), nil
}

// readLine reads one line (with its newline) into buf, failing with
// errTooLarge once it passes MaxRecordBytes.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxRecordBytes+2 { // +2 for "\r\n"
			return nil, errTooLarge
		}
		buf = appendGrowing(buf, chunk, MaxRecordBytes+2)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

func ndjsonLine(b *builder, text []byte, at pos) error {
	if text[0] != '{' {
		if fe := decode(b.file, text, at, new(json.RawMessage)); fe != nil {
			return fe
		}
		return &fieldErr{File: b.file, Line: at.line, Column: at.col, Msg: "expected a record (a JSON object), found " + jsonKind(text)}
	}
	var p probe
	if fe := syntaxAt(b.file, text, at, json.Unmarshal(text, &p)); fe != nil {
		return fe
	}
	if !bool(p.ID) {
		if table, inner, innerAt, ok := wrapped(text, at); ok {
			return b.record(table, inner, innerAt)
		}
	}
	if k := p.kind(); k == kindV1 {
		return b.v1Service(text, at)
	} else {
		return b.record(k, text, at)
	}
}

// wrapped recognises {"<table>": {...}}: an object with no id and a single
// field named after an HSDS table. It returns the inner record and where it
// starts.
func wrapped(text []byte, at pos) (table string, inner []byte, innerAt pos, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(text, &m) != nil || len(m) != 1 {
		return "", nil, at, false
	}
	for k, v := range m {
		if directory.TableNamed(k) == nil || len(v) == 0 || v[0] != '{' {
			return "", nil, at, false
		}
		i := bytes.Index(text, v) // the value as written, after the key
		if i < 0 {
			return "", nil, at, false
		}
		return k, text[i : i+len(v)], at.after(text[:i]), true
	}
	return "", nil, at, false
}
