package search

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

// ErrNoPostcodes is returned by a PostcodeLookup when no postcode directory
// has been loaded.
var ErrNoPostcodes = errors.New("no postcode directory loaded")

// PostcodeLookup finds a normalised postcode's location and the codes of
// the areas it lies in. It returns an error wrapping apperr.NotFound for an
// unknown postcode and ErrNoPostcodes when no postcodes are loaded.
type PostcodeLookup func(ctx context.Context, postcode string) (p geo.Point, areaCodes []string, err error)

// Limits on what a request may ask.
const (
	MaxTextLen   = 200
	MaxRadiusKm  = 200
	MaxPerPage   = 100
	DefaultPer   = 20
	maxListItems = 20
)

// Request is a search as the web site and the JSON API receive it: the
// Query to run, with what was understood of the place for display.
type Request struct {
	Query   Query
	Where   string     // the place or postcode as typed
	Place   string     // what it was understood as, e.g. "Lincoln, Lincolnshire" or "LN1 1AA"
	Point   *geo.Point // its location
	Page    int        // 1-based
	PerPage int

	// Echo of the filters, as codes, for forms and links.
	Types, Needs []string
	RadiusKm     float64
	Day, Time    string
	Accepting    bool
	Covers       bool

	codes []string // area codes of a postcode, used when coverage is asked for
}

// Parameters lists the query parameters ParseRequest reads, for the API
// document and for forms.
var Parameters = []string{"q", "where", "lat", "lon", "radius", "type", "need", "age", "day", "time", "open_now",
	"covers", "area", "accepting", "org", "include_inactive", "sort", "page", "per_page"}

// The ids of the taxonomies type and need codes belong to, hashed once.
var (
	serviceTypeTaxonomyID = directory.TaxonomyID(directory.ServiceTypeTaxonomy)
	eligibilityTaxonomyID = directory.TaxonomyID(directory.EligibilityTaxonomy)
)

