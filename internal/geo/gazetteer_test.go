package geo

import (
	"strings"
	"testing"
)

func TestLookupPlace(t *testing.T) {
	for _, tc := range []struct {
		in, want, area string
	}{
		{"Lincoln", "Lincoln", "Lincolnshire"},
		{"LINCOLN", "Lincoln", "Lincolnshire"},
		{" lincoln ", "Lincoln", "Lincolnshire"},
		{"Grantham", "Grantham", "Lincolnshire"},
		{"Boston", "Boston", "Lincolnshire"},
		{"skegness", "Skegness", "Lincolnshire"},
		{"Manchester", "Manchester", "Greater Manchester"},
		{"Salford", "Salford", "Greater Manchester"},
		{"Leeds", "Leeds", "West Yorkshire"},
		{"Bradford", "Bradford", "West Yorkshire"},
		{"Birmingham", "Birmingham", "West Midlands"},
		{"Bristol", "Bristol", "Bristol"},
		{"Nottingham", "Nottingham", "Nottingham"},
		{"London", "London", "Greater London"},
		{"Croydon", "Croydon", "Greater London"},
		// upon / on / hyphens
		{"Newcastle upon Tyne", "Newcastle upon Tyne", "Tyne and Wear"},
		{"Newcastle-upon-Tyne", "Newcastle upon Tyne", "Tyne and Wear"},
		{"newcastle on tyne", "Newcastle upon Tyne", "Tyne and Wear"},
		{"Newcastle", "Newcastle upon Tyne", "Tyne and Wear"},
		{"Newcastle under Lyme", "Newcastle-under-Lyme", "Staffordshire"},
		{"Stoke on Trent", "Stoke-on-Trent", "Stoke-on-Trent"},
		{"Stoke upon Trent", "Stoke-on-Trent", "Stoke-on-Trent"},
		{"Burton-on-Trent", "Burton upon Trent", "Staffordshire"},
		{"Southend on Sea", "Southend-on-Sea", "Southend-on-Sea"},
		{"Kingston-upon-Hull", "Kingston upon Hull", "Kingston upon Hull"},
		{"Hull", "Kingston upon Hull", "Kingston upon Hull"},
		{"Kingston", "Kingston upon Thames", "Greater London"},
		// St / Saint, apostrophes, full stops
		{"St Albans", "St Albans", "Hertfordshire"},
		{"Saint Albans", "St Albans", "Hertfordshire"},
		{"st. albans", "St Albans", "Hertfordshire"},
		{"Saint Helens", "St Helens", "Merseyside"},
		{"Bury St. Edmunds", "Bury St Edmunds", "Suffolk"},
		{"Kings Lynn", "King's Lynn", "Norfolk"},
		{"KING’S LYNN", "King's Lynn", "Norfolk"},
		// aliases
		{"Leamington", "Royal Leamington Spa", "Warwickshire"},
		{"Tunbridge Wells", "Royal Tunbridge Wells", "Kent"},
		{"Hammersmith & Fulham", "Hammersmith", "Greater London"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, ok := LookupPlace(tc.in)
			if !ok || p.Name != tc.want || p.Area != tc.area {
				t.Errorf("LookupPlace(%q) = %q (%q), %v; want %q (%q)", tc.in, p.Name, p.Area, ok, tc.want, tc.area)
			}
		})
	}
	for _, in := range []string{"", "  ", "Atlantis", "Lincol", "Cardiff", "Edinburgh", "St", "upon"} {
		if p, ok := LookupPlace(in); ok {
			t.Errorf("LookupPlace(%q) = %q, want no match", in, p.Name)
		}
	}
}

func TestPlaceCoordinates(t *testing.T) {
	// Known centres, to the gazetteer's precision (about a kilometre).
	for _, tc := range []struct {
		name string
		p    Point
	}{
		{"Lincoln", Point{53.2307, -0.5406}},
		{"London", Point{51.5074, -0.1278}},
		{"Manchester", Point{53.4794, -2.2453}},
		{"Birmingham", Point{52.4796, -1.9026}},
		{"Leeds", Point{53.7965, -1.5479}},
		{"Bristol", Point{51.4545, -2.5879}},
		{"Newcastle upon Tyne", Point{54.9738, -1.6132}},
	} {
		p, ok := LookupPlace(tc.name)
		if !ok {
			t.Errorf("%s missing", tc.name)
			continue
		}
		if d := Distance(p.Location, tc.p); d > 1000 {
			t.Errorf("%s is %.0f m from %v", tc.name, d, tc.p)
		}
	}
}

