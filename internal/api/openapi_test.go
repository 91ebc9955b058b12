package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes fails when the OpenAPI document and the routes
// registered under /api/v1 drift apart: every route must be documented, and
// every documented operation must reach a route of that method and path.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	a := &API{}
	registered := map[string]bool{"GET " + V1Prefix + "/openapi.json": true}
	for _, rt := range a.v1Routes() {
		registered[rt.Method+" "+V1Prefix+rt.Path] = true
	}
	mux := http.NewServeMux()
	a.AdminRoutes(mux)

	for r := range registered {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for d := range documented {
		if !registered[d] {
			t.Errorf("openapi.json documents %s, which is not a route", d)
			continue
		}
		// The mux must send a request of that shape to exactly that pattern.
		method, path, _ := strings.Cut(d, " ")
		concrete := strings.NewReplacer("{id}", "x1", "{role}", "r1").Replace(path)
		_, pattern := mux.Handler(httptest.NewRequest(method, concrete, nil))
		if pattern != d {
			t.Errorf("%s %s is served by %q, want %q", method, concrete, pattern, d)
		}
	}
	if len(documented) < 30 {
		t.Errorf("only %d operations documented", len(documented))
	}
}

// TestOpenAPIReferences checks that every $ref in the document resolves.
func TestOpenAPIReferences(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var node any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, ok := node.(map[string]any)
					if !ok {
						node = nil
						break
					}
					node = m[part]
				}
				if node == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	ids := []string{}
	for _, ops := range doc["paths"].(map[string]any) {
		for _, op := range ops.(map[string]any) {
			ids = append(ids, op.(map[string]any)["operationId"].(string))
		}
	}
	slices.Sort(ids)
	if c := slices.Compact(slices.Clone(ids)); len(c) != len(ids) {
		t.Errorf("operationIds are not unique: %v", ids)
	}
}