// ParseRequest reads a search from URL query parameters:
//
//	q           keywords
//	where       a postcode, a town or city, or "lat,lon"
//	lat, lon    a point (instead of where)
//	radius      kilometres from the place, 1 to 200 (default: no limit, nearest first)
//	type        service-type code, repeatable (any of them)
//	need        eligibility code, repeatable (all of them)
//	age         the person's age in years
//	day, time   open on this day (mo…su or monday…) at this time (HH:MM)
//	open_now    1: open now (UK time)
//	covers      1: only services whose service area covers the place
//	area        an area code (GSS) the service must cover
//	accepting   1: only active services that accept referrals from probation
//	org         organisation id
//	sort        relevance, distance or name
//	page, per_page
//
// Every problem is an apperr.FieldError naming the parameter.
func (e *Engine) ParseRequest(ctx context.Context, v url.Values, lookup PostcodeLookup, now time.Time) (Request, error) {
	r := Request{Page: 1, PerPage: DefaultPer}
	q := &r.Query
	x := e.x

	q.Text = strings.TrimSpace(v.Get("q"))
	if len(q.Text) > MaxTextLen {
		return r, apperr.Field("q", "keywords must be at most %d characters", MaxTextLen)
	}

	for _, code := range cleanList(v["type"]) {
		t, ok := x.TermByCode(serviceTypeTaxonomyID, code)
		if !ok {
			return r, apperr.Field("type", "%q is not a service type we know; see /openreferral/taxonomy_terms for the list", code)
		}
		q.Types = append(q.Types, t.ID)
		r.Types = append(r.Types, code)
	}
	for _, code := range cleanList(v["need"]) {
		t, ok := x.TermByCode(eligibilityTaxonomyID, code)
		if !ok {
			return r, apperr.Field("need", "%q is not an eligibility code we know", code)
		}
		q.Attributes = append(q.Attributes, t.ID)
		r.Needs = append(r.Needs, code)
	}
	if len(q.Types) > maxListItems || len(q.Attributes) > maxListItems {
		return r, apperr.Field("type", "at most %d service types and %d needs", maxListItems, maxListItems)
	}
	if s := v.Get("accepting"); s != "" {
		on, err := parseBool(s)
		if err != nil {
			return r, apperr.Field("accepting", "%v", err)
		}
		if on {
			r.Accepting = true
			q.Attributes = append(q.Attributes, directory.TermID(directory.EligibilityTaxonomy, "referrals-from-probation"))
		}
	}

	if s := strings.TrimSpace(v.Get("age")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 120 {
			return r, apperr.Field("age", "must be a whole number of years from 0 to 120")
		}
		q.Age = &n
	}

	if err := r.parseOpen(v, now); err != nil {
		return r, err
	}
	if err := r.parsePlace(ctx, v, lookup); err != nil {
		return r, err
	}
	if s := strings.TrimSpace(v.Get("radius")); s != "" {
		km, err := strconv.ParseFloat(s, 64)
		if err != nil || !(km > 0 && km <= MaxRadiusKm) { // NaN too
			return r, apperr.Field("radius", "must be a number of kilometres from 1 to %d", MaxRadiusKm)
		}
		if r.Point == nil {
			return r, apperr.Field("radius", "needs a place: give where (a postcode or town) or lat and lon")
		}
		r.RadiusKm, q.Radius = km, km*1000
	}
	if s := v.Get("covers"); s != "" {
		on, err := parseBool(s)
		if err != nil {
			return r, apperr.Field("covers", "%v", err)
		}
		if on {
			if r.Point == nil {
				return r, apperr.Field("covers", "needs a place: give where (a postcode or town) or lat and lon")
			}
			r.Covers = true
			q.CoversPoint = r.Point
			q.CoversCodes = append(q.CoversCodes, r.codes...)
		}
	}
	if s := strings.TrimSpace(v.Get("area")); s != "" {
		if !geo.IsGSSCode(s) {
			return r, apperr.Field("area", "%q is not an area code such as E07000138", s)
		}
		q.CoversCodes = append(q.CoversCodes, strings.ToUpper(s))
	}
	if s := strings.TrimSpace(v.Get("org")); s != "" {
		if !directory.ValidUUID(s) {
			return r, apperr.Field("org", "must be an organisation id (a UUID)")
		}
		q.OrganizationID = s
	}
	if s := v.Get("include_inactive"); s != "" {
		on, err := parseBool(s)
		if err != nil {
			return r, apperr.Field("include_inactive", "%v", err)
		}
		q.IncludeInactive = on
	}
	switch s := v.Get("sort"); s {
	case "", "relevance":
		q.Sort = ByRelevance
	case "distance":
		if r.Point == nil {
			return r, apperr.Field("sort", "sorting by distance needs a place")
		}
		q.Sort = ByDistance
	case "name":
		q.Sort = ByName
	default:
		return r, apperr.Field("sort", "must be relevance, distance or name")
	}
	var err error
	if r.Page, err = intParam(v, "page", 1, 1, 100000); err != nil {
		return r, err
	}
	if r.PerPage, err = intParam(v, "per_page", DefaultPer, 1, MaxPerPage); err != nil {
		return r, err
	}
	q.Offset, q.Limit = (r.Page-1)*r.PerPage, r.PerPage
	return r, nil
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, apperr.Field(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("must be true or false")
}

// cleanList splits comma-separated values, trims and drops empties.
func cleanList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

var dayNames = map[string]time.Weekday{}

func init() {
	for code, d := range dayCodes {
		dayNames[strings.ToLower(code)] = d
		dayNames[strings.ToLower(d.String())] = d
		dayNames[strings.ToLower(d.String()[:3])] = d
	}
}

// london is UK time, for "open now".
var london = geo.UKTime

func (r *Request) parseOpen(v url.Values, now time.Time) error {
	if s := v.Get("open_now"); s != "" {
		on, err := parseBool(s)
		if err != nil {
			return apperr.Field("open_now", "%v", err)
		}
		if on {
			t := now.In(london)
			r.Query.Open = &OpenAt{Day: t.Weekday(), Minute: t.Hour()*60 + t.Minute()}
			return nil
		}
	}
	day, tm := strings.ToLower(strings.TrimSpace(v.Get("day"))), strings.TrimSpace(v.Get("time"))
	if day == "" && tm == "" {
		return nil
	}
	d, ok := dayNames[day]
	if !ok {
		return apperr.Field("day", "must be a day of the week, such as monday or mo")
	}
	m := 12 * 60
	if tm != "" {
		var ok bool
		if m, ok = minutes(tm); !ok || m >= 24*60 {
			return apperr.Field("time", "must be a time of day as HH:MM, such as 09:30")
		}
	}
	r.Day, r.Time = day, tm
	r.Query.Open = &OpenAt{Day: d, Minute: m}
	return nil
}

// parsePlace resolves where, or lat and lon, to a point.
func (r *Request) parsePlace(ctx context.Context, v url.Values, lookup PostcodeLookup) error {
	r.Where = strings.TrimSpace(v.Get("where"))
	lat, lon := strings.TrimSpace(v.Get("lat")), strings.TrimSpace(v.Get("lon"))
	if lat != "" || lon != "" {
		p, err := parsePoint(lat, lon)
		if err != nil {
			return err
		}
		r.setPoint(p, p.String())
		return nil
	}
	w := r.Where
	if w == "" {
		return nil
	}
	if len(w) > 100 {
		return apperr.Field("where", "a place or postcode must be at most 100 characters")
	}
	if a, b, ok := strings.Cut(w, ","); ok && looksNumeric(a) && looksNumeric(b) {
		p, err := parsePoint(strings.TrimSpace(a), strings.TrimSpace(b))
		if err != nil {
			return apperr.Field("where", "%s", err.(*apperr.FieldError).Msg)
		}
		r.setPoint(p, p.String())
		return nil
	}
	if strings.ContainsFunc(w, unicode.IsDigit) {
		pc, err := geo.NormalisePostcode(w)
		if err != nil {
			return apperr.Field("where", "%q is not a full UK postcode (%v); give a postcode such as LN1 1AA, or a town", w, err)
		}
		if lookup == nil {
			return apperr.Field("where", "postcode search needs the ONS Postcode Directory, which is not loaded here; an administrator can load it with `throughcare import onspd FILE.csv`. Search by town or city meanwhile")
		}
		p, codes, err := lookup(ctx, pc)
		switch {
		case errors.Is(err, ErrNoPostcodes):
			return apperr.Field("where", "postcode search needs the ONS Postcode Directory, which is not loaded here; an administrator can load it with `throughcare import onspd FILE.csv`. Search by town or city meanwhile")
		case errors.Is(err, apperr.NotFound):
			return apperr.Field("where", "we could not find the postcode %s; check it, or search by town", pc)
		case err != nil:
			return err
		}
		r.setPoint(p, pc)
		r.codes = codes
		return nil
	}
	pl, ok := geo.LookupPlace(w)
	if !ok {
		msg := fmt.Sprintf("we do not know a town or city called %q; try a postcode or a nearby town", w)
		if s := geo.SuggestPlaces(w, 3); len(s) > 0 {
			var names []string
			for _, p := range s {
				names = append(names, p.Name)
			}
			msg += " (did you mean " + strings.Join(names, ", ") + "?)"
		}
		return apperr.Field("where", "%s", msg)
	}
	r.setPoint(pl.Location, pl.Name+", "+pl.Area)
	return nil
}

func (r *Request) setPoint(p geo.Point, label string) {
	r.Point, r.Place = &p, label
	r.Query.Near = &p
}

func looksNumeric(s string) bool {
	s = strings.TrimSpace(s)
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func parsePoint(lat, lon string) (geo.Point, error) {
	if lat == "" || lon == "" {
		return geo.Point{}, apperr.Field("lat", "lat and lon must be given together")
	}
	la, err := strconv.ParseFloat(lat, 64)
	if err != nil || !(la >= -90 && la <= 90) { // NaN too
		return geo.Point{}, apperr.Field("lat", "must be a latitude from -90 to 90")
	}
	lo, err := strconv.ParseFloat(lon, 64)
	if err != nil || !(lo >= -180 && lo <= 180) {
		return geo.Point{}, apperr.Field("lon", "must be a longitude from -180 to 180")
	}
	return geo.Point{Lat: la, Lon: lo}, nil
}
