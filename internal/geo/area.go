package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"throughcare/internal/apperr"
)

// AreaKind says what sort of area an Area is. The kinds nest only loosely
// (a PDU can straddle local authorities and ICBs), so areas are kept as a
// flat list per kind and related many-to-many, never as a tree.
type AreaKind string

// The area kinds the directory knows.
const (
	// KindRegion is a Probation Service region (12: 11 in England plus
	// Wales). See ProbationRegions.
	KindRegion AreaKind = "region"
	// KindPDU is a Probation Delivery Unit, the local unit of a region.
	KindPDU AreaKind = "pdu"
	// KindLA is a local authority district or unitary authority, by its
	// ONS GSS code (E06, E07, E08, E09, W06).
	KindLA AreaKind = "la"
	// KindICB is an NHS Integrated Care Board, by its ONS GSS code (E54).
	KindICB AreaKind = "icb"
)

// AreaKinds lists every kind in a fixed order.
var AreaKinds = []AreaKind{KindRegion, KindPDU, KindLA, KindICB}

// ParseAreaKind returns the kind named by s ("region", "pdu", "la" or
// "icb", any case), or an apperr.Invalid error naming the field "kind".
func ParseAreaKind(s string) (AreaKind, error) {
	k := AreaKind(strings.ToLower(strings.TrimSpace(s)))
	if k.Valid() {
		return k, nil
	}
	return "", apperr.Field("kind", "%q is not an area kind: use region, pdu, la or icb", s)
}

// Valid reports whether k is one of the known kinds.
func (k AreaKind) Valid() bool {
	switch k {
	case KindRegion, KindPDU, KindLA, KindICB:
		return true
	}
	return false
}

// Area is a named, coded area with its boundary.
type Area struct {
	Kind  AreaKind
	Code  string // official code where there is one (GSS for la and icb)
	Name  string
	Shape *Shape
}

// ReadAreas reads areas of one kind from GeoJSON: a FeatureCollection (as
// the ONS Open Geography Portal publishes boundaries), a single Feature, or
// a sequence of either, such as newline-delimited features. Features are
// decoded one at a time, so only the areas themselves are held in memory,
// never the whole file. Each feature's code and name are read from the
// properties codeProp and nameProp (for example LAD21CD and LAD21NM); if
// nameProp is empty the code doubles as the name. Errors are apperr.Invalid
// and name the feature by its 0-based position in the input
// ("features[12].properties.LAD21CD: missing").
func ReadAreas(r io.Reader, kind AreaKind, codeProp, nameProp string) ([]Area, error) {
	if !kind.Valid() {
		return nil, apperr.Field("kind", "%q is not an area kind: use region, pdu, la or icb", string(kind))
	}
	if codeProp == "" {
		return nil, apperr.Field("code property", "required: name the feature property that holds the area code")
	}
	ar := areaReader{dec: json.NewDecoder(r), kind: kind, codeProp: codeProp, nameProp: nameProp}
	for {
		err := ar.value()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(ar.areas) == 0 {
		return nil, apperr.Field("features", "the file holds no features")
	}
	return ar.areas, nil
}

type areaReader struct {
	dec                *json.Decoder
	kind               AreaKind
	codeProp, nameProp string
	areas              []Area
	n                  int // features seen
	seen               map[string]int
}

// value reads one top-level JSON value: a FeatureCollection, whose features
// are streamed, or a Feature.
func (ar *areaReader) value() error {
	tok, err := ar.dec.Token()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return ar.syntax(err)
	}
	if tok != json.Delim('{') {
		return apperr.Field("geojson", "expected a GeoJSON FeatureCollection or Feature object, found %v", tokString(tok))
	}
	var (
		typ        string
		geometry   json.RawMessage
		properties json.RawMessage
		streamed   bool
	)
	for ar.dec.More() {
		tok, err := ar.dec.Token()
		if err != nil {
			return ar.syntax(err)
		}
		key, _ := tok.(string)
		switch key {
		case "features":
			if err := ar.features(); err != nil {
				return err
			}
			streamed = true
		case "type":
			if err := ar.dec.Decode(&typ); err != nil {
				return apperr.Field("type", "must be a string: %s", jsonMsg(err))
			}
		case "geometry":
			if err := ar.dec.Decode(&geometry); err != nil {
				return ar.syntax(err)
			}
		case "properties":
			if err := ar.dec.Decode(&properties); err != nil {
				return ar.syntax(err)
			}
		default:
			var skip json.RawMessage // bbox, crs, name, id ...: small, unused
			if err := ar.dec.Decode(&skip); err != nil {
				return ar.syntax(err)
			}
		}
	}
	if _, err := ar.dec.Token(); err != nil { // closing '}'
		return ar.syntax(err)
	}
	switch typ {
	case "FeatureCollection":
		if !streamed {
			return apperr.Field("features", "missing: a FeatureCollection needs a features array")
		}
		return nil
	case "Feature":
		if streamed {
			return apperr.Field("type", "a Feature cannot have a features array")
		}
		return ar.feature(geometry, properties)
	case "":
		return apperr.Field("type", "missing: expected FeatureCollection or Feature")
	}
	return apperr.Field("type", "%q is not supported here: expected FeatureCollection or Feature", typ)
}

