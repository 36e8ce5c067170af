// Package openapi holds Berth's OpenAPI 3.1 document: YAML sources, one file per area
// of the API (openapi.yaml is the root every area shares), embedded in the binary and
// assembled into the one JSON document GET /api/v1/openapi.json serves.
//
// An area file holds tags, paths and components, as a document would; Document merges
// them into the root, refusing a path or a component that two files define. A new
// area of the API is a new file here: nothing else needs to change. The tests prove
// the document valid, its schemas field for field the types of api/v1, and docs/api.md
// rendered from it; package openapitest validates HTTP exchanges against it.
package openapi
