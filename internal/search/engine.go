// Package search is the directory's search engine: one query model, used by
// the web site, the JSON search API and the Open Referral
// service_at_locations endpoint, answered from an in-memory index built from
// a directory.Index. Build a new Engine whenever the directory changes; an
// Engine never changes after New returns, so it is safe for concurrent use.
package search

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

// Field weights: a word in a service's name says more about it than a word
// in its description.
const (
	weightName        = 3
	weightType        = 2
	weightOrg         = 1.5
	weightDescription = 1
)

type posting struct {
	doc int32
	w   float32
}

type docTerm struct {
	term int32
	w    float32
}

// loc is a located service-at-location.
type loc struct {
	sal         int32
	p           geo.Point
	phi, cosPhi float64 // latitude in radians and its cosine, for origin.distance
}

type slot struct {
	days        uint8 // bit d set: open on time.Weekday(d)
	open, close int16 // minutes since midnight; close <= open runs past midnight
}

// Area is a service's declared service area, reduced to what a place can
// be checked against.
type Area struct {
	Code  string     // GSS code from the area's uri, if any
	Shape *geo.Shape // parsed GeoJSON extent, if any
}

// Engine answers queries over one snapshot of the directory.
type Engine struct {
	x *directory.Index
	n int

	vocab map[string]int32
	post  [][]posting
	docs  [][]docTerm
	idf   []float32

	tagged map[string][]uint64 // taxonomy term id → bitset of services tagged with it or a descendant

	locs       []loc                  // located service-at-locations, grouped by service
	locStart   []int32                // service i's are locs[locStart[i]:locStart[i+1]]
	places     *places                // every located service-at-location
	typePlaces map[string]*typePlaces // taxonomy term id → its services' places, built on first use

	open     [][]slot
	minAge   []float64
	maxAge   []float64
	inactive []bool
	orgOf    []string
	areas    [][]Area
	rank     []int32 // position of each service in name order, for stable ties

	pool sync.Pool // *scratch
}

