package hsds

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"throughcare/internal/directory"
)

// WriteCSVPackage writes d as an HSDS tabular datapackage into dir (made if
// missing): one CSV file per table that has rows, named as in the HSDS
// tabular schema (services.csv, organizations.csv …), with a header row of
// the table's columns, and a datapackage.json describing each file's fields
// with the types, formats and required columns of HSDS 3.0. Numbers are
// written in full precision, so reading the package back gives d again.
func WriteCSVPackage(dir string, d *directory.Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make %s: %w", dir, err)
	}
	pkg := packageDescriptor{
		Name:    "hsds-directory",
		Title:   "Open Referral HSDS 3.0 directory",
		Profile: "tabular-data-package",
	}
	for _, t := range directory.Tables {
		if t.Len(d) == 0 {
			continue
		}
		if err := writeCSV(filepath.Join(dir, t.CSV), t, d); err != nil {
			return err
		}
		pkg.Resources = append(pkg.Resources, resourceDescriptor(t))
	}
	data, err := json.MarshalIndent(pkg, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "datapackage.json"), func(w *bufio.Writer) error {
		w.Write(data)
		return w.WriteByte('\n')
	})
}

func writeCSV(path string, t *directory.Table, d *directory.Dataset) error {
	return writeFileAtomic(path, func(w *bufio.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Columns); err != nil {
			return err
		}
		for i := range t.Len(d) {
			if err := cw.Write(t.Strings(d, i)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeFileAtomic writes a file through a temporary one renamed into place,
// so a failed export never leaves a half-written file under the real name.
func writeFileAtomic(path string, write func(w *bufio.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 64<<10)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

type packageDescriptor struct {
	Name      string         `json:"name"`
	Title     string         `json:"title"`
	Profile   string         `json:"profile"`
	Resources []resourceDesc `json:"resources"`
}

type resourceDesc struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Profile   string      `json:"profile"`
	Format    string      `json:"format"`
	MediaType string      `json:"mediatype"`
	Encoding  string      `json:"encoding"`
	Schema    tableSchema `json:"schema"`
}

type tableSchema struct {
	Fields     []field `json:"fields"`
	PrimaryKey string  `json:"primaryKey"`
}

type field struct {
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Format      string       `json:"format,omitempty"`
	Constraints *constraints `json:"constraints,omitempty"`
}

type constraints struct {
	Required bool `json:"required,omitempty"`
	Unique   bool `json:"unique,omitempty"`
}

// resourceDescriptor describes one table's CSV file as the HSDS tabular
// schema does: text columns are strings (with format uuid, email, uri or
// date-time where the schema gives one), numeric columns numbers.
func resourceDescriptor(t *directory.Table) resourceDesc {
	numbers := numberColumns(t)
	required := directory.RequiredColumns(t.Name)
	r := resourceDesc{Name: t.Name, Path: t.CSV, Profile: "tabular-data-resource", Format: "csv", MediaType: "text/csv",
		Encoding: "utf-8", Schema: tableSchema{PrimaryKey: "id"}}
	for _, col := range t.Columns {
		f := field{Name: col, Type: "string"}
		if numbers[col] {
			f.Type = "number"
		}
		switch format := directory.ColumnFormat(t.Name, col); format {
		case directory.FormatUUID, directory.FormatEmail, directory.FormatURI, directory.FormatDateTime:
			f.Format = format
		}
		if c := (constraints{Required: slices.Contains(required, col), Unique: col == "id"}); c != (constraints{}) {
			f.Constraints = &c
		}
		r.Schema.Fields = append(r.Schema.Fields, f)
	}
	return r
}

// numberColumns returns the columns of t held as numbers.
func numberColumns(t *directory.Table) map[string]bool {
	f, _ := reflect.TypeFor[directory.Dataset]().FieldByName(t.Field)
	row := f.Type.Elem()
	out := map[string]bool{}
	for i := range row.NumField() {
		sf := row.Field(i)
		if sf.Type == float64Ptr {
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			out[name] = true
		}
	}
	return out
}
