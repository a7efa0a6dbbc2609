package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"throughcare/internal/apperr"
)

// Ring is a closed line of points: its last point equals its first.
type Ring []Point

// Polygon is an outer ring with zero or more holes.
type Polygon struct {
	Outer Ring
	Holes []Ring
}

// Shape is an area made of one or more polygons, as read from a GeoJSON
// Polygon or MultiPolygon. Build one with NewShape or ParseShape; the zero
// Shape is empty and contains nothing. A Shape is immutable and safe for
// concurrent use.
type Shape struct {
	polys []polygon
	bbox  BBox
}

// polygon keeps a box per ring so Contains can skip most rings cheaply.
type polygon struct {
	outer ring
	holes []ring
}

type ring struct {
	pts  Ring
	bbox BBox
}

func newRing(pts Ring) ring { return ring{pts: pts, bbox: NewBBox(pts...)} }

// NewShape builds a Shape from polygons. Each ring must have at least four
// points with the last equal to the first; the rings are not copied and
// must not be changed afterwards.
func NewShape(polys ...Polygon) (*Shape, error) {
	s := &Shape{bbox: EmptyBBox()}
	for i, p := range polys {
		if err := checkRing(p.Outer); err != nil {
			return nil, apperr.Field(fmt.Sprintf("polygons[%d].outer", i), "%s", err)
		}
		sp := polygon{outer: newRing(p.Outer)}
		for j, h := range p.Holes {
			if err := checkRing(h); err != nil {
				return nil, apperr.Field(fmt.Sprintf("polygons[%d].holes[%d]", i, j), "%s", err)
			}
			sp.holes = append(sp.holes, newRing(h))
		}
		s.polys = append(s.polys, sp)
		s.bbox = s.bbox.Union(sp.outer.bbox)
	}
	return s, nil
}

func checkRing(r Ring) error {
	if len(r) < 4 {
		return fmt.Errorf("a ring needs at least 4 positions, got %d", len(r))
	}
	for k, p := range r {
		if !p.Valid() {
			return fmt.Errorf("position %d (%v) is out of range", k, p)
		}
	}
	if r[0] != r[len(r)-1] {
		return fmt.Errorf("ring is not closed: the last position must equal the first")
	}
	return nil
}

// BBox returns the box around the shape's outer rings; it is empty for an
// empty shape.
func (s *Shape) BBox() BBox {
	if s == nil || len(s.polys) == 0 {
		return EmptyBBox()
	}
	return s.bbox
}

// Polygons returns the shape's polygons. The rings are shared with the
// shape and must not be changed.
func (s *Shape) Polygons() []Polygon {
	if s == nil {
		return nil
	}
	out := make([]Polygon, len(s.polys))
	for i, p := range s.polys {
		out[i].Outer = p.outer.pts
		for _, h := range p.holes {
			out[i].Holes = append(out[i].Holes, h.pts)
		}
	}
	return out
}