func TestGazetteerContents(t *testing.T) {
	places := Places()
	if n := len(places); n < 150 || n > 300 {
		t.Errorf("%d places, want roughly 150 to 300", n)
	}
	regions := map[string]int{}
	england := BBox{MinLat: 49.8, MinLon: -6.5, MaxLat: 55.9, MaxLon: 1.8}
	for _, p := range places {
		regions[p.Region]++
		if !england.Contains(p.Location) {
			t.Errorf("%s at %v is outside England", p.Name, p.Location)
		}
		if p.Name == "" || p.Area == "" {
			t.Errorf("incomplete place %+v", p)
		}
	}
	for _, r := range []string{"North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands", "East of England", "London", "South East", "South West"} {
		if regions[r] < 15 {
			t.Errorf("region %s has %d places, want at least 15", r, regions[r])
		}
	}
	if len(regions) != 9 {
		t.Errorf("regions %v, want the 9 English regions", regions)
	}
	places[0].Name = "changed"
	if Places()[0].Name == "changed" {
		t.Error("Places returned the package's own slice")
	}
}

func TestParseGazetteerErrors(t *testing.T) {
	const h = "name,aliases,area,region,lat,lon\n"
	for _, tc := range []struct{ name, in, want string }{
		{"bad header", "name,lat,lon\n", "line 1: want header"},
		{"bad number", h + "A,,X,R,north,1\n", `line 2: bad coordinates "north","1"`},
		{"duplicate", h + "St Ives,,X,R,1,1\nSaint Ives,,Y,R,2,2\n", `line 3: "Saint Ives" is also the name of St Ives`},
		{"alias clash", h + "Hull,,X,R,1,1\nKingston upon Hull,Hull,Y,R,2,2\n", `line 3: "Hull" is also the name of Hull`},
		{"blank name", h + "...,,X,R,1,1\n", "line 2: blank name"},
		{"short row", h + "A,,X\n", "wrong number of fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseGazetteer([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestGazetteerLincolnshireInRightDistrict(t *testing.T) {
	lincoln, nk := lincolnAreas(t)
	for _, tc := range []struct {
		place string
		inLin bool
		inNK  bool
	}{
		{"Lincoln", true, false},
		{"North Hykeham", false, true},
		{"Sleaford", false, true},
		{"Grantham", false, false},
		{"Boston", false, false},
	} {
		p, ok := LookupPlace(tc.place)
		if !ok {
			t.Fatalf("%s missing", tc.place)
		}
		if lincoln.Shape.Contains(p.Location) != tc.inLin || nk.Shape.Contains(p.Location) != tc.inNK {
			t.Errorf("%s at %v: in Lincoln %v, in North Kesteven %v; want %v, %v", tc.place, p.Location,
				lincoln.Shape.Contains(p.Location), nk.Shape.Contains(p.Location), tc.inLin, tc.inNK)
		}
	}
}

func TestSuggestPlaces(t *testing.T) {
	names := func(ps []Place) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return strings.Join(s, "|")
	}
	for _, tc := range []struct {
		prefix string
		n      int
		want   string
	}{
		{"linc", 5, "Lincoln"},
		{"Lincoln", 5, "Lincoln"},
		{"bo", 10, "Bognor Regis|Bolton|Bootle|Boston|Bournemouth"},
		{"bo", 2, "Bognor Regis|Bolton"},
		// Exact match first, then alphabetical.
		{"bury", 5, "Bury|Bury St Edmunds"},
		{"Hull", 5, "Kingston upon Hull"},
		// The last word is tried both as typed and normalised.
		{"st", 4, "St Albans|St Austell|St Helens|Stafford"},
		{"st a", 5, "St Albans|St Austell"},
		{"newcastle on", 5, "Newcastle upon Tyne"},
		{"newcastle u", 5, "Newcastle-under-Lyme|Newcastle upon Tyne"},
		// By the matching name: the alias "Kingston" sorts before
		// "Kingston upon Hull".
		{"kings", 5, "King's Lynn|Kingston upon Thames|Kingston upon Hull"},
		{"zz", 5, ""},
		{"", 5, ""},
		{"linc", 0, ""},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			if got := names(SuggestPlaces(tc.prefix, tc.n)); got != tc.want {
				t.Errorf("SuggestPlaces(%q, %d) = %q, want %q", tc.prefix, tc.n, got, tc.want)
			}
		})
	}
}
