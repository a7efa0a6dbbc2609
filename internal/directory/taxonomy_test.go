package directory

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

func TestTaxonomyIDsAreStable(t *testing.T) {
	// Computed independently as UUIDv5(URL namespace, "throughcare:"+name).
	if got, want := TermID(ServiceTypeTaxonomy, "reconnect"), "443a7e1c-0b06-5de4-b909-450d3ea758d2"; got != want {
		t.Errorf("TermID(service-type, reconnect) = %s, want %s", got, want)
	}
	if got, want := TaxonomyID(EligibilityTaxonomy), "49faba27-aab0-5c27-8b60-8ef319caf8ab"; got != want {
		t.Errorf("TaxonomyID(eligibility) = %s, want %s", got, want)
	}
	if TermID(ServiceTypeTaxonomy, "autism") == TermID(EligibilityTaxonomy, "autism") {
		t.Error("the same code in two taxonomies gave the same term id")
	}
}

func TestJusticeTaxonomyShape(t *testing.T) {
	d := JusticeTaxonomy()
	if len(d.Taxonomies) != 3 {
		t.Fatalf("got %d taxonomies, want 3", len(d.Taxonomies))
	}
	for i, code := range []string{ServiceTypeTaxonomy, EligibilityTaxonomy, LabelTaxonomy} {
		tx := d.Taxonomies[i]
		if tx.ID != TaxonomyID(code) {
			t.Errorf("taxonomy %d id = %s, want TaxonomyID(%q)", i, tx.ID, code)
		}
		if tx.Name == "" || tx.Description == "" || tx.URI == "" || tx.Version == "" {
			t.Errorf("taxonomy %q: name, description, uri and version must be set: %+v", code, tx)
		}
	}
	if n := len(Terms(ServiceTypeTaxonomy)); n < 25 || n > 40 {
		t.Errorf("service types: %d terms, want about 25-35", n)
	}
	if n := len(Terms(EligibilityTaxonomy)); n < 18 {
		t.Errorf("eligibility: %d terms, want about 20", n)
	}
	labels := Terms(LabelTaxonomy)
	if len(labels) != 1 || labels[0].Code != "demo-fictional" ||
		labels[0].Description != "Demo data: a fictional record made up to show how Throughcare works; not a real service." {
		t.Errorf("record labels = %+v", labels)
	}
	if Terms("no-such-taxonomy") != nil {
		t.Error("Terms of an unknown taxonomy should be nil")
	}

	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	taxByID := map[string]Taxonomy{}
	for _, tx := range d.Taxonomies {
		taxByID[tx.ID] = tx
	}
	termByID := map[string]TaxonomyTerm{}
	for _, term := range d.TaxonomyTerms {
		if _, dup := termByID[term.ID]; dup {
			t.Errorf("term id %s used twice (code %q)", term.ID, term.Code)
		}
		termByID[term.ID] = term
	}
	codes := map[string]bool{}
	for _, term := range d.TaxonomyTerms {
		tx, ok := taxByID[term.TaxonomyID]
		if !ok {
			t.Errorf("term %q: taxonomy_id %s does not resolve", term.Code, term.TaxonomyID)
			continue
		}
		key := term.TaxonomyID + "/" + term.Code
		if codes[key] {
			t.Errorf("code %q used twice in %q", term.Code, tx.Name)
		}
		codes[key] = true
		if !kebab.MatchString(term.Code) {
			t.Errorf("code %q is not kebab-case", term.Code)
		}
		if !ValidUUID(term.ID) {
			t.Errorf("term %q: id %q is not a UUID", term.Code, term.ID)
		}
		if strings.TrimSpace(term.Name) == "" || strings.TrimSpace(term.Description) == "" {
			t.Errorf("term %q: empty name or description", term.Code)
		}
		if !strings.HasSuffix(term.Description, ".") {
			t.Errorf("term %q: description should be full sentences: %q", term.Code, term.Description)
		}
		if term.Taxonomy != tx.Name {
			t.Errorf("term %q: taxonomy = %q, want %q", term.Code, term.Taxonomy, tx.Name)
		}
		if term.TermURI != tx.URI+":"+term.Code {
			t.Errorf("term %q: term_uri = %q", term.Code, term.TermURI)
		}
		if term.ParentID != "" {
			p, ok := termByID[term.ParentID]
			switch {
			case !ok:
				t.Errorf("term %q: parent %s does not resolve", term.Code, term.ParentID)
			case p.TaxonomyID != term.TaxonomyID:
				t.Errorf("term %q: parent %q is in another taxonomy", term.Code, p.Code)
			case p.ParentID != "":
				t.Errorf("term %q: parent %q is itself a child; the vocabulary is two levels deep", term.Code, p.Code)
			}
		}
	}

	// The terms the brief names must exist, with the ids others compute.
	for _, want := range [][2]string{
		{ServiceTypeTaxonomy, "community-mental-health-team"},
		{ServiceTypeTaxonomy, "liaison-diversion"},
		{ServiceTypeTaxonomy, "reconnect"},
		{ServiceTypeTaxonomy, "mhtr-provider"},
		{ServiceTypeTaxonomy, "gp-primary-care"},
		{EligibilityTaxonomy, "referrals-from-probation"},
		{EligibilityTaxonomy, "no-fixed-abode"},
		{EligibilityTaxonomy, "excludes-arson"},
		{LabelTaxonomy, "demo-fictional"},
	} {
		if term, ok := termByID[TermID(want[0], want[1])]; !ok || term.Code != want[1] {
			t.Errorf("no term %s/%s", want[0], want[1])
		}
	}
	if p := termByID[TermID(ServiceTypeTaxonomy, "reconnect")].ParentID; p != TermID(ServiceTypeTaxonomy, "justice-pathways") {
		t.Errorf("reconnect parent = %s, want justice-pathways", p)
	}
}

