package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

// Paging limits.
const (
	defaultPerPage = 50
	maxPerPage     = 1000
	maxProximity   = 1_000_000 // metres
	maxAge         = 150       // years
)

// params reads typed query parameters. The first malformed one is kept in
// err, so a handler reads everything it needs and checks err once.
type params struct {
	v   url.Values
	err error
}

// parseQuery parses the request's query string. Parameters nobody asks for
// are ignored.
func parseQuery(r *http.Request) (*params, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "the query string is malformed: %v", err)
	}
	return &params{v: v}, nil
}

// fail records a problem with one parameter, unless an earlier one was
// already found.
func (p *params) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = apperr.Field(name, format, args...)
	}
}

// str returns a parameter's value, trimmed; empty when absent.
func (p *params) str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

// whole returns a whole-number parameter between lo and hi, or def when it
// is absent.
func (p *params) whole(name string, def, lo, hi int, msg string) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.fail(name, "%s", msg)
		return def
	}
	return n
}

// boolean returns a true/false parameter; absent or empty means false.
func (p *params) boolean(name string) bool {
	s := p.str(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(name, "must be true or false")
	}
	return b
}

// id returns a parameter that must be a UUID, as every HSDS id is.
func (p *params) id(name string) string {
	s := p.str(name)
	if s != "" && !directory.ValidUUID(s) {
		p.fail(name, "must be a UUID, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6")
		return ""
	}
	return s
}

// number returns a number parameter between lo and hi.
func (p *params) number(name string, lo, hi float64, msg string) (float64, bool) {
	s := p.str(name)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		p.fail(name, "%s", msg)
		return 0, false
	}
	return f, true
}

// dateTime returns an RFC 3339 date-time parameter. A "+" in an offset that
// arrived unescaped (so as a space) is put back.
func (p *params) dateTime(name string) (time.Time, bool) {
	s := p.str(name)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil && strings.Contains(s, " ") {
		t, err = time.Parse(time.RFC3339, strings.Replace(s, " ", "+", 1))
	}
	if err != nil {
		p.fail(name, "must be an RFC 3339 date-time, such as 2024-05-01T09:00:00Z")
		return time.Time{}, false
	}
	return t, true
}

// clock returns a time-of-day parameter (HH:MM, optionally :SS) as minutes
// since midnight, or -1 when absent. With allowMidnight, 24:00 is accepted
// as the end of the day.
func (p *params) clock(name string, allowMidnight bool) int {
	s := p.str(name)
	if s == "" {
		return -1
	}
	m, ok := parseClock(s)
	if !ok || m > 24*60 || m == 24*60 && !allowMidnight {
		p.fail(name, "must be a time of day as HH:MM, such as 09:30")
		return -1
	}
	return m
}

// parseClock reads HH:MM or HH:MM:SS into minutes since midnight; 24:00 is
// allowed, seconds are dropped.
func parseClock(s string) (int, bool) {
	if len(s) != 5 && (len(s) != 8 || s[5] != ':') || s[2] != ':' {
		return 0, false
	}
	h, ok1 := twoDigits(s[0:2])
	m, ok2 := twoDigits(s[3:5])
	if !ok1 || !ok2 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	if len(s) == 8 {
		if sec, ok := twoDigits(s[6:8]); !ok || sec > 59 || h == 24 && sec != 0 {
			return 0, false
		}
	}
	return h*60 + m, true
}

