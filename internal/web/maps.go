package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"throughcare/internal/apperr"
)

// The map on a service page takes its markers from data-* attributes on the
// list of addresses, and the outlines of the service's areas from this
// GeoJSON document, which can be too large to repeat inside the page.

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string            `json:"type"`
	Properties featureProperties `json:"properties"`
	Geometry   json.RawMessage   `json:"geometry"`
}

type featureProperties struct {
	Name string `json:"name"`
}

// serviceAreasGeoJSON serves GET /services/{id}/areas.geojson: a
// FeatureCollection with one feature per shape of the service's areas.
func (s *Server) serviceAreasGeoJSON(w http.ResponseWriter, r *http.Request) error {
	svc, ok := s.index().Service(r.PathValue("id"))
	if !ok {
		return apperr.Errorf(apperr.NotFound, "no service with id %q", r.PathValue("id"))
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []feature{}}
	for _, a := range svc.ServiceAreas {
		if !isGeoJSON(a) {
			continue
		}
		geoms, err := geometries(json.RawMessage(a.Extent))
		if err != nil {
			// A bad shape is the data's fault, not the reader's: log it and
			// draw the others.
			s.log.WarnContext(r.Context(), "service area has unreadable GeoJSON", "service", svc.ID, "area", a.ID, "err", err)
			continue
		}
		for _, g := range geoms {
			fc.Features = append(fc.Features, feature{Type: "Feature", Properties: featureProperties{Name: a.Name}, Geometry: g})
		}
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return fmt.Errorf("web: encoding areas of service %s: %w", svc.ID, err)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, err = w.Write(b)
	return err
}

// geometries returns the geometries of a GeoJSON document: the document
// itself if it is a geometry, or those of its feature or features.
func geometries(doc json.RawMessage) ([]json.RawMessage, error) {
	var probe struct {
		Type     string            `json:"type"`
		Geometry json.RawMessage   `json:"geometry"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(doc, &probe); err != nil {
		return nil, err
	}
	switch probe.Type {
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		return []json.RawMessage{doc}, nil
	case "Feature":
		if len(probe.Geometry) == 0 || string(probe.Geometry) == "null" {
			return nil, nil
		}
		return []json.RawMessage{probe.Geometry}, nil
	case "FeatureCollection":
		var out []json.RawMessage
		for _, f := range probe.Features {
			g, err := geometries(f)
			if err != nil {
				return nil, err
			}
			out = append(out, g...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("GeoJSON type %q is not a geometry, feature or feature collection", probe.Type)
}
