package search

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"throughcare/internal/geo"
)

// Sort orders results.
type Sort int

const (
	// ByRelevance ranks by how well the keywords match, nearest first among
	// equals, then by name. Without keywords it is ByDistance when a point
	// is given and ByName otherwise.
	ByRelevance Sort = iota
	// ByDistance puts the nearest first; it needs Near.
	ByDistance
	// ByName sorts alphabetically.
	ByName
)

// OpenAt asks for services open at a time in the week.
type OpenAt struct {
	Day    time.Weekday
	Minute int // minutes since midnight, 0 to 1439
}

// Query is everything a search can ask. The zero Query finds every active
// service, by name.
type Query struct {
	Text string // keywords; every one (or a synonym) must match

	Types      []string // taxonomy term ids: the service has at least one (or a descendant)
	Attributes []string // taxonomy term ids: the service has every one

	Age  *int    // the service accepts a person of this age
	Open *OpenAt // the service is open then (services with no known hours are left out)

	Near   *geo.Point // distances are measured from here
	Radius float64    // with Near: only services with a location within this many metres (0: no limit)

	// Covers asks for services whose declared service area holds this point
	// or is one of these area codes (GSS codes of local authorities, ICBs,
	// regions and so on).
	CoversPoint *geo.Point
	CoversCodes []string

	OrganizationID  string
	IncludeInactive bool // also inactive, defunct and temporarily closed services

	Sort          Sort
	Offset, Limit int // Limit 0 means 20
}

// Hit is one matching service.
type Hit struct {
	Service  int     // position in the directory's services
	SAL      int     // the nearest service-at-location with coordinates, or -1
	Distance float64 // metres from Near to that location, or -1
	Score    float64 // keyword relevance; 0 without keywords
}

// Result is one page of hits and the total number of matches.
type Result struct {
	Total int
	Hits  []Hit
}

// scratch is per-query working memory, pooled so a search allocates little.
type scratch struct {
	epoch []uint32
	cur   uint32
	cands []int32
	hits  []Hit
	spans []span
}

func newScratch(n int) any {
	return &scratch{epoch: make([]uint32, n)}
}

// next starts a new query: marks from earlier queries become stale.
func (s *scratch) next() {
	s.cur++
	if s.cur == 0 { // wrapped: clear for real
		clear(s.epoch)
		s.cur = 1
	}
	s.cands = s.cands[:0]
	s.hits = s.hits[:0]
}

// Search runs q.
func (e *Engine) Search(q Query) Result {
	sc := e.pool.Get().(*scratch)
	defer e.pool.Put(sc)
	sc.next()

	var (
		fl  flat
		org origin
	)
	if q.Near != nil {
		fl = newFlat(*q.Near, q.Radius)
		org = newOrigin(*q.Near)
	}
	cls, ok := e.compile(clauses(analyse(q.Text)))
	if !ok {
		return Result{} // a keyword nobody uses matches nothing
	}
	var types, attrs [][]uint64
	for _, t := range q.Types {
		if b := e.tagged[t]; b != nil {
			types = append(types, b)
		}
	}
	if len(q.Types) > 0 && len(types) == 0 {
		return Result{}
	}
	for _, a := range q.Attributes {
		b := e.tagged[a]
		if b == nil {
			return Result{}
		}
		attrs = append(attrs, b)
	}
	coversCodes := map[string]bool{}
	for _, c := range q.CoversCodes {
		coversCodes[strings.ToUpper(c)] = true
	}
	covers := q.CoversPoint != nil || len(coversCodes) > 0

	// Choose what to walk: the places within the radius, the documents of
	// the rarest keyword clause, or every service.
	geoDriven := q.Near != nil && q.Radius > 0
	var (
		circ      circle
		radiusLen int
		typed     bool
	)
	if geoDriven {
		circ = newCircle(*q.Near, q.Radius)
		radiusLen, typed = e.radiusSpans(sc, &circ, q.Types)
	}
	textDriver := -1
	if len(cls) > 0 {
		best := math.MaxInt
		for i, c := range cls {
			if est := e.clauseSize(c); est < best {
				best, textDriver = est, i
			}
		}
		if geoDriven && radiusLen > best {
			geoDriven = false
		}
	}
	switch {
	case geoDriven && typed:
		e.withinRadius(sc, &circ, nil)
	case geoDriven:
		e.withinRadius(sc, &circ, types)
	case textDriver >= 0:
		e.clauseDocs(sc, cls[textDriver])
	default:
		for i := range e.n {
			sc.cands = append(sc.cands, int32(i))
		}
	}

	for _, s := range sc.cands {
		if !q.IncludeInactive && e.inactive[s] {
			continue
		}
		if q.OrganizationID != "" && e.orgOf[s] != q.OrganizationID {
			continue
		}
		if len(types) > 0 && !slices.ContainsFunc(types, func(b []uint64) bool { return has(b, s) }) {
			continue
		}
		if slices.ContainsFunc(attrs, func(b []uint64) bool { return !has(b, s) }) {
			continue
		}
		if q.Age != nil && (float64(*q.Age) < e.minAge[s] || float64(*q.Age) > e.maxAge[s]) {
			continue
		}
		if q.Open != nil {
			if open, _ := e.OpenAt(int(s), q.Open.Day, q.Open.Minute); !open {
				continue
			}
		}
		if covers && !e.covers(s, q.CoversPoint, coversCodes) {
			continue
		}
		h := Hit{Service: int(s), SAL: -1, Distance: -1}
		if q.Near != nil {
			h.SAL, h.Distance = e.nearestFlat(s, &fl)
			if q.Radius > 0 {
				// The flat estimate decides clear cases; near the edge the
				// great-circle distance does.
				if h.Distance < 0 || h.Distance > q.Radius*(1+fl.margin) {
					continue
				}
				if h.Distance > q.Radius*(1-fl.margin) {
					if h.SAL, h.Distance = e.nearest(s, &org); h.Distance > q.Radius {
						continue
					}
				}
			}
		} else if ls := e.locsOf(s); len(ls) > 0 {
			h.SAL = int(ls[0].sal)
		}
		if len(cls) > 0 {
			score, ok := e.score(s, cls)
			if !ok {
				continue
			}
			h.Score = score
		}
		sc.hits = append(sc.hits, h)
	}
	res := e.page(sc.hits, q)
	if q.Near != nil {
		// Report great-circle distances for the hits shown.
		for i := range res.Hits {
			res.Hits[i].SAL, res.Hits[i].Distance = e.nearest(int32(res.Hits[i].Service), &org)
		}
	}
	return res
}

