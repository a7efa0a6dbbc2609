package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/geo"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestPostcodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		recs := []geo.PostcodeRecord{
			{Postcode: "LN1 1AA", Location: geo.Point{Lat: 53.2307, Lon: -0.5406}, HasLocation: true, LA: "E07000138", Region: "E12000004", ICB: "E54000013", Country: "E92000001"},
			{Postcode: "LN1 9ZZ", Location: geo.Point{Lat: 53.24, Lon: -0.55}, HasLocation: true, TerminatedOn: "200012", Terminated: true, LA: "E07000138"},
			{Postcode: "ZZ9 9ZZ"}, // no grid reference
		}
		n, err := db.ImportPostcodes(ctx, func(yield func(geo.PostcodeRecord) error) error {
			for _, r := range recs {
				if err := yield(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n != 3 {
			t.Fatalf("import: %d, %v", n, err)
		}
		p, err := db.Postcode(ctx, "LN1 1AA")
		if err != nil {
			t.Fatal(err)
		}
		if !p.HasLocation || p.Location.Lat != 53.2307 || p.Terminated || !slices.Equal(p.Codes, []string{"E07000138", "E12000004", "E92000001", "E54000013"}) {
			t.Errorf("LN1 1AA = %+v", p)
		}
		p, err = db.Postcode(ctx, "LN1 9ZZ")
		if err != nil || !p.Terminated {
			t.Errorf("terminated postcode = %+v, %v", p, err)
		}
		p, err = db.Postcode(ctx, "ZZ9 9ZZ")
		if err != nil || p.HasLocation {
			t.Errorf("postcode without location = %+v, %v", p, err)
		}
		if _, err := db.Postcode(ctx, "SW1A 1AA"); !errors.Is(err, apperr.NotFound) {
			t.Errorf("unknown postcode: %v", err)
		}

		// A reader that fails half-way leaves what was there before.
		boom := errors.New("line 3: bad latitude")
		_, err = db.ImportPostcodes(ctx, func(yield func(geo.PostcodeRecord) error) error {
			if err := yield(geo.PostcodeRecord{Postcode: "NG1 1AA"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if c, _ := db.PostcodeCount(ctx); c != 3 {
			t.Errorf("after a failed import there are %d postcodes, want 3", c)
		}
	})
}

// TestAreasOnRealBoundaries loads the real Lincoln and North Kesteven
// district boundaries and asks which district points either side of their
// shared border fall in.
func TestAreasOnRealBoundaries(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "ons", "boundaries", "lincoln-north-kesteven.geojson")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("reference boundaries not found (%v); they come with the shared data folder", err)
	}
	areas, err := geo.ReadAreas(f, geo.AreaKind("la"), "LAD21CD", "LAD21NM")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.ReplaceAreas(ctx, areas); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceAreas(ctx, areas); err != nil { // replacing is idempotent
			t.Fatal(err)
		}
		all, err := db.Areas(ctx, "la")
		if err != nil || len(all) != 2 {
			t.Fatalf("areas: %d, %v", len(all), err)
		}
		for _, tc := range []struct {
			name string
			p    geo.Point
			want string
		}{
			{"Lincoln city centre", geo.Point{Lat: 53.2307, Lon: -0.5406}, "E07000138"},
			{"North Hykeham", geo.Point{Lat: 53.1950, Lon: -0.5930}, "E07000139"},
			{"Sleaford", geo.Point{Lat: 52.9990, Lon: -0.4090}, "E07000139"},
		} {
			got, err := db.AreasAt(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Code != tc.want {
				var codes []string
				for _, a := range got {
					codes = append(codes, a.Code)
				}
				t.Errorf("%s: areas %v, want [%s]", tc.name, codes, tc.want)
			}
		}
	})
}
