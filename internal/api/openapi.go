package api

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 document of the REST admin API. It is written
// by hand; openapi_test.go fails when it and the route table disagree.
//
//go:embed openapi.json
var openAPI []byte

// serveOpenAPI: GET /api/v1/openapi.json.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPI)
}
