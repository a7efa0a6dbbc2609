package api

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"throughcare/internal/demo"
	"throughcare/internal/directory"
)

// Where the standards' documents live on the web. The schema files carry no
// $id and refer to each other by file name, so each is loaded at the URL it
// is published at and the references resolve offline.
const (
	hsdsBase = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
	orukBase = "https://openreferraluk.org/specifications/3.0/schemata/"
	oursURL  = "https://directory.example.org/openreferral/openapi.json"
)

// schemaSet compiles schemas from the HSDS 3.0 and ORUK 3.0 files and our
// own OpenAPI document, asserting formats (uuid, email, uri, date-time).
type schemaSet struct {
	mu       sync.Mutex
	c        *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
	nullORUK []string // ORUK files that are null: objects the profile drops
}

var loadSchemas = sync.OnceValues(func() (*schemaSet, error) {
	dir := filepath.Join("..", "..", "..", "shared", "standards")
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	s := &schemaSet{c: jsonschema.NewCompiler(), compiled: map[string]*jsonschema.Schema{}}
	s.c.DefaultDraft(jsonschema.Draft2020)
	s.c.AssertFormat()
	add := func(pattern, base string) error {
		files, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil || len(files) == 0 {
			return fmt.Errorf("no schema files match %s: %v", pattern, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if doc == nil {
				// The ORUK profile patches metadata, program,
				// required_document and meta_table_description to null:
				// the UK profile drops these objects, yet its service and
				// organisation schemas still refer to them. null is not a
				// schema; the published ORUK schemas leave the referring
				// properties unconstrained, and so does true.
				s.nullORUK = append(s.nullORUK, filepath.Base(f))
				doc = true
			}
			if err := s.c.AddResource(base+filepath.Base(f), doc); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
		return nil
	}
	for _, src := range []struct{ pattern, base string }{
		{"hsds-3.0/*.json", hsdsBase},
		{"hsds-3.0/compiled/*.json", hsdsBase + "compiled/"},
		{"oruk-3.0/schema/*.json", orukBase},
	} {
		if err := add(src.pattern, src.base); err != nil {
			return nil, err
		}
	}
	ours, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPI))
	if err != nil {
		return nil, err
	}
	if err := s.c.AddResource(oursURL, ours); err != nil {
		return nil, err
	}
	return s, nil
})

// schemas returns the loaded set, or skips the test when the standards are
// not beside the checkout.
func schemas(t testing.TB) *schemaSet {
	t.Helper()
	s, err := loadSchemas()
	if os.IsNotExist(err) {
		t.Skipf("the HSDS and ORUK schemas are not in ../shared/standards beside the repository: %v", err)
	}
	if err != nil {
		t.Fatalf("loading the standards' schemas: %v", err)
	}
	return s
}

func (s *schemaSet) schema(t testing.TB, url string) *jsonschema.Schema {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[url]; ok {
		return sch
	}
	sch, err := s.c.Compile(url)
	if err != nil {
		t.Fatalf("compiling %s: %v", url, err)
	}
	s.compiled[url] = sch
	return sch
}

// check validates a JSON document against the schema at url.
func (s *schemaSet) check(t testing.TB, url string, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%v: %.200s", err, doc)
	}
	if err := s.schema(t, url).Validate(v); err != nil {
		t.Errorf("not valid against %s:\n%v\ndocument: %.500s", url, err, doc)
	}
}

// ours returns the URL of a response schema in our OpenAPI document.
func ours(path, status, media string) string {
	esc := func(s string) string {
		s = strings.ReplaceAll(s, "~", "~0")
		s = strings.ReplaceAll(s, "/", "~1")
		return strings.NewReplacer("{", "%7B", "}", "%7D").Replace(s)
	}
	return oursURL + "#/paths/" + esc(path) + "/get/responses/" + status + "/content/" + esc(media) + "/schema"
}

// noEmptyValues fails on any null or "" in a JSON document: ORUK wants
// optional fields without a value left out.
func noEmptyValues(t testing.TB, where string, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s: %s is null", where, path)
		case string:
			if v == "" {
				t.Errorf("%s: %s is an empty string", where, path)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		}
	}
	walk("$", v)
}

