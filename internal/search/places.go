package search

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"throughcare/internal/geo"
)

// bandSize is the height in degrees of a latitude band of a place index
// (about 5.6 km): thin enough that the longitude span a search reads in
// each band hugs its circle, thick enough that a 25 km search reads only
// about ten bands.
const bandSize = 0.05

func bandOf(lat float64) int32 { return int32(math.Floor(lat / bandSize)) }

// placed is one located service-at-location in a place index.
type placed struct {
	lon, lat float64
	svc      int32
}

// places indexes located service-at-locations for radius searches: bands of
// latitude, each sorted by longitude and packed one after another in one
// array. A search binary-searches every band its circle crosses for the
// longitude span the circle covers there, then reads that span in order,
// so it touches little more than the entries inside the circle and reads
// them from consecutive memory.
type places struct {
	first int32   // band number of the first band
	start []int32 // band first+i is at[start[i]:start[i+1]]
	at    []placed
}

// newPlaces indexes at, which it sorts in place.
func newPlaces(at []placed) *places {
	slices.SortFunc(at, func(a, b placed) int {
		return cmp.Or(cmp.Compare(bandOf(a.lat), bandOf(b.lat)), cmp.Compare(a.lon, b.lon),
			cmp.Compare(a.lat, b.lat), cmp.Compare(a.svc, b.svc))
	})
	ix := &places{at: at}
	if len(at) == 0 {
		return ix
	}
	ix.first = bandOf(at[0].lat)
	last := bandOf(at[len(at)-1].lat)
	ix.start = make([]int32, int(last-ix.first)+2)
	for _, p := range at {
		ix.start[bandOf(p.lat)-ix.first+1]++
	}
	for i := 1; i < len(ix.start); i++ {
		ix.start[i] += ix.start[i-1]
	}
	return ix
}

// circle is the flat-earth filter of a radius search. Distances are
// estimated on a plane scaled for the highest latitude the circle reaches,
// which never overstates a distance by more than the 5% margin allowed in
// limit2, so no location within the radius is missed. The exact
// great-circle check runs later, and only on services that pass the
// cheaper filters.
type circle struct {
	p              geo.Point
	kx, ky         float64 // metres per degree of longitude and latitude
	limit2         float64 // squared flat distance beyond which a location is out
	minLat, maxLat float64 // the latitudes the circle spans
}

func newCircle(p geo.Point, radius float64) circle {
	b := geo.BBoxAround(p, radius)
	ky := geo.EarthRadius * math.Pi / 180
	limit := radius * 1.05
	return circle{
		p: p, ky: ky, kx: ky * math.Cos(max(math.Abs(b.MinLat), math.Abs(b.MaxLat))*math.Pi/180),
		limit2: limit * limit, minLat: b.MinLat, maxLat: b.MaxLat,
	}
}

// holds reports whether a location at lat, lon passes the filter.
func (c *circle) holds(lat, lon float64) bool {
	dx, dy := (lon-c.p.Lon)*c.kx, (lat-c.p.Lat)*c.ky
	return dx*dx+dy*dy <= c.limit2
}

// span is a run of one place index's entries that a radius search reads.
type span struct {
	ix       *places
	from, to int32
}

// spans appends to dst the runs of ix that may hold locations within c:
// in each band the circle crosses, the entries whose longitude lies within
// the circle's half-width at the band's latitude nearest the centre.
func (ix *places) spans(c *circle, dst []span) []span {
	if len(ix.at) == 0 {
		return dst
	}
	lo := max(bandOf(c.minLat), ix.first)
	hi := min(bandOf(c.maxLat), ix.first+int32(len(ix.start))-2)
	for b := lo; b <= hi; b++ {
		from, to := ix.start[b-ix.first], ix.start[b-ix.first+1]
		if from == to {
			continue
		}
		south, north := float64(b)*bandSize, float64(b+1)*bandSize
		dy := max(south-c.p.Lat, c.p.Lat-north, 0) * c.ky
		if dy*dy > c.limit2 {
			continue
		}
		half := math.Inf(1)
		if c.kx > 0 {
			half = math.Sqrt(c.limit2-dy*dy) / c.kx
		}
		band := ix.at[from:to]
		i, _ := slices.BinarySearchFunc(band, c.p.Lon-half, func(p placed, lon float64) int { return cmp.Compare(p.lon, lon) })
		j, _ := slices.BinarySearchFunc(band[i:], c.p.Lon+half, func(p placed, lon float64) int {
			if p.lon <= lon {
				return -1
			}
			return 1
		})
		if j > 0 {
			dst = append(dst, span{ix, from + int32(i), from + int32(i+j)})
		}
	}
	return dst
}

// typePlaces is the place index of the services of one taxonomy term, built
// the first time a search asks for that term as a service type.
type typePlaces struct {
	once sync.Once
	ix   *places // nil when the term is too broad to be worth its own index
}

// placesOf returns the place index of the services tagged with term or a
// descendant, or nil when the term tags nothing or tags so many located
// services that reading the whole index and checking each service's tags
// costs little more than reading an index of its own.
func (e *Engine) placesOf(term string) *places {
	tp := e.typePlaces[term]
	if tp == nil {
		return nil
	}
	tp.once.Do(func() {
		bits := e.tagged[term]
		var at []placed
		for _, p := range e.places.at {
			if has(bits, p.svc) {
				at = append(at, p)
			}
		}
		if len(at) <= len(e.places.at)/2 {
			tp.ix = newPlaces(slices.Clip(at))
		}
	})
	return tp.ix
}
