package directory

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"throughcare/internal/apperr"
)

// Codes of the taxonomies Throughcare ships. They are stable: ids are derived
// from them (see TaxonomyID and TermID), so renaming one would orphan every
// attribute that uses its terms.
const (
	ServiceTypeTaxonomy = "service-type" // what kind of help a service gives
	EligibilityTaxonomy = "eligibility"  // who a service accepts and how to reach it
	LabelTaxonomy       = "record-label" // labels about a record itself, such as demo data
)

// taxonomyJSON is the justice-aware vocabulary as data: editing the wording
// of a term needs no code change, and admins can extend it at run time.
//
//go:embed taxonomy.json
var taxonomyJSON []byte

// taxonomyFile is the shape of taxonomy.json.
type taxonomyFile struct {
	Taxonomies []struct {
		Code        string `json:"code"`
		Name        string `json:"name"`
		Description string `json:"description"`
		URI         string `json:"uri"`
		Version     string `json:"version"`
		Terms       []struct {
			Code        string `json:"code"`
			Parent      string `json:"parent"`
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"terms"`
	} `json:"taxonomies"`
}

// TaxonomyID returns the stable id of the shipped taxonomy with the given code.
func TaxonomyID(code string) string { return NameUUID("taxonomy:" + code) }

// TermID returns the stable id of the term termCode of the shipped taxonomy
// taxonomyCode. It does not check that the term exists.
func TermID(taxonomyCode, termCode string) string {
	return NameUUID("term:" + taxonomyCode + ":" + termCode)
}

// shipped is the parsed vocabulary, built once.
var shipped = sync.OnceValue(func() *Dataset {
	d, err := parseTaxonomies(taxonomyJSON)
	if err != nil {
		// The file is embedded and checked by the package tests, so this is
		// a build defect, not bad input.
		panic(err)
	}
	return d
})

// parseTaxonomies turns a taxonomy file into Taxonomy and TaxonomyTerm rows.
// It returns an apperr.Invalid error naming the field if the file is not
// JSON, a code repeats within its list, a name or description is missing, or
// a parent is unknown or listed after its child.
func parseTaxonomies(data []byte) (*Dataset, error) {
	const file = "taxonomy.json"
	var f taxonomyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", file, apperr.Invalid, err)
	}
	bad := func(field, format string, args ...any) error {
		return &apperr.FieldError{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	d := &Dataset{}
	seenTax := map[string]bool{}
	for i, t := range f.Taxonomies {
		at := fmt.Sprintf("taxonomies[%d]", i)
		switch {
		case t.Code == "":
			return nil, bad(at+".code", "is required")
		case t.Name == "":
			return nil, bad(at+".name", "is required")
		case t.Description == "":
			return nil, bad(at+".description", "is required")
		case seenTax[t.Code]:
			return nil, bad(at+".code", "%q is used twice", t.Code)
		}
		seenTax[t.Code] = true
		taxID := TaxonomyID(t.Code)
		d.Taxonomies = append(d.Taxonomies, Taxonomy{
			ID: taxID, Name: t.Name, Description: t.Description, URI: t.URI, Version: t.Version,
		})
		seen := map[string]bool{}
		for j, term := range t.Terms {
			at := fmt.Sprintf("taxonomies[%d].terms[%d]", i, j)
			switch {
			case term.Code == "":
				return nil, bad(at+".code", "is required")
			case term.Name == "":
				return nil, bad(at+".name", "is required")
			case term.Description == "":
				return nil, bad(at+".description", "is required")
			case seen[term.Code]:
				return nil, bad(at+".code", "%q is used twice", term.Code)
			case term.Parent != "" && !seen[term.Parent]:
				return nil, bad(at+".parent", "%q is not an earlier term of %q", term.Parent, t.Code)
			}
			row := TaxonomyTerm{
				ID:          TermID(t.Code, term.Code),
				Code:        term.Code,
				Name:        term.Name,
				Description: term.Description,
				Taxonomy:    t.Name,
				TaxonomyID:  taxID,
				Language:    "en",
			}
			if t.URI != "" {
				row.TermURI = t.URI + ":" + term.Code
			}
			if term.Parent != "" {
				row.ParentID = TermID(t.Code, term.Parent)
			}
			seen[term.Code] = true
			d.TaxonomyTerms = append(d.TaxonomyTerms, row)
		}
	}
	return d, nil
}

// JusticeTaxonomy returns the shipped vocabulary (service types, eligibility
// attributes and record labels) as a dataset holding only Taxonomies and
// TaxonomyTerms. Each call returns fresh slices the caller may change.
func JusticeTaxonomy() *Dataset {
	s := shipped()
	return &Dataset{
		Taxonomies:    slices.Clone(s.Taxonomies),
		TaxonomyTerms: slices.Clone(s.TaxonomyTerms),
	}
}

// Terms returns the terms of the shipped taxonomy with the given code, in the
// order the file lists them (parents before their children), or nil if no
// shipped taxonomy has that code.
func Terms(taxonomyCode string) []TaxonomyTerm {
	id := TaxonomyID(taxonomyCode)
	var out []TaxonomyTerm
	for _, t := range shipped().TaxonomyTerms {
		if t.TaxonomyID == id {
			out = append(out, t)
		}
	}
	return out
}
