// Package v1alpha1 is seed 002's compute.miloapis.com/v1alpha1 API: the Workload
// object kubectl works with, as Kubernetes types (ObjectMeta, a spec and a status).
// Berth stores each Workload as a Berth workload of kind Deployment; package
// kubeapi serves it with k8s.io/apiserver.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +groupName=compute.miloapis.com
// +k8s:openapi-model-package=com.miloapis.compute.v1alpha1
package v1alpha1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.37.2 --go-header-file /dev/null --output-file zz_generated.deepcopy.go .