func twoDigits(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// dayCodes are the iCalendar weekday codes, Monday first; a day's index in
// this list is its bit in a schedule's day mask.
var dayCodes = [7]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

var dayNames = [7]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// dayIndex returns the Monday-first index of an iCalendar day code or an
// English day name, in any case, or -1.
func dayIndex(s string) int {
	for i := range dayCodes {
		if strings.EqualFold(s, dayCodes[i]) || strings.EqualFold(s, dayNames[i]) {
			return i
		}
	}
	return -1
}

// day returns the day-of-week parameter as a Monday-first index, or -1.
func (p *params) day(name string) int {
	s := p.str(name)
	if s == "" {
		return -1
	}
	d := dayIndex(s)
	if d < 0 {
		p.fail(name, "must be a day of the week: MO, TU, WE, TH, FR, SA or SU, or the day's name")
	}
	return d
}

// format returns "json" or "ndjson".
func (p *params) format() string {
	switch f := strings.ToLower(p.str("format")); f {
	case "", "json":
		return "json"
	case "ndjson":
		return "ndjson"
	default:
		p.fail("format", "must be json or ndjson")
		return "json"
	}
}

// paging is the page asked for.
type paging struct {
	page, perPage int
}

// paging reads page and per_page, with perPage as the default page size.
func (p *params) paging(perPage int) paging {
	return paging{
		page:    p.whole("page", 1, 1, math.MaxInt, "must be a whole number of 1 or more"),
		perPage: p.whole("per_page", perPage, 1, maxPerPage, fmt.Sprintf("must be a whole number from 1 to %d", maxPerPage)),
	}
}

// words splits a search parameter into the lower-case words to look for.
func (p *params) words(name string) []string { return splitWords(p.str(name)) }

// serviceQuery is every filter on services that /services and
// /service_at_locations share.
type serviceQuery struct {
	text           string          // the search parameter as given
	words          []string        // its lower-case words
	stemmed        []uint64        // services the search engine matches text against; see view.matchText
	terms          map[string]bool // taxonomy_term_id and the terms below it; nil for any
	taxonomyTerms  map[string]bool // the terms of taxonomy_id; nil for any
	organizationID string
	modifiedAfter  time.Time
	hasModified    bool
	minAge, maxAge float64
	hasMin, hasMax bool
	day            int // Monday-first weekday, or -1
	start, end     int // minutes since midnight, or -1
}

// empty reports whether the query filters nothing.
func (q *serviceQuery) empty() bool {
	return len(q.words) == 0 && q.terms == nil && q.taxonomyTerms == nil && q.organizationID == "" &&
		!q.hasModified && !q.hasMin && !q.hasMax && !q.timed()
}

// timed reports whether the query asks about opening times.
func (q *serviceQuery) timed() bool { return q.day >= 0 || q.start >= 0 || q.end >= 0 }

// serviceQuery reads the service filters.
func (p *params) serviceQuery(x *directory.Index) serviceQuery {
	q := serviceQuery{text: p.str("search"), words: p.words("search")}
	if id := p.id("taxonomy_term_id"); id != "" {
		q.terms = termAndDescendants(x, id)
	}
	if id := p.id("taxonomy_id"); id != "" {
		q.taxonomyTerms = map[string]bool{}
		for _, i := range x.TaxonomyTerms(id, "", false) {
			q.taxonomyTerms[x.Dataset().TaxonomyTerms[i].ID] = true
		}
	}
	q.organizationID = p.id("organization_id")
	q.modifiedAfter, q.hasModified = p.dateTime("modified_after")
	ageMsg := fmt.Sprintf("must be an age in years from 0 to %d", maxAge)
	q.minAge, q.hasMin = p.number("minimum_age", 0, maxAge, ageMsg)
	q.maxAge, q.hasMax = p.number("maximum_age", 0, maxAge, ageMsg)
	if q.hasMin && q.hasMax && q.maxAge < q.minAge {
		p.fail("maximum_age", "must not be less than minimum_age")
	}
	q.day = p.day("day")
	q.start = p.clock("start_time", false)
	q.end = p.clock("end_time", true)
	if q.start >= 0 && q.end >= 0 && q.end <= q.start {
		p.fail("end_time", "must be later than start_time")
	}
	return q
}

// termAndDescendants returns the term with this id and every term below it.
// An unknown id gives a set holding just that id, which matches nothing.
func termAndDescendants(x *directory.Index, id string) map[string]bool {
	set := map[string]bool{id: true}
	queue := []string{id}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, i := range x.TaxonomyTerms("", parent, false) {
			child := x.Dataset().TaxonomyTerms[i].ID
			if !set[child] {
				set[child] = true
				queue = append(queue, child)
			}
		}
	}
	return set
}

// point is a search origin and radius.
type point struct {
	lat, lon  float64
	radius    float64 // metres, when hasRadius
	hasRadius bool
	hasPoint  bool
	postcode  string
	codes     map[string]bool // GSS codes of the postcode's areas; nil for a bare point
}

// geo returns the origin as a geo.Point.
func (pt *point) geo() geo.Point { return geo.Point{Lat: pt.lat, Lon: pt.lon} }

// point reads lat, lon, proximity and postcode. Lat and lon come together;
// postcode replaces them; proximity needs one or the other.
func (p *params) point() point {
	var pt point
	gotLat, gotLon := p.str("lat") != "", p.str("lon") != ""
	lat, okLat := p.number("lat", -90, 90, "must be a latitude from -90 to 90")
	lon, okLon := p.number("lon", -180, 180, "must be a longitude from -180 to 180")
	pt.radius, pt.hasRadius = p.number("proximity", 1, maxProximity, fmt.Sprintf("must be a distance in metres from 1 to %d", maxProximity))
	pt.postcode = p.str("postcode")
	switch {
	case gotLat && !gotLon:
		p.fail("lon", "is needed with lat")
	case gotLon && !gotLat:
		p.fail("lat", "is needed with lon")
	case pt.postcode != "" && gotLat:
		p.fail("postcode", "give either postcode or lat and lon, not both")
	case pt.hasRadius && !gotLat && pt.postcode == "":
		p.fail("proximity", "needs lat and lon, or postcode")
	case okLat && okLon:
		pt.lat, pt.lon, pt.hasPoint = lat, lon, true
	}
	return pt
}

// errNoPostcodes is the answer to a postcode search while no postcode
// directory is loaded.
var errNoPostcodes = apperr.Field("postcode", "postcode search needs the ONS Postcode Directory; load it with `throughcare import onspd FILE.csv`")

// locate turns pt's postcode, if any, into a point and the codes of the
// areas it lies in, through lookup.
func locate(ctx context.Context, pt *point, lookup search.PostcodeLookup) error {
	if pt.postcode == "" {
		return nil
	}
	if lookup == nil {
		return errNoPostcodes
	}
	pc, err := geo.NormalisePostcode(pt.postcode)
	if err != nil {
		return err // names the field "postcode"
	}
	at, codes, err := lookup(ctx, pc)
	switch {
	case errors.Is(err, search.ErrNoPostcodes):
		return errNoPostcodes
	case errors.Is(err, apperr.NotFound):
		return apperr.Field("postcode", "%s is not a postcode we know", pc)
	case err != nil:
		return fmt.Errorf("looking up postcode %q: %w", pc, err)
	}
	pt.lat, pt.lon, pt.hasPoint = at.Lat, at.Lon, true
	pt.codes = make(map[string]bool, len(codes))
	for _, c := range codes {
		pt.codes[strings.ToUpper(c)] = true
	}
	return nil
}
