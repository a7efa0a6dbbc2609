package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// openAPIDoc is the part of an OpenAPI document these tests read.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters      map[string]parameter       `json:"parameters"`
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
	} `json:"components"`
}

type operation struct {
	OperationID string                     `json:"operationId"`
	Parameters  []parameter                `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Security    []map[string][]string      `json:"security"`
}

type parameter struct {
	Ref      string `json:"$ref"`
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

func readOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	dec := json.NewDecoder(bytes.NewReader(openAPI))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

// The document lists exactly the routes the handler registers, each with
// exactly the query parameters its handler reads; the write (POST) routes
// also declare the token they need and the answers refusing one.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := readOpenAPI(t)
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != Prefix {
		t.Errorf("openapi %q, servers %+v", doc.OpenAPI, doc.Servers)
	}
	resolve := func(p parameter) parameter {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
			c, found := doc.Components.Parameters[name]
			if !found {
				t.Errorf("parameter %s is not defined", p.Ref)
			}
			return c
		}
		return p
	}

	// A path item may name its own server; the /api/v1 one must.
	serverOf := func(path string) string {
		var servers []struct {
			URL string `json:"url"`
		}
		if raw, ok := doc.Paths[path]["servers"]; ok {
			if err := json.Unmarshal(raw, &servers); err != nil || len(servers) != 1 {
				t.Errorf("%s: servers %s", path, raw)
				return ""
			}
			return servers[0].URL
		}
		return doc.Servers[0].URL
	}

	routes := (&server{}).routes()
	type docPath struct{ server, path string }
	var registered []docPath
	methods := map[docPath][]string{}
	opIDs := map[string]bool{}
	for _, rt := range routes {
		method, full, _ := strings.Cut(rt.pattern, " ")
		if method != "GET" && method != "POST" {
			t.Errorf("%s: only GET and POST routes are expected", rt.pattern)
		}
		base := Prefix
		if strings.HasPrefix(full, V1Prefix+"/") {
			base = V1Prefix
		}
		path := strings.TrimSuffix(strings.TrimPrefix(full, base), "{$}")
		registered = append(registered, docPath{base, path})
		methods[docPath{base, path}] = append(methods[docPath{base, path}], strings.ToLower(method))
		if got := serverOf(path); got != base {
			t.Errorf("route %s: the document serves %s from %q, want %q", rt.pattern, path, got, base)
		}
		raw, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("route %s is not in the OpenAPI document as %s %s", rt.pattern, method, path)
			continue
		}
		var op operation
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if op.OperationID == "" || opIDs[op.OperationID] {
			t.Errorf("%s: operationId %q missing or repeated", path, op.OperationID)
		}
		opIDs[op.OperationID] = true
		if _, ok := op.Responses["200"]; !ok {
			t.Errorf("%s: no 200 response", path)
		}
		if method == "POST" {
			_, has401 := op.Responses["401"]
			_, has403 := op.Responses["403"]
			_, scheme := doc.Components.SecuritySchemes["apiToken"]
			if len(op.Security) != 1 || op.Security[0]["apiToken"] == nil || !scheme || !has401 || !has403 {
				t.Errorf("%s %s: security %v, 401 %v, 403 %v; want the apiToken scheme and both refusals", method, path, op.Security, has401, has403)
			}
		}
		var query []string
		var pathParams []string
		for _, p := range op.Parameters {
			p = resolve(p)
			switch p.In {
			case "query":
				query = append(query, p.Name)
			case "path":
				pathParams = append(pathParams, p.Name)
				if !p.Required {
					t.Errorf("%s: path parameter %s not required", path, p.Name)
				}
			default:
				t.Errorf("%s: parameter %q in %q", path, p.Name, p.In)
			}
		}
		slices.Sort(query)
		want := slices.Sorted(slices.Values(rt.params))
		if !slices.Equal(query, want) {
			t.Errorf("%s: document lists query parameters %v, handler reads %v", path, query, want)
		}
		if strings.Contains(path, "{id}") != slices.Equal(pathParams, []string{"id"}) {
			t.Errorf("%s: path parameters %v", path, pathParams)
		}
		if strings.Contains(path, "{id}") {
			if _, ok := op.Responses["404"]; !ok {
				t.Errorf("%s: no 404 response", path)
			}
		} else if len(rt.params) > 0 {
			if _, ok := op.Responses["400"]; !ok {
				t.Errorf("%s: no 400 response", path)
			}
		}
	}
	for path, item := range doc.Paths {
		if !slices.Contains(registered, docPath{serverOf(path), path}) {
			t.Errorf("the document lists %s%s, which no route serves", serverOf(path), path)
		}
		for method := range item {
			if method != "servers" && !slices.Contains(methods[docPath{serverOf(path), path}], method) {
				t.Errorf("the document lists %s %s, which no route answers", method, path)
			}
		}
	}
}

// Every reference in the document resolves: internal ones to a component,
// external ones to a schema of the HSDS or ORUK standard.
func TestOpenAPIReferencesResolve(t *testing.T) {
	var doc any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "$ref" {
					refs = append(refs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	if len(refs) < 50 {
		t.Fatalf("only %d references found", len(refs))
	}
	var external []string
	for _, ref := range refs {
		ptr, internal := strings.CutPrefix(ref, "#/")
		if !internal {
			if !strings.HasPrefix(ref, hsdsBase) && !strings.HasPrefix(ref, orukBase) {
				t.Errorf("reference %s is neither internal nor to an HSDS or ORUK schema", ref)
			}
			external = append(external, ref)
			continue
		}
		var at any = doc
		for _, part := range strings.Split(ptr, "/") {
			m, ok := at.(map[string]any)
			if !ok {
				at = nil
				break
			}
			at = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
		}
		if at == nil {
			t.Errorf("reference %s does not resolve", ref)
		}
	}
	s := schemas(t)
	for _, ref := range external {
		s.schema(t, ref) // fails the test if it does not compile
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newTestHandler(t, nil)
	body := mustOK(t, get(t, h, "/openreferral/openapi.json"))
	if !bytes.Equal(body, openAPI) {
		t.Error("the served document differs from the embedded one")
	}
	if !json.Valid(body) {
		t.Error("the served document is not valid JSON")
	}
}
