package api

import (
	"cmp"
	"math"
	"net/http"
	"slices"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

// minimalService is a service as minimal=true lists it: enough to tell
// whether a copy is out of date (HSDS asks for id and modification date;
// name and status are kept because the service list schema requires them).
type minimalService struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	LastModified string `json:"last_modified,omitempty"`
}

// listServices answers GET /services: services in the HSDS list form,
// filtered, in name order.
func (s *server) listServices(w http.ResponseWriter, r *http.Request) error {
	v := s.current()
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	q := p.serviceQuery(v.x)
	full, minimal := p.boolean("full"), p.boolean("minimal")
	perPage := defaultPerPage
	if minimal {
		perPage = maxPerPage // HSDS: aim to return every service in one call
	}
	pg, format := p.paging(perPage), p.format()
	if p.err == nil && full && minimal {
		p.fail("minimal", "cannot be combined with full")
	}
	if p.err != nil {
		return p.err
	}
	if len(q.words) > 0 {
		q.stemmed = v.stemmed(q.text, nil, 0)
	}
	idx := v.services(&q)
	fullService := func(i int) any { return v.fullService(i) }
	switch {
	case minimal:
		return list(s, w, r, format, pg, idx, func(i int) any {
			sv := v.x.ServiceAt(i)
			return minimalService{ID: sv.ID, Name: sv.Name, Status: sv.Status, LastModified: sv.LastModified}
		}, fullService)
	case full:
		return list(s, w, r, format, pg, idx, fullService, fullService)
	default:
		return list(s, w, r, format, pg, idx, func(i int) any { return v.x.ServiceBrief(i) }, fullService)
	}
}

// fullService returns service i fully nested.
func (v *view) fullService(i int) directory.Service {
	sv, _ := v.x.Service(v.x.ServiceAt(i).ID)
	return sv
}

// getService answers GET /services/{id}: one service, fully nested.
func (s *server) getService(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	sv, ok := s.index().Service(id)
	if !ok || !directory.ValidUUID(id) {
		return apperr.Errorf(apperr.NotFound, "there is no service with this id")
	}
	return writeJSON(w, sv)
}

// listServiceAtLocations answers GET /service_at_locations: the links
// between services and locations whose service passes the service filters,
// each with its location and service nested. With a point (lat and lon, or
// a postcode), only links whose location has coordinates are listed,
// nearest first, proximity limits how far away they may be, and a service
// that declares service areas is listed only if the place is in one.
func (s *server) listServiceAtLocations(w http.ResponseWriter, r *http.Request) error {
	v := s.current()
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	q := p.serviceQuery(v.x)
	pt := p.point()
	full := p.boolean("full")
	pg, format := p.paging(defaultPerPage), p.format()
	if p.err != nil {
		return p.err
	}
	if err := locate(r.Context(), &pt, s.cfg.Postcodes); err != nil {
		return err
	}
	idx := v.serviceAtLocations(&q, &pt)
	fullItem := func(i int) directory.ServiceAtLocation { return v.fullServiceAtLocation(i) }
	if full {
		return list(s, w, r, format, pg, idx, fullItem, fullItem)
	}
	return list(s, w, r, format, pg, idx, func(i int) directory.ServiceAtLocation {
		return v.x.ServiceAtLocationNested(i, true)
	}, fullItem)
}

// maxEngineRadius is the largest proximity, in metres, answered from the
// search engine's index of places. Beyond it the circle covers so much of
// the country that a scan of every link is as quick.
const maxEngineRadius = search.MaxRadiusKm * 1000

// engineCircle reports whether the search engine should find what lies
// within pt's radius: the radius is local, and the circle neither reaches
// a pole nor crosses the 180° meridian, where the engine's quick distance
// test does not wrap longitudes. (Neither happens in England; the scan
// answers such circles exactly.)
func engineCircle(pt *point) bool {
	if !pt.hasPoint || !pt.hasRadius || pt.radius > maxEngineRadius {
		return false
	}
	b := geo.BBoxAround(pt.geo(), pt.radius)
	return b.MinLon > -180 || b.MaxLon < 180
}