// TestSchemasAssertFormats makes sure the validator really checks what the
// other tests rely on it to check.
func TestSchemasAssertFormats(t *testing.T) {
	s := schemas(t)
	t.Logf("ORUK files that are null, loaded as true: %v", s.nullORUK)
	for _, tt := range []struct{ url, doc string }{
		{hsdsBase + "compiled/service_list.json", `{"id":"not-a-uuid","name":"x","status":"active"}`},
		{hsdsBase + "compiled/service_list.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"x","status":"open"}`},
		{hsdsBase + "compiled/service.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"x","status":"active","email":"not an email"}`},
		{hsdsBase + "compiled/service.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"x","status":"active","last_modified":"yesterday"}`},
		{hsdsBase + "compiled/service.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"x","status":"active","phones":[{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}]}`},
		{orukBase + "service.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"x","status":"active","url":"not a uri"}`},
		{orukBase + "service.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"x"}`},
		{orukBase + "location.json", `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","location_type":"physical","latitude":"53"}`},
		{ours("/services", "200", "application/json"), `{"total_items":0,"total_pages":0,"page_number":1,"size":0,"first_page":true,"last_page":true,"contents":[]}`},
		{ours("/services", "200", "application/json"), `{"total_items":1,"total_pages":1,"page_number":1,"size":1,"first_page":true,"last_page":true,"empty":false,"contents":[{"id":"x"}]}`},
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.schema(t, tt.url).Validate(v); err == nil {
			t.Errorf("%s accepted %s", tt.url, tt.doc)
		}
	}
}

// Every answer of every endpoint validates against HSDS 3.0 and ORUK 3.0,
// and against the response schema our OpenAPI document gives for it.
func TestResponsesValidate(t *testing.T) {
	s := schemas(t)
	h := newTestHandler(t, nil)
	d := fixture()

	type listCase struct {
		target, path  string
		hsdsItem      string // HSDS schema of each item, under hsdsBase
		orukItem      string // ORUK schema of each item, under orukBase
		alsoHSDSItems string // a stricter HSDS schema the items also meet, if any
	}
	lists := []listCase{
		{"/services", "/services", "compiled/service_list.json", "service.json", ""},
		{"/services?full=true", "/services", "compiled/service_list.json", "service.json", "compiled/service.json"},
		{"/services?minimal=true", "/services", "compiled/service_list.json", "service.json", ""},
		{"/services?search=nothing-matches", "/services", "compiled/service_list.json", "service.json", ""},
		{"/services?per_page=1&page=9", "/services", "compiled/service_list.json", "service.json", ""},
		{"/service_at_locations", "/service_at_locations", "compiled/service_at_location_list.json", "service_at_location.json", ""},
		{"/service_at_locations?full=true", "/service_at_locations", "compiled/service_at_location_list.json", "service_at_location.json", "compiled/service_at_location.json"},
		{"/service_at_locations?lat=53.2&lon=-0.5&proximity=50000", "/service_at_locations", "compiled/service_at_location_list.json", "service_at_location.json", ""},
		{"/organizations", "/organizations", "compiled/organization_list.json", "organization.json", ""},
		{"/organizations?full=true&full_service=true", "/organizations", "compiled/organization_list.json", "organization.json", "compiled/organization.json"},
		{"/taxonomies", "/taxonomies", "taxonomy.json", "taxonomy.json", ""},
		{"/taxonomy_terms", "/taxonomy_terms", "taxonomy_term.json", "taxonomy_term.json", ""},
	}
	for _, tt := range lists {
		t.Run(tt.target, func(t *testing.T) {
			body := mustOK(t, get(t, h, "/openreferral"+tt.target))
			noEmptyValues(t, tt.target, body)
			s.check(t, hsdsBase+"openapi.json#/components/schemas/Page", body)
			s.check(t, ours(tt.path, "200", "application/json"), body)
			p := getPage(t, h, "/openreferral"+tt.target)
			for _, item := range p.Contents {
				s.check(t, hsdsBase+tt.hsdsItem, item)
				s.check(t, orukBase+tt.orukItem, item)
				if tt.alsoHSDSItems != "" {
					s.check(t, hsdsBase+tt.alsoHSDSItems, item)
				}
			}
		})
	}

	type oneCase struct{ target, path, hsds, oruk string }
	var ones []oneCase
	for _, sv := range d.Services {
		ones = append(ones, oneCase{"/services/" + sv.ID, "/services/{id}", "compiled/service.json", "service.json"})
	}
	for _, sl := range d.ServiceAtLocations {
		ones = append(ones, oneCase{"/service_at_locations/" + sl.ID, "/service_at_locations/{id}", "compiled/service_at_location.json", "service_at_location.json"})
	}
	for _, o := range d.Organizations {
		ones = append(ones,
			oneCase{"/organizations/" + o.ID, "/organizations/{id}", "compiled/organization.json", "organization.json"},
			oneCase{"/organizations/" + o.ID + "?full_service=true", "/organizations/{id}", "compiled/organization.json", "organization.json"})
	}
	for _, tx := range d.Taxonomies {
		ones = append(ones, oneCase{"/taxonomies/" + tx.ID, "/taxonomies/{id}", "taxonomy.json", "taxonomy.json"})
	}
	for _, tm := range d.TaxonomyTerms {
		ones = append(ones, oneCase{"/taxonomy_terms/" + tm.ID, "/taxonomy_terms/{id}", "taxonomy_term.json", "taxonomy_term.json"})
	}
	for _, tt := range ones {
		t.Run(tt.target, func(t *testing.T) {
			body := mustOK(t, get(t, h, "/openreferral"+tt.target))
			noEmptyValues(t, tt.target, body)
			s.check(t, hsdsBase+tt.hsds, body)
			s.check(t, orukBase+tt.oruk, body)
			s.check(t, ours(tt.path, "200", "application/json"), body)
		})
	}

	t.Run("ndjson", func(t *testing.T) {
		for _, tt := range []struct{ target, path, hsds, oruk string }{
			{"/services?format=ndjson", "/services", "compiled/service.json", "service.json"},
			{"/service_at_locations?format=ndjson", "/service_at_locations", "compiled/service_at_location.json", "service_at_location.json"},
			{"/organizations?format=ndjson&full_service=true", "/organizations", "compiled/organization.json", "organization.json"},
			{"/taxonomies?format=ndjson", "/taxonomies", "taxonomy.json", "taxonomy.json"},
			{"/taxonomy_terms?format=ndjson", "/taxonomy_terms", "taxonomy_term.json", "taxonomy_term.json"},
		} {
			rec := get(t, h, "/openreferral"+tt.target)
			sc := bufio.NewScanner(rec.Body)
			sc.Buffer(nil, 1<<20)
			n := 0
			for sc.Scan() {
				n++
				line := sc.Bytes()
				noEmptyValues(t, tt.target, line)
				s.check(t, hsdsBase+tt.hsds, line)
				s.check(t, orukBase+tt.oruk, line)
				s.check(t, ours(tt.path, "200", "application/x-ndjson"), line)
			}
			if n == 0 {
				t.Errorf("%s: no lines", tt.target)
			}
		}
	})

	t.Run("root and errors", func(t *testing.T) {
		s.check(t, ours("/", "200", "application/json"), mustOK(t, get(t, h, "/openreferral/")))
		for _, target := range []string{"/services?per_page=0", "/service_at_locations?postcode=LN1", "/services/" + id("none"), "/nowhere"} {
			rec := get(t, h, "/openreferral"+target)
			s.check(t, oursURL+"#/components/schemas/Error", rec.Body.Bytes())
			noEmptyValues(t, target, rec.Body.Bytes())
		}
	})
}

// A service with nothing but its required fields still validates and
// sends no empty values.
func TestBareRecordsValidate(t *testing.T) {
	s := schemas(t)
	d := fixture()
	bare := id("svc:bare")
	d.Services = append(d.Services, directory.Service{ID: bare, Name: "Bare", Status: "active"})
	h := newTestHandler(t, d)
	body := mustOK(t, get(t, h, "/openreferral/services/"+bare))
	if got := strings.TrimSpace(string(body)); got != `{"id":"`+bare+`","name":"Bare","status":"active"}` {
		t.Errorf("bare service: %s", got)
	}
	s.check(t, hsdsBase+"compiled/service.json", body)
	s.check(t, orukBase+"service.json", body)
	p := getPage(t, h, "/openreferral/services?search=bare")
	if len(p.Contents) != 1 || strings.TrimSpace(string(p.Contents[0])) != `{"id":"`+bare+`","name":"Bare","status":"active"}` {
		t.Errorf("bare list item: %s", p.Contents)
	}
}

// The synthetic directory, with the shipped taxonomy and realistic records,
// validates too.
func TestSyntheticDirectoryValidates(t *testing.T) {
	s := schemas(t)
	h := newTestHandler(t, demo.Generate(60, 3))
	for _, tt := range []struct{ target, hsds, oruk string }{
		{"/services?full=true&per_page=1000", "compiled/service.json", "service.json"},
		{"/services?per_page=1000", "compiled/service_list.json", "service.json"},
		{"/service_at_locations?full=true&per_page=1000", "compiled/service_at_location.json", "service_at_location.json"},
		{"/organizations?full=true&full_service=true&per_page=1000", "compiled/organization.json", "organization.json"},
		{"/taxonomies?per_page=1000", "taxonomy.json", "taxonomy.json"},
		{"/taxonomy_terms?per_page=1000", "taxonomy_term.json", "taxonomy_term.json"},
	} {
		p := getPage(t, h, "/openreferral"+tt.target)
		if p.TotalItems == 0 || p.TotalPages != 1 {
			t.Fatalf("%s: %+v", tt.target, p)
		}
		for _, item := range p.Contents {
			noEmptyValues(t, tt.target, item)
			s.check(t, hsdsBase+tt.hsds, item)
			s.check(t, orukBase+tt.oruk, item)
		}
	}
}