// distKey is what a hit's distance sorts by: services with no location
// sort last.
func distKey(h Hit) float64 {
	if h.Distance < 0 {
		return math.Inf(1)
	}
	return h.Distance
}

func has(b []uint64, s int32) bool { return b[s/64]&(1<<(s%64)) != 0 }

func (e *Engine) page(hits []Hit, q Query) Result {
	sort := q.Sort
	if sort == ByRelevance && q.Text == "" {
		sort = ByName
		if q.Near != nil {
			sort = ByDistance
		}
	}
	if sort == ByDistance && q.Near == nil {
		sort = ByName
	}
	// Later keys are compared only on a tie, as most pairs differ in the
	// first.
	rank := e.rank
	var less func(a, b Hit) int
	switch sort {
	case ByDistance:
		less = func(a, b Hit) int {
			if c := cmp.Compare(distKey(a), distKey(b)); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			return cmp.Compare(rank[a.Service], rank[b.Service])
		}
	case ByName:
		less = func(a, b Hit) int { return cmp.Compare(rank[a.Service], rank[b.Service]) }
	default:
		less = func(a, b Hit) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			if c := cmp.Compare(distKey(a), distKey(b)); c != 0 {
				return c
			}
			return cmp.Compare(rank[a.Service], rank[b.Service])
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	offset := max(q.Offset, 0)
	res := Result{Total: len(hits)}
	if offset >= len(hits) {
		return res
	}
	end := min(offset+limit, len(hits))
	topK(hits, end, less)
	res.Hits = slices.Clone(hits[offset:end])
	return res
}

// topK moves the k least elements of hs, in order, to its front. It sorts
// fully when k is a large share of hs, and otherwise keeps a bounded
// max-heap, which is O(n log k).
func topK(hs []Hit, k int, less func(a, b Hit) int) {
	if k*4 >= len(hs) {
		slices.SortFunc(hs, less)
		return
	}
	// hs[:k] as a max-heap under less.
	down := func(i, n int) {
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			m := l
			if r := l + 1; r < n && less(hs[r], hs[l]) > 0 {
				m = r
			}
			if less(hs[m], hs[i]) <= 0 {
				return
			}
			hs[i], hs[m] = hs[m], hs[i]
			i = m
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i, k)
	}
	for j := k; j < len(hs); j++ {
		if less(hs[j], hs[0]) < 0 {
			hs[0], hs[j] = hs[j], hs[0]
			down(0, k)
		}
	}
	slices.SortFunc(hs[:k], less)
}

// weight returns the weight of term t in service s, or 0.
func (e *Engine) weight(s int32, t int32) float32 {
	dt := e.docs[s]
	lo, hi := 0, len(dt)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if dt[m].term < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(dt) && dt[lo].term == t {
		return dt[lo].w
	}
	return 0
}