// Contains reports whether p lies in the shape: inside some polygon's outer
// ring and not strictly inside one of its holes.
//
// The shape is a closed set: a point exactly on any ring, outer or hole,
// counts as inside. So a point on the border two neighbouring areas share
// is in both, and a point on the rim of a hole is in the shape. "Exactly"
// means in floating-point arithmetic; a point a rounding error away from an
// edge falls on whichever side the arithmetic puts it. Edges are straight
// lines in latitude and longitude, as GeoJSON (RFC 7946 §3.1.1) specifies.
func (s *Shape) Contains(p Point) bool {
	if s == nil || !s.bbox.Contains(p) {
		return false
	}
	for _, poly := range s.polys {
		if !poly.outer.bbox.Contains(p) {
			continue
		}
		in, edge := poly.outer.locate(p)
		if edge {
			return true
		}
		if !in {
			continue
		}
		inHole := false
		for _, h := range poly.holes {
			if !h.bbox.Contains(p) {
				continue
			}
			if hin, hedge := h.locate(p); hedge {
				return true
			} else if hin {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// locate casts a ray from p towards increasing longitude and counts the
// edges it crosses (an odd count means inside). It also reports whether p
// lies exactly on an edge, in which case the count does not matter.
func (r ring) locate(p Point) (inside, onEdge bool) {
	pts := r.pts
	x, y := p.Lon, p.Lat
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		ax, ay, bx, by := a.Lon, a.Lat, b.Lon, b.Lat
		if y < min(ay, by) || y > max(ay, by) {
			continue // the edge neither touches p nor crosses the ray
		}
		// On the segment: collinear and within its extent.
		if (bx-ax)*(y-ay) == (by-ay)*(x-ax) && x >= min(ax, bx) && x <= max(ax, bx) {
			return false, true
		}
		// Half-open rule: an edge counts when one end is above y and the
		// other at or below, so a ray through a vertex is counted once.
		if (ay > y) != (by > y) {
			xCross := ax + (y-ay)*(bx-ax)/(by-ay)
			if x < xCross {
				inside = !inside
			}
		}
	}
	return inside, false
}

// geoJSON is the union of the members this package reads from a GeoJSON
// object of any type.
type geoJSON struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometry    json.RawMessage   `json:"geometry"`
	Features    []json.RawMessage `json:"features"`
}

// ParseShape reads a shape from GeoJSON: a Polygon or MultiPolygon
// geometry, a Feature holding one, or a FeatureCollection whose features'
// polygons are all merged into one shape. Errors are apperr.Invalid and name
// the JSON path of the problem.
func ParseShape(data []byte) (*Shape, error) {
	var polys []Polygon
	if err := appendGeoJSON(&polys, data, "", true); err != nil {
		return nil, err
	}
	return NewShape(polys...)
}

// UnmarshalJSON implements json.Unmarshaler with ParseShape.
func (s *Shape) UnmarshalJSON(data []byte) error {
	v, err := ParseShape(data)
	if err != nil {
		return err
	}
	*s = *v
	return nil
}

func appendGeoJSON(dst *[]Polygon, data []byte, path string, top bool) error {
	var g geoJSON
	if err := json.Unmarshal(data, &g); err != nil {
		return apperr.Field(pathOr(path, "geojson"), "not a GeoJSON object: %s", jsonMsg(err))
	}
	switch g.Type {
	case "Polygon", "MultiPolygon":
		return appendGeometry(dst, g, path)
	case "Feature":
		return appendFeatureGeometry(dst, g.Geometry, join(path, "geometry"))
	case "FeatureCollection":
		if !top {
			break
		}
		if len(g.Features) == 0 {
			return apperr.Field(join(path, "features"), "the collection has no features")
		}
		for i, f := range g.Features {
			if err := appendGeoJSON(dst, f, fmt.Sprintf("%s[%d]", join(path, "features"), i), false); err != nil {
				return err
			}
		}
		return nil
	case "":
		return apperr.Field(join(path, "type"), "missing")
	}
	return apperr.Field(join(path, "type"), "%q is not supported: expected Polygon, MultiPolygon, Feature or FeatureCollection", g.Type)
}

func appendFeatureGeometry(dst *[]Polygon, raw json.RawMessage, path string) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return apperr.Field(path, "missing: the feature has no geometry")
	}
	var g geoJSON
	if err := json.Unmarshal(raw, &g); err != nil {
		return apperr.Field(path, "not a GeoJSON geometry: %s", jsonMsg(err))
	}
	if g.Type != "Polygon" && g.Type != "MultiPolygon" {
		if g.Type == "" {
			return apperr.Field(join(path, "type"), "missing")
		}
		return apperr.Field(join(path, "type"), "%q is not supported: an area must be a Polygon or MultiPolygon", g.Type)
	}
	return appendGeometry(dst, g, path)
}

