package directory

import "strings"

// Index is an immutable in-memory view of a Dataset, with every record
// reachable by id and every child reachable from its parent, so that nested
// HSDS documents can be assembled without touching the database. Build a new
// Index after each write and swap it in; readers never see a half-built one.
type Index struct {
	d *Dataset

	org, prog, svc, loc, sal, tax, term map[string]int

	// Children, by the id of the parent they nest under (see nestParent).
	orgIdents, orgFunding, orgContacts, orgPhones, orgLocations, orgPrograms, orgServices map[string][]int
	svcPhones, svcSchedules, svcAreas, svcSALs, svcLanguages, svcFunding                  map[string][]int
	svcCosts, svcDocs, svcContacts                                                        map[string][]int
	locAddresses, locContacts, locAccess, locPhones, locSchedules, locLanguages           map[string][]int
	locSALs                                                                               map[string][]int
	salContacts, salPhones, salSchedules                                                  map[string][]int
	contactPhones, phoneLanguages, attrsByLink, metaByResource                            map[string][]int
	termsByTaxonomy, termsByParent                                                        map[string][]int
}

// NewIndex indexes d. The Index keeps d; the caller must not change it after.
func NewIndex(d *Dataset) *Index {
	x := &Index{d: d}
	x.org = ids(d.Organizations, func(r *Organization) string { return r.ID })
	x.prog = ids(d.Programs, func(r *Program) string { return r.ID })
	x.svc = ids(d.Services, func(r *Service) string { return r.ID })
	x.loc = ids(d.Locations, func(r *Location) string { return r.ID })
	x.sal = ids(d.ServiceAtLocations, func(r *ServiceAtLocation) string { return r.ID })
	x.tax = ids(d.Taxonomies, func(r *Taxonomy) string { return r.ID })
	x.term = ids(d.TaxonomyTerms, func(r *TaxonomyTerm) string { return r.ID })

	x.orgIdents = group(d.OrganizationIdentifiers, func(r *OrganizationIdentifier) string { return r.OrganizationID })
	x.orgPrograms = group(d.Programs, func(r *Program) string { return r.OrganizationID })
	x.orgServices = group(d.Services, func(r *Service) string { return r.OrganizationID })
	x.orgLocations = group(d.Locations, func(r *Location) string { return r.OrganizationID })
	x.locAddresses = group(d.Addresses, func(r *Address) string { return r.LocationID })
	x.locAccess = group(d.Accessibility, func(r *Accessibility) string { return r.LocationID })
	x.svcAreas = group(d.ServiceAreas, func(r *ServiceArea) string { return r.ServiceID })
	x.svcSALs = group(d.ServiceAtLocations, func(r *ServiceAtLocation) string { return r.ServiceID })
	x.locSALs = group(d.ServiceAtLocations, func(r *ServiceAtLocation) string { return r.LocationID })
	x.svcCosts = group(d.CostOptions, func(r *CostOption) string { return r.ServiceID })
	x.svcDocs = group(d.RequiredDocuments, func(r *RequiredDocument) string { return r.ServiceID })
	x.attrsByLink = group(d.Attributes, func(r *Attribute) string { return r.LinkID })
	x.metaByResource = group(d.Metadata, func(r *Metadata) string { return r.ResourceID })
	x.termsByTaxonomy = group(d.TaxonomyTerms, func(r *TaxonomyTerm) string { return r.TaxonomyID })
	x.termsByParent = group(d.TaxonomyTerms, func(r *TaxonomyTerm) string { return r.ParentID })

	// Records that may hang under several kinds of parent nest under the
	// most specific one they name.
	x.contactPhones, x.salPhones, x.svcPhones, x.locPhones, x.orgPhones = split5(d.Phones, func(r *Phone) [5]string {
		return [5]string{r.ContactID, r.ServiceAtLocationID, r.ServiceID, r.LocationID, r.OrganizationID}
	})
	x.salContacts, x.svcContacts, x.locContacts, x.orgContacts, _ = split5(d.Contacts, func(r *Contact) [5]string {
		return [5]string{r.ServiceAtLocationID, r.ServiceID, r.LocationID, r.OrganizationID, ""}
	})
	x.salSchedules, x.svcSchedules, x.locSchedules, _, _ = split5(d.Schedules, func(r *Schedule) [5]string {
		return [5]string{r.ServiceAtLocationID, r.ServiceID, r.LocationID, "", ""}
	})
	x.phoneLanguages, x.svcLanguages, x.locLanguages, _, _ = split5(d.Languages, func(r *Language) [5]string {
		return [5]string{r.PhoneID, r.ServiceID, r.LocationID, "", ""}
	})
	x.svcFunding, x.orgFunding, _, _, _ = split5(d.Funding, func(r *Funding) [5]string {
		return [5]string{r.ServiceID, r.OrganizationID, "", "", ""}
	})
	return x
}

