package directory

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Dataset is a directory in its flat, tabular form: one slice per HSDS
// table, with parent links held as *_id fields and nested slices left empty.
// It is what imports produce, what the store persists and what exports read.
type Dataset struct {
	Organizations           []Organization
	OrganizationIdentifiers []OrganizationIdentifier
	Programs                []Program
	Services                []Service
	Locations               []Location
	ServiceAtLocations      []ServiceAtLocation
	Addresses               []Address
	Phones                  []Phone
	Contacts                []Contact
	Schedules               []Schedule
	ServiceAreas            []ServiceArea
	Languages               []Language
	Accessibility           []Accessibility
	CostOptions             []CostOption
	Funding                 []Funding
	RequiredDocuments       []RequiredDocument
	Taxonomies              []Taxonomy
	TaxonomyTerms           []TaxonomyTerm
	Attributes              []Attribute
	Metadata                []Metadata
}

// Table describes one HSDS table: its name (as in the HSDS tabular schema and
// our database), the CSV file of a datapackage, the Dataset field holding its
// rows, and its scalar columns in schema order.
type Table struct {
	Name    string   // "service"
	CSV     string   // "services.csv"
	Field   string   // Dataset field name, "Services"
	Columns []string // scalar columns, "id" first

	typ    reflect.Type
	fields []int // struct field index per column
	kinds  []colKind
}

type colKind uint8

const (
	colString colKind = iota
	colNumber         // *float64
)

// Tables lists every HSDS table in an order in which parents come before
// the children that refer to them, so inserts can follow it and deletes can
// run it backwards.
var Tables = []*Table{
	newTable("taxonomy", "taxonomies.csv", "Taxonomies"),
	newTable("taxonomy_term", "taxonomy_terms.csv", "TaxonomyTerms"),
	newTable("organization", "organizations.csv", "Organizations"),
	newTable("organization_identifier", "organization_identifiers.csv", "OrganizationIdentifiers"),
	newTable("program", "programs.csv", "Programs"),
	newTable("service", "services.csv", "Services"),
	newTable("location", "locations.csv", "Locations"),
	newTable("service_at_location", "service_at_locations.csv", "ServiceAtLocations"),
	newTable("address", "addresses.csv", "Addresses"),
	newTable("contact", "contacts.csv", "Contacts"),
	newTable("phone", "phones.csv", "Phones"),
	newTable("schedule", "schedules.csv", "Schedules"),
	newTable("service_area", "service_areas.csv", "ServiceAreas"),
	newTable("language", "languages.csv", "Languages"),
	newTable("accessibility", "accessibility.csv", "Accessibility"),
	newTable("cost_option", "cost_options.csv", "CostOptions"),
	newTable("funding", "funding.csv", "Funding"),
	newTable("required_document", "required_documents.csv", "RequiredDocuments"),
	newTable("attribute", "attributes.csv", "Attributes"),
	newTable("metadata", "metadata.csv", "Metadata"),
}

var tableByName = func() map[string]*Table {
	m := make(map[string]*Table, len(Tables))
	for _, t := range Tables {
		m[t.Name] = t
	}
	return m
}()

// TableNamed returns the table with the given HSDS name, or nil.
func TableNamed(name string) *Table { return tableByName[name] }

var float64Ptr = reflect.TypeFor[*float64]()

func newTable(name, csv, field string) *Table {
	f, ok := reflect.TypeFor[Dataset]().FieldByName(field)
	if !ok {
		panic("directory: no Dataset field " + field)
	}
	t := &Table{Name: name, CSV: csv, Field: field, typ: f.Type.Elem()}
	for i := range t.typ.NumField() {
		sf := t.typ.Field(i)
		col, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case sf.Type.Kind() == reflect.String:
			t.kinds = append(t.kinds, colString)
		case sf.Type == float64Ptr:
			t.kinds = append(t.kinds, colNumber)
		default:
			continue // nested records are not columns
		}
		t.Columns = append(t.Columns, col)
		t.fields = append(t.fields, i)
	}
	return t
}

func (t *Table) rows(d *Dataset) reflect.Value {
	return reflect.ValueOf(d).Elem().FieldByName(t.Field)
}

// Len returns the number of rows the dataset holds in this table.
func (t *Table) Len(d *Dataset) int { return t.rows(d).Len() }

// ID returns the id of row i.
func (t *Table) ID(d *Dataset, i int) string {
	return t.rows(d).Index(i).Field(0).String()
}

// Values returns row i as database values, one per column: a string or nil
// for text (nil when empty) and a float64 or nil for numbers.
func (t *Table) Values(d *Dataset, i int) []any {
	row := t.rows(d).Index(i)
	out := make([]any, len(t.fields))
	for c, fi := range t.fields {
		v := row.Field(fi)
		switch t.kinds[c] {
		case colString:
			if s := v.String(); s != "" {
				out[c] = s
			}
		case colNumber:
			if !v.IsNil() {
				out[c] = v.Elem().Float()
			}
		}
	}
	return out
}