func appendGeometry(dst *[]Polygon, g geoJSON, path string) error {
	cpath := join(path, "coordinates")
	if len(g.Coordinates) == 0 {
		return apperr.Field(cpath, "missing")
	}
	if g.Type == "Polygon" {
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return apperr.Field(cpath, "a Polygon needs an array of rings of [longitude, latitude] positions: %s", jsonMsg(err))
		}
		p, err := toPolygon(c, cpath)
		if err != nil {
			return err
		}
		*dst = append(*dst, p)
		return nil
	}
	var c [][][][]float64
	if err := json.Unmarshal(g.Coordinates, &c); err != nil {
		return apperr.Field(cpath, "a MultiPolygon needs an array of polygons of rings of [longitude, latitude] positions: %s", jsonMsg(err))
	}
	if len(c) == 0 {
		return apperr.Field(cpath, "the MultiPolygon has no polygons")
	}
	for i, pc := range c {
		p, err := toPolygon(pc, fmt.Sprintf("%s[%d]", cpath, i))
		if err != nil {
			return err
		}
		*dst = append(*dst, p)
	}
	return nil
}

func toPolygon(c [][][]float64, path string) (Polygon, error) {
	if len(c) == 0 {
		return Polygon{}, apperr.Field(path, "the polygon has no rings")
	}
	var p Polygon
	for i, rc := range c {
		rpath := fmt.Sprintf("%s[%d]", path, i)
		r := make(Ring, len(rc))
		for k, pos := range rc {
			if len(pos) < 2 {
				return Polygon{}, apperr.Field(fmt.Sprintf("%s[%d]", rpath, k), "a position needs a longitude and a latitude")
			}
			r[k] = Point{Lat: pos[1], Lon: pos[0]}
			if !r[k].Valid() {
				return Polygon{}, apperr.Field(fmt.Sprintf("%s[%d]", rpath, k),
					"[%s, %s] is not a WGS84 [longitude, latitude] position (projected coordinates such as British National Grid are not supported)",
					strconv.FormatFloat(pos[0], 'g', -1, 64), strconv.FormatFloat(pos[1], 'g', -1, 64))
			}
		}
		if err := checkRing(r); err != nil {
			return Polygon{}, apperr.Field(rpath, "%s", err)
		}
		if i == 0 {
			p.Outer = r
		} else {
			p.Holes = append(p.Holes, r)
		}
	}
	return p, nil
}

// MarshalJSON writes the shape as a GeoJSON geometry: a Polygon when it has
// exactly one polygon, otherwise a MultiPolygon.
func (s *Shape) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	polys := s.Polygons()
	if len(polys) == 1 {
		b.WriteString(`{"type":"Polygon","coordinates":`)
		writePolygon(&b, polys[0])
	} else {
		b.WriteString(`{"type":"MultiPolygon","coordinates":[`)
		for i, p := range polys {
			if i > 0 {
				b.WriteByte(',')
			}
			writePolygon(&b, p)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writePolygon(b *bytes.Buffer, p Polygon) {
	b.WriteByte('[')
	writeRing(b, p.Outer)
	for _, h := range p.Holes {
		b.WriteByte(',')
		writeRing(b, h)
	}
	b.WriteByte(']')
}

func writeRing(b *bytes.Buffer, r Ring) {
	b.WriteByte('[')
	for i, p := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		b.Write(strconv.AppendFloat(b.AvailableBuffer(), p.Lon, 'g', -1, 64))
		b.WriteByte(',')
		b.Write(strconv.AppendFloat(b.AvailableBuffer(), p.Lat, 'g', -1, 64))
		b.WriteByte(']')
	}
	b.WriteByte(']')
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func pathOr(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

// jsonMsg shortens encoding/json's messages, which name Go types, to the
// part a user can act on.
func jsonMsg(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Sprintf("found a JSON %s where %s was expected", te.Value, jsonKind(te.Type.Kind().String()))
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice", "array":
		return "an array"
	case "float64", "float32", "int", "int64":
		return "a number"
	case "struct", "map":
		return "an object"
	case "string":
		return "a string"
	}
	return "a " + goKind
}
