package geo

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Place is a town or city in the built-in gazetteer.
type Place struct {
	Name     string   // usual name, "Newcastle upon Tyne"
	Aliases  []string // other names it is looked up by, "Newcastle"
	Area     string   // county, metropolitan county, unitary authority or "Greater London"
	Region   string   // English region, as ONS names it
	Location Point    // approximate centre
}

// placesCSV holds approximate town-centre coordinates compiled for this
// project and rounded to three decimal places; see docs/geography.md.
//
//go:embed places.csv
var placesCSV []byte

type gazetteer struct {
	places []Place        // in file order
	byKey  map[string]int // normalised name or alias -> index
	keys   []gazetteerKey // sorted by key, for prefix search
}

type gazetteerKey struct {
	key string
	idx int
}

var loadGazetteer = sync.OnceValue(func() *gazetteer {
	g, err := parseGazetteer(placesCSV)
	if err != nil {
		panic("geo: built-in places.csv: " + err.Error())
	}
	return g
})

func parseGazetteer(data []byte) (*gazetteer, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "name,aliases,area,region,lat,lon" {
		return nil, fmt.Errorf("line 1: want header name,aliases,area,region,lat,lon")
	}
	g := &gazetteer{byKey: make(map[string]int)}
	for n, row := range rows[1:] {
		line := n + 2
		lat, err1 := strconv.ParseFloat(row[4], 64)
		lon, err2 := strconv.ParseFloat(row[5], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("line %d: bad coordinates %q,%q", line, row[4], row[5])
		}
		p := Place{Name: row[0], Area: row[2], Region: row[3], Location: Point{Lat: lat, Lon: lon}}
		if row[1] != "" {
			p.Aliases = strings.Split(row[1], "|")
		}
		idx := len(g.places)
		for _, name := range append([]string{p.Name}, p.Aliases...) {
			k := placeKey(name)
			if k == "" {
				return nil, fmt.Errorf("line %d: blank name", line)
			}
			if prev, dup := g.byKey[k]; dup {
				return nil, fmt.Errorf("line %d: %q is also the name of %s", line, name, g.places[prev].Name)
			}
			g.byKey[k] = idx
			g.keys = append(g.keys, gazetteerKey{k, idx})
		}
		g.places = append(g.places, p)
	}
	slices.SortFunc(g.keys, func(a, b gazetteerKey) int { return strings.Compare(a.key, b.key) })
	return g, nil
}

// placeKey normalises a place name for matching: lower case, letters and
// digits only, "&" read as "and", "St" as "saint", and "on" between words
// as "upon" (so "Newcastle-upon-Tyne", "newcastle on tyne" and
// "Newcastle Upon Tyne" agree, as do "St Albans", "St. Albans" and
// "Saint Albans"). Apostrophes are dropped ("King's Lynn" = "Kings Lynn").
func placeKey(s string) string {
	return joinPlaceWords(placeWords(s), false)
}

// placeWords splits s into lower-case words of letters and digits.
func placeWords(s string) []string {
	var words []string
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '\u2019' || r == '.':
			// Joined: "king's" -> "kings", "st." -> "st".
		case r == '&':
			flush()
			words = append(words, "and")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// joinPlaceWords applies the St and upon rules and joins the words; with
// lastAsTyped the last word is left alone, since it may be unfinished.
func joinPlaceWords(words []string, lastAsTyped bool) string {
	out := make([]string, len(words))
	for i, word := range words {
		out[i] = word
		if lastAsTyped && i == len(words)-1 {
			break
		}
		switch {
		case word == "st" || word == "ste":
			out[i] = "saint"
		case word == "on" && i > 0 && i < len(words)-1:
			out[i] = "upon"
		}
	}
	return strings.Join(out, " ")
}

// LookupPlace finds a town or city in the built-in gazetteer by its name or
// an alias, ignoring case, punctuation and spacing, and treating "St" as
// "Saint" and "on" as "upon" ("st albans", "Newcastle-on-Tyne", "HULL").
func LookupPlace(name string) (Place, bool) {
	g := loadGazetteer()
	i, ok := g.byKey[placeKey(name)]
	if !ok {
		return Place{}, false
	}
	return g.places[i], true
}

// SuggestPlaces returns up to n places whose name or alias starts with
// prefix, for type-ahead. The prefix is matched as LookupPlace matches,
// except that its last word is also tried as typed, since it may be
// unfinished: "st" suggests both St Albans and Stafford, and "newcastle on"
// suggests Newcastle upon Tyne. An exact match comes first, then the rest
// in alphabetical order of the matching name; each place appears once. A
// blank prefix or n <= 0 gives nil.
func SuggestPlaces(prefix string, n int) []Place {
	words := placeWords(prefix)
	if len(words) == 0 || n <= 0 {
		return nil
	}
	prefixes := []string{joinPlaceWords(words, false), joinPlaceWords(words, true)}
	if last := len(words) - 1; last > 0 && words[last] == "on" {
		w := slices.Clone(words)
		w[last] = "upon"
		prefixes = append(prefixes, joinPlaceWords(w, true))
	}
	g := loadGazetteer()
	var hits []gazetteerKey
	for _, k := range prefixes {
		start, _ := slices.BinarySearchFunc(g.keys, k, func(e gazetteerKey, t string) int { return strings.Compare(e.key, t) })
		for _, e := range g.keys[start:] {
			if !strings.HasPrefix(e.key, k) {
				break
			}
			hits = append(hits, e)
		}
	}
	slices.SortFunc(hits, func(a, b gazetteerKey) int { return strings.Compare(a.key, b.key) })
	var out []Place
	seen := make(map[int]bool)
	add := func(i int) {
		if !seen[i] && len(out) < n {
			seen[i] = true
			out = append(out, g.places[i])
		}
	}
	if i, ok := g.byKey[prefixes[0]]; ok {
		add(i)
	}
	for _, e := range hits {
		add(e.idx)
	}
	return out
}

// Places returns every place in the gazetteer, in a fixed order (by
// region, roughly north to south). The slice is a copy.
func Places() []Place {
	return slices.Clone(loadGazetteer().places)
}
