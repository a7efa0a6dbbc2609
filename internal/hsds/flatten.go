package hsds

import (
	"fmt"
	"reflect"
	"strings"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// builder collects the records of one input file into a flat Dataset.
// Nested records become rows of their own with the parent's id filled in;
// a record met twice is kept once if both copies agree, and is a
// "duplicate id" error if they differ.
type builder struct {
	d    *directory.Dataset
	file string
	at   pos // where the record being flattened starts, for errors
	seen map[string]map[string]int
	v1   bool // some records came from ORUK v1
}

func newBuilder(file string) *builder {
	return &builder{d: &directory.Dataset{}, file: file, seen: map[string]map[string]int{}}
}

func (b *builder) fail(record, field, format string, args ...any) error {
	return &apperr.FieldError{File: b.file, Line: b.at.line, Column: b.at.col, Record: record, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// finish returns the dataset. Its rows are already flat: add clears each
// record's nested fields as it keeps it (what Dataset.Strip does), so the
// nested copies are freed as reading goes. ORUK v1 taxonomies name parents
// that feeds seldom include; such a parent_id is dropped rather than left
// dangling.
func (b *builder) finish() *directory.Dataset {
	if b.v1 {
		terms := b.seen["taxonomy_term"]
		for i := range b.d.TaxonomyTerms {
			if p := b.d.TaxonomyTerms[i].ParentID; p != "" {
				if _, ok := terms[p]; !ok {
					b.d.TaxonomyTerms[i].ParentID = ""
				}
			}
		}
	}
	return b.d
}

// add appends row (with its nested fields cleared) to rows unless a row
// with the same id is already there: an identical one is skipped, a
// different one is an error.
func add[T any](b *builder, table string, rows *[]T, row T, id string) error {
	clearNested(&row)
	m := b.seen[table]
	if m == nil {
		m = map[string]int{}
		b.seen[table] = m
	}
	if i, ok := m[id]; ok && id != "" {
		if sameScalars(reflect.ValueOf(&(*rows)[i]).Elem(), reflect.ValueOf(&row).Elem()) {
			return nil
		}
		return b.fail(table+" "+id, "id", "duplicate id: the file has two different %s records with this id", label(table))
	}
	if id != "" {
		m[id] = len(*rows)
	}
	*rows = append(*rows, row)
	return nil
}

func label(table string) string { return strings.ReplaceAll(table, "_", " ") }

var float64Ptr = reflect.TypeFor[*float64]()

// clearNested zeroes the slice and record-pointer fields of a record, which
// the flat form does not hold.
func clearNested[T any](row *T) {
	v := reflect.ValueOf(row).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if k := f.Kind(); k == reflect.Slice || k == reflect.Pointer && f.Type() != float64Ptr {
			f.SetZero()
		}
	}
}

// sameScalars compares the text and number fields of two records.
func sameScalars(a, b reflect.Value) bool {
	for i := range a.NumField() {
		fa, fb := a.Field(i), b.Field(i)
		switch {
		case fa.Kind() == reflect.String:
			if fa.String() != fb.String() {
				return false
			}
		case fa.Type() == float64Ptr:
			if fa.IsNil() != fb.IsNil() || !fa.IsNil() && fa.Elem().Float() != fb.Elem().Float() {
				return false
			}
		}
	}
	return true
}

// link fills a child's parent id from the record it is nested in, or fails
// if the child names a different parent.
func (b *builder) link(field *string, parent, childTable, childID, column string) error {
	if *field == "" {
		*field = parent
		return nil
	}
	if parent != "" && *field != parent {
		return b.fail(childTable+" "+childID, column, "is %q, but the %s is nested in the record with id %q", *field, label(childTable), parent)
	}
	return nil
}

// tagged flattens the attributes and metadata nested in any record.
func (b *builder) tagged(table, id string, attrs []directory.Attribute, meta []directory.Metadata) error {
	for i := range attrs {
		a := &attrs[i]
		if err := b.link(&a.LinkID, id, "attribute", a.ID, "link_id"); err != nil {
			return err
		}
		if a.LinkType == "" {
			a.LinkType = table
		}
		if err := b.attribute(a); err != nil {
			return err
		}
	}
	for i := range meta {
		m := &meta[i]
		if err := b.link(&m.ResourceID, id, "metadata", m.ID, "resource_id"); err != nil {
			return err
		}
		if m.ResourceType == "" {
			m.ResourceType = table
		}
		if err := add(b, "metadata", &b.d.Metadata, *m, m.ID); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) attribute(a *directory.Attribute) error {
	if t := a.TaxonomyTerm; t != nil {
		if err := b.link(&a.TaxonomyTermID, t.ID, "attribute", a.ID, "taxonomy_term_id"); err != nil {
			return err
		}
		if err := b.taxonomyTerm(t); err != nil {
			return err
		}
	}
	if err := b.tagged("attribute", a.ID, nil, a.Metadata); err != nil {
		return err
	}
	return add(b, "attribute", &b.d.Attributes, *a, a.ID)
}

func (b *builder) metadata(m *directory.Metadata) error {
	return add(b, "metadata", &b.d.Metadata, *m, m.ID)
}

func (b *builder) taxonomy(t *directory.Taxonomy, terms []directory.TaxonomyTerm) error {
	if err := b.tagged("taxonomy", t.ID, nil, t.Metadata); err != nil {
		return err
	}
	if err := add(b, "taxonomy", &b.d.Taxonomies, *t, t.ID); err != nil {
		return err
	}
	for i := range terms {
		if err := b.link(&terms[i].TaxonomyID, t.ID, "taxonomy_term", terms[i].ID, "taxonomy_id"); err != nil {
			return err
		}
		if err := b.taxonomyTerm(&terms[i]); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) taxonomyTerm(t *directory.TaxonomyTerm) error {
	if tx := t.TaxonomyDetail; tx != nil {
		if err := b.link(&t.TaxonomyID, tx.ID, "taxonomy_term", t.ID, "taxonomy_id"); err != nil {
			return err
		}
		if err := b.taxonomy(tx, nil); err != nil {
			return err
		}
	}
	if err := b.tagged("taxonomy_term", t.ID, nil, t.Metadata); err != nil {
		return err
	}
	return add(b, "taxonomy_term", &b.d.TaxonomyTerms, *t, t.ID)
}

func (b *builder) organization(o *directory.Organization, services []directory.Service) error {
	id := o.ID
	for i := range o.Funding {
		if err := b.link(&o.Funding[i].OrganizationID, id, "funding", o.Funding[i].ID, "organization_id"); err != nil {
			return err
		}
		if err := b.funding(&o.Funding[i]); err != nil {
			return err
		}
	}
	for i := range o.Contacts {
		if err := b.link(&o.Contacts[i].OrganizationID, id, "contact", o.Contacts[i].ID, "organization_id"); err != nil {
			return err
		}
		if err := b.contact(&o.Contacts[i]); err != nil {
			return err
		}
	}
	for i := range o.Phones {
		if err := b.link(&o.Phones[i].OrganizationID, id, "phone", o.Phones[i].ID, "organization_id"); err != nil {
			return err
		}
		if err := b.phone(&o.Phones[i]); err != nil {
			return err
		}
	}
	for i := range o.Locations {
		if err := b.link(&o.Locations[i].OrganizationID, id, "location", o.Locations[i].ID, "organization_id"); err != nil {
			return err
		}
		if err := b.location(&o.Locations[i]); err != nil {
			return err
		}
	}
	for i := range o.Programs {
		if err := b.link(&o.Programs[i].OrganizationID, id, "program", o.Programs[i].ID, "organization_id"); err != nil {
			return err
		}
		if err := b.program(&o.Programs[i]); err != nil {
			return err
		}
	}
	for i := range o.OrganizationIdentifiers {
		oi := &o.OrganizationIdentifiers[i]
		if err := b.link(&oi.OrganizationID, id, "organization_identifier", oi.ID, "organization_id"); err != nil {
			return err
		}
		if err := b.organizationIdentifier(oi); err != nil {
			return err
		}
	}
	if err := b.tagged("organization", id, o.Attributes, o.Metadata); err != nil {
		return err
	}
	if err := add(b, "organization", &b.d.Organizations, *o, id); err != nil {
		return err
	}
	for i := range services {
		if err := b.link(&services[i].OrganizationID, id, "service", services[i].ID, "organization_id"); err != nil {
			return err
		}
		if err := b.service(&services[i]); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) organizationIdentifier(oi *directory.OrganizationIdentifier) error {
	if err := b.tagged("organization_identifier", oi.ID, oi.Attributes, oi.Metadata); err != nil {
		return err
	}
	return add(b, "organization_identifier", &b.d.OrganizationIdentifiers, *oi, oi.ID)
}

func (b *builder) program(p *directory.Program) error {
	if err := b.tagged("program", p.ID, p.Attributes, p.Metadata); err != nil {
		return err
	}
	return add(b, "program", &b.d.Programs, *p, p.ID)
}

func (b *builder) service(s *directory.Service) error {
	id := s.ID
	if o := s.Organization; o != nil {
		if err := b.link(&s.OrganizationID, o.ID, "service", id, "organization_id"); err != nil {
			return err
		}
		if err := b.organization(o, nil); err != nil {
			return err
		}
	}
	if p := s.Program; p != nil {
		if err := b.link(&s.ProgramID, p.ID, "service", id, "program_id"); err != nil {
			return err
		}
		if err := b.program(p); err != nil {
			return err
		}
	}
	if err := add(b, "service", &b.d.Services, *s, id); err != nil {
		return err
	}
	for i := range s.Phones {
		if err := b.link(&s.Phones[i].ServiceID, id, "phone", s.Phones[i].ID, "service_id"); err != nil {
			return err
		}
		if err := b.phone(&s.Phones[i]); err != nil {
			return err
		}
	}
	for i := range s.Schedules {
		if err := b.link(&s.Schedules[i].ServiceID, id, "schedule", s.Schedules[i].ID, "service_id"); err != nil {
			return err
		}
		if err := b.schedule(&s.Schedules[i]); err != nil {
			return err
		}
	}
	for i := range s.ServiceAreas {
		a := &s.ServiceAreas[i]
		if err := b.link(&a.ServiceID, id, "service_area", a.ID, "service_id"); err != nil {
			return err
		}
		if err := b.tagged("service_area", a.ID, a.Attributes, a.Metadata); err != nil {
			return err
		}
		if err := add(b, "service_area", &b.d.ServiceAreas, *a, a.ID); err != nil {
			return err
		}
	}
	for i := range s.ServiceAtLocations {
		sl := &s.ServiceAtLocations[i]
		if err := b.link(&sl.ServiceID, id, "service_at_location", sl.ID, "service_id"); err != nil {
			return err
		}
		if err := b.serviceAtLocation(sl); err != nil {
			return err
		}
	}
	for i := range s.Languages {
		if err := b.link(&s.Languages[i].ServiceID, id, "language", s.Languages[i].ID, "service_id"); err != nil {
			return err
		}
		if err := b.language(&s.Languages[i]); err != nil {
			return err
		}
	}
	for i := range s.Funding {
		if err := b.link(&s.Funding[i].ServiceID, id, "funding", s.Funding[i].ID, "service_id"); err != nil {
			return err
		}
		if err := b.funding(&s.Funding[i]); err != nil {
			return err
		}
	}
	for i := range s.CostOptions {
		c := &s.CostOptions[i]
		if err := b.link(&c.ServiceID, id, "cost_option", c.ID, "service_id"); err != nil {
			return err
		}
		if err := b.tagged("cost_option", c.ID, c.Attributes, c.Metadata); err != nil {
			return err
		}
		if err := add(b, "cost_option", &b.d.CostOptions, *c, c.ID); err != nil {
			return err
		}
	}
	for i := range s.RequiredDocuments {
		r := &s.RequiredDocuments[i]
		if err := b.link(&r.ServiceID, id, "required_document", r.ID, "service_id"); err != nil {
			return err
		}
		if err := b.tagged("required_document", r.ID, r.Attributes, r.Metadata); err != nil {
			return err
		}
		if err := add(b, "required_document", &b.d.RequiredDocuments, *r, r.ID); err != nil {
			return err
		}
	}
	for i := range s.Contacts {
		if err := b.link(&s.Contacts[i].ServiceID, id, "contact", s.Contacts[i].ID, "service_id"); err != nil {
			return err
		}
		if err := b.contact(&s.Contacts[i]); err != nil {
			return err
		}
	}
	return b.tagged("service", id, s.Attributes, s.Metadata)
}

func (b *builder) serviceAtLocation(sl *directory.ServiceAtLocation) error {
	id := sl.ID
	if l := sl.Location; l != nil {
		if err := b.link(&sl.LocationID, l.ID, "service_at_location", id, "location_id"); err != nil {
			return err
		}
		if err := b.location(l); err != nil {
			return err
		}
	}
	if s := sl.Service; s != nil {
		if err := b.link(&sl.ServiceID, s.ID, "service_at_location", id, "service_id"); err != nil {
			return err
		}
		if err := b.service(s); err != nil {
			return err
		}
	}
	if err := add(b, "service_at_location", &b.d.ServiceAtLocations, *sl, id); err != nil {
		return err
	}
	for i := range sl.Contacts {
		if err := b.link(&sl.Contacts[i].ServiceAtLocationID, id, "contact", sl.Contacts[i].ID, "service_at_location_id"); err != nil {
			return err
		}
		if err := b.contact(&sl.Contacts[i]); err != nil {
			return err
		}
	}
	for i := range sl.Phones {
		if err := b.link(&sl.Phones[i].ServiceAtLocationID, id, "phone", sl.Phones[i].ID, "service_at_location_id"); err != nil {
			return err
		}
		if err := b.phone(&sl.Phones[i]); err != nil {
			return err
		}
	}
	for i := range sl.Schedules {
		if err := b.link(&sl.Schedules[i].ServiceAtLocationID, id, "schedule", sl.Schedules[i].ID, "service_at_location_id"); err != nil {
			return err
		}
		if err := b.schedule(&sl.Schedules[i]); err != nil {
			return err
		}
	}
	return b.tagged("service_at_location", id, sl.Attributes, sl.Metadata)
}

func (b *builder) location(l *directory.Location) error {
	id := l.ID
	if err := add(b, "location", &b.d.Locations, *l, id); err != nil {
		return err
	}
	for i := range l.Languages {
		if err := b.link(&l.Languages[i].LocationID, id, "language", l.Languages[i].ID, "location_id"); err != nil {
			return err
		}
		if err := b.language(&l.Languages[i]); err != nil {
			return err
		}
	}
	for i := range l.Addresses {
		a := &l.Addresses[i]
		if err := b.link(&a.LocationID, id, "address", a.ID, "location_id"); err != nil {
			return err
		}
		if err := b.tagged("address", a.ID, a.Attributes, a.Metadata); err != nil {
			return err
		}
		if err := add(b, "address", &b.d.Addresses, *a, a.ID); err != nil {
			return err
		}
	}
	for i := range l.Contacts {
		if err := b.link(&l.Contacts[i].LocationID, id, "contact", l.Contacts[i].ID, "location_id"); err != nil {
			return err
		}
		if err := b.contact(&l.Contacts[i]); err != nil {
			return err
		}
	}
	for i := range l.Accessibility {
		a := &l.Accessibility[i]
		if err := b.link(&a.LocationID, id, "accessibility", a.ID, "location_id"); err != nil {
			return err
		}
		if err := b.tagged("accessibility", a.ID, a.Attributes, a.Metadata); err != nil {
			return err
		}
		if err := add(b, "accessibility", &b.d.Accessibility, *a, a.ID); err != nil {
			return err
		}
	}
	for i := range l.Phones {
		if err := b.link(&l.Phones[i].LocationID, id, "phone", l.Phones[i].ID, "location_id"); err != nil {
			return err
		}
		if err := b.phone(&l.Phones[i]); err != nil {
			return err
		}
	}
	for i := range l.Schedules {
		if err := b.link(&l.Schedules[i].LocationID, id, "schedule", l.Schedules[i].ID, "location_id"); err != nil {
			return err
		}
		if err := b.schedule(&l.Schedules[i]); err != nil {
			return err
		}
	}
	return b.tagged("location", id, l.Attributes, l.Metadata)
}

func (b *builder) contact(c *directory.Contact) error {
	if err := add(b, "contact", &b.d.Contacts, *c, c.ID); err != nil {
		return err
	}
	for i := range c.Phones {
		if err := b.link(&c.Phones[i].ContactID, c.ID, "phone", c.Phones[i].ID, "contact_id"); err != nil {
			return err
		}
		if err := b.phone(&c.Phones[i]); err != nil {
			return err
		}
	}
	return b.tagged("contact", c.ID, c.Attributes, c.Metadata)
}

func (b *builder) phone(p *directory.Phone) error {
	if err := add(b, "phone", &b.d.Phones, *p, p.ID); err != nil {
		return err
	}
	for i := range p.Languages {
		if err := b.link(&p.Languages[i].PhoneID, p.ID, "language", p.Languages[i].ID, "phone_id"); err != nil {
			return err
		}
		if err := b.language(&p.Languages[i]); err != nil {
			return err
		}
	}
	return b.tagged("phone", p.ID, p.Attributes, p.Metadata)
}

func (b *builder) schedule(s *directory.Schedule) error {
	if err := b.tagged("schedule", s.ID, s.Attributes, s.Metadata); err != nil {
		return err
	}
	return add(b, "schedule", &b.d.Schedules, *s, s.ID)
}

func (b *builder) language(l *directory.Language) error {
	if err := b.tagged("language", l.ID, l.Attributes, l.Metadata); err != nil {
		return err
	}
	return add(b, "language", &b.d.Languages, *l, l.ID)
}

func (b *builder) funding(f *directory.Funding) error {
	if err := b.tagged("funding", f.ID, f.Attributes, f.Metadata); err != nil {
		return err
	}
	return add(b, "funding", &b.d.Funding, *f, f.ID)
}

// record decodes one top-level record of the given table from raw and
// flattens it. The HSDS table name picks the Go type; "organization" also
// takes a services array (organisation packages) and "taxonomy" a
// taxonomy_terms array (the ORUK profile's taxonomy list).
func (b *builder) record(table string, raw []byte, start pos) error {
	b.at = start
	var id string
	fail := func(fe *apperr.FieldError) error {
		if id != "" {
			fe.Record = table + " " + id
		}
		return fe
	}
	switch table {
	case "service":
		var s directory.Service
		if fe := decode(b.file, raw, start, &s); fe != nil {
			id = s.ID
			return fail(fe)
		}
		return b.service(&s)
	case "organization":
		var o struct {
			directory.Organization
			Services []directory.Service `json:"services"`
		}
		if fe := decode(b.file, raw, start, &o); fe != nil {
			id = o.ID
			return fail(fe)
		}
		return b.organization(&o.Organization, o.Services)
	case "taxonomy":
		var t struct {
			directory.Taxonomy
			Terms []directory.TaxonomyTerm `json:"taxonomy_terms"`
		}
		if fe := decode(b.file, raw, start, &t); fe != nil {
			id = t.ID
			return fail(fe)
		}
		return b.taxonomy(&t.Taxonomy, t.Terms)
	}
	flatten, ok := flatteners[table]
	if !ok {
		return b.fail("", "", "%q is not an HSDS table", table)
	}
	return flatten(b, raw, start)
}

// flatteners decode and flatten a record of each remaining table.
var flatteners = map[string]func(b *builder, raw []byte, start pos) error{
	"organization_identifier": flattenAs("organization_identifier", func(b *builder, r *directory.OrganizationIdentifier) error {
		return b.organizationIdentifier(r)
	}),
	"program":             flattenAs("program", func(b *builder, r *directory.Program) error { return b.program(r) }),
	"location":            flattenAs("location", func(b *builder, r *directory.Location) error { return b.location(r) }),
	"service_at_location": flattenAs("service_at_location", func(b *builder, r *directory.ServiceAtLocation) error { return b.serviceAtLocation(r) }),
	"address": flattenAs("address", func(b *builder, r *directory.Address) error {
		if err := b.tagged("address", r.ID, r.Attributes, r.Metadata); err != nil {
			return err
		}
		return add(b, "address", &b.d.Addresses, *r, r.ID)
	}),
	"contact":  flattenAs("contact", func(b *builder, r *directory.Contact) error { return b.contact(r) }),
	"phone":    flattenAs("phone", func(b *builder, r *directory.Phone) error { return b.phone(r) }),
	"schedule": flattenAs("schedule", func(b *builder, r *directory.Schedule) error { return b.schedule(r) }),
	"service_area": flattenAs("service_area", func(b *builder, r *directory.ServiceArea) error {
		if err := b.tagged("service_area", r.ID, r.Attributes, r.Metadata); err != nil {
			return err
		}
		return add(b, "service_area", &b.d.ServiceAreas, *r, r.ID)
	}),
	"language": flattenAs("language", func(b *builder, r *directory.Language) error { return b.language(r) }),
	"accessibility": flattenAs("accessibility", func(b *builder, r *directory.Accessibility) error {
		if err := b.tagged("accessibility", r.ID, r.Attributes, r.Metadata); err != nil {
			return err
		}
		return add(b, "accessibility", &b.d.Accessibility, *r, r.ID)
	}),
	"cost_option": flattenAs("cost_option", func(b *builder, r *directory.CostOption) error {
		if err := b.tagged("cost_option", r.ID, r.Attributes, r.Metadata); err != nil {
			return err
		}
		return add(b, "cost_option", &b.d.CostOptions, *r, r.ID)
	}),
	"funding": flattenAs("funding", func(b *builder, r *directory.Funding) error { return b.funding(r) }),
	"required_document": flattenAs("required_document", func(b *builder, r *directory.RequiredDocument) error {
		if err := b.tagged("required_document", r.ID, r.Attributes, r.Metadata); err != nil {
			return err
		}
		return add(b, "required_document", &b.d.RequiredDocuments, *r, r.ID)
	}),
	"taxonomy_term": flattenAs("taxonomy_term", func(b *builder, r *directory.TaxonomyTerm) error { return b.taxonomyTerm(r) }),
	"attribute":     flattenAs("attribute", func(b *builder, r *directory.Attribute) error { return b.attribute(r) }),
	"metadata":      flattenAs("metadata", func(b *builder, r *directory.Metadata) error { return b.metadata(r) }),
}

func flattenAs[T any](table string, f func(b *builder, r *T) error) func(b *builder, raw []byte, start pos) error {
	return func(b *builder, raw []byte, start pos) error {
		var r T
		if fe := decode(b.file, raw, start, &r); fe != nil {
			if id := reflect.ValueOf(r).Field(0).String(); id != "" {
				fe.Record = table + " " + id
			}
			return fe
		}
		return f(b, &r)
	}
}
