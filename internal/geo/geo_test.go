package geo

import (
	"math"
	"testing"
)

func TestDistance(t *testing.T) {
	// want: the geodesic on the WGS84 ellipsoid between the same two points
	// (Vincenty's inverse formula), in metres. The sphere may differ from it
	// by up to about 0.5%.
	for _, tc := range []struct {
		name string
		a, b Point
		want float64
	}{
		{"London to Manchester", Point{51.5074, -0.1278}, Point{53.4794, -2.2453}, 262342},
		{"Lincoln to Grantham", Point{53.2307, -0.5406}, Point{52.9118, -0.6420}, 36135},
		{"Leeds to Bradford", Point{53.7965, -1.5479}, Point{53.7938, -1.7521}, 13460},
		{"Lincoln to Skegness", Point{53.2307, -0.5406}, Point{53.1436, 0.3363}, 59413},
		{"Newcastle to Bristol", Point{54.9738, -1.6132}, Point{51.4545, -2.5879}, 397029},
		{"Land's End to John o' Groats", Point{50.0657, -5.7132}, Point{58.6373, -3.0689}, 969284},
		{"London to Paris", Point{51.5074, -0.1278}, Point{48.8566, 2.3522}, 343923},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Distance(tc.a, tc.b)
			if rel := math.Abs(got-tc.want) / tc.want; rel > 0.005 {
				t.Errorf("Distance = %.0f m, want %.0f m ±0.5%% (off by %.2f%%)", got, tc.want, rel*100)
			}
			if back := Distance(tc.b, tc.a); back != got {
				t.Errorf("Distance is not symmetric: %v one way, %v the other", got, back)
			}
		})
	}
}

func TestDistanceEdgeCases(t *testing.T) {
	p := Point{53.23, -0.54}
	if d := Distance(p, p); d != 0 {
		t.Errorf("Distance(p, p) = %v, want 0", d)
	}
	// Half the circumference, for antipodes, without NaN from rounding.
	if d, want := Distance(Point{0, 0}, Point{0, 180}), math.Pi*EarthRadius; math.Abs(d-want) > 1e-6 {
		t.Errorf("antipodes: %v, want %v", d, want)
	}
	// One degree of latitude is about 111.2 km on this sphere.
	if d, want := Distance(Point{52, 0}, Point{53, 0}), EarthRadius*math.Pi/180; math.Abs(d-want) > 1e-6 {
		t.Errorf("one degree of latitude: %v, want %v", d, want)
	}
}

