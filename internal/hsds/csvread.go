package hsds

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"throughcare/internal/directory"
)

// dataPackage is the part of a Frictionless datapackage.json we read.
type dataPackage struct {
	Resources []struct {
		Name string          `json:"name"`
		Path json.RawMessage `json:"path"` // a string, or an array of strings
	} `json:"resources"`
}

// tabularAliases are CSV file names the HSDS tabular schema uses that
// differ from ours.
var tabularAliases = map[string]string{"service_at_location.csv": "service_at_location"}

// tableForResource finds the table a datapackage resource holds, by its
// name (service, organization, …) or its file name (services.csv, …).
func tableForResource(name, path string) *directory.Table {
	if t := directory.TableNamed(name); t != nil {
		return t
	}
	base := filepath.Base(path)
	for _, t := range directory.Tables {
		if t.CSV == base || strings.TrimSuffix(t.CSV, ".csv") == name {
			return t
		}
	}
	return directory.TableNamed(tabularAliases[base])
}

// readCSVPackage reads an HSDS tabular datapackage: the folder's
// datapackage.json lists one CSV file per table. Without a
// datapackage.json, the CSV files with the HSDS tabular names are read.
// Resources for tables we do not hold (meta_table_description, extensions)
// are skipped.
func readCSVPackage(dir string) (*directory.Dataset, error) {
	b := newBuilder(dir)
	type resource struct {
		table *directory.Table
		file  string
	}
	var resources []resource
	dpFile := filepath.Join(dir, "datapackage.json")
	data, err := os.ReadFile(dpFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		for _, t := range directory.Tables {
			names := []string{t.CSV}
			for alias, table := range tabularAliases {
				if table == t.Name {
					names = append(names, alias)
				}
			}
			for _, n := range names {
				if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
					resources = append(resources, resource{t, n})
				}
			}
		}
		if len(resources) == 0 {
			return nil, &fieldErr{File: dir, Msg: "no datapackage.json, and no HSDS CSV files (services.csv, organizations.csv …)"}
		}
	case err != nil:
		return nil, &fieldErr{File: dpFile, Msg: "cannot read: " + osMessage(err)}
	default:
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, &fieldErr{File: dpFile, Msg: "file is empty"}
		}
		var dp dataPackage
		if fe := decode(dpFile, data, pos{line: 1, col: 1}, &dp); fe != nil {
			return nil, fe
		}
		for i, r := range dp.Resources {
			var path string
			if json.Unmarshal(r.Path, &path) != nil {
				var paths []string
				if json.Unmarshal(r.Path, &paths) != nil || len(paths) != 1 {
					return nil, &fieldErr{File: dpFile, Field: fmt.Sprintf("resources[%d].path", i), Msg: "must be the name of one CSV file"}
				}
				path = paths[0]
			}
			t := tableForResource(r.Name, path)
			if t == nil {
				continue
			}
			if !filepath.IsLocal(path) || strings.Contains(path, "://") {
				return nil, &fieldErr{File: dpFile, Field: fmt.Sprintf("resources[%d].path", i), Msg: fmt.Sprintf("%q must name a file inside the package folder", path)}
			}
			resources = append(resources, resource{t, path})
		}
	}
	for _, r := range resources {
		if err := readCSV(b, r.table, filepath.Join(dir, r.file)); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

// readCSV streams one CSV file into the builder's dataset. The header row
// names the columns; unknown columns are ignored, as HSDS allows extra
// ones. A malformed row is reported at its line and (byte) column; a cell
// that should be a number at its line and column number (1 for the first).
func readCSV(b *builder, t *directory.Table, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return &fieldErr{File: file, Msg: "cannot open: " + osMessage(err)}
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return &fieldErr{File: file, Msg: "file is empty: it needs at least a header row"}
	}
	if err != nil {
		return csvErr(file, err)
	}
	header = slices.Clone(header)
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	idCol := slices.Index(header, "id")
	if idCol < 0 {
		return &fieldErr{File: file, Line: 1, Msg: "the header row has no id column"}
	}
	app := t.NewAppender(b.d, header)
	rows := reflect.ValueOf(b.d).Elem().FieldByName(t.Field)
	seen := b.seen[t.Name]
	if seen == nil {
		seen = map[string]int{}
		b.seen[t.Name] = seen
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(file, err)
		}
		line, _ := r.FieldPos(0)
		id := rec[idCol]
		if err := app.AppendStrings(rec); err != nil {
			col := directory.ColumnOf(err)
			c := slices.Index(header, col)
			value := ""
			if c >= 0 {
				value = rec[c]
			}
			return &fieldErr{File: file, Line: line, Column: c + 1, Record: t.Name + " " + id, Field: col, Msg: fmt.Sprintf("%q is not a number", value)}
		}
		if id == "" {
			continue
		}
		last := rows.Len() - 1
		if i, ok := seen[id]; ok {
			if !sameScalars(rows.Index(i), rows.Index(last)) {
				return &fieldErr{File: file, Line: line, Record: t.Name + " " + id, Field: "id",
					Msg: fmt.Sprintf("duplicate id: the file has two different %s records with this id", label(t.Name))}
			}
			rows.SetLen(last)
			continue
		}
		seen[id] = last
	}
}

func csvErr(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &fieldErr{File: file, Line: pe.Line, Column: pe.Column, Msg: "invalid CSV: " + pe.Err.Error()}
	}
	return &fieldErr{File: file, Msg: "cannot read: " + err.Error()}
}
