// Package kubeapi serves Berth's Kubernetes-style objects with the Kubernetes API
// conventions, so that kubectl works against a Berth server without Kubernetes:
// discovery, OpenAPI v3, get/list with label and field selectors, create, update
// and every patch type (JSON, merge, strategic merge, server-side apply), delete,
// watch with resourceVersion and bookmarks, Table output, the scale and status
// subresources, and the Events kubectl describe shows.
//
// None of that machinery is Berth's: it is k8s.io/apiserver's generic server, built
// the way k8s.io/sample-apiserver is, over storages of Berth's own
// (internal/kubeapi/workloads, internal/kubeapi/events) that go through Berth's use
// cases, so Berth's authentication and permission matrix apply. Its handler serves
// the Paths of Berth's own listener, beside the REST API.
//
// A namespace is a workspace (usecase.WorkspaceOfNamespace). resources.go lists
// the served resources: the one place to add one.
package kubeapi