func TestPointValid(t *testing.T) {
	for _, tc := range []struct {
		p    Point
		want bool
	}{
		{Point{53.2, -0.5}, true},
		{Point{90, 180}, true},
		{Point{-90, -180}, true},
		{Point{90.0001, 0}, false},
		{Point{0, -180.5}, false},
		{Point{math.NaN(), 0}, false},
		{Point{0, math.Inf(1)}, false},
		{Point{400000, 300000}, false}, // British National Grid metres, not degrees
	} {
		if got := tc.p.Valid(); got != tc.want {
			t.Errorf("%v.Valid() = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestBBox(t *testing.T) {
	b := NewBBox(Point{53, -1}, Point{54, 0.5}, Point{53.5, -0.2})
	if want := (BBox{MinLat: 53, MinLon: -1, MaxLat: 54, MaxLon: 0.5}); b != want {
		t.Fatalf("NewBBox = %+v, want %+v", b, want)
	}
	for _, tc := range []struct {
		p    Point
		want bool
	}{
		{Point{53.5, 0}, true},
		{Point{53, -1}, true}, // corner
		{Point{54, 0}, true},  // edge
		{Point{52.99, 0}, false},
		{Point{53.5, 0.51}, false},
		{Point{53.5, -1.01}, false},
	} {
		if got := b.Contains(tc.p); got != tc.want {
			t.Errorf("Contains(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}

	empty := EmptyBBox()
	if !empty.IsEmpty() || empty.Contains(Point{0, 0}) {
		t.Errorf("EmptyBBox is not empty: %+v", empty)
	}
	if NewBBox().IsEmpty() != true {
		t.Error("NewBBox() with no points is not empty")
	}
	if (BBox{}).IsEmpty() || !(BBox{}).Contains(Point{0, 0}) {
		t.Error("zero BBox should be the single point (0,0)")
	}
	one := empty.Extend(Point{52, 1})
	if want := (BBox{52, 1, 52, 1}); one != want {
		t.Errorf("EmptyBBox().Extend = %+v, want %+v", one, want)
	}
	if got := empty.Union(b); got != b {
		t.Errorf("empty ∪ b = %+v, want b", got)
	}
	if got := b.Union(empty); got != b {
		t.Errorf("b ∪ empty = %+v, want b", got)
	}
	if got, want := b.Union(BBox{50, 1, 51, 2}), (BBox{50, -1, 54, 2}); got != want {
		t.Errorf("Union = %+v, want %+v", got, want)
	}
}

func TestBBoxIntersects(t *testing.T) {
	b := BBox{MinLat: 53, MinLon: -1, MaxLat: 54, MaxLon: 0}
	for _, tc := range []struct {
		name string
		o    BBox
		want bool
	}{
		{"overlapping", BBox{53.5, -0.5, 55, 1}, true},
		{"inside", BBox{53.2, -0.8, 53.3, -0.7}, true},
		{"surrounding", BBox{50, -5, 60, 5}, true},
		{"touching edge", BBox{54, -1, 55, 0}, true},
		{"touching corner", BBox{54, 0, 55, 1}, true},
		{"north", BBox{54.01, -1, 55, 0}, false},
		{"east", BBox{53, 0.01, 54, 1}, false},
		{"south-west", BBox{50, -3, 52.9, -1.1}, false},
		{"empty", EmptyBBox(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.Intersects(tc.o); got != tc.want {
				t.Errorf("b.Intersects(o) = %v, want %v", got, tc.want)
			}
			if got := tc.o.Intersects(b); got != tc.want {
				t.Errorf("o.Intersects(b) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBBoxAround(t *testing.T) {
	lincoln := Point{53.2307, -0.5406}
	for _, radius := range []float64{100, 5000, 25000, 100000} {
		b := BBoxAround(lincoln, radius)
		if !b.Contains(lincoln) {
			t.Fatalf("radius %v: box %+v misses its centre", radius, b)
		}
		// Every point on the circle must be in the box, and the box must be
		// tight: its edges lie on the circle (within a metre).
		for deg := 0; deg < 360; deg += 5 {
			p := destination(lincoln, float64(deg), radius*0.999999)
			if !b.Contains(p) {
				t.Errorf("radius %v, bearing %d: %v not in %+v", radius, deg, p, b)
			}
		}
		north := Distance(lincoln, Point{b.MaxLat, lincoln.Lon})
		if math.Abs(north-radius) > 1 {
			t.Errorf("radius %v: north edge %v m away", radius, north)
		}
		east := Distance(lincoln, Point{lincoln.Lat, b.MaxLon})
		if east < radius-1 || east > radius*1.01+1 {
			t.Errorf("radius %v: east edge %v m away, want just over the radius", radius, east)
		}
	}

	for _, tc := range []struct {
		name   string
		p      Point
		radius float64
		want   BBox
	}{
		{"negative radius is a point", Point{53, -1}, -5, BBox{53, -1, 53, -1}},
		{"over the north pole", Point{89.99, 10}, 5000, BBox{89.99 - 5000/EarthRadius*180/math.Pi, -180, 90, 180}},
		{"over the south pole", Point{-89.99, 10}, 5000, BBox{-90, -180, -89.99 + 5000/EarthRadius*180/math.Pi, 180}},
		{"whole Earth", Point{0, 0}, 3e7, BBox{-90, -180, 90, 180}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BBoxAround(tc.p, tc.radius)
			if !near(got.MinLat, tc.want.MinLat) || !near(got.MaxLat, tc.want.MaxLat) || got.MinLon != tc.want.MinLon || got.MaxLon != tc.want.MaxLon {
				t.Errorf("BBoxAround = %+v, want %+v", got, tc.want)
			}
		})
	}

	// Across the antimeridian the box takes every longitude instead of
	// wrapping, so it still holds points on both sides.
	b := BBoxAround(Point{0, 179.99}, 10000)
	if b.MinLon != -180 || b.MaxLon != 180 {
		t.Errorf("antimeridian box %+v should span all longitudes", b)
	}
	if !b.Contains(Point{0, -179.99}) || !b.Contains(Point{0.05, 179.95}) {
		t.Errorf("antimeridian box %+v misses nearby points", b)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// destination returns the point reached by going d metres from p on the
// initial bearing deg (degrees clockwise from north), on the same sphere.
func destination(p Point, deg, d float64) Point {
	δ := d / EarthRadius
	θ := radians(deg)
	φ1, λ1 := radians(p.Lat), radians(p.Lon)
	φ2 := math.Asin(math.Sin(φ1)*math.Cos(δ) + math.Cos(φ1)*math.Sin(δ)*math.Cos(θ))
	λ2 := λ1 + math.Atan2(math.Sin(θ)*math.Sin(δ)*math.Cos(φ1), math.Cos(δ)-math.Sin(φ1)*math.Sin(φ2))
	return Point{Lat: degrees(φ2), Lon: degrees(λ2)}
}
