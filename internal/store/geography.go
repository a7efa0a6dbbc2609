package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"throughcare/internal/apperr"
	"throughcare/internal/geo"
)

var postcodeColumns = []string{"postcode", "lat", "lon", "terminated", "la", "county", "region", "country", "pfa", "icb", "sub_icb"}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ImportPostcodes loads postcodes in one transaction. read must call yield
// for each record (it is given geo.ReadONSPD's callback shape) and may stream
// any number of them: rows are written in batches as they come, so memory
// stays bounded. A postcode already stored is replaced. If read or a write
// fails, nothing changes. It returns the number of postcodes written.
func (d *DB) ImportPostcodes(ctx context.Context, read func(yield func(geo.PostcodeRecord) error) error) (int, error) {
	n := 0
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		per := 500
		batch := make([][]any, 0, per)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := d.upsertGeneric(ctx, tx, "postcode", postcodeColumns, 1, len(batch), func(i int) []any { return batch[i] })
			batch = batch[:0]
			return err
		}
		err := read(func(r geo.PostcodeRecord) error {
			var lat, lon any
			if r.HasLocation {
				lat, lon = r.Location.Lat, r.Location.Lon
			}
			batch = append(batch, []any{r.Postcode, lat, lon, nullable(r.TerminatedOn), nullable(r.LA), nullable(r.County),
				nullable(r.Region), nullable(r.Country), nullable(r.PFA), nullable(r.ICB), nullable(r.SubICB)})
			n++
			if len(batch) == per {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Postcode is a stored postcode with its place and areas.
type Postcode struct {
	Postcode    string
	Location    geo.Point
	HasLocation bool
	Terminated  bool
	// Codes holds the official codes of the areas the postcode lies in:
	// local authority, county, region, country, police force area, ICB and
	// sub-ICB location, where ONSPD gives them.
	Codes []string
}

// Postcode looks up a normalised postcode. It returns apperr.NotFound if the
// postcode is not in the loaded directory.
func (d *DB) Postcode(ctx context.Context, pc string) (Postcode, error) {
	var p Postcode
	var lat, lon sql.NullFloat64
	var term, la, cty, rgn, ctry, pfa, icb, sicb sql.NullString
	err := d.db.QueryRowContext(ctx, `/* Postcode */ SELECT postcode, lat, lon, terminated, la, county, region, country, pfa, icb, sub_icb
FROM postcode WHERE postcode = $1`, pc).Scan(&p.Postcode, &lat, &lon, &term, &la, &cty, &rgn, &ctry, &pfa, &icb, &sicb)
	if err != nil {
		return Postcode{}, notFound(err, "postcode "+pc)
	}
	if lat.Valid && lon.Valid {
		p.Location, p.HasLocation = geo.Point{Lat: lat.Float64, Lon: lon.Float64}, true
	}
	p.Terminated = term.Valid && term.String != ""
	for _, c := range []sql.NullString{la, cty, rgn, ctry, pfa, icb, sicb} {
		if c.Valid && c.String != "" {
			p.Codes = append(p.Codes, c.String)
		}
	}
	return p, nil
}

// PostcodeCount returns how many postcodes are loaded.
func (d *DB) PostcodeCount(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `/* PostcodeCount */ SELECT count(*) FROM postcode`).Scan(&n)
	return n, err
}

// ReplaceAreas stores areas of one kind in one transaction, replacing any
// stored area of that kind with the same code and leaving the others.
func (d *DB) ReplaceAreas(ctx context.Context, areas []geo.Area) error {
	rows := make([][]any, 0, len(areas))
	for _, a := range areas {
		if !a.Kind.Valid() || a.Code == "" || a.Shape == nil {
			return apperr.Errorf(apperr.Invalid, "area %q: needs a kind, a code and a boundary", a.Name)
		}
		js, err := json.Marshal(a.Shape)
		if err != nil {
			return fmt.Errorf("store: encode area %s: %w", a.Code, err)
		}
		b := a.Shape.BBox()
		rows = append(rows, []any{string(a.Kind), a.Code, a.Name, string(js), b.MinLat, b.MinLon, b.MaxLat, b.MaxLon})
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		return d.upsertGeneric(ctx, tx, "area", []string{"kind", "code", "name", "geojson", "min_lat", "min_lon", "max_lat", "max_lon"}, 2, len(rows), func(i int) []any { return rows[i] })
	})
}

// Areas returns the stored areas, of one kind or (kind "") of all kinds,
// ordered by kind and code.
func (d *DB) Areas(ctx context.Context, kind geo.AreaKind) ([]geo.Area, error) {
	rows, err := d.db.QueryContext(ctx, `/* Areas */ SELECT kind, code, name, geojson FROM area
WHERE $1 = '' OR kind = $1 ORDER BY kind, code`, string(kind))
	if err != nil {
		return nil, fmt.Errorf("store: areas: %w", err)
	}
	defer rows.Close()
	var out []geo.Area
	for rows.Next() {
		var a geo.Area
		var k, js string
		if err := rows.Scan(&k, &a.Code, &a.Name, &js); err != nil {
			return nil, err
		}
		a.Kind = geo.AreaKind(k)
		sh, err := geo.ParseShape([]byte(js))
		if err != nil {
			return nil, fmt.Errorf("store: area %s %s: %w", k, a.Code, err)
		}
		a.Shape = sh
		out = append(out, a)
	}
	return out, rows.Err()
}

// AreasAt returns the stored areas whose boundary holds p.
func (d *DB) AreasAt(ctx context.Context, p geo.Point) ([]geo.Area, error) {
	rows, err := d.db.QueryContext(ctx, `/* AreasAt */ SELECT kind, code, name, geojson FROM area
WHERE min_lat <= $1 AND max_lat >= $1 AND min_lon <= $2 AND max_lon >= $2 ORDER BY kind, code`, p.Lat, p.Lon)
	if err != nil {
		return nil, fmt.Errorf("store: areas at %v: %w", p, err)
	}
	defer rows.Close()
	var out []geo.Area
	for rows.Next() {
		var a geo.Area
		var k, js string
		if err := rows.Scan(&k, &a.Code, &a.Name, &js); err != nil {
			return nil, err
		}
		sh, err := geo.ParseShape([]byte(js))
		if err != nil {
			return nil, err
		}
		if sh.Contains(p) {
			a.Kind, a.Shape = geo.AreaKind(k), sh
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

// upsertGeneric writes n rows into table, row(i) giving the values of row
// i, with multi-row INSERTs that replace rows whose first keyCols columns
// match. Rows are built a batch at a time, so a large import never holds all
// its values at once.
func (d *DB) upsertGeneric(ctx context.Context, tx *sql.Tx, table string, cols []string, keyCols, n int, row func(i int) []any) error {
	sets := make([]string, 0, len(cols)-keyCols)
	for _, c := range cols[keyCols:] {
		sets = append(sets, c+" = excluded."+c)
	}
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	tail := ` ON CONFLICT (` + strings.Join(cols[:keyCols], ", ") + `) DO UPDATE SET ` + strings.Join(sets, ", ")
	per := max(1, min(500, d.dialect.maxParams()/len(cols)))
	args := make([]any, 0, per*len(cols))
	full := head + d.dialect.values(per, len(cols)) + tail
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		q := full
		if end-start < per {
			q = head + d.dialect.values(end-start, len(cols)) + tail
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: write %s: %w", table, d.dialect.translate(err))
		}
	}
	return nil
}
