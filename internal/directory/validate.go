package directory

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/apperr"
)

// MaxProblems is how many problems Validate lists before it stops listing
// (it still counts the rest).
const MaxProblems = 20

// ValidationError lists the problems Validate found in a dataset, in table
// order (the order of Tables), then row order, then column order. It matches
// apperr.Invalid, and errors.As finds its first problem as an
// *apperr.FieldError.
type ValidationError struct {
	Problems []*apperr.FieldError // at most MaxProblems
	Total    int                  // every problem found, listed or not
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	if more := e.Total - len(e.Problems); more > 0 {
		fmt.Fprintf(&b, "\n(and %d more problems)", more)
	}
	return b.String()
}

// Unwrap returns the listed problems, so errors.Is and errors.As see them.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Is makes a ValidationError match apperr.Invalid even with no problems listed.
func (e *ValidationError) Is(target error) bool { return target == apperr.Invalid }

// Column formats checked by Validate. The HSDS 3.0 schemas give uuid,
// email, uri and date-time; date and time come from the field descriptions
// ("YYYY-MM-DD", "HH:MM").
const (
	FormatUUID     = "uuid"
	FormatEmail    = "email"
	FormatURI      = "uri"
	FormatDate     = "date"
	FormatDateTime = "date-time"
	FormatTime     = "time"
)

// tableRule holds what the HSDS 3.0 schema of one table asks of its rows.
type tableRule struct {
	required []string          // columns that must not be empty, besides id
	formats  map[string]string // column → Format*, besides the uuid *_id ones
	enums    map[string][]string
	refs     map[string]string // column → table the value must name a record of
}

// rules follows the `required` arrays, `format`s and `enum`s of the HSDS 3.0
// schemas in shared/standards/hsds-3.0. Metadata's previous_value and
// replacement_value are required there but may be the empty string (a
// record's creation has no previous value), which a flat row cannot tell
// from absent, so they are not checked here.
var rules = map[string]tableRule{
	"organization": {
		required: []string{"name", "description"},
		formats:  map[string]string{"email": FormatEmail, "website": FormatURI, "uri": FormatURI},
		refs:     map[string]string{"parent_organization_id": "organization"},
	},
	"organization_identifier": {
		required: []string{"identifier_type", "identifier"},
		refs:     map[string]string{"organization_id": "organization"},
	},
	"program": {
		required: []string{"name", "description"},
		refs:     map[string]string{"organization_id": "organization"},
	},
	"service": {
		required: []string{"name", "status"},
		formats: map[string]string{"url": FormatURI, "email": FormatEmail, "assurer_email": FormatEmail,
			"assured_date": FormatDate, "last_modified": FormatDateTime},
		enums: map[string][]string{"status": {"active", "inactive", "defunct", "temporarily closed"}},
		refs:  map[string]string{"organization_id": "organization", "program_id": "program"},
	},
	"location": {
		required: []string{"location_type"},
		formats:  map[string]string{"url": FormatURI},
		enums:    map[string][]string{"location_type": {"physical", "postal", "virtual"}},
		refs:     map[string]string{"organization_id": "organization"},
	},
	"service_at_location": {
		refs: map[string]string{"service_id": "service", "location_id": "location"},
	},
	"address": {
		required: []string{"address_1", "city", "state_province", "postal_code", "country", "address_type"},
		enums:    map[string][]string{"address_type": {"physical", "postal", "virtual"}},
		refs:     map[string]string{"location_id": "location"},
	},
	"contact": {
		formats: map[string]string{"email": FormatEmail},
		refs: map[string]string{"organization_id": "organization", "service_id": "service",
			"service_at_location_id": "service_at_location", "location_id": "location"},
	},
	"phone": {
		required: []string{"number"},
		refs: map[string]string{"location_id": "location", "service_id": "service", "organization_id": "organization",
			"contact_id": "contact", "service_at_location_id": "service_at_location"},
	},
	"schedule": {
		formats: map[string]string{"valid_from": FormatDate, "valid_to": FormatDate, "opens_at": FormatTime,
			"closes_at": FormatTime, "schedule_link": FormatURI},
		enums: map[string][]string{
			"freq": {"WEEKLY", "MONTHLY"},
			"wkst": {"MO", "TU", "WE", "TH", "FR", "SA", "SU"},
		},
		refs: map[string]string{"service_id": "service", "location_id": "location", "service_at_location_id": "service_at_location"},
	},
	"service_area": {
		enums: map[string][]string{"extent_type": {"geojson", "topojson", "kml", "text"}},
		refs:  map[string]string{"service_id": "service"},
	},
	"language": {
		refs: map[string]string{"service_id": "service", "location_id": "location", "phone_id": "phone"},
	},
	"accessibility": {
		formats: map[string]string{"url": FormatURI},
		refs:    map[string]string{"location_id": "location"},
	},
	"cost_option": {
		formats: map[string]string{"valid_from": FormatDate, "valid_to": FormatDate},
		refs:    map[string]string{"service_id": "service"},
	},
	"funding": {
		refs: map[string]string{"organization_id": "organization", "service_id": "service"},
	},
	"required_document": {
		formats: map[string]string{"uri": FormatURI},
		refs:    map[string]string{"service_id": "service"},
	},
	"taxonomy": {
		required: []string{"name", "description"},
		formats:  map[string]string{"uri": FormatURI},
	},
	"taxonomy_term": {
		required: []string{"name", "description"},
		formats:  map[string]string{"term_uri": FormatURI},
		refs:     map[string]string{"taxonomy_id": "taxonomy", "parent_id": "taxonomy_term"},
	},
	"attribute": {
		refs: map[string]string{"taxonomy_term_id": "taxonomy_term"},
	},
	"metadata": {
		required: []string{"last_action_date", "last_action_type", "field_name", "updated_by"},
	},
}

