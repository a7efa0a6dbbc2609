package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"throughcare/internal/directory"
	"throughcare/internal/search"
)

// searchPage is the body of GET /api/v1/search: what the query was
// understood as, and one page of ranked results in the HSDS list envelope.
type searchPage struct {
	Query searchEcho `json:"query"`
	Page[searchItem]
}

// searchEcho is what a search was understood as, so a client can show it
// ("within 25 km of Lincoln, Lincolnshire") and build links from it.
// Filters not asked for are left out; sort is the order actually used.
type searchEcho struct {
	Q               string   `json:"q,omitempty"`
	Where           string   `json:"where,omitempty"`
	Place           string   `json:"place,omitempty"`
	Lat             *float64 `json:"lat,omitempty"`
	Lon             *float64 `json:"lon,omitempty"`
	RadiusKm        float64  `json:"radius_km,omitempty"`
	Types           []string `json:"types,omitempty"`
	Needs           []string `json:"needs,omitempty"`
	Age             *int     `json:"age,omitempty"`
	Day             string   `json:"day,omitempty"`
	Time            string   `json:"time,omitempty"`
	Accepting       bool     `json:"accepting,omitempty"`
	Covers          bool     `json:"covers,omitempty"`
	Area            string   `json:"area,omitempty"`
	Org             string   `json:"org,omitempty"`
	IncludeInactive bool     `json:"include_inactive,omitempty"`
	Sort            string   `json:"sort"`
}

// searchItem is one result: the service in the HSDS service list form and
// what the search found out about it.
type searchItem struct {
	Service             directory.Service `json:"service"`
	DistanceM           *int64            `json:"distance_m,omitempty"`
	Score               float64           `json:"score,omitempty"`
	ServiceAtLocationID string            `json:"service_at_location_id,omitempty"`
	Location            *searchLocation   `json:"location,omitempty"`
	Eligibility         []string          `json:"eligibility"`
	ServiceTypes        []string          `json:"service_types"`
}

// searchLocation is where a result is delivered: enough to put it on a map.
type searchLocation struct {
	ID        string   `json:"id"`
	Name      string   `json:"name,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// searchServices answers GET /api/v1/search: the directory search of the
// web site as JSON. search.Engine.ParseRequest reads the parameters, so
// every bad one is a 400 that names it.
func (s *server) searchServices(w http.ResponseWriter, r *http.Request) error {
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	v := s.current()
	req, err := v.e.ParseRequest(r.Context(), p.v, s.cfg.Postcodes, s.cfg.Now())
	if err != nil {
		return err
	}
	res := v.e.Search(req.Query)
	body := searchPage{Query: echo(&req, p.str("area")), Page: Page[searchItem]{
		TotalItems: res.Total,
		TotalPages: (res.Total + req.PerPage - 1) / req.PerPage,
		PageNumber: req.Page,
		Contents:   make([]searchItem, 0, len(res.Hits)),
	}}
	body.FirstPage = req.Page == 1
	body.LastPage = req.Page >= body.TotalPages
	for _, h := range res.Hits {
		body.Contents = append(body.Contents, v.searchItem(h, req.Point != nil))
	}
	body.Size = len(body.Contents)
	body.Empty = body.Size == 0
	return writeJSON(w, body)
}

// echo describes req for the query member of the answer.
func echo(req *search.Request, area string) searchEcho {
	q := &req.Query
	e := searchEcho{
		Q: q.Text, Where: req.Where, Place: req.Place, RadiusKm: req.RadiusKm,
		Types: req.Types, Needs: req.Needs, Age: q.Age,
		Accepting: req.Accepting, Covers: req.Covers, Area: strings.ToUpper(area),
		Org: q.OrganizationID, IncludeInactive: q.IncludeInactive,
	}
	if req.Point != nil {
		e.Lat, e.Lon = &req.Point.Lat, &req.Point.Lon
	}
	if q.Open != nil {
		e.Day = strings.ToLower(q.Open.Day.String())
		e.Time = fmt.Sprintf("%02d:%02d", q.Open.Minute/60, q.Open.Minute%60)
	}
	// The order the engine uses: relevance falls back to distance without
	// keywords when there is a place, and to name without either.
	sort := q.Sort
	if sort == search.ByRelevance && q.Text == "" {
		sort = search.ByDistance
	}
	if sort == search.ByDistance && q.Near == nil {
		sort = search.ByName
	}
	e.Sort = map[search.Sort]string{search.ByRelevance: "relevance", search.ByDistance: "distance", search.ByName: "name"}[sort]
	return e
}

// searchItem renders hit h. Its service-at-location is the nearest located
// one the engine chose; without a place it is the service's first located
// link, or failing that its first link.
func (v *view) searchItem(h search.Hit, located bool) searchItem {
	it := searchItem{Service: v.x.ServiceBrief(h.Service), Eligibility: []string{}, ServiceTypes: []string{}}
	if h.Score > 0 {
		it.Score = math.Round(h.Score*1000) / 1000
	}
	if located && h.Distance >= 0 {
		it.DistanceM = new(int64(math.Round(h.Distance)))
	}
	sal := h.SAL
	if sal < 0 {
		coords := v.coordinates()
		for _, i := range v.x.ServiceAtLocationIDs(it.Service.ID) {
			if sal < 0 || !math.IsNaN(coords[i][0]) && math.IsNaN(coords[sal][0]) {
				sal = i
			}
		}
	}
	if sal >= 0 {
		sl := v.x.ServiceAtLocationAt(sal)
		it.ServiceAtLocationID = sl.ID
		if l, ok := v.x.LocationFlat(sl.LocationID); ok {
			it.Location = &searchLocation{ID: l.ID, Name: l.Name, Latitude: l.Latitude, Longitude: l.Longitude}
		}
	}
	types, elig := v.termCodes(h.Service)
	if types != nil {
		it.ServiceTypes = types
	}
	if elig != nil {
		it.Eligibility = elig
	}
	return it
}
