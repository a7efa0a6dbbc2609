package web

import (
	"cmp"
	"path"
	"slices"
	"strings"

	"throughcare/internal/directory"
)

// Codes of the taxonomies and terms the pages treat specially.
const (
	// serviceTypeTaxonomy is the justice taxonomy of service types; its
	// terms become the home page's shortcuts and the search's type filter.
	serviceTypeTaxonomy = "service-type"
	// eligibilityTaxonomy holds who a service accepts.
	eligibilityTaxonomy = "eligibility"
	// demoTermCode marks a fictional demonstration record.
	demoTermCode = "demo-fictional"
	// excludesPrefix starts the codes of terms saying whom a service
	// turns away, such as "excludes-arson".
	excludesPrefix = "excludes-"
)

// Tag is a short label shown as a GOV.UK tag.
type Tag struct {
	Text string
	// Colour is a GOV.UK tag colour modifier ("grey", "green", …) or "".
	Colour string
}

// TypeOption is one service type, as a link or a select option.
type TypeOption struct {
	Code     string
	Name     string
	Selected bool
}

// inTaxonomy reports whether term t belongs to the taxonomy with the given
// code. HSDS gives a taxonomy no code field, so the code is matched against
// the taxonomy's id, its name written as a slug ("Service type" is
// "service-type"), the last segment of its URI, and the term's free-text
// taxonomy field.
func inTaxonomy(ix *directory.Index, t *directory.TaxonomyTerm, code string) bool {
	if strings.EqualFold(t.Taxonomy, code) || strings.EqualFold(t.TaxonomyID, code) {
		return true
	}
	tax, ok := ix.Taxonomy(t.TaxonomyID)
	if !ok {
		return false
	}
	return strings.EqualFold(slug(tax.Name), code) ||
		(tax.URI != "" && strings.EqualFold(path.Base(strings.TrimRight(tax.URI, "/")), code))
}

// slug lower-cases s and joins its words with hyphens.
func slug(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '_' || r == '-'
	}), "-")
}

// serviceTypes returns the service-type terms that have a code, by name.
// selected marks the one whose code it is.
func serviceTypes(ix *directory.Index, selected string) []TypeOption {
	var out []TypeOption
	for _, i := range ix.TaxonomyTerms("", "", false) {
		t := ix.TaxonomyTermAt(i)
		if t.Code == "" || !inTaxonomy(ix, &t, serviceTypeTaxonomy) {
			continue
		}
		out = append(out, TypeOption{Code: t.Code, Name: t.Name, Selected: strings.EqualFold(t.Code, selected)})
	}
	slices.SortFunc(out, func(a, b TypeOption) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// tagSet is a record's attributes sorted into what the pages show.
type tagSet struct {
	Types       []Tag // service types
	Eligibility []Tag // who the service accepts
	Exclusions  []Tag // whom it turns away
	Other       []Tag // terms of any other taxonomy
	Demo        bool  // the record is fictional demonstration data
}

// classify sorts attributes (each with its term nested, as
// Index.Attributes returns them) into a tagSet.
func classify(ix *directory.Index, attrs []directory.Attribute) tagSet {
	var ts tagSet
	for _, a := range attrs {
		t := a.TaxonomyTerm
		if t == nil {
			continue
		}
		tag := Tag{Text: t.Name}
		if v := strings.TrimSpace(a.Value); v != "" && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "yes") {
			tag.Text += ": " + v
		}
		code := strings.ToLower(t.Code)
		switch {
		case code == demoTermCode:
			ts.Demo = true
		case strings.HasPrefix(code, excludesPrefix):
			tag.Colour = "red"
			ts.Exclusions = append(ts.Exclusions, tag)
		case inTaxonomy(ix, t, serviceTypeTaxonomy):
			ts.Types = append(ts.Types, tag)
		case inTaxonomy(ix, t, eligibilityTaxonomy):
			tag.Colour = "green"
			ts.Eligibility = append(ts.Eligibility, tag)
		default:
			tag.Colour = "grey"
			ts.Other = append(ts.Other, tag)
		}
	}
	return ts
}

// hasServiceType reports whether the record with id carries the service
// type with the given code.
func hasServiceType(ix *directory.Index, id, code string) bool {
	for _, a := range ix.Attributes(id) {
		if t := a.TaxonomyTerm; t != nil && strings.EqualFold(t.Code, code) && inTaxonomy(ix, t, serviceTypeTaxonomy) {
			return true
		}
	}
	return false
}
