// Package apiservice registers Berth's Kubernetes API groups with a cluster as
// aggregated APIs: one apiregistration.k8s.io/v1 APIService per group version,
// served by Berth's Service and trusted through the CA of Berth's serving
// certificate, so that the cluster's API server proxies those groups to Berth.
//
// The objects are written with server-side apply through a dynamic client: an
// APIService is five fields, which do not need kube-aggregator's typed client (a
// module of its own) to be written.
package apiservice

import (
	"context"
	"encoding/base64"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Resource is the APIService resource.
var Resource = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// fieldManager owns the fields Berth applies.
const fieldManager = "berth"

// Priorities of the groups among the cluster's: those sample-apiserver uses, below
// the built-in groups, so a name both serve stays the cluster's.
const (
	groupPriorityMinimum = 1000
	versionPriority      = 15
)

// Service is the Kubernetes Service the cluster's API server reaches Berth through.
type Service struct {
	Namespace, Name string
	Port            int32
}

// Name is the name of version's APIService: "<version>.<group>", as the cluster
// requires.
func Name(version schema.GroupVersion) string { return version.Version + "." + version.Group }

// Register applies an APIService for each of versions, served by svc whose
// serving certificate caBundle (PEM) signed.
func Register(ctx context.Context, client dynamic.Interface, svc Service, caBundle []byte, versions []schema.GroupVersion) error {
	for _, v := range versions {
		obj := object(svc, caBundle, v)
		_, err := client.Resource(Resource).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
		if err != nil {
			return fmt.Errorf("register APIService %s: %w", obj.GetName(), err)
		}
	}
	return nil
}

func object(svc Service, caBundle []byte, v schema.GroupVersion) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Resource.GroupVersion().String(),
		"kind":       "APIService",
		"metadata": map[string]any{
			"name":   Name(v),
			"labels": map[string]any{"app.kubernetes.io/managed-by": "berth"},
		},
		"spec": map[string]any{
			"group":   v.Group,
			"version": v.Version,
			"service": map[string]any{
				"namespace": svc.Namespace,
				"name":      svc.Name,
				"port":      int64(svc.Port),
			},
			"caBundle":             base64.StdEncoding.EncodeToString(caBundle),
			"groupPriorityMinimum": int64(groupPriorityMinimum),
			"versionPriority":      int64(versionPriority),
		},
	}}
}