// Strings returns row i as text, one per column, as a CSV file holds it.
func (t *Table) Strings(d *Dataset, i int) []string {
	vals := t.Values(d, i)
	out := make([]string, len(vals))
	for c, v := range vals {
		switch v := v.(type) {
		case string:
			out[c] = v
		case float64:
			out[c] = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return out
}

// Appender adds rows to one table of a dataset from column values.
type Appender struct {
	t   *Table
	d   *Dataset
	col []int // for each input column, the table column index or -1
}

// NewAppender returns an Appender for rows whose values come in the order of
// cols. Unknown column names are ignored (HSDS allows extra columns).
func (t *Table) NewAppender(d *Dataset, cols []string) *Appender {
	a := &Appender{t: t, d: d, col: make([]int, len(cols))}
	for i, name := range cols {
		a.col[i] = -1
		for c, have := range t.Columns {
			if have == name {
				a.col[i] = c
			}
		}
	}
	return a
}

// Known reports whether input column i is a column of the table.
func (a *Appender) Known(i int) bool { return a.col[i] >= 0 }

// AppendStrings adds one row from text values (as read from CSV). An empty
// value leaves the field unset. A number column that does not parse is an
// error naming the column, and no row is added.
func (a *Appender) AppendStrings(vals []string) error {
	row := reflect.New(a.t.typ).Elem()
	for i, s := range vals {
		if i >= len(a.col) || a.col[i] < 0 || s == "" {
			continue
		}
		c := a.col[i]
		f := row.Field(a.t.fields[c])
		switch a.t.kinds[c] {
		case colString:
			f.SetString(s)
		case colNumber:
			n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return &columnError{Column: a.t.Columns[c], Value: s}
			}
			f.Set(reflect.ValueOf(&n))
		}
	}
	rows := a.t.rows(a.d)
	rows.Set(reflect.Append(rows, row))
	return nil
}

// AppendValues adds one row from database values: string, []byte, float64,
// int64 or nil, in the order given to NewAppender.
func (a *Appender) AppendValues(vals []any) error {
	row := reflect.New(a.t.typ).Elem()
	for i, v := range vals {
		if i >= len(a.col) || a.col[i] < 0 || v == nil {
			continue
		}
		c := a.col[i]
		f := row.Field(a.t.fields[c])
		switch a.t.kinds[c] {
		case colString:
			switch v := v.(type) {
			case string:
				f.SetString(v)
			case []byte:
				f.SetString(string(v))
			default:
				f.SetString(fmt.Sprint(v))
			}
		case colNumber:
			var n float64
			switch v := v.(type) {
			case float64:
				n = v
			case int64:
				n = float64(v)
			case []byte:
				p, err := strconv.ParseFloat(string(v), 64)
				if err != nil {
					return &columnError{Column: a.t.Columns[c], Value: string(v)}
				}
				n = p
			default:
				return &columnError{Column: a.t.Columns[c], Value: fmt.Sprint(v)}
			}
			f.Set(reflect.ValueOf(&n))
		}
	}
	rows := a.t.rows(a.d)
	rows.Set(reflect.Append(rows, row))
	return nil
}

type columnError struct{ Column, Value string }

func (e *columnError) Error() string {
	return fmt.Sprintf("%s: %q is not a number", e.Column, e.Value)
}

// ColumnOf returns the column named in an error from AppendStrings or
// AppendValues, or "".
func ColumnOf(err error) string {
	if e, ok := err.(*columnError); ok {
		return e.Column
	}
	return ""
}

// Count returns the total number of rows across all tables.
func (d *Dataset) Count() int {
	n := 0
	for _, t := range Tables {
		n += t.Len(d)
	}
	return n
}

// Counts returns the number of rows per table name, leaving out empty tables.
func (d *Dataset) Counts() map[string]int {
	m := map[string]int{}
	for _, t := range Tables {
		if n := t.Len(d); n > 0 {
			m[t.Name] = n
		}
	}
	return m
}

// Strip clears the nested slices and objects of every row, keeping only the
// scalar columns, so a Dataset built from nested input holds the flat form.
func (d *Dataset) Strip() {
	for _, t := range Tables {
		rows := t.rows(d)
		for i := range rows.Len() {
			row := rows.Index(i)
			for fi := range t.typ.NumField() {
				f := row.Field(fi)
				if k := f.Kind(); k == reflect.Slice || (k == reflect.Pointer && f.Type() != float64Ptr) {
					f.SetZero()
				}
			}
		}
	}
}

// RowIndex finds a dataset's records: by table name, then id, the row's
// position in its table.
type RowIndex map[string]map[string]int

// Rows indexes every record of ds (which may be nil) by table and id.
func Rows(ds *Dataset) RowIndex {
	out := RowIndex{}
	if ds == nil {
		return out
	}
	for _, t := range Tables {
		n := t.Len(ds)
		if n == 0 {
			continue
		}
		m := make(map[string]int, n)
		for i := range n {
			m[t.ID(ds, i)] = i
		}
		out[t.Name] = m
	}
	return out
}

// Has reports whether the indexed dataset holds a record id in table.
func (r RowIndex) Has(table, id string) bool {
	_, ok := r[table][id]
	return ok
}