// serviceAtLocations returns the positions of the links matching q and pt,
// in service name order or, with a point, by distance. Distance is checked
// before the service filters, as it rules out most links cheaply.
func (v *view) serviceAtLocations(q *serviceQuery, pt *point) []int {
	const unknown, yes, no = 0, 1, 2
	var seen []uint8 // per service, the filters' verdict once known
	if !q.empty() || pt.hasPoint {
		seen = make([]uint8, v.x.NumServices())
	}
	if len(q.words) > 0 {
		var near *geo.Point
		if engineCircle(pt) {
			near = new(pt.geo())
		}
		q.stemmed = v.stemmed(q.text, near, pt.radius)
	}
	matches := func(i int) bool {
		if seen == nil {
			return true
		}
		svc := v.salSvc[i]
		if seen[svc] == unknown {
			seen[svc] = no
			if v.matchService(int(svc), q) && (!pt.hasPoint || v.mayServe(int(svc), pt.geo(), pt.codes)) {
				seen[svc] = yes
			}
		}
		return seen[svc] == yes
	}
	if !pt.hasPoint {
		var out []int
		for _, i := range v.salOrder {
			if matches(i) {
				out = append(out, i)
			}
		}
		return out
	}

	type near struct {
		i    int
		dist float64
	}
	var hits []near
	coords := v.coordinates()
	check := func(i int) {
		c := coords[i]
		if math.IsNaN(c[0]) {
			return
		}
		d := distance(pt.lat, pt.lon, c[0], c[1])
		if pt.hasRadius && d > pt.radius || !matches(i) {
			return
		}
		hits = append(hits, near{i, d})
	}
	if engineCircle(pt) {
		// The engine finds the services with a location in the circle from
		// its index of places; their links are then measured one by one.
		res := v.e.Search(search.Query{Near: new(pt.geo()), Radius: pt.radius, IncludeInactive: true, Limit: max(v.x.NumServices(), 1)})
		for _, h := range res.Hits {
			for _, i := range v.svcLinks[h.Service] {
				check(int(i))
			}
		}
	} else {
		// A box around the point rules out most links before any
		// trigonometry: no point further in latitude than the radius is
		// within it, and none further in longitude than the radius at the
		// box's widest parallel.
		maxDLat, maxDLon := math.Inf(1), math.Inf(1)
		if pt.hasRadius {
			maxDLat = pt.radius / earthRadius * 180 / math.Pi
			if widest := math.Abs(pt.lat) + maxDLat; widest < 89 {
				maxDLon = maxDLat / math.Cos(widest*math.Pi/180)
			}
		}
		for _, i := range v.salOrder {
			c := coords[i]
			if math.IsNaN(c[0]) || math.Abs(c[0]-pt.lat) > maxDLat {
				continue
			}
			if dLon := math.Abs(c[1] - pt.lon); min(dLon, 360-dLon) > maxDLon {
				continue
			}
			check(i)
		}
	}
	// Equal distances keep the service name order.
	slices.SortFunc(hits, func(a, b near) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(v.salRank[a.i], v.salRank[b.i]))
	})
	out := make([]int, len(hits))
	for k, h := range hits {
		out[k] = h.i
	}
	return out
}

// fullServiceAtLocation returns link i with its location and its service
// fully nested.
func (v *view) fullServiceAtLocation(i int) directory.ServiceAtLocation {
	sl := v.x.ServiceAtLocationNested(i, false)
	if j := v.salSvc[i]; j >= 0 {
		sv := v.fullService(int(j))
		sl.Service = &sv
	}
	return sl
}

// getServiceAtLocation answers GET /service_at_locations/{id}: one link,
// with its location and its service fully nested.
func (s *server) getServiceAtLocation(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	x := s.index()
	sl, ok := x.ServiceAtLocation(id, false)
	if !ok || !directory.ValidUUID(id) {
		return apperr.Errorf(apperr.NotFound, "there is no service_at_location with this id")
	}
	if sv, ok := x.Service(sl.ServiceID); ok {
		sl.Service = &sv
	}
	return writeJSON(w, sl)
}