// RequiredColumns returns the columns of an HSDS table that must hold a
// value, "id" first, as Validate checks them.
func RequiredColumns(table string) []string {
	return append([]string{"id"}, rules[table].required...)
}

// ColumnFormat returns the Format* constant Validate checks a column of an
// HSDS table against, or "" for free text and numbers. Every id and *_id
// column is a uuid.
func ColumnFormat(table, column string) string {
	if column == "id" || strings.HasSuffix(column, "_id") {
		return FormatUUID
	}
	return rules[table].formats[column]
}

// Validate checks a flat dataset about to be imported, without touching
// anything else: every record has a unique UUID id; the fields HSDS 3.0
// requires are present; enumerations, formats (UUIDs, emails, URIs, dates,
// times, RFC 3339 date-times), coordinate ranges and ages are valid; and
// every reference to another record (organization_id, service_id,
// taxonomy_term_id, parent_id …) names a record in d or one known says
// already exists. known may be nil when nothing exists yet.
//
// It returns nil, or a *ValidationError listing up to MaxProblems problems
// as *apperr.FieldError values (Record "service <id>", Field the column),
// the first being the first problem in table order.
func Validate(d *Dataset, known func(table, id string) bool) error {
	v := &validator{d: d, known: known, ids: make(map[string]map[string]bool, len(Tables)), err: &ValidationError{}}
	for _, t := range Tables {
		m := make(map[string]bool, t.Len(d))
		for i := range t.Len(d) {
			m[t.ID(d, i)] = true
		}
		v.ids[t.Name] = m
	}
	for _, t := range Tables {
		v.table(t)
	}
	if v.err.Total == 0 {
		return nil
	}
	return v.err
}

type validator struct {
	d     *Dataset
	known func(table, id string) bool
	ids   map[string]map[string]bool
	err   *ValidationError
}

