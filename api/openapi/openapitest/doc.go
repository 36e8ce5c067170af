// Package openapitest checks HTTP exchanges against Berth's OpenAPI document, so that
// tests which drive the real server keep the document true. A Checker judges one
// exchange; a Transport judges every exchange an http.Client makes.
//
// An exchange passes when its route is documented and its response matches what the
// operation documents for its status. A request the document calls invalid (a bad
// parameter, a missing credential, a body against its schema) must be refused with
// a 4xx: tests send such requests on purpose, and a server that accepts one means the
// document is stricter than the API. A route the document does not know passes only
// when the server does not know it either (404 in the error format).
package openapitest