// features streams the elements of a features array.
func (ar *areaReader) features() error {
	tok, err := ar.dec.Token()
	if err != nil {
		return ar.syntax(err)
	}
	if tok != json.Delim('[') {
		return apperr.Field("features", "must be an array, found %v", tokString(tok))
	}
	for ar.dec.More() {
		var f struct {
			Type       string          `json:"type"`
			Geometry   json.RawMessage `json:"geometry"`
			Properties json.RawMessage `json:"properties"`
		}
		if err := ar.dec.Decode(&f); err != nil {
			return apperr.Field(fmt.Sprintf("features[%d]", ar.n), "not a GeoJSON Feature: %s", jsonMsg(err))
		}
		if f.Type != "Feature" {
			return apperr.Field(fmt.Sprintf("features[%d].type", ar.n), "must be \"Feature\", found %q", f.Type)
		}
		if err := ar.feature(f.Geometry, f.Properties); err != nil {
			return err
		}
	}
	if _, err := ar.dec.Token(); err != nil { // closing ']'
		return ar.syntax(err)
	}
	return nil
}

func (ar *areaReader) feature(geometry, properties json.RawMessage) error {
	i := ar.n
	ar.n++
	path := fmt.Sprintf("features[%d]", i)
	var props map[string]json.RawMessage
	if len(properties) > 0 {
		if err := json.Unmarshal(properties, &props); err != nil {
			return apperr.Field(path+".properties", "must be an object: %s", jsonMsg(err))
		}
	}
	code, err := propString(props, ar.codeProp, path)
	if err != nil {
		return err
	}
	name := code
	if ar.nameProp != "" {
		if name, err = propString(props, ar.nameProp, path); err != nil {
			return err
		}
	}
	if prev, dup := ar.seen[code]; dup {
		return apperr.Field(fmt.Sprintf("%s.properties.%s", path, ar.codeProp), "code %q repeats features[%d]; each area needs its own code", code, prev)
	}
	var polys []Polygon
	if err := appendFeatureGeometry(&polys, geometry, path+".geometry"); err != nil {
		return err
	}
	shape, err := NewShape(polys...)
	if err != nil {
		return err
	}
	if ar.seen == nil {
		ar.seen = make(map[string]int)
	}
	ar.seen[code] = i
	ar.areas = append(ar.areas, Area{Kind: ar.kind, Code: code, Name: name, Shape: shape})
	return nil
}

// propString reads a string (or number, as some files code areas with
// integers) property, trimmed; missing, null and blank are errors.
func propString(props map[string]json.RawMessage, prop, path string) (string, error) {
	field := fmt.Sprintf("%s.properties.%s", path, prop)
	raw, ok := props[prop]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return "", apperr.Field(field, "missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", apperr.Field(field, "must be a string or a number")
		}
		s = n.String()
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.Field(field, "is blank")
	}
	return s, nil
}

func (ar *areaReader) syntax(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return apperr.Field(fmt.Sprintf("features[%d]", ar.n), "the file ends in the middle of a JSON value (truncated download?)")
	}
	return apperr.Field(fmt.Sprintf("features[%d]", ar.n), "bad JSON at byte %d: %s", ar.dec.InputOffset(), jsonMsg(err))
}

func tokString(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return strconv.Quote(v.String())
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}
