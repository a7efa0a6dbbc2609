package hsds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"throughcare/internal/directory"
)

// WriteJSON writes the whole directory as an HSDS 3.0 Page of fully nested
// services, so any HSDS client can read it:
//
//	{"total_items": N, "total_pages": 1, "page_number": 1, "size": N,
//	 "first_page": true, "last_page": true, "empty": false,
//	 "contents": [ service, … ],
//	 "organizations": [ … ], "taxonomy_terms": [ … ], …}
//
// Each service carries its phones, schedules, service areas, languages,
// funding, cost options, required documents, contacts (with their phones),
// service-at-locations (with contacts, phones, schedules and the location,
// itself with addresses, accessibility, languages, phones, contacts and
// schedules), attributes (with their taxonomy term and its taxonomy) and
// metadata, and its organisation and programme.
//
// Every row of the dataset is written exactly once in full. An
// organisation, programme, location, taxonomy term or taxonomy that several
// records share is written in full where it first appears and as its own
// fields only (no nested arrays) after that; readers keep one copy of
// records that agree. A child record is nested under the first parent it
// names, in the order contact, service at location, service, location,
// organisation (as the Index does), and keeps its other parent ids as
// fields. Records no service reaches (organisations without services,
// unused taxonomy terms, locations of no service, rows whose parent is
// missing) follow the contents in extra arrays named after their CSV files
// ("organizations", "taxonomies", "taxonomy_terms", "locations", …). So that
// reading fills in nothing the dataset lacked, an attribute with no
// link_type and a metadata row with no resource_type also go there rather
// than nested. Reading the output back (Read with hsds-json) gives the
// dataset the Index was built from.
//
// The output is written as it is built, one record at a time.
func WriteJSON(w io.Writer, x *directory.Index) error {
	d := x.Dataset()
	bw := bufio.NewWriterSize(w, 64<<10)
	n := len(d.Services)
	fmt.Fprintf(bw, "{\"total_items\":%d,\"total_pages\":1,\"page_number\":1,\"size\":%d,\"first_page\":true,\"last_page\":true,\"empty\":%t,\n\"contents\":[", n, n, n == 0)
	enc := newRecordEncoder()
	e := newExporter(d)
	for i := range d.Services {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
		if err := enc.write(bw, e.service(i)); err != nil {
			return err
		}
	}
	bw.WriteString("\n]")
	current := ""
	err := e.rest(func(table string, rec any) error {
		if table != current {
			if current != "" {
				bw.WriteString("\n]")
			}
			fmt.Fprintf(bw, ",\n%q:[\n", strings.TrimSuffix(directory.TableNamed(table).CSV, ".csv"))
			current = table
		} else {
			bw.WriteString(",\n")
		}
		return enc.write(bw, rec)
	})
	if err != nil {
		return err
	}
	if current != "" {
		bw.WriteString("\n]")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// WriteNDJSON writes the whole directory one record a line: first every
// service, nested as WriteJSON nests it, then each record no service
// reaches as a one-field object naming its table, such as
// {"organization": {...}}. Reading the output back (Read with ndjson) gives
// the dataset the Index was built from.
func WriteNDJSON(w io.Writer, x *directory.Index) error {
	d := x.Dataset()
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := newRecordEncoder()
	e := newExporter(d)
	for i := range d.Services {
		if err := enc.write(bw, e.service(i)); err != nil {
			return err
		}
		bw.WriteByte('\n')
	}
	err := e.rest(func(table string, rec any) error {
		fmt.Fprintf(bw, "{%q:", table)
		if err := enc.write(bw, rec); err != nil {
			return err
		}
		bw.WriteString("}\n")
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// recordEncoder marshals one record at a time into a reused buffer,
// without HTML escaping.
type recordEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newRecordEncoder() *recordEncoder {
	e := &recordEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *recordEncoder) write(w *bufio.Writer, v any) error {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
	return err
}

// parentKey names the record a child nests under.
type parentKey struct {
	table string
	id    string
}

// exporter assembles nested records from a flat dataset, writing each row
// once in full (see WriteJSON).
type exporter struct {
	d    *directory.Dataset
	done map[string][]bool // per table, rows already written in full

	org, prog, loc, tax, term map[string]int // id → row

	// Children by the parent they nest under.
	identifiers, programs, locations, sals, addresses, accessibility map[string][]int
	areas, costs, docs                                               map[string][]int
	contacts, phones, schedules, languages, funding                  map[parentKey][]int
	attributes, metadata                                             map[string][]int
}

func newExporter(d *directory.Dataset) *exporter {
	e := &exporter{d: d, done: map[string][]bool{}}
	for _, t := range directory.Tables {
		e.done[t.Name] = make([]bool, t.Len(d))
	}
	e.org = index(d.Organizations, func(r *directory.Organization) string { return r.ID })
	e.prog = index(d.Programs, func(r *directory.Program) string { return r.ID })
	e.loc = index(d.Locations, func(r *directory.Location) string { return r.ID })
	e.tax = index(d.Taxonomies, func(r *directory.Taxonomy) string { return r.ID })
	e.term = index(d.TaxonomyTerms, func(r *directory.TaxonomyTerm) string { return r.ID })

	e.identifiers = byParent(d.OrganizationIdentifiers, func(r *directory.OrganizationIdentifier) string { return r.OrganizationID })
	e.programs = byParent(d.Programs, func(r *directory.Program) string { return r.OrganizationID })
	e.locations = byParent(d.Locations, func(r *directory.Location) string { return r.OrganizationID })
	e.sals = byParent(d.ServiceAtLocations, func(r *directory.ServiceAtLocation) string { return r.ServiceID })
	e.addresses = byParent(d.Addresses, func(r *directory.Address) string { return r.LocationID })
	e.accessibility = byParent(d.Accessibility, func(r *directory.Accessibility) string { return r.LocationID })
	e.areas = byParent(d.ServiceAreas, func(r *directory.ServiceArea) string { return r.ServiceID })
	e.costs = byParent(d.CostOptions, func(r *directory.CostOption) string { return r.ServiceID })
	e.docs = byParent(d.RequiredDocuments, func(r *directory.RequiredDocument) string { return r.ServiceID })
	e.contacts = byFirstParent(d.Contacts, func(r *directory.Contact) []parentKey {
		return []parentKey{{"service_at_location", r.ServiceAtLocationID}, {"service", r.ServiceID}, {"location", r.LocationID}, {"organization", r.OrganizationID}}
	})
	e.phones = byFirstParent(d.Phones, func(r *directory.Phone) []parentKey {
		return []parentKey{{"contact", r.ContactID}, {"service_at_location", r.ServiceAtLocationID}, {"service", r.ServiceID}, {"location", r.LocationID}, {"organization", r.OrganizationID}}
	})
	e.schedules = byFirstParent(d.Schedules, func(r *directory.Schedule) []parentKey {
		return []parentKey{{"service_at_location", r.ServiceAtLocationID}, {"service", r.ServiceID}, {"location", r.LocationID}}
	})
	e.languages = byFirstParent(d.Languages, func(r *directory.Language) []parentKey {
		return []parentKey{{"phone", r.PhoneID}, {"service", r.ServiceID}, {"location", r.LocationID}}
	})
	e.funding = byFirstParent(d.Funding, func(r *directory.Funding) []parentKey {
		return []parentKey{{"service", r.ServiceID}, {"organization", r.OrganizationID}}
	})
	// Reading fills an empty link_type or resource_type from the record an
	// attribute or metadata row is nested in, so rows without one are not
	// nested.
	e.attributes = byParent(d.Attributes, func(r *directory.Attribute) string {
		if r.LinkType == "" {
			return ""
		}
		return r.LinkID
	})
	e.metadata = byParent(d.Metadata, func(r *directory.Metadata) string {
		if r.ResourceType == "" {
			return ""
		}
		return r.ResourceID
	})
	return e
}

func index[T any](rows []T, id func(*T) string) map[string]int {
	m := make(map[string]int, len(rows))
	for i := range rows {
		if k := id(&rows[i]); k != "" {
			if _, dup := m[k]; !dup {
				m[k] = i
			}
		}
	}
	return m
}

func byParent[T any](rows []T, parent func(*T) string) map[string][]int {
	m := map[string][]int{}
	for i := range rows {
		if k := parent(&rows[i]); k != "" {
			m[k] = append(m[k], i)
		}
	}
	return m
}

func byFirstParent[T any](rows []T, parents func(*T) []parentKey) map[parentKey][]int {
	m := map[parentKey][]int{}
	for i := range rows {
		for _, k := range parents(&rows[i]) {
			if k.id != "" {
				m[k] = append(m[k], i)
				break
			}
		}
	}
	return m
}

// take returns the rows of idx not yet written, marking them written.
func take[T any](e *exporter, table string, rows []T, idx []int) []T {
	done := e.done[table]
	var out []T
	for _, i := range idx {
		if !done[i] {
			done[i] = true
			out = append(out, rows[i])
		}
	}
	return out
}

func (e *exporter) attrs(id string) []directory.Attribute {
	as := take(e, "attribute", e.d.Attributes, e.attributes[id])
	for i := range as {
		as[i].TaxonomyTerm = e.termRef(as[i].TaxonomyTermID)
		as[i].Metadata = e.meta(as[i].ID)
	}
	return as
}

func (e *exporter) meta(id string) []directory.Metadata {
	return take(e, "metadata", e.d.Metadata, e.metadata[id])
}

// ref returns the record with the given id, in full the first time and as
// its own fields after that, or nil if there is none.
func ref[T any](e *exporter, table string, rows []T, ids map[string]int, id string, full func(r *T)) *T {
	i, ok := ids[id]
	if !ok || id == "" {
		return nil
	}
	r := rows[i]
	if !e.done[table][i] {
		e.done[table][i] = true
		full(&r)
	}
	return &r
}

func (e *exporter) termRef(id string) *directory.TaxonomyTerm {
	return ref(e, "taxonomy_term", e.d.TaxonomyTerms, e.term, id, e.fullTerm)
}

func (e *exporter) fullTerm(t *directory.TaxonomyTerm) {
	t.TaxonomyDetail = e.taxRef(t.TaxonomyID)
	t.Metadata = e.meta(t.ID)
}

func (e *exporter) taxRef(id string) *directory.Taxonomy {
	return ref(e, "taxonomy", e.d.Taxonomies, e.tax, id, e.fullTaxonomy)
}

func (e *exporter) fullTaxonomy(t *directory.Taxonomy) { t.Metadata = e.meta(t.ID) }

func (e *exporter) orgRef(id string) *directory.Organization {
	return ref(e, "organization", e.d.Organizations, e.org, id, e.fullOrganization)
}

func (e *exporter) fullOrganization(o *directory.Organization) {
	id := o.ID
	o.Funding = e.fundingOf(parentKey{"organization", id})
	o.Contacts = e.contactsOf(parentKey{"organization", id})
	o.Phones = e.phonesOf(parentKey{"organization", id})
	for _, i := range e.locations[id] {
		if l := e.locRef(e.d.Locations[i].ID); l != nil {
			o.Locations = append(o.Locations, *l)
		}
	}
	for _, i := range e.programs[id] {
		if p := e.progRef(e.d.Programs[i].ID); p != nil {
			o.Programs = append(o.Programs, *p)
		}
	}
	o.OrganizationIdentifiers = take(e, "organization_identifier", e.d.OrganizationIdentifiers, e.identifiers[id])
	for i := range o.OrganizationIdentifiers {
		e.tag(&o.OrganizationIdentifiers[i].Attributes, &o.OrganizationIdentifiers[i].Metadata, o.OrganizationIdentifiers[i].ID)
	}
	o.Attributes = e.attrs(id)
	o.Metadata = e.meta(id)
}

func (e *exporter) tag(attrs *[]directory.Attribute, meta *[]directory.Metadata, id string) {
	*attrs = e.attrs(id)
	*meta = e.meta(id)
}

func (e *exporter) progRef(id string) *directory.Program {
	return ref(e, "program", e.d.Programs, e.prog, id, func(p *directory.Program) { e.tag(&p.Attributes, &p.Metadata, p.ID) })
}

func (e *exporter) locRef(id string) *directory.Location {
	return ref(e, "location", e.d.Locations, e.loc, id, e.fullLocation)
}

func (e *exporter) fullLocation(l *directory.Location) {
	id := l.ID
	l.Languages = e.languagesOf(parentKey{"location", id})
	l.Addresses = take(e, "address", e.d.Addresses, e.addresses[id])
	for i := range l.Addresses {
		e.tag(&l.Addresses[i].Attributes, &l.Addresses[i].Metadata, l.Addresses[i].ID)
	}
	l.Contacts = e.contactsOf(parentKey{"location", id})
	l.Accessibility = take(e, "accessibility", e.d.Accessibility, e.accessibility[id])
	for i := range l.Accessibility {
		e.tag(&l.Accessibility[i].Attributes, &l.Accessibility[i].Metadata, l.Accessibility[i].ID)
	}
	l.Phones = e.phonesOf(parentKey{"location", id})
	l.Schedules = e.schedulesOf(parentKey{"location", id})
	e.tag(&l.Attributes, &l.Metadata, id)
}

func (e *exporter) phonesOf(k parentKey) []directory.Phone {
	ps := take(e, "phone", e.d.Phones, e.phones[k])
	for i := range ps {
		e.fullPhone(&ps[i])
	}
	return ps
}

func (e *exporter) fullPhone(p *directory.Phone) {
	p.Languages = e.languagesOf(parentKey{"phone", p.ID})
	e.tag(&p.Attributes, &p.Metadata, p.ID)
}

func (e *exporter) contactsOf(k parentKey) []directory.Contact {
	cs := take(e, "contact", e.d.Contacts, e.contacts[k])
	for i := range cs {
		e.fullContact(&cs[i])
	}
	return cs
}

func (e *exporter) fullContact(c *directory.Contact) {
	c.Phones = e.phonesOf(parentKey{"contact", c.ID})
	e.tag(&c.Attributes, &c.Metadata, c.ID)
}

func (e *exporter) schedulesOf(k parentKey) []directory.Schedule {
	ss := take(e, "schedule", e.d.Schedules, e.schedules[k])
	for i := range ss {
		e.tag(&ss[i].Attributes, &ss[i].Metadata, ss[i].ID)
	}
	return ss
}

func (e *exporter) languagesOf(k parentKey) []directory.Language {
	ls := take(e, "language", e.d.Languages, e.languages[k])
	for i := range ls {
		e.tag(&ls[i].Attributes, &ls[i].Metadata, ls[i].ID)
	}
	return ls
}

func (e *exporter) fundingOf(k parentKey) []directory.Funding {
	fs := take(e, "funding", e.d.Funding, e.funding[k])
	for i := range fs {
		e.tag(&fs[i].Attributes, &fs[i].Metadata, fs[i].ID)
	}
	return fs
}

// service returns service i fully nested.
func (e *exporter) service(i int) directory.Service {
	e.done["service"][i] = true
	s := e.d.Services[i]
	id := s.ID
	s.Phones = e.phonesOf(parentKey{"service", id})
	s.Schedules = e.schedulesOf(parentKey{"service", id})
	s.ServiceAreas = take(e, "service_area", e.d.ServiceAreas, e.areas[id])
	for j := range s.ServiceAreas {
		e.tag(&s.ServiceAreas[j].Attributes, &s.ServiceAreas[j].Metadata, s.ServiceAreas[j].ID)
	}
	for _, j := range e.sals[id] {
		if !e.done["service_at_location"][j] {
			s.ServiceAtLocations = append(s.ServiceAtLocations, e.serviceAtLocation(j))
		}
	}
	s.Languages = e.languagesOf(parentKey{"service", id})
	s.Organization = e.orgRef(s.OrganizationID)
	s.Funding = e.fundingOf(parentKey{"service", id})
	s.CostOptions = take(e, "cost_option", e.d.CostOptions, e.costs[id])
	for j := range s.CostOptions {
		e.tag(&s.CostOptions[j].Attributes, &s.CostOptions[j].Metadata, s.CostOptions[j].ID)
	}
	s.Program = e.progRef(s.ProgramID)
	s.RequiredDocuments = take(e, "required_document", e.d.RequiredDocuments, e.docs[id])
	for j := range s.RequiredDocuments {
		e.tag(&s.RequiredDocuments[j].Attributes, &s.RequiredDocuments[j].Metadata, s.RequiredDocuments[j].ID)
	}
	s.Contacts = e.contactsOf(parentKey{"service", id})
	e.tag(&s.Attributes, &s.Metadata, id)
	return s
}

func (e *exporter) serviceAtLocation(i int) directory.ServiceAtLocation {
	e.done["service_at_location"][i] = true
	sl := e.d.ServiceAtLocations[i]
	id := sl.ID
	sl.Contacts = e.contactsOf(parentKey{"service_at_location", id})
	sl.Phones = e.phonesOf(parentKey{"service_at_location", id})
	sl.Schedules = e.schedulesOf(parentKey{"service_at_location", id})
	sl.Location = e.locRef(sl.LocationID)
	e.tag(&sl.Attributes, &sl.Metadata, id)
	return sl
}

// rest calls emit, table by table in the order of directory.Tables, for
// every row not yet written, nested as far as its children are unwritten.
func (e *exporter) rest(emit func(table string, rec any) error) error {
	d := e.d
	for _, t := range directory.Tables {
		done := e.done[t.Name]
		for i := range done {
			if done[i] {
				continue
			}
			var rec any
			switch t.Name {
			case "taxonomy":
				rec = refOrRow(e, t.Name, d.Taxonomies, e.tax, i, e.taxRef)
			case "taxonomy_term":
				rec = refOrRow(e, t.Name, d.TaxonomyTerms, e.term, i, e.termRef)
			case "organization":
				rec = refOrRow(e, t.Name, d.Organizations, e.org, i, e.orgRef)
			case "program":
				rec = refOrRow(e, t.Name, d.Programs, e.prog, i, e.progRef)
			case "location":
				rec = refOrRow(e, t.Name, d.Locations, e.loc, i, e.locRef)
			case "service":
				rec = e.service(i)
			case "service_at_location":
				rec = e.serviceAtLocation(i)
			case "contact":
				done[i] = true
				c := d.Contacts[i]
				e.fullContact(&c)
				rec = c
			case "phone":
				done[i] = true
				p := d.Phones[i]
				e.fullPhone(&p)
				rec = p
			default:
				rec = e.flat(t, i)
			}
			if err := emit(t.Name, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// refOrRow returns row i of a shared-record table in full, or as it is
// when its id is empty or repeated (which validation rejects, but an
// export should still not lose).
func refOrRow[T any](e *exporter, table string, rows []T, ids map[string]int, i int, full func(id string) *T) any {
	id := reflect.ValueOf(rows[i]).Field(0).String()
	if j, ok := ids[id]; ok && j == i {
		return full(id)
	}
	e.done[table][i] = true
	return rows[i]
}

// flat returns a leftover row of a table whose records nest nothing but
// attributes and metadata.
func (e *exporter) flat(t *directory.Table, i int) any {
	d := e.d
	e.done[t.Name][i] = true
	switch t.Name {
	case "organization_identifier":
		r := d.OrganizationIdentifiers[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "address":
		r := d.Addresses[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "schedule":
		r := d.Schedules[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "service_area":
		r := d.ServiceAreas[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "language":
		r := d.Languages[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "accessibility":
		r := d.Accessibility[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "cost_option":
		r := d.CostOptions[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "funding":
		r := d.Funding[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "required_document":
		r := d.RequiredDocuments[i]
		e.tag(&r.Attributes, &r.Metadata, r.ID)
		return r
	case "attribute":
		r := d.Attributes[i]
		r.TaxonomyTerm = e.termRef(r.TaxonomyTermID)
		r.Metadata = e.meta(r.ID)
		return r
	case "metadata":
		return d.Metadata[i]
	}
	panic("hsds: no flat export for table " + t.Name)
}