func (v *validator) add(record, field, format string, args ...any) {
	v.err.Total++
	if len(v.err.Problems) < MaxProblems {
		v.err.Problems = append(v.err.Problems, &apperr.FieldError{Record: record, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

// exists reports whether a record of table with this id is in the dataset
// or already stored.
func (v *validator) exists(table, id string) bool {
	return v.ids[table][id] || v.known != nil && v.known(table, id)
}

// tableLabel names a table in messages: "taxonomy term" for taxonomy_term.
func tableLabel(table string) string { return strings.ReplaceAll(table, "_", " ") }

func (v *validator) table(t *Table) {
	rule := rules[t.Name]
	seen := make(map[string]bool, t.Len(v.d))
	for i := range t.Len(v.d) {
		vals := t.Values(v.d, i)
		id, _ := vals[0].(string)
		record := t.Name + " " + id
		if id == "" {
			record = fmt.Sprintf("%s #%d", t.Name, i+1)
		}
		switch {
		case id == "":
			v.add(record, "id", "is required")
		case !ValidUUID(id):
			v.add(record, "id", "%q is not a UUID", id)
		case seen[id]:
			v.add(record, "id", "duplicate id: another %s has the same id", tableLabel(t.Name))
		}
		seen[id] = true
		for c, col := range t.Columns {
			if c == 0 {
				continue
			}
			s, isText := vals[c].(string)
			if vals[c] == nil {
				if slices.Contains(rule.required, col) {
					v.add(record, col, "is required")
				}
				continue
			}
			if !isText {
				continue // numbers are checked per table below
			}
			if allowed, ok := rule.enums[col]; ok && !slices.Contains(allowed, s) {
				v.add(record, col, "%q is not one of %s", s, strings.Join(allowed, ", "))
				continue
			}
			if f := ColumnFormat(t.Name, col); f != "" {
				if msg := checkFormat(f, s); msg != "" {
					v.add(record, col, "%q is not %s", s, msg)
					continue
				}
			}
			if target, ok := rule.refs[col]; ok && !v.exists(target, s) {
				if t.Name == "attribute" {
					v.add(record, col, "unknown %s %q (%s)", tableLabel(target), s, v.attributeOwner(i))
				} else {
					v.add(record, col, "unknown %s %q", tableLabel(target), s)
				}
			}
		}
		v.rowRules(t.Name, i, record)
	}
}

// attributeOwner describes the record an attribute tags, for messages.
func (v *validator) attributeOwner(i int) string {
	a := &v.d.Attributes[i]
	kind := a.LinkType
	if TableNamed(kind) == nil {
		kind = a.LinkEntity
	}
	if TableNamed(kind) == nil {
		kind = "record"
	}
	if a.LinkID == "" {
		return "an attribute linked to no record"
	}
	return "the attribute of " + kind + " " + a.LinkID
}

// rowRules checks what a column-by-column pass cannot: ranges, pairs of
// fields, and references whose table depends on another field.
func (v *validator) rowRules(table string, i int, record string) {
	switch table {
	case "service":
		s := &v.d.Services[i]
		for _, age := range []struct {
			col string
			v   *float64
		}{{"minimum_age", s.MinimumAge}, {"maximum_age", s.MaximumAge}} {
			if age.v != nil && *age.v < 0 {
				v.add(record, age.col, "%s must not be negative", num(*age.v))
			}
		}
		if s.MinimumAge != nil && s.MaximumAge != nil && *s.MinimumAge > *s.MaximumAge {
			v.add(record, "minimum_age", "%s is greater than maximum_age %s", num(*s.MinimumAge), num(*s.MaximumAge))
		}
	case "location":
		l := &v.d.Locations[i]
		if l.Latitude != nil && (*l.Latitude < -90 || *l.Latitude > 90) {
			v.add(record, "latitude", "%s is outside -90 to 90", num(*l.Latitude))
		}
		if l.Longitude != nil && (*l.Longitude < -180 || *l.Longitude > 180) {
			v.add(record, "longitude", "%s is outside -180 to 180", num(*l.Longitude))
		}
	case "service_area":
		a := &v.d.ServiceAreas[i]
		if a.ExtentType == "geojson" && a.Extent != "" && !json.Valid([]byte(a.Extent)) {
			v.add(record, "extent", "is not valid JSON, as extent_type geojson needs")
		}
	case "attribute":
		a := &v.d.Attributes[i]
		kind := a.LinkEntity
		if TableNamed(kind) == nil {
			kind = a.LinkType
		}
		if a.LinkID != "" && ValidUUID(a.LinkID) && TableNamed(kind) != nil && !v.exists(kind, a.LinkID) {
			v.add(record, "link_id", "unknown %s %q", tableLabel(kind), a.LinkID)
		}
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// checkFormat returns "" when s is in format f, or what s should have been.
func checkFormat(f, s string) string {
	switch f {
	case FormatUUID:
		if !ValidUUID(s) {
			return "a UUID"
		}
	case FormatEmail:
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			return "an email address"
		}
	case FormatURI:
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || strings.ContainsAny(s, " \t\r\n") {
			return "a URI with a scheme, such as https://example.org"
		}
	case FormatDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return "a date (YYYY-MM-DD)"
		}
	case FormatDateTime:
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return "a date and time (RFC 3339, such as 2025-03-01T09:30:00Z)"
		}
	case FormatTime:
		if !validClock(s) {
			return "a time (HH:MM or HH:MM:SS, with Z or ±HH:MM if a time zone is given)"
		}
	}
	return ""
}

// validClock accepts HH:MM and HH:MM:SS on a 24-hour clock, and 24:00 (or
// 24:00:00) as the end of a day, which closing times often use. HSDS asks
// for a time zone where it matters, so a trailing Z or ±HH:MM is allowed.
func validClock(s string) bool {
	if n := len(s); n > 0 && s[n-1] == 'Z' {
		s = s[:n-1]
	} else if n > 6 && (s[n-6] == '+' || s[n-6] == '-') {
		if !clock(s[n-5:], 23, false) {
			return false
		}
		s = s[:n-6]
	}
	return clock(s, 24, true)
}

// clock checks HH:MM (or HH:MM:SS when seconds) with hours up to maxHour,
// where hour 24 is only 24:00.
func clock(s string, maxHour int, seconds bool) bool {
	if len(s) != 5 && (!seconds || len(s) != 8) {
		return false
	}
	part := func(i, max int) (int, bool) {
		if s[i] < '0' || s[i] > '9' || s[i+1] < '0' || s[i+1] > '9' {
			return 0, false
		}
		n := int(s[i]-'0')*10 + int(s[i+1]-'0')
		return n, n <= max
	}
	h, okH := part(0, maxHour)
	m, okM := part(3, 59)
	if !okH || !okM || s[2] != ':' {
		return false
	}
	sec := 0
	if len(s) == 8 {
		var okS bool
		if sec, okS = part(6, 59); !okS || s[5] != ':' {
			return false
		}
	}
	return h < 24 || m == 0 && sec == 0
}
