package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"throughcare/internal/search"
)

// searchHead is the body of GET /api/v1/search without its contents: what
// the query was understood as, and the HSDS list envelope. The contents
// (searchItem) are appended to it as JSON; see searchServices.
type searchHead struct {
	Query      searchEcho `json:"query"`
	TotalItems int        `json:"total_items"`
	TotalPages int        `json:"total_pages"`
	PageNumber int        `json:"page_number"`
	Size       int        `json:"size"`
	FirstPage  bool       `json:"first_page"`
	LastPage   bool       `json:"last_page"`
	Empty      bool       `json:"empty"`
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

// A result in the contents of GET /api/v1/search is an object with these
// members, in this order (searchServices writes them):
//
//	service                 the service in the HSDS service list form
//	distance_m              metres to its nearest located link; only with a place
//	score                   keyword relevance; only with keywords
//	service_at_location_id  see view.searchLink
//	location                that link's location, as a searchLocation
//	eligibility             its eligibility codes, sorted
//	service_types           its service-type codes, sorted

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
//
// The body is assembled rather than encoded whole: each service's JSON is
// kept from one request to the next (see view.brief), as encoding the
// services would otherwise cost more than the search itself.
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
	head := searchHead{
		Query:      echo(&req, p.str("area")),
		TotalItems: res.Total,
		TotalPages: (res.Total + req.PerPage - 1) / req.PerPage,
		PageNumber: req.Page,
		FirstPage:  req.Page == 1,
		Size:       len(res.Hits),
		Empty:      len(res.Hits) == 0,
	}
	head.LastPage = req.Page >= head.TotalPages

	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(head); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 2) // reopen the object: drop "}\n"
	buf.WriteString(`,"contents":[`)
	var num []byte
	for k, h := range res.Hits {
		if k > 0 {
			buf.WriteByte(',')
		}
		b := v.brief(h.Service)
		buf.WriteString(`{"service":`)
		buf.Write(b.json)
		if req.Point != nil && h.Distance >= 0 {
			buf.WriteString(`,"distance_m":`)
			buf.Write(strconv.AppendInt(num[:0], int64(math.Round(h.Distance)), 10))
		}
		if h.Score > 0 {
			buf.WriteString(`,"score":`)
			num = appendScore(num[:0], h.Score)
			buf.Write(num)
		}
		sal := h.SAL
		if sal < 0 {
			sal = b.firstLink
		}
		if sal >= 0 {
			buf.Write(v.searchLink(sal))
		}
		buf.Write(b.codes)
		buf.WriteByte('}')
	}
	buf.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// bodyBuffers holds buffers for search answers, which are tens of
// kilobytes each: allocating one a request would keep the garbage
// collector busy under load.
var bodyBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 32<<10)) }}

// putBodyBuffer returns buf to bodyBuffers unless an unusually large answer
// has grown it.
func putBodyBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 256<<10 {
		bodyBuffers.Put(buf)
	}
}

// appendScore appends a keyword score, rounded to three decimals, as JSON.
// Scores are positive and far from the range where encoding/json would
// switch to an exponent, so plain decimals are what it would write too.
//
// It writes the whole thousandths as an integer with a decimal point put
// in, which is what the shortest decimal that reads back as
// math.Round(score*1000)/1000 is: floats lie far closer together than a
// thousandth at these magnitudes, so no other decimal of three places or
// fewer reads back as the same float. Unusual values go the long way.
func appendScore(dst []byte, score float64) []byte {
	m := math.Round(score * 1000)
	if !(m >= 0 && m < 1e12) {
		return strconv.AppendFloat(dst, m/1000, 'f', -1, 64)
	}
	n := int64(m)
	dst = strconv.AppendInt(dst, n/1000, 10)
	frac := n % 1000
	if frac == 0 {
		return dst
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	end := 3
	for digits[end-1] == '0' {
		end--
	}
	dst = append(dst, '.')
	return append(dst, digits[:end]...)
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
	switch sort {
	case search.ByRelevance:
		e.Sort = "relevance"
	case search.ByDistance:
		e.Sort = "distance"
	case search.ByName:
		e.Sort = "name"
	}
	return e
}

// brief is what a search result shows of a service whatever the query,
// already as JSON.
type brief struct {
	json      []byte // the service in the HSDS service list form
	codes     []byte // `,"eligibility":[…],"service_types":[…]`
	firstLink int    // its first located service-at-location, else its first, else -1
}

// maxKeptBytes bounds the JSON kept by view.brief and view.searchLink for
// one snapshot, so a client paging through the whole directory cannot make
// the server hold a second copy of it. Popular services are asked for
// first and stay kept.
const maxKeptBytes = 16 << 20

// keep reports whether n more bytes of JSON may be kept for this snapshot.
func (v *view) keep(n int) bool { return v.keptBytes.Add(int64(n)) <= maxKeptBytes }

// encodeJSON returns x as JSON without HTML escaping or a final newline.
func encodeJSON(x any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		// Records of strings and numbers, and pointers to them: encoding
		// cannot fail.
		panic(fmt.Sprintf("api: encoding %T: %v", x, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// brief returns service i's brief, kept for the snapshot's later requests
// while the kept JSON stays under maxKeptBytes.
func (v *view) brief(i int) *brief {
	v.briefOnce.Do(func() { v.briefs = make([]atomic.Pointer[brief], v.x.NumServices()) })
	if b := v.briefs[i].Load(); b != nil {
		return b
	}
	types, elig := v.termCodes(i)
	b := &brief{
		json: encodeJSON(v.x.ServiceBrief(i)),
		codes: encodeJSON(struct {
			Eligibility  []string `json:"eligibility"`
			ServiceTypes []string `json:"service_types"`
		}{append([]string{}, elig...), append([]string{}, types...)}),
		firstLink: -1,
	}
	b.codes[0] = ',' // members to follow others, not an object
	b.codes = b.codes[:len(b.codes)-1]
	coords := v.coordinates()
	for _, j := range v.x.ServiceAtLocationIDs(v.x.ServiceAt(i).ID) {
		if b.firstLink < 0 || !math.IsNaN(coords[j][0]) && math.IsNaN(coords[b.firstLink][0]) {
			b.firstLink = j
		}
	}
	if v.keep(len(b.json) + len(b.codes)) {
		v.briefs[i].Store(b)
	}
	return b
}

// searchLink returns the members of a result that name service-at-location
// i and its location, `,"service_at_location_id":…,"location":{…}`, kept
// like briefs. The link is the nearest located one the engine chose or,
// without a place, the service's first located link, or failing that its
// first link.
func (v *view) searchLink(i int) []byte {
	v.linkOnce.Do(func() { v.links = make([]atomic.Pointer[[]byte], v.x.NumServiceAtLocations()) })
	if b := v.links[i].Load(); b != nil {
		return *b
	}
	sl := v.x.ServiceAtLocationAt(i)
	link := struct {
		ID       string          `json:"service_at_location_id"`
		Location *searchLocation `json:"location,omitempty"`
	}{ID: sl.ID}
	if l, ok := v.x.LocationFlat(sl.LocationID); ok {
		link.Location = &searchLocation{ID: l.ID, Name: l.Name, Latitude: l.Latitude, Longitude: l.Longitude}
	}
	b := encodeJSON(link)
	b[0] = ','
	b = b[:len(b)-1]
	if v.keep(len(b)) {
		v.links[i].Store(&b)
	}
	return b
}
