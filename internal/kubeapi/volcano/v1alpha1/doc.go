// Package v1alpha1 is seed 004's workload.volcano.sh/v1alpha1 API as Kubernetes
// types: the ModelInfer object kubectl works with (ObjectMeta, a spec and the
// seed's status). Its JSON is that of api/v1's ModelInfer, Berth's own REST API's,
// which Berth stores; package kubeapi serves it with k8s.io/apiserver.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +groupName=workload.volcano.sh
// +k8s:openapi-model-package=sh.volcano.workload.v1alpha1
package v1alpha1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.37.2 --go-header-file /dev/null --output-file zz_generated.deepcopy.go .
