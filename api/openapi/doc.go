// Package openapi holds Berth's OpenAPI 3.1 document: YAML sources, one file per area
// of the API (openapi.yaml is the root every area shares), embedded in the binary and
// assembled into the one JSON document GET /api/v1/openapi.json serves.
//
// An area file holds tags, paths and components, as a document would; Document merges
// them into the root, refusing a path or a component that two files define (YAML
// anchors reach within one file only). A new area of the API is a new file here, its
// schemas' rows in the table of wire types the tests hold them to, and docs/api.md
// rendered anew (go test ./api/openapi -run TestAPIDocIsCurrent -update). The tests
// prove the document valid OpenAPI 3.1, its schemas field for field the types of
// api/v1, and docs/api.md current; package openapitest checks HTTP exchanges against it.
package openapi
