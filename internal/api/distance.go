package api

import "throughcare/internal/geo"

// earthRadius is the mean radius of the Earth in metres (IUGG).
const earthRadius = geo.EarthRadius

// distance returns the great-circle distance in metres between two points
// given in degrees. It is geo.Distance, the measure the search engine uses,
// so a link the engine finds within a radius is within it here too.
func distance(lat1, lon1, lat2, lon2 float64) float64 {
	return geo.Distance(geo.Point{Lat: lat1, Lon: lon1}, geo.Point{Lat: lat2, Lon: lon2})
}