func TestJusticeTaxonomyReturnsCopies(t *testing.T) {
	a := JusticeTaxonomy()
	a.TaxonomyTerms[0].Name = "changed"
	a.Taxonomies[0].Name = "changed"
	if b := JusticeTaxonomy(); b.TaxonomyTerms[0].Name == "changed" || b.Taxonomies[0].Name == "changed" {
		t.Error("changing one JusticeTaxonomy result changed the next")
	}
	terms := Terms(EligibilityTaxonomy)
	terms[0].Code = "changed"
	if Terms(EligibilityTaxonomy)[0].Code == "changed" {
		t.Error("changing a Terms result changed the shipped taxonomy")
	}
}

func TestTermsKeepFileOrder(t *testing.T) {
	var f taxonomyFile
	if err := json.Unmarshal(taxonomyJSON, &f); err != nil {
		t.Fatalf("taxonomy.json does not parse: %v", err)
	}
	for _, tx := range f.Taxonomies {
		got := Terms(tx.Code)
		if len(got) != len(tx.Terms) {
			t.Fatalf("%s: %d terms, file has %d", tx.Code, len(got), len(tx.Terms))
		}
		for i := range got {
			if got[i].Code != tx.Terms[i].Code {
				t.Errorf("%s term %d = %q, file has %q", tx.Code, i, got[i].Code, tx.Terms[i].Code)
			}
		}
	}
}

func TestParseTaxonomiesRejectsBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, json, field string
	}{
		{"not json", `{"taxonomies": [`, ""},
		{"taxonomy without code", `{"taxonomies":[{"name":"n","description":"d"}]}`, "taxonomies[0].code"},
		{"taxonomy twice", `{"taxonomies":[{"code":"a","name":"n","description":"d"},{"code":"a","name":"n","description":"d"}]}`, "taxonomies[1].code"},
		{"term without description", `{"taxonomies":[{"code":"a","name":"n","description":"d","terms":[{"code":"x","name":"X"}]}]}`, "taxonomies[0].terms[0].description"},
		{"term twice", `{"taxonomies":[{"code":"a","name":"n","description":"d","terms":[{"code":"x","name":"X","description":"d"},{"code":"x","name":"Y","description":"d"}]}]}`, "taxonomies[0].terms[1].code"},
		{"unknown parent", `{"taxonomies":[{"code":"a","name":"n","description":"d","terms":[{"code":"x","parent":"y","name":"X","description":"d"}]}]}`, "taxonomies[0].terms[0].parent"},
		{"parent after child", `{"taxonomies":[{"code":"a","name":"n","description":"d","terms":[{"code":"x","parent":"y","name":"X","description":"d"},{"code":"y","name":"Y","description":"d"}]}]}`, "taxonomies[0].terms[0].parent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTaxonomies([]byte(tc.json))
			if !errors.Is(err, apperr.Invalid) {
				t.Fatalf("err = %v, want apperr.Invalid", err)
			}
			if tc.field == "" {
				return
			}
			fe, ok := errors.AsType[*apperr.FieldError](err)
			if !ok || fe.Field != tc.field || fe.File != "taxonomy.json" {
				t.Errorf("err = %#v, want a FieldError on taxonomy.json field %s", err, tc.field)
			}
		})
	}
	d, err := parseTaxonomies([]byte(`{"taxonomies":[{"code":"a","name":"A","description":"d","terms":[{"code":"x","name":"X","description":"d"},{"code":"y","parent":"x","name":"Y","description":"d"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.TaxonomyTerms) != 2 || d.TaxonomyTerms[1].ParentID != TermID("a", "x") || d.TaxonomyTerms[1].TaxonomyID != TaxonomyID("a") || d.TaxonomyTerms[0].TermURI != "" {
		t.Errorf("parsed = %+v", d.TaxonomyTerms)
	}
}
