package api

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

// view is what the API derives from one directory snapshot: the order lists
// are served in, and (built on first use) the search text, modification
// times, opening hours and service areas of every service. A view never
// changes once built.
type view struct {
	e *search.Engine
	x *directory.Index

	svcOrder []int     // service positions by name, then id
	svcRank  []int32   // svcRank[i]: place of service i in svcOrder
	salOrder []int     // service-at-location positions by service, then id
	salSvc   []int32   // salSvc[i]: position of the service of link i, or -1
	salRank  []int32   // salRank[i]: place of link i in salOrder
	svcLinks [][]int32 // svcLinks[i]: positions of service i's links, in salOrder
	orgOrder []int     // organisation positions by name, then id
	taxOrder []int     // taxonomy positions by name, then id
	termRank []int32   // termRank[i]: place of term i in name order

	textOnce sync.Once
	text     []string // per service: " word word … " of its searchable fields

	modOnce  sync.Once
	modified []int64 // per service: last_modified in Unix nanoseconds, or math.MinInt64

	hoursOnce sync.Once
	hours     [][]opening // per service: its schedules and those of its links

	coordOnce sync.Once
	coords    [][2]float64 // per link: its location's latitude and longitude, or NaN

	codeOnce sync.Once
	codes    map[string]termCode // shipped service-type and eligibility terms by id

	briefOnce sync.Once
	briefs    []atomic.Pointer[brief] // per service: its search result brief, once kept
	linkOnce  sync.Once
	links     []atomic.Pointer[[]byte] // per link: its search result members, once kept
	keptBytes atomic.Int64             // JSON bytes briefs and links have asked to keep
}

// newView sorts the snapshot's records for serving.
func newView(e *search.Engine) *view {
	x := e.Index()
	d := x.Dataset()
	v := &view{e: e, x: x}

	v.svcOrder = byName(len(d.Services), func(i int) (string, string) { return d.Services[i].Name, d.Services[i].ID })
	v.svcRank = make([]int32, len(d.Services))
	for r, i := range v.svcOrder {
		v.svcRank[i] = int32(r)
	}
	svcPos := make(map[string]int32, len(d.Services))
	for i := range d.Services {
		svcPos[d.Services[i].ID] = int32(i)
	}

	v.salSvc = make([]int32, len(d.ServiceAtLocations))
	v.salOrder = make([]int, 0, len(d.ServiceAtLocations))
	for i := range d.ServiceAtLocations {
		v.salSvc[i] = -1
		if j, ok := svcPos[d.ServiceAtLocations[i].ServiceID]; ok {
			v.salSvc[i] = j
			v.salOrder = append(v.salOrder, i)
		}
	}
	slices.SortFunc(v.salOrder, func(a, b int) int {
		return cmp.Or(cmp.Compare(v.svcRank[v.salSvc[a]], v.svcRank[v.salSvc[b]]),
			strings.Compare(d.ServiceAtLocations[a].ID, d.ServiceAtLocations[b].ID))
	})
	v.salRank = make([]int32, len(d.ServiceAtLocations))
	v.svcLinks = make([][]int32, len(d.Services))
	for r, i := range v.salOrder {
		v.salRank[i] = int32(r)
		v.svcLinks[v.salSvc[i]] = append(v.svcLinks[v.salSvc[i]], int32(i))
	}

	v.orgOrder = byName(len(d.Organizations), func(i int) (string, string) { return d.Organizations[i].Name, d.Organizations[i].ID })
	v.taxOrder = byName(len(d.Taxonomies), func(i int) (string, string) { return d.Taxonomies[i].Name, d.Taxonomies[i].ID })
	termOrder := byName(len(d.TaxonomyTerms), func(i int) (string, string) { return d.TaxonomyTerms[i].Name, d.TaxonomyTerms[i].ID })
	v.termRank = make([]int32, len(termOrder))
	for r, i := range termOrder {
		v.termRank[i] = int32(r)
	}
	return v
}

// byName returns the positions 0..n-1 sorted by name, ignoring case, and
// then by id, so the order is total and stable between requests.
func byName(n int, key func(int) (name, id string)) []int {
	type k struct{ name, id string }
	keys := make([]k, n)
	for i := range n {
		name, id := key(i)
		keys[i] = k{strings.ToLower(name), id}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(keys[a].name, keys[b].name), strings.Compare(keys[a].id, keys[b].id))
	})
	return order
}