func ids[T any](rows []T, id func(*T) string) map[string]int {
	m := make(map[string]int, len(rows))
	for i := range rows {
		m[id(&rows[i])] = i
	}
	return m
}

func group[T any](rows []T, key func(*T) string) map[string][]int {
	m := map[string][]int{}
	for i := range rows {
		if k := key(&rows[i]); k != "" {
			m[k] = append(m[k], i)
		}
	}
	return m
}

// split5 groups rows by the first non-empty of up to five parent ids.
func split5[T any](rows []T, keys func(*T) [5]string) (a, b, c, d, e map[string][]int) {
	out := [5]map[string][]int{{}, {}, {}, {}, {}}
	for i := range rows {
		for j, k := range keys(&rows[i]) {
			if k != "" {
				out[j][k] = append(out[j][k], i)
				break
			}
		}
	}
	return out[0], out[1], out[2], out[3], out[4]
}

func pick[T any](rows []T, idx []int) []T {
	if len(idx) == 0 {
		return nil
	}
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

// Dataset returns the flat dataset the index was built from. Do not modify it.
func (x *Index) Dataset() *Dataset { return x.d }

// NumServices returns the number of services.
func (x *Index) NumServices() int { return len(x.d.Services) }

// ServiceAt returns the flat (unnested) service at position i, in the
// dataset's order.
func (x *Index) ServiceAt(i int) *Service { return &x.d.Services[i] }

// ServiceFlat returns the flat service with the given id.
func (x *Index) ServiceFlat(id string) (*Service, bool) {
	i, ok := x.svc[id]
	if !ok {
		return nil, false
	}
	return &x.d.Services[i], true
}

// Attributes returns the attributes linked to id, each with its taxonomy
// term nested.
func (x *Index) Attributes(id string) []Attribute {
	as := pick(x.d.Attributes, x.attrsByLink[id])
	for i := range as {
		if t, ok := x.term[as[i].TaxonomyTermID]; ok {
			term := x.d.TaxonomyTerms[t]
			as[i].TaxonomyTerm = &term
		}
	}
	return as
}

// Metadata returns the provenance rows of a record, oldest first.
func (x *Index) Metadata(id string) []Metadata { return pick(x.d.Metadata, x.metaByResource[id]) }

// TermIDs returns the ids of the taxonomy terms linked to a record.
func (x *Index) TermIDs(id string) []string {
	var out []string
	for _, i := range x.attrsByLink[id] {
		if t := x.d.Attributes[i].TaxonomyTermID; t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Service returns the fully nested service with the given id.
func (x *Index) Service(id string) (Service, bool) {
	i, ok := x.svc[id]
	if !ok {
		return Service{}, false
	}
	s := x.d.Services[i]
	s.Phones = x.phones(x.svcPhones[id])
	s.Schedules = pick(x.d.Schedules, x.svcSchedules[id])
	s.ServiceAreas = pick(x.d.ServiceAreas, x.svcAreas[id])
	s.Languages = pick(x.d.Languages, x.svcLanguages[id])
	s.Funding = pick(x.d.Funding, x.svcFunding[id])
	s.CostOptions = pick(x.d.CostOptions, x.svcCosts[id])
	s.RequiredDocuments = pick(x.d.RequiredDocuments, x.svcDocs[id])
	s.Contacts = x.contacts(x.svcContacts[id])
	s.Attributes = x.Attributes(id)
	s.Metadata = x.Metadata(id)
	for _, j := range x.svcSALs[id] {
		s.ServiceAtLocations = append(s.ServiceAtLocations, x.serviceAtLocation(j, false))
	}
	if o, ok := x.org[s.OrganizationID]; ok {
		org := x.d.Organizations[o]
		s.Organization = &org
	}
	if p, ok := x.prog[s.ProgramID]; ok {
		prog := x.d.Programs[p]
		s.Program = &prog
	}
	return s, true
}

// ServiceBrief returns the service at position i as the HSDS service list
// shows it: its own fields with its organisation and programme, no arrays.
func (x *Index) ServiceBrief(i int) Service {
	s := x.d.Services[i]
	if o, ok := x.org[s.OrganizationID]; ok {
		org := x.d.Organizations[o]
		s.Organization = &org
	}
	if p, ok := x.prog[s.ProgramID]; ok {
		prog := x.d.Programs[p]
		s.Program = &prog
	}
	return s
}

func (x *Index) phones(idx []int) []Phone {
	ps := pick(x.d.Phones, idx)
	for i := range ps {
		ps[i].Languages = pick(x.d.Languages, x.phoneLanguages[ps[i].ID])
	}
	return ps
}

func (x *Index) contacts(idx []int) []Contact {
	cs := pick(x.d.Contacts, idx)
	for i := range cs {
		cs[i].Phones = x.phones(x.contactPhones[cs[i].ID])
	}
	return cs
}

// Location returns the nested location with the given id.
func (x *Index) Location(id string) (Location, bool) {
	i, ok := x.loc[id]
	if !ok {
		return Location{}, false
	}
	return x.location(i), true
}

func (x *Index) location(i int) Location {
	l := x.d.Locations[i]
	id := l.ID
	l.Addresses = pick(x.d.Addresses, x.locAddresses[id])
	l.Accessibility = pick(x.d.Accessibility, x.locAccess[id])
	l.Languages = pick(x.d.Languages, x.locLanguages[id])
	l.Phones = x.phones(x.locPhones[id])
	l.Contacts = x.contacts(x.locContacts[id])
	l.Schedules = pick(x.d.Schedules, x.locSchedules[id])
	l.Attributes = x.Attributes(id)
	return l
}

// NumServiceAtLocations returns the number of service-at-location records.
func (x *Index) NumServiceAtLocations() int { return len(x.d.ServiceAtLocations) }

// ServiceAtLocationAt returns the flat service-at-location at position i.
func (x *Index) ServiceAtLocationAt(i int) *ServiceAtLocation { return &x.d.ServiceAtLocations[i] }

// LocationFlat returns the flat location with the given id.
func (x *Index) LocationFlat(id string) (*Location, bool) {
	i, ok := x.loc[id]
	if !ok {
		return nil, false
	}
	return &x.d.Locations[i], true
}

// ServiceAtLocation returns the nested service-at-location with the given
// id; with withService, the flat service it belongs to is nested too.
func (x *Index) ServiceAtLocation(id string, withService bool) (ServiceAtLocation, bool) {
	i, ok := x.sal[id]
	if !ok {
		return ServiceAtLocation{}, false
	}
	return x.serviceAtLocation(i, withService), true
}

// ServiceAtLocationNested returns the service-at-location at position i
// with its location and, with withService, its service nested.
func (x *Index) ServiceAtLocationNested(i int, withService bool) ServiceAtLocation {
	return x.serviceAtLocation(i, withService)
}

func (x *Index) serviceAtLocation(i int, withService bool) ServiceAtLocation {
	sl := x.d.ServiceAtLocations[i]
	id := sl.ID
	sl.Contacts = x.contacts(x.salContacts[id])
	sl.Phones = x.phones(x.salPhones[id])
	sl.Schedules = pick(x.d.Schedules, x.salSchedules[id])
	sl.Attributes = x.Attributes(id)
	if l, ok := x.loc[sl.LocationID]; ok {
		loc := x.location(l)
		sl.Location = &loc
	}
	if withService {
		if s, ok := x.svc[sl.ServiceID]; ok {
			svc := x.ServiceBrief(s)
			sl.Service = &svc
		}
	}
	return sl
}

// ServiceAtLocationIDs returns the positions of the service-at-location
// records of a service.
func (x *Index) ServiceAtLocationIDs(serviceID string) []int { return x.svcSALs[serviceID] }

// NumOrganizations returns the number of organisations.
func (x *Index) NumOrganizations() int { return len(x.d.Organizations) }

// OrganizationAt returns the flat organisation at position i.
func (x *Index) OrganizationAt(i int) *Organization { return &x.d.Organizations[i] }

// Organization returns the nested organisation with the given id. Its
// services are returned separately by ServicesOf.
func (x *Index) Organization(id string) (Organization, bool) {
	i, ok := x.org[id]
	if !ok {
		return Organization{}, false
	}
	o := x.d.Organizations[i]
	o.OrganizationIdentifiers = pick(x.d.OrganizationIdentifiers, x.orgIdents[id])
	o.Funding = pick(x.d.Funding, x.orgFunding[id])
	o.Contacts = x.contacts(x.orgContacts[id])
	o.Phones = x.phones(x.orgPhones[id])
	o.Programs = pick(x.d.Programs, x.orgPrograms[id])
	for _, l := range x.orgLocations[id] {
		o.Locations = append(o.Locations, x.location(l))
	}
	o.Attributes = x.Attributes(id)
	o.Metadata = x.Metadata(id)
	return o, true
}

// ServicesOf returns the positions of an organisation's services.
func (x *Index) ServicesOf(orgID string) []int { return x.orgServices[orgID] }

// TaxonomyAt returns the taxonomy at position i.
func (x *Index) TaxonomyAt(i int) *Taxonomy { return &x.d.Taxonomies[i] }

// Taxonomy returns the taxonomy with the given id.
func (x *Index) Taxonomy(id string) (Taxonomy, bool) {
	i, ok := x.tax[id]
	if !ok {
		return Taxonomy{}, false
	}
	return x.d.Taxonomies[i], true
}

// TaxonomyTerms returns the positions of all terms, those of one taxonomy,
// or those under one parent, as asked.
func (x *Index) TaxonomyTerms(taxonomyID, parentID string, topOnly bool) []int {
	var idx []int
	switch {
	case parentID != "":
		idx = x.termsByParent[parentID]
	case taxonomyID != "":
		idx = x.termsByTaxonomy[taxonomyID]
	default:
		idx = make([]int, len(x.d.TaxonomyTerms))
		for i := range idx {
			idx[i] = i
		}
	}
	out := make([]int, 0, len(idx))
	for _, i := range idx {
		t := &x.d.TaxonomyTerms[i]
		if taxonomyID != "" && t.TaxonomyID != taxonomyID {
			continue
		}
		if topOnly && t.ParentID != "" {
			continue
		}
		out = append(out, i)
	}
	return out
}

// TaxonomyTermAt returns the term at position i with its taxonomy nested.
func (x *Index) TaxonomyTermAt(i int) TaxonomyTerm {
	t := x.d.TaxonomyTerms[i]
	if j, ok := x.tax[t.TaxonomyID]; ok {
		tax := x.d.Taxonomies[j]
		t.TaxonomyDetail = &tax
	}
	return t
}

// TaxonomyTerm returns the term with the given id, its taxonomy nested.
func (x *Index) TaxonomyTerm(id string) (TaxonomyTerm, bool) {
	i, ok := x.term[id]
	if !ok {
		return TaxonomyTerm{}, false
	}
	return x.TaxonomyTermAt(i), true
}

// TermByCode returns the term of the named taxonomy with the given code.
func (x *Index) TermByCode(taxonomyID, code string) (TaxonomyTerm, bool) {
	for _, i := range x.termsByTaxonomy[taxonomyID] {
		if strings.EqualFold(x.d.TaxonomyTerms[i].Code, code) {
			return x.TaxonomyTermAt(i), true
		}
	}
	return TaxonomyTerm{}, false
}
