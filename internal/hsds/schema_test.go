package hsds

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"throughcare/internal/directory"
)

// compiledSchema loads one of the HSDS 3.0 compiled schemas (which hold no
// references) from the shared standards beside the checkout, checking
// formats, or skips the test when they are not there.
func compiledSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "standards", "hsds-3.0", "compiled", name)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("the HSDS schemas are not beside the checkout: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	url := "https://hsds.example/compiled/" + name
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWriteJSONMatchesSchemas checks every service of an export against
// the HSDS 3.0 service schema, and every organisation no service reaches
// against the organisation schema.
func TestWriteJSONMatchesSchemas(t *testing.T) {
	service, organization := compiledSchema(t, "service.json"), compiledSchema(t, "organization.json")
	d := richDataset(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, directory.NewIndex(d)); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Contents      []json.RawMessage `json:"contents"`
		Organizations []json.RawMessage `json:"organizations"`
	}
	if err := json.Unmarshal(buf.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	check := func(s *jsonschema.Schema, items []json.RawMessage) {
		for _, raw := range items {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("%.120s…\n%v", raw, err)
			}
		}
	}
	check(service, page.Contents)
	check(organization, page.Organizations)
	if len(page.Contents) != len(d.Services) || len(page.Organizations) == 0 {
		t.Errorf("%d services and %d organisations checked", len(page.Contents), len(page.Organizations))
	}
}
