package web

import (
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
// code. Throughcare's own taxonomies have ids derived from their codes
// (directory.TaxonomyID). HSDS gives a taxonomy no code field, so for an
// imported vocabulary the code is also matched against the taxonomy's id,
// its name written as a slug ("Service type" is "service-type"), the last
// segment of its URI, and the term's free-text taxonomy field.
func inTaxonomy(ix *directory.Index, t *directory.TaxonomyTerm, code string) bool {
	if t.TaxonomyID == directory.TaxonomyID(code) || strings.EqualFold(t.TaxonomyID, code) || strings.EqualFold(t.Taxonomy, code) {
		return true
	}
	tax, ok := ix.Taxonomy(t.TaxonomyID)
	if !ok {
		return false
	}
	uri := strings.TrimRight(tax.URI, "/:")
	last := uri[strings.LastIndexAny(uri, "/:")+1:]
	return strings.EqualFold(slug(tax.Name), code) || (last != "" && strings.EqualFold(last, code))
}

// slug lower-cases s and joins its words with hyphens.
func slug(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '_' || r == '-'
	}), "-")
}

// TypeGroup is a broad service type with the narrower types under it.
type TypeGroup struct {
	TypeOption
	Children []TypeOption
	// Open is set when the group or one of its children is selected, so
	// the filter panel shows it unfolded.
	Open bool
}

// serviceTypes returns the terms of the service-type taxonomy the search
// engine reads (the shipped one, by its id) that have a code, in the
// taxonomy's order, each narrower term under its broadest ancestor.
// Options whose codes are in selected (ignoring case) are marked.
func serviceTypes(ix *directory.Index, selected []string) []TypeGroup {
	isSelected := func(code string) bool {
		return slices.ContainsFunc(selected, func(s string) bool { return strings.EqualFold(s, code) })
	}
	option := func(t directory.TaxonomyTerm) TypeOption {
		return TypeOption{Code: t.Code, Name: t.Name, Selected: isSelected(t.Code)}
	}
	var groups []TypeGroup
	group := map[string]int{}       // term id → index in groups
	parentOf := map[string]string{} // term id → parent id
	var children []directory.TaxonomyTerm
	for _, i := range shippedOrder(ix, directory.ServiceTypeTaxonomy) {
		t := ix.TaxonomyTermAt(i)
		if t.Code == "" {
			continue
		}
		parentOf[t.ID] = t.ParentID
		if t.ParentID == "" {
			group[t.ID] = len(groups)
			groups = append(groups, TypeGroup{TypeOption: option(t)})
		} else {
			children = append(children, t)
		}
	}
	for _, t := range children {
		root := t.ParentID
		for seen := 0; parentOf[root] != "" && seen < len(parentOf); seen++ {
			root = parentOf[root]
		}
		if g, ok := group[root]; ok {
			groups[g].Children = append(groups[g].Children, option(t))
		} else {
			// Its parent is not a service type: list it on its own.
			group[t.ID] = len(groups)
			groups = append(groups, TypeGroup{TypeOption: option(t)})
		}
	}
	for i := range groups {
		g := &groups[i]
		g.Open = g.Selected || slices.ContainsFunc(g.Children, func(c TypeOption) bool { return c.Selected })
	}
	return groups
}

// shippedOrder returns the positions in ix of the terms of the shipped
// taxonomy with the given code, in the order the shipped file lists them
// (which groups related types and puts mental health first), whatever order
// the directory was loaded in; terms added since follow, by name.
func shippedOrder(ix *directory.Index, code string) []int {
	rank := map[string]int{}
	for i, t := range directory.Terms(code) {
		rank[t.ID] = i
	}
	idx := slices.Clone(ix.TaxonomyTerms(directory.TaxonomyID(code), "", false))
	slices.SortStableFunc(idx, func(a, b int) int {
		ta, tb := ix.TaxonomyTermAt(a), ix.TaxonomyTermAt(b)
		ra, oka := rank[ta.ID]
		rb, okb := rank[tb.ID]
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(ta.Name, tb.Name)
	})
	return idx
}

// probationTermCode is the eligibility term "accepts referrals from
// probation", which the search form asks about with its own checkbox.
const probationTermCode = "referrals-from-probation"

// needOptions returns the eligibility terms the search engine can filter on
// as needs, in the taxonomy's order: every coded term of the shipped
// eligibility taxonomy except exclusions (a need is something a service
// must accept) and referrals from probation (which has its own checkbox).
func needOptions(ix *directory.Index, selected []string) []TypeOption {
	var out []TypeOption
	for _, i := range shippedOrder(ix, directory.EligibilityTaxonomy) {
		t := ix.TaxonomyTermAt(i)
		code := strings.ToLower(t.Code)
		if code == "" || strings.HasPrefix(code, excludesPrefix) || code == probationTermCode {
			continue
		}
		sel := slices.ContainsFunc(selected, func(s string) bool { return strings.EqualFold(s, t.Code) })
		out = append(out, TypeOption{Code: t.Code, Name: t.Name, Selected: sel})
	}
	return out
}

// findType returns the service type with the given code and the codes a
// search for it matches: its own and, for a broad type, its narrower ones.
func findType(groups []TypeGroup, code string) (TypeOption, []string, bool) {
	for _, g := range groups {
		if strings.EqualFold(g.Code, code) {
			codes := []string{g.Code}
			for _, c := range g.Children {
				codes = append(codes, c.Code)
			}
			return g.TypeOption, codes, true
		}
		for _, c := range g.Children {
			if strings.EqualFold(c.Code, code) {
				return c, []string{c.Code}, true
			}
		}
	}
	return TypeOption{}, nil, false
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