// cclause is a clause with its words resolved to term ids; phrases holding
// a word the index lacks are dropped, since no service can match them, and
// so are phrases that stem to the same words as one kept already (the one
// typed is kept first, as it scores highest).
type cclause struct {
	phrases [][]int32
	literal int // index in phrases of the phrase typed, or -1
}

// compile resolves the words of cls; ok is false when some clause can match
// nothing at all.
func (e *Engine) compile(cls []clause) ([]cclause, bool) {
	// One array holds the term ids of every phrase, and one the phrases of
	// every clause: a search allocates little.
	words, phrases := 0, 0
	for _, c := range cls {
		phrases += len(c.phrases)
		for _, p := range c.phrases {
			words += len(p)
		}
	}
	idBuf := make([]int32, 0, words)
	phraseBuf := make([][]int32, 0, phrases)
	out := make([]cclause, 0, len(cls))
	for _, c := range cls {
		cc := cclause{literal: -1}
		start := len(phraseBuf)
		add := func(p []string) bool {
			at := len(idBuf)
			for _, st := range p {
				id, ok := e.vocab[st]
				if !ok {
					idBuf = idBuf[:at]
					return false
				}
				idBuf = append(idBuf, id)
			}
			ids := idBuf[at:len(idBuf):len(idBuf)]
			if slices.ContainsFunc(phraseBuf[start:], func(q []int32) bool { return slices.Equal(q, ids) }) {
				idBuf = idBuf[:at]
				return false
			}
			phraseBuf = append(phraseBuf, ids)
			return true
		}
		if c.literal >= 0 && c.literal < len(c.phrases) && add(c.phrases[c.literal]) {
			cc.literal = 0
		}
		for i, p := range c.phrases {
			if i != c.literal {
				add(p)
			}
		}
		if len(phraseBuf) == start {
			return nil, false
		}
		cc.phrases = phraseBuf[start:len(phraseBuf):len(phraseBuf)]
		out = append(out, cc)
	}
	return out, true
}

// synonymFactor discounts a match on a synonym against one on the word the
// user typed.
const synonymFactor = 0.7

// score is the sum over clauses of the best-matching phrase's BM25-style
// score (a phrase scores the mean of its words, so a two-word synonym counts
// as one concept); ok is false when some clause does not match at all.
func (e *Engine) score(s int32, cls []cclause) (float64, bool) {
	const k1 = 1.2
	var total float64
	for _, c := range cls {
		best := -1.0
	phrases:
		for pi, p := range c.phrases {
			var sum float64
			for _, id := range p {
				w := e.weight(s, id)
				if w == 0 {
					continue phrases
				}
				sum += float64(e.idf[id]) * float64(w) * (k1 + 1) / (float64(w) + k1)
			}
			sum /= float64(len(p))
			if pi != c.literal {
				sum *= synonymFactor
			}
			best = max(best, sum)
		}
		if best < 0 {
			return 0, false
		}
		total += best
	}
	return total, true
}

// rarest returns the term of phrase p with the fewest documents.
func (e *Engine) rarest(p []int32) int32 {
	best := p[0]
	for _, id := range p[1:] {
		if len(e.post[id]) < len(e.post[best]) {
			best = id
		}
	}
	return best
}

// clauseSize estimates how many documents satisfy c.
func (e *Engine) clauseSize(c cclause) int {
	n := 0
	for _, p := range c.phrases {
		n += len(e.post[e.rarest(p)])
	}
	return n
}

// clauseDocs collects the documents that may satisfy c (those holding the
// rarest word of one of its phrases) as candidates, once each.
func (e *Engine) clauseDocs(sc *scratch, c cclause) {
	for _, p := range c.phrases {
		for _, ps := range e.post[e.rarest(p)] {
			if sc.epoch[ps.doc] != sc.cur {
				sc.epoch[ps.doc] = sc.cur
				sc.cands = append(sc.cands, ps.doc)
			}
		}
	}
}

// radiusSpans puts in sc.spans the runs of place index entries a radius
// search reads, and returns how many entries they hold. With service types
// asked for, it reads the types' own indexes when they all have one, and
// typed is then true: every entry belongs to a service of one of them.
func (e *Engine) radiusSpans(sc *scratch, c *circle, types []string) (size int, typed bool) {
	sc.spans = sc.spans[:0]
	typed = len(types) > 0
	for _, t := range types {
		if e.tagged[t] == nil {
			continue // tags nothing: Search leaves it out
		}
		ix := e.placesOf(t)
		if ix == nil {
			typed = false
			break
		}
		sc.spans = ix.spans(c, sc.spans)
	}
	if !typed {
		sc.spans = e.places.spans(c, sc.spans[:0])
	}
	for _, s := range sc.spans {
		size += int(s.to - s.from)
	}
	return size, typed
}

