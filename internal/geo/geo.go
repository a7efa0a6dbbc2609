// Package geo holds the geography the directory needs, with no database or
// HTTP: points and great-circle distances, bounding boxes, polygons read from
// GeoJSON, the areas services cover (probation regions, Probation Delivery
// Units, local authorities, Integrated Care Boards), UK postcodes, a
// streaming reader for the ONS Postcode Directory (ONSPD), ONS code lists and
// a small built-in gazetteer of English towns.
//
// Coordinates are WGS84 degrees. GeoJSON positions are [longitude, latitude]
// while Point is {Lat, Lon}; the parsers do the swap.
package geo

import (
	"fmt"
	"math"
)

// EarthRadius is the mean radius of the Earth in metres (IUGG), used for
// every distance in this package.
const EarthRadius = 6371008.8

// Point is a position in WGS84 decimal degrees.
type Point struct {
	Lat, Lon float64
}

// Valid reports whether p is a finite position with latitude in [-90, 90]
// and longitude in [-180, 180].
func (p Point) Valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// String formats p as "lat,lon" with six decimals (about 0.1 m).
func (p Point) String() string {
	return fmt.Sprintf("%.6f,%.6f", p.Lat, p.Lon)
}

func radians(deg float64) float64 { return deg * math.Pi / 180 }
func degrees(rad float64) float64 { return rad * 180 / math.Pi }

// Distance returns the great-circle distance between a and b in metres,
// by the haversine formula on a sphere of radius EarthRadius. Against the
// ellipsoid the error is at most about 0.5%, well inside what "within N km"
// searches need.
func Distance(a, b Point) float64 {
	φ1, φ2 := radians(a.Lat), radians(b.Lat)
	dφ := φ2 - φ1
	dλ := radians(b.Lon - a.Lon)
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	// Clamp: rounding can push h a hair above 1 for antipodal points.
	h = min(h, 1)
	return 2 * EarthRadius * math.Asin(math.Sqrt(h))
}

// BBox is an axis-aligned box in latitude and longitude. A box with
// MinLat > MaxLat is empty (see EmptyBBox); the zero BBox is not empty but
// the single point (0, 0), so start accumulating from EmptyBBox or NewBBox.
// Boxes never cross the antimeridian: a box that would is widened to the
// full longitude range instead.
type BBox struct {
	MinLat, MinLon, MaxLat, MaxLon float64
}

// EmptyBBox returns a box that contains nothing and that Extend and Union
// grow from.
func EmptyBBox() BBox {
	return BBox{MinLat: math.Inf(1), MinLon: math.Inf(1), MaxLat: math.Inf(-1), MaxLon: math.Inf(-1)}
}

// NewBBox returns the smallest box holding all of pts, or an empty box if
// there are none.
func NewBBox(pts ...Point) BBox {
	b := EmptyBBox()
	for _, p := range pts {
		b = b.Extend(p)
	}
	return b
}

// IsEmpty reports whether b contains no points.
func (b BBox) IsEmpty() bool { return b.MinLat > b.MaxLat || b.MinLon > b.MaxLon }

// Contains reports whether p lies in b, edges included.
func (b BBox) Contains(p Point) bool {
	return p.Lat >= b.MinLat && p.Lat <= b.MaxLat && p.Lon >= b.MinLon && p.Lon <= b.MaxLon
}

// Extend returns the smallest box holding b and p.
func (b BBox) Extend(p Point) BBox {
	return BBox{
		MinLat: min(b.MinLat, p.Lat), MinLon: min(b.MinLon, p.Lon),
		MaxLat: max(b.MaxLat, p.Lat), MaxLon: max(b.MaxLon, p.Lon),
	}
}

// Union returns the smallest box holding both b and o.
func (b BBox) Union(o BBox) BBox {
	if o.IsEmpty() {
		return b
	}
	if b.IsEmpty() {
		return o
	}
	return BBox{
		MinLat: min(b.MinLat, o.MinLat), MinLon: min(b.MinLon, o.MinLon),
		MaxLat: max(b.MaxLat, o.MaxLat), MaxLon: max(b.MaxLon, o.MaxLon),
	}
}

// Intersects reports whether b and o share at least one point; boxes that
// only touch along an edge or at a corner intersect.
func (b BBox) Intersects(o BBox) bool {
	if b.IsEmpty() || o.IsEmpty() {
		return false
	}
	return b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat && b.MinLon <= o.MaxLon && o.MinLon <= b.MaxLon
}

// BBoxAround returns a box holding every point within radius metres of p:
// a cheap first filter (an index range scan, say) before checking Distance.
// The box is exact in latitude and uses the widest longitude span of the
// circle, so it never misses a point. Near a pole, or where the circle would
// cross the antimeridian, it returns the full longitude range rather than a
// box that wraps; for England this never happens, and elsewhere the result
// is still correct, only less tight. A negative radius is treated as zero.
func BBoxAround(p Point, radius float64) BBox {
	radius = max(radius, 0)
	δ := radius / EarthRadius // angular radius
	if δ >= math.Pi {
		return BBox{MinLat: -90, MinLon: -180, MaxLat: 90, MaxLon: 180}
	}
	dLat := degrees(δ)
	b := BBox{MinLat: p.Lat - dLat, MaxLat: p.Lat + dLat, MinLon: -180, MaxLon: 180}
	if b.MinLat <= -90 || b.MaxLat >= 90 {
		// The circle reaches over a pole: every longitude is in range.
		b.MinLat, b.MaxLat = max(b.MinLat, -90), min(b.MaxLat, 90)
		return b
	}
	// The widest longitude offset on a spherical circle of angular radius δ
	// centred at latitude φ is asin(sin δ / cos φ).
	s := math.Sin(δ) / math.Cos(radians(p.Lat))
	if s >= 1 {
		return b
	}
	dLon := degrees(math.Asin(s))
	if p.Lon-dLon < -180 || p.Lon+dLon > 180 {
		return b
	}
	b.MinLon, b.MaxLon = p.Lon-dLon, p.Lon+dLon
	return b
}