// New indexes every service of x.
func New(x *directory.Index) *Engine {
	d := x.Dataset()
	n := len(d.Services)
	e := &Engine{
		x: x, n: n, vocab: map[string]int32{},
		docs: make([][]docTerm, n), open: make([][]slot, n),
		minAge: make([]float64, n), maxAge: make([]float64, n), inactive: make([]bool, n),
		orgOf: make([]string, n), areas: make([][]Area, n),
		tagged: map[string][]uint64{},
	}
	svcPos := make(map[string]int32, n)
	for i := range d.Services {
		svcPos[d.Services[i].ID] = int32(i)
	}
	orgName := make(map[string]string, len(d.Organizations))
	for _, o := range d.Organizations {
		orgName[o.ID] = o.Name
	}
	termName := make(map[string]string, len(d.TaxonomyTerms))
	parent := make(map[string]string, len(d.TaxonomyTerms))
	for _, t := range d.TaxonomyTerms {
		termName[t.ID] = t.Name
		parent[t.ID] = t.ParentID
	}
	// Attributes: tag bitsets (with every ancestor term, so a parent type
	// finds its children's services) and term names for the text index.
	termText := make([][]string, n)
	words := (n + 63) / 64
	for _, a := range d.Attributes {
		s, ok := svcPos[a.LinkID]
		if !ok || a.TaxonomyTermID == "" {
			continue
		}
		termText[s] = append(termText[s], termName[a.TaxonomyTermID])
		for t, hops := a.TaxonomyTermID, 0; t != "" && hops < 16; t, hops = parent[t], hops+1 {
			bits := e.tagged[t]
			if bits == nil {
				bits = make([]uint64, words)
				e.tagged[t] = bits
			}
			bits[s/64] |= 1 << (s % 64)
		}
	}

	acc := map[int32]float32{}
	memo := map[string]int32{} // lower-cased word → term id, or -1 for a stop word
	var buf []byte
	for i := range d.Services {
		s := &d.Services[i]
		clear(acc)
		add := func(text string, w float32) {
			buf = buf[:0]
			flush := func() {
				if len(buf) == 0 {
					return
				}
				id, ok := memo[string(buf)]
				if !ok {
					id = -1
					if w := string(buf); !stopWords[w] {
						st := stem(w)
						if id, ok = e.vocab[st]; !ok {
							id = int32(len(e.post))
							e.vocab[st] = id
							e.post = append(e.post, nil)
						}
					}
					memo[string(buf)] = id
				}
				if id >= 0 {
					acc[id] += w
				}
				buf = buf[:0]
			}
			for _, r := range text {
				switch {
				case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
					buf = append(buf, byte(r))
				case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
					buf = append(buf, byte(r)+'a'-'A')
				case r == '\'' || r == '’':
				case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
					buf = utf8.AppendRune(buf, unicode.ToLower(r))
				default:
					flush()
				}
			}
			flush()
		}
		add(s.Name, weightName)
		add(s.AlternateName, weightName)
		add(orgName[s.OrganizationID], weightOrg)
		for _, t := range termText[i] {
			add(t, weightType)
		}
		add(s.Description, weightDescription)
		add(s.EligibilityDescription, weightDescription)
		dt := make([]docTerm, 0, len(acc))
		for id, w := range acc {
			dt = append(dt, docTerm{id, w})
			e.post[id] = append(e.post[id], posting{int32(i), w})
		}
		slices.SortFunc(dt, func(a, b docTerm) int { return cmp.Compare(a.term, b.term) })
		e.docs[i] = dt

		e.minAge[i], e.maxAge[i] = math.Inf(-1), math.Inf(1)
		if s.MinimumAge != nil {
			e.minAge[i] = *s.MinimumAge
		}
		if s.MaximumAge != nil {
			e.maxAge[i] = *s.MaximumAge
		}
		e.inactive[i] = s.Status != "" && s.Status != "active"
		e.orgOf[i] = s.OrganizationID
	}
	e.idf = make([]float32, len(e.post))
	for id, p := range e.post {
		slices.SortFunc(p, func(a, b posting) int { return cmp.Compare(a.doc, b.doc) })
		// BM25's idf, kept positive for words in most documents.
		e.idf[id] = float32(math.Log(1 + (float64(n)-float64(len(p))+0.5)/(float64(len(p))+0.5)))
	}

	// Locations, through service-at-location records, grouped by service
	// (in the directory's order within each) so that a service's are
	// adjacent in memory.
	var at []placed
	var owner []int32 // service of each located link, in the directory's order
	var found []loc
	e.locStart = make([]int32, n+1)
	salPos := map[string]int32{}
	for i, sl := range d.ServiceAtLocations {
		salPos[sl.ID] = int32(i)
		s, ok := svcPos[sl.ServiceID]
		if !ok {
			continue
		}
		l, ok := x.LocationFlat(sl.LocationID)
		if !ok || l.Latitude == nil || l.Longitude == nil {
			continue
		}
		p := geo.Point{Lat: *l.Latitude, Lon: *l.Longitude}
		found = append(found, newLoc(int32(i), p))
		owner = append(owner, s)
		e.locStart[s+1]++
		if p.Valid() {
			at = append(at, placed{lon: p.Lon, lat: p.Lat, svc: s})
		}
	}
	for s := range n {
		e.locStart[s+1] += e.locStart[s]
	}
	e.locs = make([]loc, len(found))
	next := slices.Clone(e.locStart[:n])
	for i, l := range found {
		e.locs[next[owner[i]]] = l
		next[owner[i]]++
	}
	e.places = newPlaces(at)
	e.typePlaces = make(map[string]*typePlaces, len(e.tagged))
	for t := range e.tagged {
		e.typePlaces[t] = &typePlaces{}
	}

	// Opening hours: the service's own schedules and those of its
	// service-at-location records and their locations.
	locOwner := map[string][]int32{}
	for _, sl := range d.ServiceAtLocations {
		if s, ok := svcPos[sl.ServiceID]; ok {
			locOwner[sl.LocationID] = append(locOwner[sl.LocationID], s)
		}
	}
	for _, sc := range d.Schedules {
		sl, ok := parseSlot(&sc)
		if !ok {
			continue
		}
		var owners []int32
		switch {
		case sc.ServiceAtLocationID != "":
			if i, ok := salPos[sc.ServiceAtLocationID]; ok {
				if s, ok := svcPos[d.ServiceAtLocations[i].ServiceID]; ok {
					owners = []int32{s}
				}
			}
		case sc.ServiceID != "":
			if s, ok := svcPos[sc.ServiceID]; ok {
				owners = []int32{s}
			}
		case sc.LocationID != "":
			owners = locOwner[sc.LocationID]
		}
		for _, s := range owners {
			e.open[s] = append(e.open[s], sl)
		}
	}

	for _, a := range d.ServiceAreas {
		s, ok := svcPos[a.ServiceID]
		if !ok {
			continue
		}
		ar := Area{Code: AreaCode(a.URI)}
		if a.Extent != "" && (a.ExtentType == "" || strings.EqualFold(a.ExtentType, "geojson")) {
			if sh, err := geo.ParseShape([]byte(a.Extent)); err == nil {
				ar.Shape = sh
			}
		}
		e.areas[s] = append(e.areas[s], ar)
	}

	byName := make([]int32, n)
	lower := make([]string, n)
	for i := range byName {
		byName[i] = int32(i)
		lower[i] = strings.ToLower(d.Services[i].Name)
	}
	slices.SortFunc(byName, func(a, b int32) int {
		return cmp.Or(strings.Compare(lower[a], lower[b]), strings.Compare(d.Services[a].ID, d.Services[b].ID))
	})
	e.rank = make([]int32, n)
	for r, s := range byName {
		e.rank[s] = int32(r)
	}
	e.pool.New = func() any { return newScratch(n) }
	return e
}

