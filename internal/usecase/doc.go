// Package usecase holds the API's use cases: create, list, get, patch, stop, delete
// and clone workloads, and manage the workspaces, nodes, users, keys and secrets they
// need. It checks permissions, applies the domain rules, writes the store and wakes
// the control loops. It speaks in wire types (api/v1) and reports failures as *Error
// values carrying an API error code; httpapi turns those into HTTP responses.
package usecase