// splitWords returns the lower-case words of letters and digits in s.
func splitWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// wordText joins the words of several fields into " w1 w2 … ", the form
// matchWords searches.
func wordText(fields ...string) string {
	var b strings.Builder
	b.WriteByte(' ')
	for _, f := range fields {
		for _, w := range splitWords(f) {
			b.WriteString(w)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// matchWords reports whether every query word begins some word of text (as
// built by wordText): "counsel" finds "counselling", "men" does not find
// "women".
func matchWords(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, " "+w) {
			return false
		}
	}
	return true
}

// prefixMatch reports whether every search word begins a word of service
// i's name, alternate name, description or organisation name.
func (v *view) prefixMatch(i int, words []string) bool {
	v.textOnce.Do(func() {
		d := v.x.Dataset()
		orgNames := make(map[string]string, len(d.Organizations))
		for _, o := range d.Organizations {
			orgNames[o.ID] = o.Name
		}
		v.text = make([]string, len(d.Services))
		for i := range d.Services {
			s := &d.Services[i]
			v.text[i] = wordText(s.Name, s.AlternateName, s.Description, orgNames[s.OrganizationID])
		}
	})
	return matchWords(v.text[i], words)
}

// matchText reports whether service i matches the search words: by prefix
// (so a client can search as the user types), or as the search engine
// matches them (stemmed, with synonyms, over type and eligibility names
// too; q.stemmed holds those services).
func (v *view) matchText(i int, q *serviceQuery) bool {
	return has(q.stemmed, i) || v.prefixMatch(i, q.words)
}

// stemmed returns the set of services the search engine matches text
// against, ignoring status. With near and a radius, only services with a
// location within radius metres of near are looked at, which lets the
// engine start from whichever of the words and the place rules out more.
func (v *view) stemmed(text string, near *geo.Point, radius float64) []uint64 {
	n := v.e.NumServices()
	set := make([]uint64, (n+63)/64)
	if n == 0 {
		return set
	}
	res := v.e.Search(search.Query{Text: text, Near: near, Radius: radius, IncludeInactive: true, Sort: search.ByName, Limit: n})
	for _, h := range res.Hits {
		set[h.Service/64] |= 1 << (h.Service % 64)
	}
	return set
}

// has reports whether bit i of set is on; a nil set holds nothing.
func has(set []uint64, i int) bool { return set != nil && set[i/64]&(1<<(i%64)) != 0 }

// modifiedAt returns service i's last_modified in Unix nanoseconds, or
// math.MinInt64 when it has none that parses.
func (v *view) modifiedAt(i int) int64 {
	v.modOnce.Do(func() {
		d := v.x.Dataset()
		v.modified = make([]int64, len(d.Services))
		for i := range d.Services {
			v.modified[i] = math.MinInt64
			if t, err := time.Parse(time.RFC3339, d.Services[i].LastModified); err == nil {
				v.modified[i] = t.UnixNano()
			}
		}
	})
	return v.modified[i]
}

// opening is one schedule reduced to what the day and time filters need.
type opening struct {
	days        uint8 // bit d: open on day d, Monday first
	open, close int   // minutes since midnight, -1 when unknown; close may pass 24:00
}

// openings returns the opening hours of service i: its own schedules and
// those of its service-at-location links.
func (v *view) openings(i int) []opening {
	v.hoursOnce.Do(func() {
		d := v.x.Dataset()
		v.hours = make([][]opening, len(d.Services))
		svcPos := make(map[string]int, len(d.Services))
		for i := range d.Services {
			svcPos[d.Services[i].ID] = i
		}
		salPos := make(map[string]int32, len(d.ServiceAtLocations))
		for i := range d.ServiceAtLocations {
			salPos[d.ServiceAtLocations[i].ID] = v.salSvc[i]
		}
		for k := range d.Schedules {
			sc := &d.Schedules[k]
			i := -1
			if j, ok := svcPos[sc.ServiceID]; ok && sc.ServiceID != "" {
				i = j
			} else if j, ok := salPos[sc.ServiceAtLocationID]; ok && sc.ServiceAtLocationID != "" {
				i = int(j)
			}
			if i >= 0 {
				v.hours[i] = append(v.hours[i], openingOf(sc))
			}
		}
	})
	return v.hours[i]
}

// openingOf reads the days and times of a schedule. Days come from byday
// (ordinals such as 1MO count as that weekday) or, for a weekly schedule
// without byday, from the weekday of dtstart. Times are opens_at and
// closes_at; a closing time at or before the opening runs past midnight.
func openingOf(sc *directory.Schedule) opening {
	o := opening{open: -1, close: -1}
	for tok := range strings.SplitSeq(sc.ByDay, ",") {
		tok = strings.TrimSpace(tok)
		if len(tok) >= 2 {
			if d := dayIndex(tok[len(tok)-2:]); d >= 0 {
				o.days |= 1 << d
			}
		}
	}
	if o.days == 0 && strings.EqualFold(sc.Freq, "WEEKLY") && len(sc.DTStart) >= 10 {
		if t, err := time.Parse(time.DateOnly, sc.DTStart[:10]); err == nil {
			o.days = 1 << ((int(t.Weekday()) + 6) % 7)
		}
	}
	opens, ok1 := clockPrefix(sc.OpensAt)
	closes, ok2 := clockPrefix(sc.ClosesAt)
	if ok1 && ok2 {
		if closes <= opens {
			closes += 24 * 60
		}
		o.open, o.close = opens, closes
	}
	return o
}

// clockPrefix reads the HH:MM at the start of an HSDS time such as
// "09:00:00" or "09:00Z".
func clockPrefix(s string) (int, bool) {
	if len(s) < 5 {
		return 0, false
	}
	return parseClock(s[:5])
}

// covers reports whether the opening matches a day (-1 for any) and a time
// window (start and end in minutes, -1 when not asked): open on that day,
// from no later than start until no earlier than end. An opening whose days
// or times are unknown matches no question about them.
func (o opening) covers(day, start, end int) bool {
	if o.days == 0 || day >= 0 && o.days&(1<<day) == 0 {
		return false
	}
	if start < 0 && end < 0 {
		return true
	}
	if o.open < 0 {
		return false
	}
	switch {
	case start >= 0 && end >= 0:
		return o.open <= start && end <= o.close
	case start >= 0:
		return o.open <= start && start < o.close
	default:
		return o.open < end && end <= o.close
	}
}

// matchService reports whether service i passes every filter of q.
func (v *view) matchService(i int, q *serviceQuery) bool {
	s := v.x.ServiceAt(i)
	if q.organizationID != "" && !strings.EqualFold(s.OrganizationID, q.organizationID) {
		return false
	}
	// Ages: the service's range (open-ended where a bound is missing)
	// must overlap the range asked for.
	if q.hasMin && s.MaximumAge != nil && *s.MaximumAge < q.minAge {
		return false
	}
	if q.hasMax && s.MinimumAge != nil && *s.MinimumAge > q.maxAge {
		return false
	}
	if q.hasModified && v.modifiedAt(i) < q.modifiedAfter.UnixNano() {
		return false
	}
	if q.terms != nil || q.taxonomyTerms != nil {
		inTerm, inTaxonomy := q.terms == nil, q.taxonomyTerms == nil
		for _, t := range v.x.TermIDs(s.ID) {
			inTerm = inTerm || q.terms[t]
			inTaxonomy = inTaxonomy || q.taxonomyTerms[t]
		}
		if !inTerm || !inTaxonomy {
			return false
		}
	}
	if q.timed() && !slices.ContainsFunc(v.openings(i), func(o opening) bool { return o.covers(q.day, q.start, q.end) }) {
		return false
	}
	return len(q.words) == 0 || v.matchText(i, q)
}

// services returns the positions of the services matching q, in name order.
func (v *view) services(q *serviceQuery) []int {
	if q.empty() {
		return v.svcOrder
	}
	var out []int
	for _, i := range v.svcOrder {
		if v.matchService(i, q) {
			out = append(out, i)
		}
	}
	return out
}

// coordinates returns the latitude and longitude of every link's location,
// by link position; NaN where the location has no coordinates.
func (v *view) coordinates() [][2]float64 {
	v.coordOnce.Do(func() {
		n := v.x.NumServiceAtLocations()
		v.coords = make([][2]float64, n)
		for i := range n {
			v.coords[i] = [2]float64{math.NaN(), math.NaN()}
			loc, ok := v.x.LocationFlat(v.x.ServiceAtLocationAt(i).LocationID)
			if ok && loc.Latitude != nil && loc.Longitude != nil {
				v.coords[i] = [2]float64{*loc.Latitude, *loc.Longitude}
			}
		}
	})
	return v.coords
}

// mayServe reports whether service i may serve a place: a point and, for a
// postcode, the codes of the areas it lies in (nil when not known). HSDS
// asks that a service which declares service areas be listed only where
// the place lies inside one. An area that cannot be checked (one without
// an extent, when no area codes are known, or one with neither code nor
// extent) gives the service the benefit of the doubt, as does declaring no
// area at all.
func (v *view) mayServe(i int, p geo.Point, codes map[string]bool) bool {
	areas := v.e.ServiceAreas(i)
	if len(areas) == 0 {
		return true
	}
	for _, a := range areas {
		checkable := a.Shape != nil || a.Code != "" && codes != nil
		if !checkable || a.Code != "" && codes[a.Code] || a.Shape != nil && a.Shape.Contains(p) {
			return true
		}
	}
	return false
}

// termCode is a shipped term's code and whether it is a service type (as
// opposed to an eligibility attribute).
type termCode struct {
	code        string
	serviceType bool
}

// termCodes returns the codes of service i's shipped service-type and
// eligibility terms, each sorted.
func (v *view) termCodes(i int) (types, eligibility []string) {
	v.codeOnce.Do(func() {
		d := v.x.Dataset()
		v.codes = map[string]termCode{}
		for _, tx := range []string{directory.ServiceTypeTaxonomy, directory.EligibilityTaxonomy} {
			for _, k := range v.x.TaxonomyTerms(directory.TaxonomyID(tx), "", false) {
				t := &d.TaxonomyTerms[k]
				if t.Code != "" {
					v.codes[t.ID] = termCode{t.Code, tx == directory.ServiceTypeTaxonomy}
				}
			}
		}
	})
	for _, id := range v.x.TermIDs(v.x.ServiceAt(i).ID) {
		c, ok := v.codes[id]
		switch {
		case !ok:
		case c.serviceType:
			types = append(types, c.code)
		default:
			eligibility = append(eligibility, c.code)
		}
	}
	slices.Sort(types)
	slices.Sort(eligibility)
	return slices.Compact(types), slices.Compact(eligibility)
}
