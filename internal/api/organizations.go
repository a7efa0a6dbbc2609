package api

import (
	"net/http"
	"slices"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// organization is an HSDS organisation with, where asked for, its services.
type organization struct {
	directory.Organization
	Services []directory.Service `json:"services,omitempty"`
}

// listOrganizations answers GET /organizations: organisations in name
// order, flat unless full=true (nested) or full_service=true (with their
// services fully nested).
func (s *server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	v := s.current()
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	words := p.words("search")
	full, fullService := p.boolean("full"), p.boolean("full_service")
	pg, format := p.paging(defaultPerPage), p.format()
	if p.err != nil {
		return p.err
	}
	idx := v.orgOrder
	if len(words) > 0 {
		idx = nil
		for _, i := range v.orgOrder {
			o := v.x.OrganizationAt(i)
			if matchWords(wordText(o.Name, o.AlternateName, o.Description), words) {
				idx = append(idx, i)
			}
		}
	}
	item := func(i int) organization {
		var o organization
		if full {
			o.Organization, _ = v.x.Organization(v.x.OrganizationAt(i).ID)
		} else {
			o.Organization = *v.x.OrganizationAt(i)
		}
		if fullService {
			o.Services = v.servicesOf(o.ID, true)
		}
		return o
	}
	fullItem := func(i int) organization {
		o, _ := v.x.Organization(v.x.OrganizationAt(i).ID)
		out := organization{Organization: o}
		if fullService {
			out.Services = v.servicesOf(o.ID, true)
		}
		return out
	}
	return list(s, w, r, format, pg, idx, item, fullItem)
}

// servicesOf returns an organisation's services in name order, fully
// nested or in the list form.
func (v *view) servicesOf(orgID string, full bool) []directory.Service {
	idx := slices.Clone(v.x.ServicesOf(orgID))
	slices.SortFunc(idx, func(a, b int) int { return int(v.svcRank[a]) - int(v.svcRank[b]) })
	out := make([]directory.Service, 0, len(idx))
	for _, i := range idx {
		if full {
			out = append(out, v.fullService(i))
		} else {
			out = append(out, v.x.ServiceBrief(i))
		}
	}
	return out
}

// getOrganization answers GET /organizations/{id}: the organisation nested,
// with its services in the list form, or fully nested with
// full_service=true.
func (s *server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	v := s.current()
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	fullService := p.boolean("full_service")
	if p.err != nil {
		return p.err
	}
	id := r.PathValue("id")
	o, ok := v.x.Organization(id)
	if !ok || !directory.ValidUUID(id) {
		return apperr.Errorf(apperr.NotFound, "there is no organization with this id")
	}
	return writeJSON(w, organization{Organization: o, Services: v.servicesOf(id, fullService)})
}

// listTaxonomies answers GET /taxonomies: taxonomies in name order.
func (s *server) listTaxonomies(w http.ResponseWriter, r *http.Request) error {
	v := s.current()
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	words := p.words("search")
	pg, format := p.paging(defaultPerPage), p.format()
	if p.err != nil {
		return p.err
	}
	idx := v.taxOrder
	if len(words) > 0 {
		idx = nil
		for _, i := range v.taxOrder {
			t := v.x.TaxonomyAt(i)
			if matchWords(wordText(t.Name, t.Description), words) {
				idx = append(idx, i)
			}
		}
	}
	item := func(i int) directory.Taxonomy { return *v.x.TaxonomyAt(i) }
	return list(s, w, r, format, pg, idx, item, item)
}

// getTaxonomy answers GET /taxonomies/{id}.
func (s *server) getTaxonomy(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	t, ok := s.index().Taxonomy(id)
	if !ok || !directory.ValidUUID(id) {
		return apperr.Errorf(apperr.NotFound, "there is no taxonomy with this id")
	}
	return writeJSON(w, t)
}

// listTaxonomyTerms answers GET /taxonomy_terms: terms in name order, each
// with its taxonomy nested, optionally only those of one taxonomy, those
// directly under one parent, or the top-level ones (no parent).
func (s *server) listTaxonomyTerms(w http.ResponseWriter, r *http.Request) error {
	v := s.current()
	p, err := parseQuery(r)
	if err != nil {
		return err
	}
	words := p.words("search")
	taxonomyID, parentID := p.id("taxonomy_id"), p.id("parent_id")
	topOnly := p.boolean("top_only")
	pg, format := p.paging(defaultPerPage), p.format()
	if p.err != nil {
		return p.err
	}
	var idx []int
	for _, i := range v.x.TaxonomyTerms(taxonomyID, parentID, topOnly) {
		t := &v.x.Dataset().TaxonomyTerms[i]
		if len(words) == 0 || matchWords(wordText(t.Name, t.Description, t.Code), words) {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return int(v.termRank[a]) - int(v.termRank[b]) })
	item := func(i int) directory.TaxonomyTerm { return v.x.TaxonomyTermAt(i) }
	return list(s, w, r, format, pg, idx, item, item)
}

// getTaxonomyTerm answers GET /taxonomy_terms/{id}: the term with its
// taxonomy nested.
func (s *server) getTaxonomyTerm(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	t, ok := s.index().TaxonomyTerm(id)
	if !ok || !directory.ValidUUID(id) {
		return apperr.Errorf(apperr.NotFound, "there is no taxonomy term with this id")
	}
	return writeJSON(w, t)
}