// withinRadius collects, once each, the services with a location in
// sc.spans that may lie within c. With types given, services of none of
// them are skipped here already, which is cheaper than collecting them.
func (e *Engine) withinRadius(sc *scratch, c *circle, types [][]uint64) {
	for _, s := range sc.spans {
		at := s.ix.at[s.from:s.to]
		for i := range at {
			p := &at[i]
			if !c.holds(p.lat, p.lon) || sc.epoch[p.svc] == sc.cur {
				continue
			}
			if len(types) > 0 && !hasAny(types, p.svc) {
				continue
			}
			sc.epoch[p.svc] = sc.cur
			sc.cands = append(sc.cands, p.svc)
		}
	}
}

// hasAny reports whether service s is set in any of the bitsets.
func hasAny(bitsets [][]uint64, s int32) bool {
	for _, b := range bitsets {
		if has(b, s) {
			return true
		}
	}
	return false
}

// flat measures distances from one point on a plane scaled for its
// latitude: accurate to a fraction of a percent over tens of kilometres, and
// far cheaper than the great-circle formula. margin is the relative error it
// may make within the radius asked for.
type flat struct {
	p      geo.Point
	kx, ky float64
	margin float64
}

func newFlat(p geo.Point, radius float64) flat {
	ky := geo.EarthRadius * math.Pi / 180
	return flat{p: p, ky: ky, kx: ky * math.Cos(p.Lat*math.Pi/180), margin: 0.02 + radius/2e6}
}

// dist2 is the square of the estimated distance to q.
func (f *flat) dist2(q geo.Point) float64 {
	dx, dy := (q.Lon-f.p.Lon)*f.kx, (q.Lat-f.p.Lat)*f.ky
	return dx*dx + dy*dy
}

// locsOf returns the located service-at-locations of service s.
func (e *Engine) locsOf(s int32) []loc { return e.locs[e.locStart[s]:e.locStart[s+1]] }

// nearestFlat is nearest by the flat estimate.
func (e *Engine) nearestFlat(s int32, f *flat) (int, float64) {
	sal, d2 := -1, -1.0
	ls := e.locsOf(s)
	for i := range ls {
		l := &ls[i]
		if d := f.dist2(l.p); d2 < 0 || d < d2 {
			sal, d2 = int(l.sal), d
		}
	}
	if sal < 0 {
		return -1, -1
	}
	return sal, math.Sqrt(d2)
}

// nearest returns the nearest located service-at-location of s and its
// distance from o, or -1, -1.
func (e *Engine) nearest(s int32, o *origin) (int, float64) {
	sal, dist := -1, -1.0
	ls := e.locsOf(s)
	for i := range ls {
		l := &ls[i]
		if d := o.distance(l); dist < 0 || d < dist {
			sal, dist = int(l.sal), d
		}
	}
	return sal, dist
}

func newLoc(sal int32, p geo.Point) loc {
	phi := p.Lat * math.Pi / 180
	return loc{sal: sal, p: p, phi: phi, cosPhi: math.Cos(phi)}
}

// origin is a point distances are measured from, with the parts of the
// great-circle formula that depend on it alone worked out once.
type origin struct {
	p           geo.Point
	phi, cosPhi float64
}

func newOrigin(p geo.Point) origin {
	phi := p.Lat * math.Pi / 180
	return origin{p: p, phi: phi, cosPhi: math.Cos(phi)}
}

// distance returns geo.Distance(o.p, l.p), to the bit: the same haversine
// formula, evaluated in the same order, with the cosines of both latitudes
// taken from o and l instead of computed again.
func (o *origin) distance(l *loc) float64 {
	dphi := l.phi - o.phi
	dlam := (l.p.Lon - o.p.Lon) * math.Pi / 180
	a, b := math.Sin(dphi/2), math.Sin(dlam/2)
	h := a*a + o.cosPhi*l.cosPhi*b*b
	h = min(h, 1)
	return 2 * geo.EarthRadius * math.Asin(math.Sqrt(h))
}

// covers reports whether a service area of s holds p or has one of codes.
func (e *Engine) covers(s int32, p *geo.Point, codes map[string]bool) bool {
	for _, a := range e.areas[s] {
		if a.Code != "" && codes[a.Code] {
			return true
		}
		if p != nil && a.Shape != nil && a.Shape.Contains(*p) {
			return true
		}
	}
	return false
}