// AreaCode returns the GSS code at the end of an area URI such as
// http://statistics.data.gov.uk/id/statistical-geography/E07000138, or the
// URI itself when it is a bare code, or "" when it ends in no GSS code.
func AreaCode(uri string) string {
	if i := strings.LastIndexAny(uri, "/#:"); i >= 0 {
		uri = uri[i+1:]
	}
	if geo.IsGSSCode(uri) {
		return strings.ToUpper(uri)
	}
	return ""
}

var dayCodes = map[string]time.Weekday{"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday,
	"WE": time.Wednesday, "TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday}

// parseSlot reads the weekly pattern of a schedule. A schedule without
// opening times, or with a frequency other than weekly, says nothing we can
// check against a day and a time, and is skipped.
func parseSlot(sc *directory.Schedule) (slot, bool) {
	if sc.Freq != "" && !strings.EqualFold(sc.Freq, "WEEKLY") {
		return slot{}, false
	}
	o, ok1 := minutes(sc.OpensAt)
	c, ok2 := minutes(sc.ClosesAt)
	if !ok1 || !ok2 {
		return slot{}, false
	}
	s := slot{open: int16(o), close: int16(c)}
	if strings.TrimSpace(sc.ByDay) == "" {
		s.days = 0x7f
	}
	for _, d := range strings.Split(sc.ByDay, ",") {
		d = strings.ToUpper(strings.TrimSpace(d))
		if len(d) > 2 {
			d = d[len(d)-2:] // "1MO" (first Monday) counts as Monday
		}
		if wd, ok := dayCodes[d]; ok {
			s.days |= 1 << wd
		}
	}
	return s, s.days != 0
}

// minutes parses "HH:MM" or "HH:MM:SS" into minutes since midnight;
// "24:00" is the end of the day.
func minutes(s string) (int, bool) {
	if len(s) < 5 || s[2] != ':' {
		return 0, false
	}
	h, m := atoi2(s[0:2]), atoi2(s[3:5])
	if h < 0 || m < 0 || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func atoi2(s string) int {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

// openAt reports whether slot s is open at minute m of weekday d. A slot
// whose closing time is not after its opening time runs past midnight into
// the next day; one that opens and closes at the same time is open all day.
func (s slot) openAt(d time.Weekday, m int) bool {
	on := s.days&(1<<d) != 0
	prev := s.days&(1<<((d+6)%7)) != 0
	o, c := int(s.open), int(s.close)
	switch {
	case o == c:
		return on
	case o < c:
		return on && o <= m && m < c
	default:
		return (on && m >= o) || (prev && m < c)
	}
}

// ServiceAreas returns the declared service areas of service i, in the
// directory's order; an area whose uri holds no code and whose extent is
// not GeoJSON has neither field set.
func (e *Engine) ServiceAreas(i int) []Area { return e.areas[i] }

// NumServices returns how many services the engine indexes.
func (e *Engine) NumServices() int { return e.n }

// Index returns the directory snapshot the engine was built from.
func (e *Engine) Index() *directory.Index { return e.x }

// OpenAt reports whether service i is open at minute m of weekday d, and
// whether its opening hours are known at all.
func (e *Engine) OpenAt(i int, d time.Weekday, m int) (open, known bool) {
	for _, s := range e.open[i] {
		if s.openAt(d, m) {
			return true, true
		}
	}
	return false, len(e.open[i]) > 0
}
